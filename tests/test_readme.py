"""The README's "Writing your own layer" code runs as printed, and does what it says."""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def section_code(heading):
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture
def registry():
    """The layer registry as it was before the test (the README registers Center)."""
    import tinycnn as tc

    saved = dict(tc.layers.LAYER_CLASSES)
    yield
    tc.layers.LAYER_CLASSES.clear()
    tc.layers.LAYER_CLASSES.update(saved)


def test_own_layer_example_runs_checks_and_saves(tmp_path, monkeypatch, capsys, registry):
    import tinycnn as tc

    monkeypatch.chdir(tmp_path)  # the example saves center.npz where it runs
    blocks = section_code("Writing your own layer, and checking it")
    assert len(blocks) == 2
    namespace = {}
    exec(compile(blocks[0], "README-layer", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2
    for line in printed:  # {'x': ..., 'scale': ...} relative errors
        errors = eval(line, {"np": np})
        assert set(errors) == {"x", "scale"} and max(errors.values()) < 1e-6, line

    exec(compile(blocks[1], "README-model", "exec"), namespace)
    model, model2 = namespace["model"], namespace["model2"]
    assert "Non-trainable params: 8" in capsys.readouterr().out
    x = np.random.default_rng(1).random((6, 28, 28, 1)).astype(np.float32)
    model.compile(metrics=["accuracy"])
    model.fit(x, np.arange(6) % 10, epochs=1, verbose=0)
    assert model.layers[1].state["moving_mean"].any()
    model.save("center.npz")
    np.testing.assert_array_equal(tc.load_model("center.npz").predict(x), model.predict(x))
    assert type(model2.layers[1]).__name__ == "Center"
