"""The explorer page (tinycnn/viz/explore.py) opened from disk in a real headless Chromium,
driven by Playwright: pick an image, click units, read the numbers the page shows and hold them
to the model's own forward pass, run here layer by layer (1e-5); no console errors, no request
leaves the disk.

The models are small (10x10 images, random weights and BatchNorm statistics): what is checked
is that the page shows what the model computes, not that the model is any good. Tests of the
page's data without a browser are in test_explorer_data.py.
"""

import numpy as np
import pytest

import tinycnn
from tinycnn.layers import (
    Add,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
)
from tinycnn.viz.explore import explore

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from explorer_page import CHROMIUM, TOLERANCE, Page, launch  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]
CLASS_NAMES = ["zero", "one", "two"]


def chain_model():
    """Every kind the page explains step by step, in one chain, with biases and BatchNorm
    statistics that are not the defaults (so a page reading the wrong one shows another
    number)."""
    model = tinycnn.Sequential([
        Conv2D(4, 3, activation="relu", input_shape=(10, 10, 1)),   # value 1: (8, 8, 4)
        MaxPool2D(2),                                               # 2: (4, 4, 4)
        BatchNormalization(),                                       # 3: (4, 4, 4)
        Conv2D(6, 3, padding="same", activation="tanh"),            # 4: (4, 4, 6)
        AveragePooling2D(2),                                        # 5: (2, 2, 6)
        Flatten(),                                                  # 6: (24,)
        Dense(8, activation="relu"),                                # 7: (8,)
        Dense(3, activation="softmax"),                             # 8: (3,)
    ], seed=3).build()
    rng = np.random.default_rng(4)
    for layer in model.layers:  # biases start at zero: a page reading the wrong one would pass
        if "b" in layer.params:
            layer.params["b"][...] = rng.normal(0, 0.2, layer.params["b"].shape)
    batchnorm = model.layers[2]
    batchnorm.state["moving_mean"][...] = rng.normal(0, 0.5, 4)
    batchnorm.state["moving_variance"][...] = rng.uniform(0.5, 2, 4)
    batchnorm.params["gamma"][...] = rng.uniform(0.5, 1.5, 4)
    batchnorm.params["beta"][...] = rng.normal(0, 0.3, 4)
    return model


def images_and_labels(count=6, seed=5):
    rng = np.random.default_rng(seed)
    return rng.random((count, 10, 10, 1), dtype=np.float32), rng.integers(0, 3, count)


def own_forward(model, x):
    """The model's own forward pass, layer by layer: [x, out_1, out_2, ...] (inference)."""
    values = [x]
    for layer in model.layers:
        values.append(layer.forward(values[-1], training=False))
    return values


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    model = chain_model()
    x, y = images_and_labels()
    page = explore(model, x, y, tmp_path_factory.mktemp("explorer"), class_names=CLASS_NAMES,
                   smoothgrad_samples=3, occlusion_patch=2, occlusion_stride=2)
    return model, x, y, page


@pytest.fixture(scope="module")
def browser():
    with launch() as chromium:
        yield chromium


@pytest.fixture
def page(browser, chain):
    tab = Page(browser, chain[3])
    yield tab
    assert tab.problems == [], tab.problems
    assert tab.requests == [], f"the page asked the network for {tab.requests}"
    tab.close()


def test_the_grid_shows_every_image_and_marks_the_mistakes(page, chain):
    model, x, y, _ = chain
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    thumbs = page.tab.locator(".thumb")
    assert thumbs.count() == len(x)
    wrong = sorted(int(t.get_attribute("data-image"))
                   for t in page.tab.locator(".thumb.wrong").all())
    assert wrong == list(np.flatnonzero(predicted != y))
    for n in range(len(x)):
        title = thumbs.nth(n).get_attribute("title")
        assert f"true: {CLASS_NAMES[y[n]]}, predicted: {CLASS_NAMES[predicted[n]]}" in title


def test_the_last_image_picked_is_the_one_shown(page):
    """Two quick picks: the second one's values are drawn even when the first one finishes
    loading last (its first inflate is held back 300 ms here)."""
    page.tab.evaluate("""async () => {
        const original = inflate;
        let first = true;
        inflate = async (text) => {
            if (first) {
                first = false;
                await new Promise((resolve) => setTimeout(resolve, 300));
            }
            return original(text);
        };
        await Promise.all([pick(4), pick(1)]);
        inflate = original;
    }""")
    assert page.tab.evaluate("state.image") == 1
    picked = page.tab.locator(".thumb.picked")
    assert picked.count() == 1 and picked.get_attribute("data-image") == "1"


def test_a_conv_unit_shows_its_window_kernel_products_sum_and_activation(page, chain):
    model, x, _, _ = chain
    n, (y_out, x_out, f) = 2, (1, 3, 5)  # conv2d_1 ("same", 3x3): its window pads on the right
    page.pick(n)
    page.click_unit(4, y_out, x_out, f)
    values = own_forward(model, x[n:n + 1])
    below = np.pad(values[3][0].astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    window = below[y_out:y_out + 3, x_out:x_out + 3, :]         # (3, 3, 4), padded by one
    W, b = (model.layers[3].params[key].astype(np.float64) for key in ("W", "b"))
    products = window * W[:, :, :, f]
    z = products.sum() + b[f]
    assert page.number("sum") == pytest.approx(products.sum(), abs=TOLERANCE)
    assert page.number("bias") == pytest.approx(b[f], abs=TOLERANCE)
    assert page.number("z") == pytest.approx(z, abs=TOLERANCE)
    model_out = values[4][0, y_out, x_out, f]
    assert page.number("activation") == pytest.approx(model_out, abs=TOLERANCE)
    assert page.number("model") == pytest.approx(model_out, abs=TOLERANCE)
    for c in range(4):
        for ky in range(3):
            for kx in range(3):
                shown = page.tab.locator(f'#detail [data-product="{c},{ky},{kx}"]').inner_text()
                assert float(shown) == pytest.approx(products[ky, kx, c], abs=TOLERANCE)
    # The window lights up on every channel of the layer below: rows 0-2, columns 2-4.
    windows = page.tab.locator("#value-3 .window")
    assert windows.count() == 4
    assert {w.get_attribute("data-window") for w in windows.all()} == {"0,2,3,3"}


def test_a_max_pool_unit_shows_its_window_and_winner(page, chain):
    model, x, _, _ = chain
    n, (y_out, x_out, c) = 4, (2, 1, 3)
    page.pick(n)
    page.click_unit(2, y_out, x_out, c)
    values = own_forward(model, x[n:n + 1])
    window = values[1][0, 2 * y_out:2 * y_out + 2, 2 * x_out:2 * x_out + 2, c]
    assert page.number("max") == pytest.approx(window.max(), abs=TOLERANCE)
    assert page.number("model") == pytest.approx(values[2][0, y_out, x_out, c], abs=TOLERANCE)
    winner = page.tab.locator("#detail td.winner")
    assert winner.count() == 1
    assert float(winner.inner_text()) == pytest.approx(window.max(), abs=TOLERANCE)
    assert page.tab.locator("#value-1 .window").get_attribute("data-window") == "4,2,2,2"


def test_an_average_pool_unit_shows_its_mean(page, chain):
    model, x, _, _ = chain
    page.pick(1)
    page.click_unit(5, 1, 0, 2)
    values = own_forward(model, x[1:2])
    window = values[4][0, 2:4, 0:2, 2].astype(np.float64)
    assert page.number("mean") == pytest.approx(window.mean(), abs=TOLERANCE)
    assert page.number("model") == pytest.approx(values[5][0, 1, 0, 2], abs=TOLERANCE)


def test_a_batchnorm_unit_shows_its_statistics(page, chain):
    model, x, _, _ = chain
    page.pick(3)
    page.click_unit(3, 2, 1, 1)
    layer = model.layers[2]
    values = own_forward(model, x[3:4])
    expected = {"input": values[2][0, 2, 1, 1], "mean": layer.state["moving_mean"][1],
                "variance": layer.state["moving_variance"][1], "epsilon": layer.epsilon,
                "gamma": layer.params["gamma"][1], "beta": layer.params["beta"][1],
                "model": values[3][0, 2, 1, 1], "out": values[3][0, 2, 1, 1]}
    for name, value in expected.items():
        assert page.number(name) == pytest.approx(float(value), abs=TOLERANCE), name


def test_dense_units_and_the_class_bars_show_logits_and_probabilities(page, chain):
    model, x, _, _ = chain
    page.pick(5)
    values = own_forward(model, x[5:6])
    page.click_bar(7, 6)  # Dense(8, relu)
    W, b = model.layers[6].params["W"], model.layers[6].params["b"]
    z = values[6][0].astype(np.float64) @ W[:, 6] + b[6]
    assert page.number("z") == pytest.approx(z, abs=TOLERANCE)
    assert page.number("model") == pytest.approx(values[7][0, 6], abs=TOLERANCE)
    page.click_bar(8, 1)  # the softmax layer: z is the logit, the activation a probability
    logits = tinycnn.explain.class_logits(model, x[5:6])[0]
    assert page.number("z") == pytest.approx(logits[1], abs=TOLERANCE)
    assert page.number("activation") == pytest.approx(values[8][0, 1], abs=TOLERANCE)
    for k in range(3):
        row = page.tab.locator(f'#class-table tr[data-class="{k}"]')
        assert float(row.locator('[data-number="logit"]').inner_text()) == pytest.approx(
            logits[k], abs=TOLERANCE)
        assert float(row.locator('[data-number="probability"]').inner_text()) == \
            pytest.approx(values[8][0, k], abs=TOLERANCE)


def test_the_explanations_follow_the_class_and_layer_chosen(page, chain):
    model, x, y, _ = chain
    page.pick(0)
    panels = page.tab.locator("#explanation-panels .panel")
    assert [p.get_attribute("data-panel") for p in panels.all()] == [
        "saliency", "smoothgrad", "gradcam", "occlusion"]
    for k in range(3):
        page.tab.select_option("#explain-class", str(k))
        for layer, name in enumerate(["conv2d", "max_pool2d", "batch_normalization",
                                      "conv2d_1", "average_pooling2d"]):
            page.tab.select_option("#cam-layer", str(layer))
            caption = page.tab.locator('[data-panel="gradcam"]').inner_text()
            assert f"Grad-CAM at {name} " in caption
            blank = not tinycnn.grad_cam(model, x[:1], classes=k, layer=name).any()
            assert ("no positive evidence at this layer" in caption) == blank
        occlusion = page.tab.locator('[data-panel="occlusion"]').inner_text()
        assert f"drop of p({CLASS_NAMES[k]})" in occlusion
        smooth = page.tab.locator('[data-panel="smoothgrad"]').inner_text()
        computed = k in (y[0], model.predict(x[:1], verbose=0).argmax())
        assert ("not computed for this class" not in smooth) == computed


def test_any_model_a_branch_and_a_merge(browser, tmp_path):
    """A functional model with a residual Add: every value drawn, a unit of the Add says it
    has no step-by-step view and shows the model's own number."""
    inputs = tinycnn.Input((10, 10, 1))
    a = Conv2D(3, 3, padding="same", activation="relu")(inputs)
    b = Conv2D(3, 3, padding="same")(a)
    merged = Add()([a, b])
    outputs = Dense(3, activation="softmax")(Flatten()(MaxPool2D(2)(merged)))
    model = tinycnn.Model(inputs, outputs, seed=2)
    x, y = images_and_labels(3)
    path = explore(model, x, y, tmp_path, smoothgrad_samples=2, occlusion_patch=5,
                   occlusion_stride=5)
    tab = Page(browser, path)
    try:
        assert tab.tab.locator(".layer").count() == 1 + len(model.steps)
        tab.pick(2)
        add = 1 + next(k for k, step in enumerate(model.steps) if isinstance(step.layer, Add))
        tab.click_unit(add, 4, 7, 2)
        merged_out = tinycnn.Model(inputs, merged).predict(x[2:3], verbose=0)[0, 4, 7, 2]
        assert tab.number("model") == pytest.approx(merged_out, abs=TOLERANCE)
        assert "No step-by-step view of Add" in tab.tab.locator("#detail").inner_text()
        for value in range(1 + len(model.steps)):  # a unit of every value: no error, a title
            maps = tab.tab.locator(f"#value-{value} canvas[data-channel]")
            if maps.count():
                tab.click_unit(value, 0, 0, maps.count() - 1)
            else:
                tab.click_bar(value, 0)
            title = tab.tab.locator("#detail-body h3, #detail-body p").first.inner_text()
            assert ("input pixel" if value == 0 else model.steps[value - 1].layer.name) in title
        assert tab.problems == [] and tab.requests == []
    finally:
        tab.close()


def test_an_activation_the_page_cannot_redo_is_named_not_guessed(browser, tmp_path):
    """GELU has no step-by-step view on the page: it says the model applied it, shows z and
    the model's output, and claims no comparison between them."""
    model = tinycnn.Sequential([Conv2D(2, 3, activation="gelu", input_shape=(10, 10, 1)),
                                Flatten(), Dense(3, activation="softmax")], seed=6).build()
    model.layers[0].params["b"][...] = [0.1, -0.2]
    x, y = images_and_labels(2)
    tab = Page(browser, explore(model, x, y, tmp_path, smoothgrad_samples=1,
                                occlusion_patch=5, occlusion_stride=5))
    try:
        tab.pick(1)
        tab.click_unit(1, 4, 5, 1)
        detail = tab.tab.locator("#detail").inner_text()
        assert "activation gelu: applied by the model" in detail
        assert "computed here" not in detail
        window = x[1, 4:7, 5:8, 0].astype(np.float64)
        z = (window * model.layers[0].params["W"][:, :, 0, 1]).sum() - 0.2  # b[1]
        assert tab.number("z") == pytest.approx(z, abs=TOLERANCE)
        out = model.layers[0].forward(x[1:2])[0, 4, 5, 1]
        assert tab.number("model") == pytest.approx(out, abs=TOLERANCE)
        assert tab.problems == [] and tab.requests == []
    finally:
        tab.close()


def test_the_pages_activations_are_tinycnns(page):
    """Each activation the page redoes (its ACTIVATIONS table) gives tinycnn's numbers, in
    float64, at points across both signs: a unit's 'activation' row cannot silently differ
    from the layer's."""
    from tinycnn.layers import activation_functions

    names = page.tab.evaluate("Object.keys(ACTIVATIONS)")
    assert {"relu", "linear", "sigmoid", "tanh", "elu", "selu"} <= set(names)
    points = [-7.5, -3.0, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 5.9, 8.0]
    for name in names:
        shown = page.tab.evaluate(f"{points}.map((z) => ACTIVATIONS[{name!r}](z))")
        expected = activation_functions.get(name)(np.array(points, dtype=np.float64))
        np.testing.assert_allclose(shown, expected, rtol=1e-12, atol=1e-15, err_msg=name)


def test_a_model_that_ends_in_logits_shows_them_as_logits(browser, tmp_path):
    """No softmax at the end: the model's output are the logits; the page's probabilities are
    their softmax, not the output relabelled."""
    model = tinycnn.Sequential([Conv2D(2, 3, activation="relu", input_shape=(10, 10, 1)),
                                Flatten(), Dense(3)], seed=8).build()
    x, y = images_and_labels(2)
    tab = Page(browser, explore(model, x, y, tmp_path, smoothgrad_samples=1,
                                occlusion_patch=5, occlusion_stride=5))
    try:
        tab.pick(1)
        logits = model.predict(x[1:2], verbose=0)[0].astype(np.float64)
        probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        for k in range(3):
            row = tab.tab.locator(f'#class-table tr[data-class="{k}"]')
            assert float(row.locator('[data-number="logit"]').inner_text()) == pytest.approx(
                logits[k], abs=TOLERANCE)
            assert float(row.locator('[data-number="probability"]').inner_text()) == \
                pytest.approx(probs[k], abs=TOLERANCE)
        tab.click_bar(3, 2)
        assert tab.number("z") == pytest.approx(logits[2], abs=TOLERANCE)
        assert tab.number("model") == pytest.approx(logits[2], abs=TOLERANCE)
        assert tab.problems == [] and tab.requests == []
    finally:
        tab.close()
