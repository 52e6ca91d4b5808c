"""examples/fashion_mnist.ipynb: the same cells as examples/fashion_mnist.py, and it runs.

The .py (cells marked ``# %%``) is the source; the .ipynb is made from it with
``jupytext --update --to ipynb examples/fashion_mnist.py`` and committed without outputs. One
test holds the two in sync, cell by cell; the slow one executes the notebook top to bottom on a
real Jupyter kernel (nbclient + ipykernel) running this interpreter, on 1,000 training images
for one epoch, and checks that every cell ran, that each figure and animation is shown inline,
and that the output folder holds the same files as the script's (tests/test_example.py lists
them).
"""

import base64
import json
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from test_example import OTHER_FILES, PNGS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPT = EXAMPLES / "fashion_mnist.py"
NOTEBOOK = EXAMPLES / "fashion_mnist.ipynb"
REGENERATE = "jupytext --update --to ipynb examples/fashion_mnist.py"
SUBSET, EPOCHS = 1000, 1
TEST_IMAGES = SUBSET * 10_000 // 60_000
KERNEL_NAME = "tinycnn-test-python"
CELL_TIMEOUT_SECONDS = 300
SHOW_CALL = re.compile(r"^\s*show\(", re.MULTILINE)  # a call, not its definition


def cells(notebook):
    return [(cell.cell_type, cell.source, dict(cell.metadata)) for cell in notebook.cells]


def test_notebook_has_the_scripts_cells():
    script, notebook = jupytext.read(SCRIPT), jupytext.read(NOTEBOOK)
    script_cells, notebook_cells = cells(script), cells(notebook)
    for index, (expected, found) in enumerate(zip(script_cells, notebook_cells, strict=False)):
        assert found == expected, (
            f"cell {index} of {NOTEBOOK.name} differs from {SCRIPT.name}: run {REGENERATE}")
    assert len(notebook_cells) == len(script_cells), f"cells added or removed: run {REGENERATE}"
    assert notebook.metadata.get("kernelspec") == script.metadata.get("kernelspec")


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"cell {index} has outputs: run {REGENERATE}")


def test_one_parameters_cell_of_plain_assignments():
    notebook = jupytext.read(SCRIPT)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = [line for line in tagged[0].source.splitlines() if line and not line[0].isspace()]
    names = [line.split(" = ")[0] for line in lines if " = " in line]
    assert names == ["EPOCHS", "BATCH_SIZE", "SUBSET", "OUT", "SEED", "DATA_DIR", "NO_DOWNLOAD",
                     "NO_ANIMATIONS", "PATIENCE", "KEEP_LAST"]


def kernel_running_this_python(folder):
    """A kernelspec named KERNEL_NAME in ``folder``/kernels that starts ``sys.executable``.

    Returns the folder to put on JUPYTER_PATH. A kernel of our own, rather than "python3",
    which a user-wide kernelspec could point at some other Python without tinycnn."""
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tinycnn tests",
        "language": "python",
    }), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """(executed notebook, out folder): the notebook run on a kernel, SUBSET images, EPOCHS."""
    work = tmp_path_factory.mktemp("notebook")
    out = work / "outputs"
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # As papermill does: a cell after the one tagged "parameters" sets the values to run with.
    index = next(i for i, cell in enumerate(notebook.cells)
                 if "parameters" in cell.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell(
        f"SUBSET = {SUBSET}\nEPOCHS = {EPOCHS}\nOUT = {str(out)!r}",
        metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(index + 1, injected)
    # And a first cell that reports which Python the kernel runs.
    notebook.cells.insert(0, nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(kernel_running_this_python(work / "jupyter")))
        client = NotebookClient(notebook, kernel_name=KERNEL_NAME, timeout=CELL_TIMEOUT_SECONDS,
                                resources={"metadata": {"path": str(work)}})
        try:
            client.execute()
        except CellExecutionError as error:
            if "Fashion-MNIST was not found" in str(error):
                pytest.skip("Fashion-MNIST is not installed, cached or downloadable here")
            raise
    assert notebook.cells[0].outputs[0]["text"].strip() == sys.executable
    return notebook, out


def images_shown(cell, mime):
    return [base64.b64decode(output["data"][mime]) for output in cell.get("outputs", [])
            if output["output_type"] == "display_data" and mime in output.get("data", {})]


@pytest.mark.slow
class TestNotebookRun:
    def test_every_code_cell_ran_without_error(self, executed):
        notebook, _ = executed
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(cell.execution_count is not None for cell in code)
        for cell in code:
            kinds = {output["output_type"] for output in cell.outputs}
            assert "error" not in kinds, cell.source
            assert "execute_result" not in kinds, f"a stray Out[] value below:\n{cell.source}"

    def test_figures_and_animations_show_inline_as_written(self, executed):
        notebook, out = executed
        pngs, gifs = [], []
        for cell in notebook.cells:
            shown = images_shown(cell, "image/png") + images_shown(cell, "image/gif")
            if cell.cell_type == "code" and SHOW_CALL.search(cell.source):
                assert shown, f"nothing shown inline by:\n{cell.source}"
            pngs += images_shown(cell, "image/png")
            gifs += images_shown(cell, "image/gif")
        # Each written figure is shown exactly once, as the very bytes of its file, and nothing
        # else (no figure left open for the inline backend to show a second time).
        written_pngs = sorted(path.read_bytes() for path in out.glob("*.png"))
        assert sorted(pngs) == written_pngs
        assert len(written_pngs) == len(PNGS) + (out / "12_network.png").exists()
        assert sorted(gifs) == sorted(path.read_bytes() for path in out.glob("*.gif"))
        assert len(gifs) == 2

    def test_the_output_folder_holds_the_scripts_files(self, executed):
        _, out = executed
        for name in PNGS + OTHER_FILES:
            assert (out / name).is_file() and (out / name).stat().st_size > 0, name

    def test_the_injected_parameters_were_used(self, executed):
        notebook, out = executed
        metrics = json.loads((out / "06_test_metrics.json").read_text())
        assert metrics["test_images"] == TEST_IMAGES
        history = json.loads((out / "06_history.json").read_text())
        assert history["epoch"] == list(range(1, EPOCHS + 1))
        last = notebook.cells[-1].outputs[-1]["text"].strip().splitlines()[-1]
        assert last == f"Test accuracy: {metrics['test_accuracy']:.4f}"
        report = (out / "report.html").read_text(encoding="utf-8")
        assert "the notebook, cell by cell" in report and "Missing file" not in report
