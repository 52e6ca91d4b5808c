"""examples/fashion_mnist.py end to end on a small subset, and its command-line errors.

One full run (2,000 training images, 1 epoch, every figure and animation) into a temporary
folder, shared by the TestFullRun checks: each file exists and is valid, the report names them
all, the script ends by printing the test accuracy. The error tests run the script in this
process (fast: ``runpy`` with our ``sys.argv``, as ``python fashion_mnist.py ARGS`` would) and
one of each kind runs as a subprocess to show no traceback reaches the user. An output folder
that cannot be written, up front or when the disk fills up mid-run, is tried in subprocesses
only: one error line, and the files already in the folder untouched. The same file as a
notebook: tests/test_notebook.py.
"""

import errno
import json
import os
import re
import resource
import runpy
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import tinycnn
from tinycnn.datasets import fashion_mnist
from tinycnn.datasets.errors import DatasetNotFoundError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fashion_mnist.py"
SUBSET, EPOCHS = 2000, 1
TEST_IMAGES = SUBSET * 10_000 // 60_000  # the example keeps the data set's 6:1 ratio
ANIMATED_PREDICTIONS = 20
CLASS_NAMES = fashion_mnist.CLASS_NAMES
PNGS = [
    "01_example.png", "02_class_examples.png", "04_class_distribution.png",
    "07_training_history.png", "11_confusion_matrix.png", "13_filters.png",
    "14_feature_maps.png", "15_confident_mistakes.png", "17_where_the_network_looks.png",
]
OTHER_FILES = [
    "03_dataset_summary.csv", "04_statistics.csv", "05_model_summary.txt", "06_history.csv",
    "06_history.json", "06_test_metrics.json", "06_test_metrics.txt", "08_training.gif",
    "08_training.html", "09_predictions.csv", "10_predictions.gif", "10_predictions.html",
    "11_confusion_matrix.csv", "12_network.gv", "16_per_class_metrics.csv",
    "18_layer_costs.txt", "18_layer_costs.csv", "19_explorer.html", "model.npz", "report.html",
]
LAYER_NAMES = ["conv2d", "max_pool2d", "conv2d_1", "max_pool2d_1", "conv2d_2", "flatten",
               "dense", "dense_1"]
TIMEOUT_SECONDS = 300


def run_example(*args, timeout=TIMEOUT_SECONDS, preexec_fn=None):
    return subprocess.run([sys.executable, str(EXAMPLE), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, check=False,
                          preexec_fn=preexec_fn)


@pytest.fixture
def run_in_process(monkeypatch):
    """Runs the script in this process with ``sys.argv`` as ``python fashion_mnist.py ARGS``
    sets it (so monkeypatch reaches it); returns its exit status."""

    def run(*args):
        monkeypatch.setattr(sys, "argv", [str(EXAMPLE), *map(str, args)])
        # As a script the example sets sys.excepthook; give pytest its own back afterwards.
        monkeypatch.setattr(sys, "excepthook", sys.excepthook)
        try:
            runpy.run_path(str(EXAMPLE), run_name="__main__")
        except SystemExit as stop:
            return stop.code
        return 0

    return run


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """(out folder, CompletedProcess) of one run on the subset, with every feature on."""
    out = tmp_path_factory.mktemp("study")
    result = run_example("--subset", SUBSET, "--epochs", EPOCHS, "--out", out)
    if result.returncode == 1 and "Fashion-MNIST was not found" in result.stderr:
        pytest.skip("Fashion-MNIST is not installed, cached or downloadable here")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


@pytest.mark.slow
class TestFullRun:
    def test_every_figure_is_a_png_that_decodes(self, study):
        out, _ = study
        names = list(PNGS)
        if (out / "12_network.svg").exists():  # Graphviz's dot is installed
            names.append("12_network.png")
        for name in names:
            with Image.open(out / name) as image:
                assert image.format == "PNG", name
                image.load()
                assert min(image.size) > 50, name

    def test_every_other_file_is_there(self, study):
        out, _ = study
        for name in OTHER_FILES:
            assert (out / name).is_file() and (out / name).stat().st_size > 0, name

    def test_gifs_have_one_frame_per_epoch_and_per_image(self, study):
        out, _ = study
        for name, frames in [("08_training.gif", EPOCHS),
                             ("10_predictions.gif", ANIMATED_PREDICTIONS)]:
            with Image.open(out / name) as gif:
                assert gif.format == "GIF"
                assert gif.n_frames == frames, name

    def test_html_players_beside_the_gifs(self, study):
        out, _ = study
        for name in ["08_training.html", "10_predictions.html"]:
            page = (out / name).read_text(encoding="utf-8")
            assert page.startswith("<!DOCTYPE html>") and "<script>" in page, name

    def test_report_names_every_file(self, study):
        out, _ = study
        report = (out / "report.html").read_text(encoding="utf-8")
        names = sorted(path.name for path in out.iterdir() if path.name != "report.html")
        assert names, "the run wrote nothing"
        for name in names:
            assert f'"{name}"' in report, name  # as an src= or href=
        assert "Missing file" not in report
        for section in ["1. Data", "6. Training", "11. Confusion matrix", "12. Network",
                        "Beyond: most confident mistakes", "Beyond: where the network looks",
                        "Beyond: what each layer costs", "Run settings", "Timings"]:
            assert section in report
        # The layer costs are an HTML table, its numbers right-aligned with separators.
        assert '<td class="number">2,230,272</td>' in report  # conv2d_1's multiply-adds

    def test_history_csv_and_json_have_one_row_per_epoch(self, study):
        out, _ = study
        history = pd.read_csv(out / "06_history.csv")
        assert list(history.columns) == ["epoch", "loss", "accuracy", "val_loss",
                                         "val_accuracy", "seconds"]
        assert list(history["epoch"]) == list(range(1, EPOCHS + 1))
        saved = json.loads((out / "06_history.json").read_text())
        assert set(saved) == set(history.columns)
        assert all(len(values) == EPOCHS for values in saved.values())
        np.testing.assert_allclose(saved["val_accuracy"], history["val_accuracy"])

    def test_predictions_csv_has_one_row_per_test_image(self, study):
        out, _ = study
        predictions = pd.read_csv(out / "09_predictions.csv")
        assert list(predictions.columns) == ["index", "true", "predicted", "confidence"]
        assert len(predictions) == TEST_IMAGES
        assert list(predictions["index"]) == list(range(TEST_IMAGES))
        assert set(predictions["true"]) <= set(CLASS_NAMES)
        assert set(predictions["predicted"]) <= set(CLASS_NAMES)
        assert predictions["confidence"].between(0.1, 1).all()  # a max over 10 classes
        # The CSV and the printed/saved accuracy agree.
        metrics = json.loads((out / "06_test_metrics.json").read_text())
        hits = (predictions["true"] == predictions["predicted"]).mean()
        assert metrics["test_images"] == TEST_IMAGES
        assert hits == pytest.approx(metrics["test_accuracy"])
        assert f"test accuracy: {metrics['test_accuracy']:.4f}" in (
            out / "06_test_metrics.txt").read_text()

    def test_confusion_and_per_class_tables(self, study):
        out, _ = study
        matrix = pd.read_csv(out / "11_confusion_matrix.csv", index_col=0)
        assert matrix.shape == (10, 10)
        assert list(matrix.index) == CLASS_NAMES and list(matrix.columns) == CLASS_NAMES
        assert matrix.to_numpy().sum() == TEST_IMAGES
        per_class = pd.read_csv(out / "16_per_class_metrics.csv", index_col=0)
        assert list(per_class.index) == CLASS_NAMES
        assert list(per_class.columns) == ["precision", "recall", "f1", "support"]
        assert list(per_class["support"]) == list(matrix.sum(axis=1))
        assert per_class[["precision", "recall", "f1"]].stack().between(0, 1).all()

    def test_where_the_network_looks_shows_six_rows_of_six(self, study):
        out, _ = study
        with Image.open(out / "17_where_the_network_looks.png") as image:
            width, height = image.size
            pixels = np.asarray(image.convert("RGB")).astype(int)
        # Three right predictions and three mistakes, each row the image and five methods
        # (saliency, Grad-CAM, SmoothGrad, integrated gradients, occlusion): six rows of six
        # panels, about as tall as wide (five rows or four columns would not be).
        assert 0.95 * width < height < 1.3 * width
        # The heatmaps are in colour over grey images: well over 5% of the pixels.
        colourful = (pixels.max(axis=-1) - pixels.min(axis=-1)) > 60
        assert colourful.mean() > 0.05

    def test_layer_costs_text_and_table(self, study):
        out, result = study
        text = (out / "18_layer_costs.txt").read_text(encoding="utf-8")
        for name in LAYER_NAMES:
            assert re.search(rf"^{name} \(\w+\)", text, re.MULTILINE), name
        assert "Multiply-adds per image: 3,237,248 forward" in text
        assert "Kept for backward per image: " in text
        assert text.strip() in result.stdout  # printed too
        costs = pd.read_csv(out / "18_layer_costs.csv")
        assert list(costs.columns) == ["name", "type", "params", "multiply_adds",
                                       "activation_bytes", "forward_ms", "backward_ms",
                                       "share", "gflops"]
        assert list(costs["name"]) == LAYER_NAMES
        assert costs["params"].sum() == 241_546
        assert costs["multiply_adds"].sum() == 3_237_248
        assert (costs[["forward_ms", "backward_ms"]] >= 0).all().all()
        assert costs["forward_ms"].sum() > 0
        assert costs["share"].sum() == pytest.approx(1, abs=0.01)
        assert "Forward and backward time per layer, batch of 32" in result.stdout

    def test_data_tables(self, study):
        out, _ = study
        summary = pd.read_csv(out / "03_dataset_summary.csv", index_col=0)
        assert list(summary.index) == CLASS_NAMES
        assert (summary["train"] == 6000).all() and (summary["test"] == 1000).all()
        stats = pd.read_csv(out / "04_statistics.csv", index_col=0)
        assert list(stats.index) == ["train", "test"]
        assert list(stats["images"]) == [60000, 10000]

    def test_saved_model_loads_and_network_source_names_every_layer(self, study):
        out, _ = study
        model = tinycnn.load_model(out / "model.npz")
        assert model.count_params() == 241_546
        source = (out / "12_network.gv").read_text(encoding="utf-8")
        assert len(model.layers) == 8
        for layer in model.layers:
            assert re.search(rf'label="{re.escape(layer.name)}\\n{type(layer).__name__}',
                             source), layer.name
        assert "241,546" in (out / "05_model_summary.txt").read_text()

    @pytest.mark.browser
    def test_the_explorer_opens_from_disk_and_shows_the_models_numbers(self, study):
        """The study's own explorer page in headless Chromium: 100 test images, and a click on
        a unit of conv2d_1 shows the saved model's numbers (tests/test_explorer.py: the page in
        depth)."""
        pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
        from explorer_page import CHROMIUM, TOLERANCE, Page, launch

        if CHROMIUM is None:
            pytest.skip("chromium is not installed")
        out, _ = study
        report = (out / "report.html").read_text(encoding="utf-8")
        assert "Beyond: click inside the network" in report
        assert '<a href="19_explorer.html"><b>Open 19_explorer.html</b></a>' in report
        model = tinycnn.load_model(out / "model.npz")
        (_, _), (x_test, _) = fashion_mnist.load_data(download=False)
        x = fashion_mnist.normalize_images(x_test[7:8])
        values = [x]
        for layer in model.layers:
            values.append(layer.forward(values[-1]))
        with launch() as browser:
            page = Page(browser, out / "19_explorer.html")
            try:
                assert page.tab.locator(".thumb").count() == 100
                page.pick(7)
                page.click_unit(3, 5, 6, 10)  # conv2d_1: (11, 11, 64)
                assert page.number("model") == pytest.approx(values[3][0, 5, 6, 10],
                                                             abs=TOLERANCE)
                window = values[2][0, 5:8, 6:9, :].astype(np.float64)
                W, b = model.layers[2].params["W"], model.layers[2].params["b"]
                z = (window * W[..., 10]).sum() + b[10]
                assert page.number("z") == pytest.approx(z, abs=TOLERANCE)
                assert page.problems == [] and page.requests == []
            finally:
                page.close()

    def test_printed_output_ends_with_the_test_accuracy(self, study):
        out, result = study
        assert "Training set shape: (60000, 28, 28)" in result.stdout
        assert "Total params: 241,546" in result.stdout
        assert "Epoch 1/1" in result.stderr  # fit's progress bar
        assert "Traceback" not in result.stderr
        last_line = result.stdout.strip().splitlines()[-1]
        accuracy = json.loads((out / "06_test_metrics.json").read_text())["test_accuracy"]
        assert last_line == f"Test accuracy: {accuracy:.4f}"
        metrics = json.loads((out / "06_test_metrics.json").read_text())
        assert metrics["weights_of_epoch"] == EPOCHS  # one epoch: the best is the last
        assert f"Testing the weights of epoch {EPOCHS}" in result.stdout


# ---- the command line ------------------------------------------------------------------------
@pytest.mark.parametrize("argv, option", [
    (["--epochs", "0"], "--epochs"),
    (["--epochs", "two"], "--epochs"),
    (["--batch-size", "-1"], "--batch-size"),
    (["--subset", "-5"], "--subset"),
    (["--subset", "3"], "--subset"),
    (["--seed", "-1"], "--seed"),
    (["--patience", "0"], "--patience"),
    (["--no-such-option"], "--no-such-option"),
])
def test_bad_options_exit_2_with_one_clear_line(run_in_process, capsys, tmp_path, argv, option):
    assert run_in_process(*argv, "--out", tmp_path) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[-1].startswith("fashion_mnist.py: error:")
    assert option in errors[-1]


def test_a_subset_larger_than_the_data_set_is_an_option_error(run_in_process, capsys, tmp_path):
    try:
        fashion_mnist.load_data(download=False)
    except DatasetNotFoundError:
        pytest.skip("Fashion-MNIST is not installed or cached here")
    assert run_in_process("--subset", "70000", "--out", tmp_path / "out") == 2
    assert "--subset 70000: the training set has only 60000" in capsys.readouterr().err


def test_help_explains_every_option(run_in_process, capsys):
    assert run_in_process("--help") == 0
    text = capsys.readouterr().out
    for option in ["--epochs", "--batch-size", "--subset", "--out", "--seed", "--data-dir",
                   "--no-download", "--no-animations", "--patience", "--keep-last"]:
        assert option in text
    # The defaults come from the parameters cell of the notebook.
    for default in ["passes over the training images (default: 20)",
                    "images per Adam step (default: 32)", "(default: outputs)", "(default: 0)"]:
        assert default in " ".join(text.split()), default


def test_bad_option_in_a_real_process_shows_no_traceback(tmp_path):
    result = run_example("--epochs", "0", "--out", tmp_path, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "fashion_mnist.py: error: argument --epochs: must be at least 1, got 0")


def test_missing_dataset_is_a_clear_error(run_in_process, capsys, monkeypatch, tmp_path):
    # Nothing anywhere: an empty --data-dir, an empty user cache, no $TINYCNN_DATA_DIR, no
    # download. load_data has no switch for its system folder (/usr/share/datasets/...), so we
    # point the loader's internal search at an empty one.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(fashion_mnist.DATA_DIR_VARIABLE, raising=False)
    original = fashion_mnist._load_data

    def load_without_system_copy(data_dir=None, *, verify=True, download=True):
        return original(data_dir, verify=verify, download=download,
                        system_dir=tmp_path / "no-system-copy", progress=False)

    monkeypatch.setattr(fashion_mnist, "load_data", load_without_system_copy)
    empty = tmp_path / "empty"
    empty.mkdir()
    code = run_in_process("--data-dir", empty, "--no-download", "--out", tmp_path / "out")
    assert code == 1
    errors = capsys.readouterr().err
    assert errors.startswith("fashion_mnist.py: error: Fashion-MNIST was not found.")
    assert str(empty) in errors and "download: not attempted" in errors
    assert errors.strip().splitlines()[-1].endswith("--data-dir FOLDER, or leave out --no-download")
    assert "Traceback" not in errors


def test_damaged_dataset_in_a_real_process_is_a_clear_error(tmp_path):
    # A --data-dir holding the four files is used first, so a bad file there must not fall
    # through to a good copy elsewhere.
    data = tmp_path / "data"
    data.mkdir()
    for name in fashion_mnist.FILE_NAMES:
        (data / name).write_bytes(b"not an IDX file")
    result = run_example("--data-dir", data, "--no-download", "--out", tmp_path / "out",
                         timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fashion_mnist.py: error: ")
    assert str(data) in lines[0]


# ---- an output folder that cannot be written -------------------------------------------------
# The tests run as root, for whom a chmod 0o555 folder is writable, so each case is one that
# refuses root too: a path below a regular file, a folder of the kernel's (/sys), and a disk
# that takes no more bytes (RLIMIT_FSIZE = 0: every write fails with EFBIG, as it would with
# ENOSPC on a full disk).

def no_bytes_can_be_written():
    """preexec_fn: the child may create files but not write a byte into them."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))


def snapshot(folder):
    """{name: (bytes, mtime_ns)} of every file in ``folder``."""
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns)
            for path in folder.iterdir() if path.is_file()}


def assert_one_error_line(result, *mentions):
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fashion_mnist.py: error: ")
    for text in mentions:
        assert text in lines[0]


@pytest.mark.parametrize("case", ["below-a-file", "full-disk", "kernel-folder"])
def test_unwritable_out_stops_in_one_line_before_loading_anything(tmp_path, case):
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "report.html").write_text("an earlier run's report\n")
    (folder / "notes.txt").write_text("kept\n")
    before = snapshot(folder)
    limit = None
    if case == "below-a-file":
        out, reason = folder / "notes.txt" / "run", os.strerror(errno.ENOTDIR)
    elif case == "full-disk":
        out, reason, limit = folder, os.strerror(errno.EFBIG), no_bytes_can_be_written
    else:
        out, reason = Path("/sys"), os.strerror(errno.EACCES)
        if not out.is_dir():  # sysfs refuses new files to everyone, root included
            pytest.skip("no /sys here")
    result = run_example("--subset", 100, "--epochs", 1, "--out", out, timeout=120,
                         preexec_fn=limit)
    assert result.returncode == 2
    assert_one_error_line(result, str(out), reason)
    assert "Training set shape" not in result.stdout  # stopped before the data was loaded
    assert snapshot(folder) == before  # nothing changed, nothing added (no probe left over)


def test_a_disk_that_fills_up_mid_run_ends_in_one_line(tmp_path):
    # The first figure goes to /dev/full, which refuses every byte with ENOSPC: the disk filled
    # up after the folder was checked. The probe file gets a name of its own, so it passes.
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "notes.txt").write_text("kept\n")
    before = snapshot(out)
    (out / "01_example.png").symlink_to("/dev/full")
    result = run_example("--subset", 100, "--epochs", 1, "--out", out, timeout=120)
    if result.returncode == 1 and "Fashion-MNIST was not found" in result.stderr:
        pytest.skip("Fashion-MNIST is not installed, cached or downloadable here")
    assert result.returncode == 1
    assert_one_error_line(result, str(out), os.strerror(errno.ENOSPC))
    assert "Training set shape" in result.stdout  # it did get that far
    assert snapshot(out) == before
