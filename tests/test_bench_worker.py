"""benchmarks/: each library's worker process runs and reports, and bench.py's side-by-side pass
puts the workers' figures together. Smoke tests on a few hundred images (--quick): no figure is
checked, only that every rate is a positive number and that a worker loaded its library only."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench  # noqa: E402
from models import LIBRARIES, installed  # noqa: E402

MEASURES = {"train, batch 32", "train, batch 128", "inference, batch 1000"}


def run_worker(library, *options):
    done = subprocess.run([sys.executable, str(BENCHMARKS / "worker.py"), library, "--quick",
                           *options], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_result(result, library):
    assert result["library"] == library
    assert result["libraries_loaded"] == [LIBRARIES[library][0]]
    assert set(result["results"]) == MEASURES
    for measure, ways in result["results"].items():
        assert ways, measure
        for way, rate in ways.items():
            assert rate > 0, (measure, way, rate)


def test_tinycnn_worker():
    result = run_worker("tinycnn")
    check_result(result, "tinycnn")
    assert result["settings"]["threads_requested"] == "library default"


def test_worker_threads_option():
    result = run_worker("tinycnn", "--threads", "1", "--sections", "inference")
    assert result["settings"]["threads_requested"] == 1
    assert result["settings"]["numba_threads"] == 1
    assert set(result["results"]) == {"inference, batch 1000"}


@pytest.mark.slow
@pytest.mark.parametrize("library", ["tensorflow", "pytorch"])
def test_peer_worker_runs_or_is_reported_missing(library):
    # No skip (CI fails a skipped test, and installs no peer): without the library, what is
    # checked is that bench.py reports it as missing instead of failing.
    if not installed(library):
        summary = bench.summarise_side_by_side({}, [library], [], quick=True)
        assert summary["libraries"][library]["status"] == bench.NOT_INSTALLED
        return
    check_result(run_worker(library), library)


def test_side_by_side_reports_missing_peers(monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "installed", lambda library: library == "tinycnn")
    bench.main(["train", "--quick", "--repeats", "1", "--out", str(tmp_path)])
    results = json.loads((tmp_path / "latest.json").read_text())["side_by_side"]
    for measure in ("train, batch 32", "train, batch 128"):
        assert set(results["measures"][measure]) == {"tinycnn"}
        assert results["measures"][measure]["tinycnn"]["median"] > 0
    assert results["ratios"] == {}
    table = (tmp_path / "latest.md").read_text()
    assert table.count(bench.NOT_INSTALLED) >= 4  # 2 columns x 2 measures, and the settings
    assert "| measure | tinycnn | TensorFlow | PyTorch | tinycnn / best |" in table
