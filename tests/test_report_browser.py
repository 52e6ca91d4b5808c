"""report.html in a real headless Chromium: every image loads, and a screenshot shows a page.

The report counts images with ``naturalWidth == 0`` after the load event and writes the count to
``<body data-broken-images>``; ``--dump-dom`` gives us the page as the browser left it.
"""

import re
import shutil
import subprocess
import tempfile

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import tinycnn  # noqa: E402
from tinycnn import viz  # noqa: E402
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_SECONDS = 90
CLASS_NAMES = ["zero", "one", "two"]
HISTORY = {"loss": [0.9, 0.5], "accuracy": [0.6, 0.8],
           "val_loss": [0.8, 0.6], "val_accuracy": [0.65, 0.75]}


def chromium(*args):
    """Run headless Chromium with a fresh profile; return its stdout."""
    with tempfile.TemporaryDirectory() as profile:
        command = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=TIMEOUT_SECONDS, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def broken_images(report):
    """(count, names) of images that failed to load, as the page's own script found them."""
    dom = chromium("--virtual-time-budget=5000", "--dump-dom", report.as_uri())
    count = re.search(r'data-broken-images="([^"]*)"', dom)
    names = re.search(r'data-broken-list="([^"]*)"', dom)
    assert count is not None, "the page has no body data-broken-images attribute"
    assert count.group(1) != "unchecked", "the load-event script did not run"
    return int(count.group(1)), names.group(1).split() if names else []


def small_model():
    """Input (10, 10, 1) -> conv 4 -> pool -> dense 3 softmax, on the NumPy twin kernels (the
    Numba ones would spend seconds compiling)."""
    model = tinycnn.Sequential([
        Conv2D(4, 3, activation="relu", input_shape=(10, 10, 1)),
        MaxPool2D(2),
        Flatten(),
        Dense(3, activation="softmax"),
    ], seed=0)
    return model.build().use_kernels("numpy")


def make_report(folder):
    rng = np.random.default_rng(0)
    images = rng.random((6, 10, 10)).astype(np.float32)
    labels = np.arange(6) % 3
    model = small_model()
    viz.plot_example(images[0], 0, CLASS_NAMES, path=folder / "example.png")
    viz.plot_history(HISTORY, path=folder / "history.png")
    viz.animate_history(HISTORY, folder / "training.gif", folder / "training.html")
    viz.plot_confusion_matrix(np.eye(3, dtype=int) * 2, CLASS_NAMES,
                              path=folder / "confusion_matrix.png")
    pd.DataFrame({"index": range(6), "true": labels}).to_csv(folder / "predictions.csv",
                                                            index=False)
    viz.plot_explanations(model, images, labels, CLASS_NAMES, correct=1, wrong=1,
                          layer="conv2d", path=folder / "where_the_network_looks.png")
    pd.DataFrame(tinycnn.explain.layer_costs(model)).to_csv(folder / "layer_costs.csv",
                                                            index=False)
    return viz.build_report(
        folder,
        settings={"epochs": 2, "batch_size": 32},
        timings={"total": 12.5},
        sections=[("Data", ["example.png"]), ("Training", ["history.png", "training.gif"]),
                  ("Where the network looks", ["where_the_network_looks.png"]),
                  ("What each layer costs", ["layer_costs.csv"])],
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return make_report(tmp_path_factory.mktemp("run"))


def test_report_has_no_broken_images(report):
    page = report.read_text(encoding="utf-8")
    assert '<img src="where_the_network_looks.png"' in page  # among the images checked
    count, names = broken_images(report)
    assert count == 0, names


def test_a_missing_image_is_caught(tmp_path):
    report = make_report(tmp_path)
    (tmp_path / "history.png").unlink()
    count, names = broken_images(report)
    assert count == 1
    assert names == ["history.png"]


def test_report_screenshot_is_not_blank(report, tmp_path):
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,2000", "--virtual-time-budget=5000",
             report.as_uri())
    with Image.open(shot) as image:
        assert image.size == (1200, 2000)
        pixels = np.asarray(image.convert("L"))
    not_white = (pixels < 240).mean()
    assert not_white > 0.02, f"only {not_white:.1%} of the screenshot is not white"
    assert len(np.unique(pixels)) > 50
