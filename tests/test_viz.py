"""Focused tests of tinycnn.viz: each function writes a valid file showing the right things.

Tiny arrays and few frames keep every test to a second or two.
"""

import html.parser
import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from PIL import Image  # noqa: E402

import tinycnn as tc  # noqa: E402
from tinycnn import viz  # noqa: E402
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D  # noqa: E402
from tinycnn.viz import network as network_module  # noqa: E402

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
HISTORY = {
    "loss": [0.4969, 0.3153, 0.2699],
    "accuracy": [0.8168, 0.8832, 0.9006],
    "val_loss": [0.3804, 0.3007, 0.2646],
    "val_accuracy": [0.8627, 0.8923, 0.9018],
}


def small_model():
    """Input (12, 12, 1) -> conv 4 -> pool -> conv 6 -> flatten -> dense 3 softmax, 427 params.

    On the NumPy twin kernels: the Numba ones would spend seconds compiling on first use.
    """
    model = tc.Sequential([
        Conv2D(4, 3, activation="relu", input_shape=(12, 12, 1)),
        MaxPool2D(2),
        Conv2D(6, 3, activation="relu"),
        Flatten(),
        Dense(3, activation="softmax"),
    ], seed=0)
    return model.build().use_kernels("numpy")


# ---- helpers ----------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def no_figures_left_open():
    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture
def images():
    rng = np.random.default_rng(1)
    return rng.random((30, 12, 12)).astype(np.float32)


@pytest.fixture
def labels():
    return np.arange(30) % 10


def assert_png(path, min_size=100):
    with Image.open(path) as image:
        assert image.format == "PNG"
        image.load()
        assert min(image.size) >= min_size
    return path


def gif_frames(path):
    with Image.open(path) as image:
        assert image.format == "GIF"
        return [frame.convert("RGB") for frame in _frames(image)]


def _frames(image):
    for index in range(image.n_frames):
        image.seek(index)
        yield image.copy()


class TagBalance(html.parser.HTMLParser):
    """Every non-void element closed, in order; collects src and href values."""

    VOID = {"meta", "img", "br", "hr", "input", "link", "source", "wbr", "col", "area"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.links = [], [], []

    def handle_starttag(self, tag, attrs):
        self.links += [value for key, value in attrs if key in ("src", "href")]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def check_html5(text):
    assert text.startswith("<!DOCTYPE html>")
    parser = TagBalance()
    parser.feed(text)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    return parser


# ---- data -------------------------------------------------------------------------------------
def test_plot_example_titles_the_label(tmp_path, images):
    fig = viz.plot_example(images[3], 3, CLASS_NAMES, path=tmp_path / "example.png")
    assert fig.axes[0].get_title() == "Dress (label 3)"
    assert_png(tmp_path / "example.png")
    assert plt.get_fignums() == []  # saved figures are closed


def test_plot_class_examples_shows_first_image_of_each_class(tmp_path, images, labels):
    fig = viz.plot_class_examples(images, labels, CLASS_NAMES, path=tmp_path / "classes.png")
    assert [ax.get_title() for ax in fig.axes] == CLASS_NAMES
    first_bag = fig.axes[8].images[0].get_array()
    np.testing.assert_array_equal(first_bag, images[8])
    assert_png(tmp_path / "classes.png")


def test_plot_class_examples_marks_an_absent_class(images):
    fig = viz.plot_class_examples(images[:5], np.arange(5), CLASS_NAMES)
    assert fig.axes[9].texts[0].get_text() == "no image"


def test_plot_class_distribution_counts_and_colours(tmp_path):
    train, test = np.repeat(np.arange(10), 6), np.repeat(np.arange(10), [1] * 9 + [3])
    fig = viz.plot_class_distribution(train, test, CLASS_NAMES, path=tmp_path / "dist.png")
    train_ax, test_ax = fig.axes
    assert [bar.get_height() for bar in train_ax.patches] == [6] * 10
    assert [bar.get_height() for bar in test_ax.patches] == [1] * 9 + [3]
    assert train_ax.patches[0].get_facecolor() == to_rgba("skyblue")
    assert test_ax.patches[0].get_facecolor() == to_rgba("lightcoral")
    ticks = train_ax.get_xticklabels()
    assert [tick.get_text() for tick in ticks] == CLASS_NAMES
    assert ticks[0].get_rotation() == 45
    assert_png(tmp_path / "dist.png")


# ---- history ----------------------------------------------------------------------------------
@pytest.mark.parametrize("as_frame", [False, True])
def test_plot_history_draws_four_labelled_curves(tmp_path, as_frame):
    history = pd.DataFrame(HISTORY) if as_frame else HISTORY
    fig = viz.plot_history(history, path=tmp_path / "history.png")
    ax = fig.axes[0]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["Training loss", "Training accuracy", "Validation loss",
                      "Validation accuracy"]
    np.testing.assert_allclose(ax.lines[2].get_ydata(), HISTORY["val_loss"])
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    assert ax.get_ylim() == (0.0, 1.0)
    assert_png(tmp_path / "history.png")


def test_plot_history_leaves_out_other_columns_unless_asked():
    history = {**HISTORY, "seconds": [13.0, 12.5, 12.8]}
    assert len(viz.plot_history(history).axes[0].lines) == 4
    fig = viz.plot_history(history, metrics=["seconds"])
    assert fig.axes[0].get_ylim()[1] > 13


def test_plot_history_stretches_y_for_a_large_loss():
    fig = viz.plot_history({"loss": [2.0, 1.0], "accuracy": [0.3, 0.6]})
    assert fig.axes[0].get_ylim()[1] >= 2.0


def test_animate_history_writes_one_frame_per_epoch(tmp_path):
    written = viz.animate_history(HISTORY, tmp_path / "training.gif", tmp_path / "training.html")
    assert len(gif_frames(written["gif"])) == 3
    page = written["html"].read_text()
    check_html5(page)
    assert page.count("frames[") >= 3 and "font-awesome" not in page
    assert plt.get_fignums() == []


def test_history_animation_labels_val_loss_correctly():
    anim = viz.make_history_animation(HISTORY)
    legend = plt.gcf().axes[0].get_legend()
    labels = [text.get_text() for text in legend.get_texts()]
    assert labels[2] == "Validation loss"  # the notebook said "Validation Accuracy" here
    assert anim.to_jshtml().count("frames[") >= 3


# ---- predictions ------------------------------------------------------------------------------
def red_pixels(frame):
    rgb = np.asarray(frame).astype(int)
    return int(((rgb[..., 0] > 200) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)).sum())


def test_animate_predictions_marks_wrong_ones_red(tmp_path, images, labels):
    predicted = labels.copy()
    predicted[1] = 5  # the second of four frames is wrong
    written = viz.animate_predictions(images, labels, predicted, CLASS_NAMES,
                                      gif_path=tmp_path / "pred.gif",
                                      html_path=tmp_path / "pred.html", count=4)
    frames = gif_frames(written["gif"])
    assert len(frames) == 4
    assert red_pixels(frames[1]) > 20
    assert red_pixels(frames[0]) == red_pixels(frames[2]) == 0
    check_html5(written["html"].read_text())


def test_prediction_animation_titles(images, labels):
    anim = viz.make_prediction_animation(images, labels, labels, CLASS_NAMES, count=2)
    title = plt.gcf().axes[0].get_title()
    assert title == "Predicted: T-shirt/top / Actual: T-shirt/top"
    assert anim.to_jshtml().count("frames[") >= 2


def test_most_confident_mistakes_orders_by_confidence():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.05, 0.95]])
    y_true = np.array([0, 0, 0, 1])  # rows 1 and 2 are wrong, row 1 more confidently
    np.testing.assert_array_equal(viz.most_confident_mistakes(y_true, probs), [1, 2])


def test_plot_confident_mistakes_gallery(tmp_path, images, labels):
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.ones(10), size=len(images))
    fig = viz.plot_confident_mistakes(images, labels, probs, CLASS_NAMES, count=6, ncols=3,
                                      path=tmp_path / "mistakes.png")
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == 6
    assert all(ax.title.get_color() == "red" for ax in titled)
    assert_png(tmp_path / "mistakes.png")


def test_plot_confident_mistakes_with_none(images, labels):
    probs = np.eye(10)[labels]
    fig = viz.plot_confident_mistakes(images, labels, probs, CLASS_NAMES)
    assert "No mistakes" in fig.axes[0].texts[0].get_text()


# ---- confusion matrix -------------------------------------------------------------------------
def test_plot_confusion_matrix_annotates_counts(tmp_path):
    matrix = np.arange(100).reshape(10, 10)
    fig = viz.plot_confusion_matrix(matrix, CLASS_NAMES, path=tmp_path / "confusion.png")
    ax = fig.axes[0]
    annotations = [text.get_text() for text in ax.texts]
    assert annotations == [str(value) for value in matrix.ravel()]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == CLASS_NAMES
    assert [tick.get_text() for tick in ax.get_yticklabels()] == CLASS_NAMES
    assert ax.collections[0].get_cmap().name == "Reds"
    assert_png(tmp_path / "confusion.png")


def test_plot_confusion_matrix_rejects_wrong_shape():
    with pytest.raises(ValueError, match="expected"):
        viz.plot_confusion_matrix(np.zeros((3, 3), int), CLASS_NAMES)


# ---- filters and feature maps -----------------------------------------------------------------
def test_plot_filters_one_panel_per_filter(tmp_path):
    weights = np.random.default_rng(3).normal(size=(3, 3, 1, 12))
    fig = viz.plot_filters(weights, path=tmp_path / "filters.png", ncols=5)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12
    assert shown[0].images[0].get_array().min() == 0.0
    assert_png(tmp_path / "filters.png")


def test_conv_feature_maps_has_each_conv_output(images):
    model = small_model()
    outputs = viz.conv_feature_maps(model, images[0])
    assert [layer.name for layer, _ in outputs] == ["conv2d", "conv2d_1"]
    assert [maps.shape for _, maps in outputs] == [(10, 10, 4), (3, 3, 6)]


def test_plot_feature_maps(tmp_path, images):
    fig = viz.plot_feature_maps(small_model(), images[0], path=tmp_path / "maps.png",
                                max_maps=4, ncols=4)
    titles = [panel._suptitle.get_text() for panel in fig.subfigs]
    assert titles[0] == "Input image"
    assert titles[1].startswith("conv2d (Conv2D)") and "first 4 of 4" in titles[1]
    assert titles[2].startswith("conv2d_1 (Conv2D)") and "first 4 of 6" in titles[2]
    assert_png(tmp_path / "maps.png")


# ---- network ----------------------------------------------------------------------------------
def test_draw_network_from_the_model(tmp_path):
    model = small_model()
    drawing = viz.draw_network(model, tmp_path / "network")
    source = (tmp_path / "network.gv").read_text()
    for layer in model.layers:
        assert layer.name in source
        assert type(layer).__name__ in source
    assert "Total params: 427" in source  # 40 + 0 + 222 + 0 + 165
    assert source.count("->") == len(model.layers)
    if network_module.shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    assert drawing.message is None
    assert_png(drawing.files["png"], min_size=50)
    assert drawing.files["svg"].read_text().lstrip().startswith("<?xml")


def test_the_new_layers_draw_with_their_own_colours():
    from tinycnn.layers import (
        AveragePooling2D,
        BatchNormalization,
        GlobalAveragePooling2D,
        ReLU,
        Tanh,
    )

    model = tc.Sequential([Conv2D(4, 3, input_shape=(10, 10, 1)), BatchNormalization(), ReLU(),
                           AveragePooling2D(2), Tanh(), GlobalAveragePooling2D(),
                           Dense(3, activation="softmax")]).build()
    source = viz.model_graph(model).source
    for layer in model.layers:
        assert f"{layer.name}\\n{type(layer).__name__}" in source
        assert f"output {network_module.format_shape(layer.output_shape)}" in source
        assert network_module.LAYER_COLORS[type(layer).__name__] in source
    assert "16 params" in source  # BatchNormalization: gamma, beta and the two moving averages


def test_model_graph_needs_a_built_model():
    model = tc.Sequential([Conv2D(4, 3), Flatten(), Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="not built"):
        viz.model_graph(model)


def test_draw_network_without_dot_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(network_module.shutil, "which", lambda name: None)
    drawing = viz.draw_network(small_model(), tmp_path / "network.gv")
    assert set(drawing.files) == {"gv"}
    assert "apt-get install graphviz" in drawing.message
    assert "\n" not in drawing.message
    assert not (tmp_path / "network.png").exists()


# ---- report -----------------------------------------------------------------------------------
def make_run_folder(folder, images, labels):
    viz.plot_example(images[0], 0, CLASS_NAMES, path=folder / "01_example.png")
    viz.plot_history(HISTORY, path=folder / "history.png")
    viz.animate_history(HISTORY, folder / "training.gif", folder / "training.html")
    pd.DataFrame({"index": range(30), "true": labels}).to_csv(folder / "predictions.csv",
                                                             index=False)
    (folder / "summary.txt").write_text("Total params: 427 <all trainable>\n")
    (folder / "history.json").write_text(json.dumps(HISTORY))
    (folder / "network.gv").write_text("digraph {}")


def test_build_report_shows_every_file(tmp_path, images, labels):
    make_run_folder(tmp_path, images, labels)
    report = viz.build_report(
        tmp_path,
        settings={"epochs": 3, "note": "<b>not bold</b>"},
        timings={"training": 75.25, "epoch": 25.1},
        sections=[("Data", ["01_example.png"]), ("Training", ["history.png", "training.gif"])],
        max_table_rows=5,
    )
    assert report == tmp_path / "report.html"
    page = report.read_text()
    parser = check_html5(page)
    for name in ["01_example.png", "history.png", "training.gif", "training.html",
                 "predictions.csv", "summary.txt", "history.json", "network.gv"]:
        assert name in parser.links
    assert all("/" not in link for link in parser.links if not link.startswith("#"))
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page and "<b>not bold" not in page
    assert "&lt;all trainable&gt;" in page
    assert "75.2 s (1 min 15 s)" in page
    assert "5 of 30 rows shown" in page
    assert page.index('alt="Example"') < page.index('alt="History"')
    assert 'data-broken-images="unchecked"' in page


def test_report_tables_right_align_numbers(tmp_path):
    (tmp_path / "costs.csv").write_text(
        "name,multiply_adds,forward_ms,note\nconv2d_1,2230272,1.158,nan\n", encoding="utf-8")
    page = viz.build_report(tmp_path, sections=[("Costs", ["costs.csv"])]).read_text()
    row = ('<tr><td>conv2d_1</td><td class="number">2,230,272</td>'
           '<td class="number">1.158</td><td>nan</td></tr>')
    assert row in page


def test_build_report_flags_a_missing_file(tmp_path):
    report = viz.build_report(tmp_path, sections=[("Figures", ["gone.png"])])
    page = report.read_text()
    assert 'src="gone.png"' in page and "Missing file: gone.png" in page
