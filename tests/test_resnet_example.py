"""examples/resnet.py, the functional API's example (issue 18): it runs end to end on a subset
and writes what it says, a seed repeats its numbers, and its notebook has the same cells.
The full run's accuracy and time are measured by running it (README, docs)."""

import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPT, NOTEBOOK = EXAMPLES / "resnet.py", EXAMPLES / "resnet.ipynb"
REGENERATE = "jupytext --update --to ipynb examples/resnet.py"
ACCURACY = re.compile(r"^test accuracy (\d\.\d{4}) ", re.MULTILINE)


def run(out, subset=600):
    done = subprocess.run([sys.executable, str(SCRIPT), "--subset", str(subset), "--epochs", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_a_quick_run_writes_its_pictures_and_repeats_for_a_seed(tmp_path):
    first = run(tmp_path / "a")
    accuracy = ACCURACY.search(first)
    assert accuracy is not None, first[-2000:]
    assert 0.0 < float(accuracy.group(1)) <= 1.0
    for name in ("history.png", "network.gv", "grad_cam.png", "resnet_best.npz"):
        assert (tmp_path / "a" / name).stat().st_size > 0, name
    assert "Connected to" in first  # the summary of a graph
    assert ACCURACY.search(run(tmp_path / "b")).group(1) == accuracy.group(1)


def test_the_notebook_has_the_scripts_cells_and_no_outputs():
    script, notebook = jupytext.read(SCRIPT), jupytext.read(NOTEBOOK)
    assert [(c.cell_type, c.source) for c in notebook.cells] == [
        (c.cell_type, c.source) for c in script.cells], f"run {REGENERATE}"
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"run {REGENERATE}"
