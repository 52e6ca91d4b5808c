"""Where the network looks: saliency maps and Grad-CAM (tinycnn/explain/), and their picture.

Saliency is held to central differences of the logit in float64 for every way a classifier can
end; Grad-CAM to the class activation map it reduces to after global average pooling; both to
a trained model that must look at the bright square that decides the class. The models here
run on the NumPy twin kernels (no Numba compilation for float64 shapes).
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import tinycnn as tc  # noqa: E402
from tinycnn.explain import class_logits, grad_cam, resize_heatmap, saliency  # noqa: E402
from tinycnn.explain.leaves import leaf_layers  # noqa: E402
from tinycnn.layers import (  # noqa: E402
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPool2D,
    ReLU,
    Softmax,
)
from tinycnn.layers.activations import softmax  # noqa: E402
from tinycnn.viz import plot_explanations  # noqa: E402
from tinycnn.viz.explain import (  # noqa: E402
    ALL_ZERO,
    DEFAULT_METHODS,
    METHODS,
    NO_EVIDENCE,
)


def float64_model(layers, input_shape=(7, 7, 2), seed=0):
    model = tc.Sequential(layers, seed=seed, dtype="float64").use_kernels("numpy")
    return model.build(input_shape)


def model_inside_a_model():
    """Keras's Sequential([model, Softmax()]): the logits come from inside the inner model."""
    inner = float64_model([Conv2D(3, 3, activation="relu"), MaxPool2D(2), Flatten(), Dense(4)])
    return float64_model([inner, Softmax()], seed=1)


def endings():
    """Models for each way a classifier hands over its logits, and with BatchNorm, Dropout,
    average pooling and global pooling in between."""
    return {
        "fused softmax": lambda: float64_model([
            Conv2D(3, 3, activation="relu"), MaxPool2D(2), Flatten(),
            Dense(4, activation="softmax")]),
        "Softmax layer": lambda: float64_model([
            Conv2D(3, 3, padding="same", strides=2), ReLU(), Flatten(), Dense(4), Softmax()]),
        "logits": lambda: float64_model([
            Conv2D(3, 3, activation="tanh"), AveragePooling2D(2, padding="same"), Flatten(),
            Dense(4)]),
        "batchnorm, dropout, global max": lambda: float64_model([
            Conv2D(4, 3, activation="relu"), BatchNormalization(), Dropout(0.5),
            GlobalMaxPooling2D(), Dense(4, activation="softmax")]),
        "global average": lambda: float64_model([
            Conv2D(4, 2, strides=(1, 2), activation="sigmoid"), GlobalAveragePooling2D(),
            Dense(4, activation="softmax")]),
        "model inside a model": model_inside_a_model,
    }


def with_moving_statistics(model, rng):
    """BatchNorm's state away from (0, 1), so that inference mode visibly uses it."""
    for layer in model.layers:
        if "moving_mean" in layer.state:
            layer.state["moving_mean"][...] = rng.normal(0, 0.3, layer.state["moving_mean"].shape)
            layer.state["moving_variance"][...] = rng.uniform(0.5, 2.0,
                                                              layer.state["moving_variance"].shape)
    return model


def snapshot(model):
    """Everything of a model that an explanation must leave as it was."""
    return {
        "weights": [w.copy() for w in model.get_weights()],
        "grads": [{k: v.copy() for k, v in layer.grads.items()} for layer in model.layers],
        "caches": [layer._cache for layer in model.layers],
        "needs_input_grad": [layer.needs_input_grad for layer in model.layers],
        "activations": [getattr(layer, "activation", None) for layer in model.layers],
    }


def assert_same(before, after):
    for old, new in zip(before["weights"], after["weights"], strict=True):
        np.testing.assert_array_equal(old, new)
    for old, new in zip(before["grads"], after["grads"], strict=True):
        assert old.keys() == new.keys()
        for key in old:
            np.testing.assert_array_equal(old[key], new[key])
    for old, new in zip(before["caches"], after["caches"], strict=True):
        assert old is new
    assert before["needs_input_grad"] == after["needs_input_grad"]
    assert before["activations"] == after["activations"]


# ---- saliency ---------------------------------------------------------------------------------
@pytest.mark.parametrize("ending", list(endings()))
def test_saliency_equals_central_differences_of_the_logit(ending, rng):
    model = with_moving_statistics(endings()[ending](), rng)
    x = rng.normal(size=(3, 7, 7, 2))
    classes = np.array([0, 3, 1])
    maps = saliency(model, x, classes)
    # The images do not interact in inference mode, so one nudge of pixel (y, x, c) in every
    # image at once measures every image's derivative.
    numeric = np.zeros_like(x)
    eps = 1e-6
    picked = np.arange(len(x)), classes
    for index in np.ndindex(x.shape[1:]):
        up, down = x.copy(), x.copy()
        up[(slice(None), *index)] += eps
        down[(slice(None), *index)] -= eps
        change = class_logits(model, up)[picked] - class_logits(model, down)[picked]
        numeric[(slice(None), *index)] = change / (2 * eps)
    assert maps.shape == x.shape and maps.dtype == np.float64
    error = np.abs(maps - numeric).max() / np.abs(numeric).max()
    assert error < 1e-6, f"relative error {error:.1e}"


@pytest.mark.parametrize("ending", list(endings()))
def test_class_logits_are_what_the_softmax_turns_into_the_output(ending, rng):
    model = with_moving_statistics(endings()[ending](), rng)
    x = rng.normal(size=(5, 7, 7, 2))
    logits, output = class_logits(model, x), model.predict(x)
    expected = output if ending == "logits" else softmax(logits)
    np.testing.assert_allclose(expected, output, rtol=1e-12, atol=1e-15)


def test_saliency_defaults_to_the_predicted_class_and_keeps_grayscale_shapes(rng):
    model = float64_model([Conv2D(3, 3, activation="relu"), Flatten(),
                           Dense(4, activation="softmax")], input_shape=(6, 6, 1))
    x = rng.normal(size=(4, 6, 6))  # (N, H, W): a grayscale batch without its channel axis
    predicted = model.predict(x).argmax(axis=1)
    maps = saliency(model, x)
    assert maps.shape == (4, 6, 6)
    np.testing.assert_array_equal(maps, saliency(model, x, predicted))
    np.testing.assert_array_equal(saliency(model, x, 2), saliency(model, x, [2, 2, 2, 2]))


def test_big_batches_run_in_pieces_with_the_same_result(rng):
    model = float64_model([Conv2D(3, 3, activation="relu"), MaxPool2D(2), Flatten(),
                           Dense(4, activation="softmax")])
    x = rng.normal(size=(70, 7, 7, 2))  # three pieces of at most 32
    classes = rng.integers(0, 4, 70)
    one_by_one = np.concatenate([saliency(model, x[i:i + 1], classes[i:i + 1])
                                 for i in range(70)])
    np.testing.assert_allclose(saliency(model, x, classes), one_by_one, rtol=1e-12,
                               atol=1e-15)
    cams = np.concatenate([grad_cam(model, x[i:i + 1], classes[i:i + 1]) for i in range(70)])
    np.testing.assert_allclose(grad_cam(model, x, classes), cams, rtol=1e-12, atol=1e-15)


# ---- Grad-CAM ---------------------------------------------------------------------------------
def test_grad_cam_is_the_class_activation_map_divided_by_the_map_size(rng):
    model = float64_model([Conv2D(5, 3, activation="relu"), GlobalAveragePooling2D(),
                           Dense(3, activation="softmax")], input_shape=(8, 9, 2))
    x = rng.normal(size=(4, 8, 9, 2))
    classes = np.array([0, 1, 2, 1])
    maps = model.layers[0].forward(x)  # A: (4, 6, 7, 5)
    weights = model.layers[2].params["W"]  # (5, 3)
    cam = np.maximum(np.einsum("nyxc,cn->nyx", maps, weights[:, classes]), 0)
    height, width = maps.shape[1:3]
    np.testing.assert_allclose(grad_cam(model, x, classes), cam / (height * width),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("ending", list(endings()))
def test_grad_cam_works_whatever_the_ending_and_picks_the_last_spatial_layer(ending, rng):
    model = with_moving_statistics(endings()[ending](), rng)
    x = rng.normal(size=(3, 7, 7, 2))
    spatial = [layer for layer in leaf_layers(model) if len(layer.output_shape) == 3]
    cams = grad_cam(model, x, [0, 1, 2])
    assert cams.shape == (3, *spatial[-1].output_shape[:2])
    assert (cams >= 0).all() and np.isfinite(cams).all()
    np.testing.assert_array_equal(cams, grad_cam(model, x, [0, 1, 2], layer=spatial[-1].name))


def bright_square_task(rng, count, size=12, square=3):
    """Noise images; class 1 holds a bright square somewhere, class 0 none. Returns
    (x (count, size, size, 1) float32, y (count,), corners (count, 2))."""
    x = rng.uniform(0, 0.4, size=(count, size, size, 1)).astype(np.float32)
    y = np.arange(count) % 2
    corners = rng.integers(0, size - square + 1, size=(count, 2))
    for image, label, (top, left) in zip(x, y, corners, strict=True):
        if label:
            image[top:top + square, left:left + square] = 1.0
    return x, y, corners


def test_grad_cam_and_saliency_find_the_square_that_decides_the_class(rng):
    x, y, corners = bright_square_task(rng, 400)
    model = tc.Sequential([
        Conv2D(8, 3, padding="same", activation="relu", input_shape=(12, 12, 1)),
        MaxPool2D(2),
        Conv2D(16, 3, padding="same", activation="relu"),
        GlobalMaxPooling2D(),
        Dense(2, activation="softmax"),
    ], seed=0)
    model.compile(optimizer=tc.optimizers.Adam(0.01), metrics=["accuracy"])
    model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    test_x, test_y, test_corners = bright_square_task(np.random.default_rng(5), 40)
    assert model.evaluate(test_x, test_y)[1] >= 0.95
    with_square = np.flatnonzero(test_y == 1)
    images = test_x[with_square]
    cams = resize_heatmap(grad_cam(model, images, classes=1), (12, 12))
    maps = np.abs(saliency(model, images, classes=1))[..., 0]
    for cam, salient, (top, left) in zip(cams, maps, test_corners[with_square], strict=True):
        # The square, and the ring of pixels around it that its edges are made of.
        inside = np.zeros((12, 12), bool)
        inside[max(top - 1, 0):top + 4, max(left - 1, 0):left + 4] = True
        assert inside[np.unravel_index(cam.argmax(), cam.shape)]
        assert inside[np.unravel_index(salient.argmax(), salient.shape)]


def test_resize_heatmap_keeps_constants_and_sizes_and_interpolates_between_centres():
    maps = np.arange(6.0).reshape(1, 2, 3)
    np.testing.assert_array_equal(resize_heatmap(maps, (2, 3)), maps)
    np.testing.assert_allclose(resize_heatmap(np.full((3, 3), 2.5), (7, 5)), 2.5)
    # Doubling a 2-pixel row [0, 1]: centres at 0.5 and 1.5 land on -0.25 and 0.25 (clamped
    # to 0), 0.75 and 1.25 (clamped to 1) of the map.
    np.testing.assert_allclose(resize_heatmap(np.array([[0.0, 1.0]]), (1, 4)),
                               [[0.0, 0.25, 0.75, 1.0]])
    assert resize_heatmap(np.ones((5, 3, 3)), (28, 28)).shape == (5, 28, 28)


# ---- nothing changes -------------------------------------------------------------------------
def test_a_model_inside_a_model_is_explained_through_its_own_layers(rng):
    outer = model_inside_a_model()
    inner = outer.layers[0].network
    x = rng.normal(size=(3, 7, 7, 2))
    np.testing.assert_array_equal(class_logits(outer, x), inner.predict(x))
    np.testing.assert_array_equal(saliency(outer, x, [1, 2, 3]), saliency(inner, x, [1, 2, 3]))
    np.testing.assert_array_equal(grad_cam(outer, x, 0), grad_cam(inner, x, 0))
    np.testing.assert_array_equal(grad_cam(outer, x, 0, layer="conv2d"),
                                  grad_cam(inner, x, 0, layer=0))
    assert inner.layers[0].needs_input_grad is False


def test_explanations_leave_weights_grads_state_and_caches_as_they_were(rng):
    model = endings()["batchnorm, dropout, global max"]()
    model.compile(optimizer="adam")
    x, y = rng.normal(size=(6, 7, 7, 2)), rng.integers(0, 4, 6)
    _, probs = model.train_step(x, y)  # grads and caches of a training step, as mid-fit
    before = snapshot(model)
    first_layer = model.layers[0]
    saliency(model, x)
    grad_cam(model, x, layer=0)
    class_logits(model, x)
    assert_same(before, snapshot(model))
    assert first_layer.needs_input_grad is False
    # The very step continues: backward still reads the training forward's caches.
    model.backward_loss(probs, y)


# ---- bad input --------------------------------------------------------------------------------
def test_bad_input_gets_a_clear_error(rng):
    model = endings()["fused softmax"]()
    x = rng.normal(size=(2, 7, 7, 2))
    with pytest.raises(ValueError, match=r"saliency classes: class ids must lie in \[0, 4\)"):
        saliency(model, x, [0, 4])
    with pytest.raises(ValueError, match="grad_cam classes: expected 2 labels"):
        grad_cam(model, x, [0, 1, 2])
    with pytest.raises(ValueError, match=r"grad_cam: no layer named 'conv9'; .* conv2d, "):
        grad_cam(model, x, layer="conv9")
    with pytest.raises(ValueError, match=r"layer 'flatten' has output shape \(None, 12\), not "
                                         r"a stack of maps .* layers with one: conv2d, "):
        grad_cam(model, x, layer="flatten")
    with pytest.raises(ValueError, match="layer index 9 is out of range for 4 layers"):
        grad_cam(model, x, layer=9)
    with pytest.raises(ValueError, match=r"saliency images: expected shape \(N, 7, 7, 2\) for "
                                         r"this model, got \(2, 7, 6, 2\)"):
        saliency(model, x[:, :, :6])
    with pytest.raises(ValueError, match=r"got one image of shape \(7, 7, 2\).* x\[None\]"):
        saliency(model, x[0])
    with pytest.raises(TypeError, match="grad_cam images: expected float images"):
        grad_cam(model, (x * 100).astype(np.uint8))
    unbuilt = tc.Sequential([Conv2D(2, 3), Flatten(), Dense(3, activation="softmax")])
    with pytest.raises(RuntimeError, match="saliency: the model 'sequential' is not built"):
        saliency(unbuilt, x)
    flat = float64_model([Conv2D(2, 3)])
    with pytest.raises(ValueError, match=r"class_logits: needs a classifier whose output is "
                                         r"class scores \(N, K\)"):
        class_logits(flat, x)
    no_maps = float64_model([Flatten(), Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="grad_cam: the model has no layer with a spatial"):
        grad_cam(no_maps, x)


# ---- the picture ------------------------------------------------------------------------------
def picture_model():
    return float64_model([Conv2D(3, 3, activation="relu", input_shape=(8, 8, 1)), MaxPool2D(2),
                          Flatten(), Dense(3, activation="softmax")], input_shape=(8, 8, 1))


def panel_notes(fig, columns):
    """The texts written on each panel, row by row: [[texts of column 0, ...], ...]."""
    texts = [[text.get_text() for text in ax.texts] for ax in fig.axes]
    return [texts[start:start + columns] for start in range(0, len(texts), columns)]


def test_plot_explanations_shows_right_and_wrong_predictions(tmp_path, rng):
    model = picture_model()
    images = rng.uniform(size=(20, 8, 8))
    labels = np.arange(20) % 3
    path = tmp_path / "explain.png"
    fig = plot_explanations(model, images, labels, ["a", "b", "c"], path=path, correct=2,
                            wrong=2, layer="conv2d")
    with Image.open(path) as picture:
        assert picture.format == "PNG" and min(picture.size) > 300
    columns = 1 + len(DEFAULT_METHODS)
    axes = fig.axes
    assert len(axes) == 4 * columns  # four rows: the image, then one panel per method
    assert [ax.get_title() for ax in axes[1:columns]] == [
        "saliency |dz/dx|", "Grad-CAM at conv2d", "SmoothGrad |dz/dx|\n(25 noisy copies)",
        "integrated gradients\n|x * mean dz/dx|", "occlusion: drop of p_k\n(red: hiding hurts k)"]
    titles = [ax.get_title() for ax in axes[::columns]]
    predicted = model.predict(images).argmax(axis=1)
    right = [i for i in range(20) if predicted[i] == labels[i]][:2]
    assert [int(title.split()[0][1:]) for title in titles[:2]] == right
    assert all(ax.title.get_color() == "red" for ax in axes[2 * columns::columns])
    # Every map of this model has something in it: no panel carries a note.
    assert panel_notes(fig, columns) == [[[]] * columns] * 4


@pytest.mark.parametrize("methods", [("occlusion",), ("integrated_gradients", "saliency"),
                                     METHODS])
def test_plot_explanations_draws_the_methods_asked_for_in_their_order(methods, rng):
    model = picture_model()
    fig = plot_explanations(model, rng.uniform(size=(12, 8, 8)), np.arange(12) % 3,
                            ["a", "b", "c"], correct=1, wrong=1, methods=methods)
    columns = 1 + len(methods)
    assert len(fig.axes) == 2 * columns
    headings = {"saliency": "saliency", "smoothgrad": "SmoothGrad", "grad_cam": "Grad-CAM",
                "integrated_gradients": "integrated gradients", "occlusion": "occlusion"}
    assert [ax.get_title().startswith(headings[method])
            for ax, method in zip(fig.axes[1:columns], methods, strict=True)] == [True] * len(
                methods)


def test_plot_explanations_refuses_an_unknown_method():
    model = picture_model()
    with pytest.raises(ValueError, match="plot_explanations: methods must be some of saliency, "
                                         "smoothgrad, .*; got \\('lime',\\)"):
        plot_explanations(model, np.zeros((4, 8, 8)), np.arange(4) % 3, ["a", "b", "c"],
                          methods=("lime",))


def test_a_grad_cam_with_no_positive_evidence_says_so_on_its_panel(rng):
    """A model whose last conv only lowers every class score: Grad-CAM is zero everywhere,
    and the panel says why instead of showing nothing; the other panels show their maps."""
    model = float64_model([Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1)), Flatten(),
                           Dense(3, activation="softmax")], input_shape=(6, 6, 1))
    conv, dense = model.layers[0], model.layers[-1]
    conv.params["W"][...] = 0.1  # positive maps for positive images
    dense.params["W"][...] = -0.1  # every map lowers every score: no positive evidence
    # Not every score alike, and small enough that no probability saturates: the other
    # methods' maps are not zero.
    dense.params["W"][:, 0] = -0.2
    images = rng.uniform(0.1, 1.0, size=(4, 6, 6))
    assert np.all(grad_cam(model, images[..., None], layer=conv.name) == 0)
    fig = plot_explanations(model, images, np.arange(4) % 3, ["a", "b", "c"], correct=2,
                            wrong=2, layer=conv.name)
    columns = 1 + len(DEFAULT_METHODS)
    cam = 1 + DEFAULT_METHODS.index("grad_cam")
    for notes in panel_notes(fig, columns):
        assert notes[cam] == [NO_EVIDENCE]
        assert all(not texts for column, texts in enumerate(notes) if column != cam)


def test_every_all_zero_map_says_why_on_its_panel(rng):
    """The last layer's weights all zero: every logit is its bias, whatever the image, so no
    gradient, no attribution, no occlusion drop and no Grad-CAM evidence; each panel says so."""
    model = picture_model()
    model.layers[-1].params["W"][...] = 0.0
    model.layers[-1].params["b"][...] = [0.0, 1.0, 0.0]  # every image: class 1
    images = rng.uniform(size=(6, 8, 8))
    fig = plot_explanations(model, images, np.arange(6) % 3, ["a", "b", "c"], correct=2,
                            wrong=2, methods=METHODS)
    notes = panel_notes(fig, 1 + len(METHODS))
    assert len(notes) == 4
    for row in notes:
        assert row == [[]] + [[ALL_ZERO[method]] for method in METHODS]
    assert ALL_ZERO["grad_cam"] == NO_EVIDENCE
