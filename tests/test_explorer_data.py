"""The explorer page's data, read back without a browser: every value the page holds is the
model's own, bit for bit; its explanations are the public functions' (to the 256 levels a
picture keeps); bad arguments are refused by name; the command line writes the page for a
saved model. The page in a real browser: test_explorer.py.
"""

import base64
import json
import re
import subprocess
import sys
import zlib

import numpy as np
import pytest

import tinycnn
from tinycnn import layers
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D
from tinycnn.viz.explore import explore

CLASS_NAMES = ["zero", "one", "two"]


def small_model(input_shape=(10, 10, 1), seed=1):
    return tinycnn.Sequential([
        Conv2D(3, 3, activation="relu", input_shape=input_shape), MaxPool2D(2), Flatten(),
        Dense(3, activation="softmax")], seed=seed).build()


def data_of(page):
    """The JSON the page carries in its <script id="explorer-data"> element."""
    html = page.read_text(encoding="utf-8")
    found = re.search(r'<script id="explorer-data" type="application/json">(.*?)</script>',
                      html, re.S)
    return json.loads(found.group(1))


def decoded(text, dtype):
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=np.dtype(dtype))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    model = small_model()
    rng = np.random.default_rng(0)
    x, y = rng.random((5, 10, 10, 1), dtype=np.float32), rng.integers(0, 3, 5)
    page = explore(model, x, y, tmp_path_factory.mktemp("page"), class_names=CLASS_NAMES,
                   smoothgrad_samples=2, occlusion_patch=3, occlusion_stride=2)
    return model, x, y, page, data_of(page)


def test_every_value_on_the_page_is_the_models_own(written):
    model, x, _, _, data = written
    expected = [x]
    for layer in model.layers:
        expected.append(layer.forward(expected[-1]))
    assert [value["shape"] for value in data["values"]] == [list(v.shape[1:]) for v in expected]
    for n, image in enumerate(data["images"]):
        flat = decoded(image["values"], "<f4")
        assert np.array_equal(flat, np.concatenate([v[n].ravel() for v in expected]))
    for call, layer in zip(data["calls"], model.layers, strict=True):
        for key in ("W", "b"):
            if call.get(key):
                stored = data["weights"][call[key]]
                assert np.array_equal(decoded(stored["data"], "<f4").reshape(stored["shape"]),
                                      layer.params[key])
    logits = tinycnn.explain.class_logits(model, x)
    assert [image["logits"] for image in data["images"]] == logits.tolist()
    probs = model.predict(x, verbose=0)
    assert [image["predicted"] for image in data["images"]] == probs.argmax(axis=1).tolist()
    assert np.allclose([image["probs"] for image in data["images"]], probs, atol=1e-6)


def test_the_explanations_are_the_public_functions_to_256_levels(written):
    model, x, _, _, data = written
    area = 10 * 10
    # SmoothGrad, for each image's predicted and true class only, draws its noise for the
    # whole batch of those (image, class) pairs (explorer_maps.py): its maps are that batch's.
    done = np.array([image["smoothgrad_done"] for image in data["images"]])
    expected_done = np.zeros((len(x), 3), dtype=bool)
    for n, image in enumerate(data["images"]):
        expected_done[n, [image["predicted"], image["label"]]] = True
    assert np.array_equal(done, expected_done)
    images, asked = np.nonzero(done)
    smoothgrads = np.zeros((len(x), 3, 10, 10), dtype=np.float32)
    smoothgrads[images, asked] = np.abs(tinycnn.smoothgrad(model, x[images], asked, samples=2)
                                        ).max(axis=-1)
    for n, image in enumerate(data["images"]):
        maps = decoded(image["maps"], np.uint8)
        for k in range(3):
            expected = {
                "saliency": np.abs(tinycnn.saliency(model, x[n:n + 1], k)).max(axis=-1)[0],
                "smoothgrad": smoothgrads[n, k],
                "occlusion": tinycnn.occlusion(model, x[n:n + 1], k, patch=3, stride=2)[0],
            }
            for method, name in enumerate(("saliency", "smoothgrad", "occlusion")):
                start = (method * 3 + k) * area
                levels = maps[start:start + area].reshape(10, 10)
                scale = image["scales"][name][k]
                assert scale == pytest.approx(np.abs(expected[name]).max(), rel=1e-5, abs=0)
                if name == "occlusion":
                    shown = levels.view(np.int8) / 127 * scale
                    step = scale / 127
                else:
                    shown, step = levels / 255 * scale, scale / 255
                assert np.abs(shown - expected[name]).max() <= step / 2 + 1e-6 * scale, name
            cam = tinycnn.grad_cam(model, x[n:n + 1], k, layer="conv2d")[0]
            start = 3 * 3 * area + k * 8 * 8
            levels = maps[start:start + 64].reshape(8, 8)
            scale = image["scales"]["gradcam"][0][k]
            assert scale == pytest.approx(cam.max(), rel=1e-5, abs=1e-12)
            assert np.abs(levels / 255 * scale - cam).max() <= scale / 510 + 1e-6 * scale


def test_the_page_asks_nothing_of_the_network(written):
    html = written[3].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "http://" not in html and "https://" not in html
    assert html.count("<script") == 2  # the data, and the script itself: both inside


def test_a_name_that_looks_like_html_stays_data(tmp_path):
    model = small_model()
    x = np.random.default_rng(1).random((2, 10, 10, 1), dtype=np.float32)
    names = ["</script><script>alert(1)</script>", "<b>one</b>", "two"]
    page = explore(model, x, [0, 1], tmp_path, class_names=names, smoothgrad_samples=1,
                   occlusion_patch=5, occlusion_stride=5)
    assert data_of(page)["class_names"] == names
    assert page.read_text(encoding="utf-8").count("<script") == 2


@pytest.mark.parametrize("arguments, message", [
    ({"labels": None}, "labels are needed"),
    ({"labels": [0, 1, 5]}, "explore labels"),
    ({"class_names": ["a", "b"]}, "the model has 3 classes, got 2 names"),
    ({"images": np.zeros((3, 9, 9, 1), np.float32)}, "explore images"),
    ({"images": np.zeros((0, 10, 10, 1), np.float32), "labels": []}, "got no examples"),
    ({"images": np.zeros((1001, 10, 10, 1), np.float32), "labels": [0] * 1001},
     "1 to 1000 images"),
])
def test_bad_arguments_are_refused_by_name(tmp_path, arguments, message):
    given = {"model": small_model(), "images": np.zeros((3, 10, 10, 1), np.float32),
             "labels": [0, 1, 2], "out": tmp_path, **arguments}
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        explore(**given)
    assert not (tmp_path / "explorer.html").exists()


def test_a_model_that_is_not_a_classifier_is_refused(tmp_path):
    model = tinycnn.Sequential([Conv2D(2, 3, input_shape=(10, 10, 1))], seed=0).build()
    with pytest.raises(ValueError, match="needs a classifier"):
        explore(model, np.zeros((2, 10, 10, 1), np.float32), [0, 1], tmp_path)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tinycnn", *map(str, args)],
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_command_line_refuses_a_model_for_other_images(tmp_path):
    model = small_model()
    model.save(tmp_path / "model.npz")
    result = run_cli("explore", tmp_path / "model.npz", "--out", tmp_path / "page")
    assert result.returncode != 0
    assert "takes images of shape (10, 10, 1)" in result.stderr
    assert "tinycnn.viz.explore(model, images, labels" in result.stderr
    missing = run_cli("explore", tmp_path / "nothing.npz", "--out", tmp_path / "page")
    assert missing.returncode != 0 and "cannot read the model" in missing.stderr


def test_the_command_line_writes_the_page_for_a_saved_model(tmp_path):
    from tinycnn.datasets import fashion_mnist

    try:
        (_, _), (x_test, y_test) = fashion_mnist.load_data(download=False)
    except tinycnn.datasets.DatasetNotFoundError:
        pytest.skip("Fashion-MNIST is not installed (scripts/setup.sh installs it)")
    model = tinycnn.Sequential([
        Conv2D(2, 5, strides=3, activation="relu", input_shape=(28, 28, 1)), Flatten(),
        Dense(10, activation="softmax")], seed=0).build()
    model.save(tmp_path / "model.npz")
    result = run_cli("explore", tmp_path / "model.npz", "--out", tmp_path / "page",
                     "--images", 4, "--no-download")
    assert result.returncode == 0, result.stderr
    page = tmp_path / "page" / "explorer.html"
    assert f"Wrote {page}" in result.stdout
    data = data_of(page)
    assert data["class_names"] == fashion_mnist.CLASS_NAMES
    assert [image["label"] for image in data["images"]] == y_test[:4].tolist()
    first = decoded(data["images"][0]["values"], "<f4")[:784].reshape(28, 28)
    assert np.array_equal(first, x_test[0].astype(np.float32) / 255)


def nested_model():
    """A model used as a layer, then a stand-alone Softmax: the page opens the inner model."""
    inner = tinycnn.Sequential([Conv2D(3, 3, activation="relu", input_shape=(10, 10, 1)),
                                MaxPool2D(2), Flatten(), Dense(3)], seed=1)
    return tinycnn.Sequential([inner, layers.Softmax()], seed=2).build((10, 10, 1))


def branching_model():
    """Two branches concatenated, Dropout, BatchNorm without beta, global pooling, logits out."""
    inputs = tinycnn.Input((10, 10, 1))
    a = Conv2D(2, 3, padding="same", activation="relu")(inputs)
    b = layers.DepthwiseConv2D(3, padding="same")(inputs)
    x = layers.Concatenate()([a, b])
    x = layers.BatchNormalization(center=False)(layers.Dropout(0.5)(x))
    x = layers.LeakyReLU()(layers.Rescaling(2.0)(x))
    outputs = Dense(3)(layers.GlobalAveragePooling2D()(x))
    return tinycnn.Model(inputs, outputs, seed=3)


def upsampling_model():
    return tinycnn.Sequential([
        layers.ZeroPadding2D(1, input_shape=(10, 10, 1)), Conv2D(2, 3, strides=2),
        layers.UpSampling2D(2), layers.Cropping2D(1), layers.AveragePooling2D(2, padding="same"),
        layers.LayerNormalization(), Flatten(), Dense(3, activation="softmax")], seed=4).build()


@pytest.mark.parametrize("make", [nested_model, branching_model, upsampling_model])
def test_any_model_tinycnn_builds_gets_its_own_values(make, tmp_path):
    """Every value on the page is the model's own (the engine's forward with each model used
    as a layer opened up), and the last one its output."""
    from tinycnn.explain.leaves import leaf_steps

    model = make()
    x = np.random.default_rng(0).random((3, 10, 10, 1), dtype=np.float32)
    page = explore(model, x, [0, 1, 2], tmp_path, smoothgrad_samples=1, occlusion_patch=5,
                   occlusion_stride=5)
    data = data_of(page)
    calls = leaf_steps(model)
    assert [call["name"] for call in data["calls"]] == [layer.name for layer, _ in calls]
    expected = [x]
    for layer, inputs in calls:
        reads = [expected[i] for i in inputs]
        expected.append(layer.forward(reads if layer.takes_list else reads[0]))
    np.testing.assert_array_equal(expected[-1], model.predict(x, verbose=0))
    for n, image in enumerate(data["images"]):
        flat = decoded(image["values"], "<f4")
        assert np.array_equal(flat, np.concatenate([v[n].ravel() for v in expected]))


def test_two_layers_of_the_same_name_keep_their_own_weights(tmp_path):
    """Two inner models may each have a layer called "conv": the page must not hand one the
    other's weights (its keys carry the call number)."""
    def inner(seed):
        return tinycnn.Sequential([Conv2D(2, 3, padding="same", name="conv",
                                          input_shape=(10, 10, 1 if seed == 1 else 2))],
                                  seed=seed)

    model = tinycnn.Sequential([inner(1), inner(2), Flatten(), Dense(3, activation="softmax")],
                               seed=3).build((10, 10, 1))
    x = np.random.default_rng(2).random((2, 10, 10, 1), dtype=np.float32)
    data = data_of(explore(model, x, [0, 1], tmp_path, smoothgrad_samples=1,
                           occlusion_patch=5, occlusion_stride=5))
    convs = [call for call in data["calls"] if call["type"] == "Conv2D"]
    assert [call["name"] for call in convs] == ["conv", "conv"]
    assert convs[0]["W"] != convs[1]["W"]
    for call, wrapper in zip(convs, model.layers[:2], strict=True):
        stored = data["weights"][call["W"]]
        W = decoded(stored["data"], "<f4").reshape(stored["shape"])
        assert np.array_equal(W, wrapper.network.layers[0].params["W"])


def test_title_and_smoothgrad_for_every_class_change_the_page(tmp_path):
    model = small_model()
    x = np.random.default_rng(3).random((3, 10, 10, 1), dtype=np.float32)
    default = data_of(explore(model, x, [0, 1, 2], tmp_path / "a", smoothgrad_samples=2,
                              occlusion_patch=5, occlusion_stride=5))
    assert default["title"] == f"Inside {model.name}"
    assert not np.all(default["images"][0]["smoothgrad_done"])
    every = data_of(explore(model, x, [0, 1, 2], tmp_path / "b", smoothgrad_samples=2,
                            smoothgrad_every_class=True, occlusion_patch=5, occlusion_stride=5,
                            title="My model"))
    assert every["title"] == "My model"
    assert all(all(image["smoothgrad_done"]) for image in every["images"])
    # Every (image, class) pair, in order, is one row of one smoothgrad call.
    pairs = np.abs(tinycnn.smoothgrad(model, np.repeat(x, 3, axis=0), np.tile(np.arange(3), 3),
                                      samples=2)).max(axis=-1).reshape(3, 3, 10, 10)
    for n, image in enumerate(every["images"]):
        assert image["scales"]["smoothgrad"] == pytest.approx(
            pairs[n].reshape(3, -1).max(axis=1), rel=1e-5)


def test_the_command_line_reads_the_dataset_and_folder_it_is_given(tmp_path):
    """--dataset mnist with --data-dir: MNIST is looked for in that folder first (and, with
    --no-download, nowhere on the network): here it is not there, and the error says so."""
    model = tinycnn.Sequential([Conv2D(2, 5, strides=3, input_shape=(28, 28, 1)), Flatten(),
                                Dense(10, activation="softmax")], seed=0).build()
    model.save(tmp_path / "model.npz")
    empty = tmp_path / "nothing here"
    empty.mkdir()
    result = run_cli("explore", tmp_path / "model.npz", "--out", tmp_path / "page",
                     "--dataset", "mnist", "--data-dir", empty, "--no-download")
    assert result.returncode != 0
    assert "explore: MNIST was not found" in result.stderr
    assert str(empty) in result.stderr
    assert not (tmp_path / "page").exists()
