"""The README is a front page, and what it says holds: the two commands, its links, its tour's
code, its speed figures (those of benchmarks/results/latest.md) and where reproducibility holds.

The README's longer code (writing a layer, seeing inside, Keras code) moved into docs/, where
tests/test_docs.py runs it.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.datasets import fashion_mnist

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
LATEST = ROOT / "benchmarks" / "results" / "latest.md"
SPEED_CLAIMS = [README, ROOT / "docs" / "index.md", ROOT / "docs" / "performance.md"]


def readme():
    return README.read_text(encoding="utf-8")


def section(text, heading):
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_quick_start_is_the_two_commands():
    block = re.findall(r"```bash\n(.*?)```", section(readme(), "Quick start"), flags=re.S)
    assert len(block) == 1
    commands = [line.split("#")[0].strip() for line in block[0].splitlines()]
    assert commands == ["bash scripts/study.sh", "bash scripts/test.sh"]


def test_the_readme_is_a_front_page():
    text = readme()
    assert len(text.splitlines()) < 150
    # Two pictures: the study's report, and the explorer (issue 20 asks the README to show it).
    pictures = re.findall(r'(?:!\[[^\]]*\]\(|<img src=")([^)"]+)', text)
    assert pictures == ["docs/images/report.png", "docs/images/explorer.png"]
    for page in ("getting-started", "tutorials/study", "tutorials/own-layer",
                 "tutorials/see-inside", "tutorials/explorer", "tutorials/keras",
                 "engine/index", "engine/winograd", "reference/index",
                 "performance", "changelog"):
        assert f"(docs/{page}.md" in text, page
    assert "mkdocs serve" in text and "site/index.html" in text


def heading_ids(markdown):
    """The anchors MkDocs gives a page's headings: explicit { #id } or the slug of the text."""
    ids = set()
    for heading in re.findall(r"^#+ (.*)$", markdown, flags=re.M):
        explicit = re.search(r"\{ *#([\w-]+) *\}", heading)
        text = re.sub(r"\{.*\}", "", heading).strip().lower()
        ids.add(explicit.group(1) if explicit else re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return ids


def test_every_link_and_image_of_the_readme_exists():
    text = readme()
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'<img src="([^"]+)"', text)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert len(local) > 10
    for target in local:
        path, _, anchor = target.partition("#")
        assert (ROOT / path).exists(), target
        if anchor:
            assert anchor in heading_ids((ROOT / path).read_text(encoding="utf-8")), target


def latest_medians():
    """{measure: {library: images/s}} from the side-by-side table of latest.md, and its date."""
    text = LATEST.read_text(encoding="utf-8")
    date = re.search(r"Measured (\d{4}-\d\d-\d\d)", text).group(1)
    medians = {}
    for library, measure, _way, median in re.findall(
            r"^\| (tinycnn|TensorFlow [\d.]+|PyTorch [\d.]+) \| (.+?) \| (\w+) \| ([\d,]+) \|",
            text, flags=re.M):
        best = medians.setdefault(measure, {})
        name = library.split()[0]
        best[name] = max(best.get(name, 0), int(median.replace(",", "")))
    return date, medians


@pytest.mark.parametrize("page", SPEED_CLAIMS, ids=lambda path: path.name)
def test_the_speed_claims_are_the_latest_side_by_side_run(page):
    text = page.read_text(encoding="utf-8")
    date, medians = latest_medians()
    assert set(medians) == {"train, batch 32", "train, batch 128", "inference, batch 1000"}
    assert date in text
    stated = re.findall(r"\b(\d+\.(\d+))x\b", text)
    for measure, by_library in medians.items():
        for peer in ("TensorFlow", "PyTorch"):
            ratio = by_library["tinycnn"] / by_library[peer]
            # A figure with d decimals is right within half its last digit, plus 0.005 for the
            # medians' own rounding (the benchmark divides the unrounded ones).
            assert any(abs(float(figure) - ratio) <= 0.5 * 10 ** -len(decimals) + 0.005
                       for figure, decimals in stated), (page.name, measure, peer, ratio)
    # The old in-process figure may appear only where it is called wrong.
    flat = " ".join(text.split())
    for old in re.finditer(r"1\.5-2x", flat):
        assert "was wrong" in flat[old.start():old.start() + 80], (page.name, old.start())


def test_the_readme_says_where_reproducibility_holds():
    text = " ".join(readme().split())
    assert "bit for bit on the same machine" in text
    assert "another machine may print a slightly different history" in text


def test_the_tour_runs(tmp_path, monkeypatch):
    try:
        (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(download=False)
    except Exception as error:  # noqa: BLE001 - any failure to find the data
        pytest.skip(f"Fashion-MNIST is not installed or cached here: {error}")
    small = (x_train[:600], y_train[:600]), (x_test[:200], y_test[:200])
    monkeypatch.setattr(fashion_mnist, "load_data", lambda *args, **kwargs: small)
    monkeypatch.chdir(tmp_path)  # the tour saves model.npz where it runs
    blocks = re.findall(r"```python\n(.*?)```", section(readme(), "A short tour"), flags=re.S)
    assert len(blocks) == 1
    namespace = {}
    exec(compile(blocks[0], "README-tour", "exec"), namespace)
    assert namespace["maps"].shape == (8, 28, 28, 1)
    assert 0 <= namespace["accuracy"] <= 1
    assert set(namespace["history"].history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    model2 = tc.load_model("model.npz")
    x = namespace["x_test"][:4]
    np.testing.assert_array_equal(model2.predict(x), namespace["model"].predict(x))
