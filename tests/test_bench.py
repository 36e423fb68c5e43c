"""`dopaspike bench`: the speed measurement, its input checks, and the side-by-side harness hook."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dopaspike import bench
from dopaspike.cli import app
from dopaspike.models.daspnet import DaspnetParams

runner = CliRunner()
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def test_bench_json_reports_positive_rates():
    res = runner.invoke(app, ["bench", "--sizes", "200", "--model-seconds", "0.5", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert {"cpu", "cores", "python", "numpy", "numba", "dopaspike"} <= set(report["machine"])
    (r,) = report["results"]
    assert r["n"] == 200 and r["model_s"] == 0.5 and r["mode"] in bench.MODES and r["seed"] == 0
    for key in ("build_s", "first_run_s", "wall_s", "wall_per_model_s", "model_s_per_wall_s", "rate_hz", "sim_peak_mb"):
        assert _positive(r[key]), (key, r[key])
    assert r["compile_s"] >= 0 and r["compile_s"] <= r["first_run_s"]
    assert r["wall_per_model_s"] == pytest.approx(r["wall_s"] / 0.5)
    assert r["model_s_per_wall_s"] == pytest.approx(1.0 / r["wall_per_model_s"])
    assert 0.0 <= r["mean_exc_w"] <= DaspnetParams().rule.w_max


def test_bench_table_one_row_per_size_in_the_mode_asked():
    res = runner.invoke(app, ["bench", "--sizes", "200,220", "--mode", "sweep", "--model-seconds", "0.2"])
    assert res.exit_code == 0, res.output
    rows = [ln.split() for ln in res.stdout.splitlines() if ln.split()[:1] in (["200"], ["220"])]
    assert [r[:2] for r in rows] == [["200", "sweep"], ["220", "sweep"]]


@pytest.mark.parametrize(("args", "field"), [
    (["--sizes", "20"], "--sizes"),
    (["--sizes", "1e3"], "--sizes"),
    (["--sizes", ","], "--sizes"),
    (["--sizes", "200", "--model-seconds", "0"], "--model-seconds"),
    (["--sizes", "200", "--model-seconds", "nan"], "--model-seconds"),
    (["--sizes", "200", "--model-seconds", "inf"], "--model-seconds"),
    (["--sizes", "200,300", "--model-seconds", "1,2,3"], "--model-seconds"),
    (["--mode", "fast"], "--mode"),
    (["--peers", "--mode", "exact"], "--mode"),
    (["--out", "somewhere"], "--out"),
])
def test_bad_input_exits_2_before_measuring(monkeypatch, args, field):
    def never(*a, **k):
        raise AssertionError("a benchmark started")

    monkeypatch.setattr(bench, "bench_daspnet", never)
    monkeypatch.setattr("subprocess.run", never)
    res = runner.invoke(app, ["bench", *args])
    assert res.exit_code == 2, res.output
    assert f"error: {field}" in res.output and "Traceback" not in res.output


def test_smallest_size_is_the_smallest_daspnet_fits():
    bench.daspnet_params(bench.MIN_SIZE).validate()
    with pytest.raises(ValueError):
        bench.daspnet_params(bench.MIN_SIZE - 1).validate()


def test_peers_need_a_source_checkout(monkeypatch):
    monkeypatch.setattr(bench, "peer_harness", lambda: None)
    res = runner.invoke(app, ["bench", "--peers"])
    assert res.exit_code == 2
    assert "source checkout" in res.output and "install_peers.sh" in res.output


FAKE_HARNESS = """
import json, sys
args = sys.argv[1:]
out = args[args.index("--out") + 1]
with open(out + "/latest.json", "w") as f:
    json.dump({"argv": args}, f)
print("| peer | N |")
"""


def test_peers_runs_the_harness_with_the_sizes_given(monkeypatch, tmp_path):
    script = tmp_path / "run_benchmarks.py"
    script.write_text(FAKE_HARNESS)
    monkeypatch.setattr(bench, "peer_harness", lambda: script)
    res = runner.invoke(app, ["bench", "--peers", "--sizes", "1000,2000", "--model-seconds", "2", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert res.stdout == "| peer | N |\n"
    res = runner.invoke(app, ["bench", "--peers", "--sizes", "1000", "--json", "--out", str(tmp_path)])
    argv = json.loads(res.stdout)["argv"]
    assert argv[argv.index("--sizes") + 1] == "1000" and argv[argv.index("--model-seconds") + 1] == "10.0"
    res = runner.invoke(app, ["bench", "--peers", "--sizes", "1000", "--repeats", "2", "--json", "--out", str(tmp_path)])
    argv = json.loads(res.stdout)["argv"]
    assert argv[argv.index("--repeats") + 1] == "2"
    for bad in (["--repeats", "0", "--peers"], ["--repeats", "2"]):  # out of range; without --peers
        res = runner.invoke(app, ["bench", *bad, "--out", str(tmp_path)] if "--peers" in bad else ["bench", *bad])
        assert res.exit_code != 0 and "--repeats" in res.output, res.output
    script.write_text("import sys; sys.exit(5)")
    assert runner.invoke(app, ["bench", "--peers", "--out", str(tmp_path)]).exit_code == 5


@pytest.mark.skipif(not (BENCHMARKS / "run_benchmarks.py").exists(), reason="not a source checkout")
def test_in_a_checkout_the_harness_is_found_and_shares_the_protocol():
    assert bench.peer_harness() == BENCHMARKS / "run_benchmarks.py"
    spec = importlib.util.spec_from_file_location("daspnet_common", BENCHMARKS / "daspnet_common.py")
    dc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dc)
    assert (dc.WARMUP_MODEL_S, dc.REWARD_PERIOD_MS, dc.DA_PULSE, dc.EXC_FRACTION) == (
        bench.WARMUP_MODEL_S, bench.REWARD_PERIOD_MS, bench.DA_PULSE, bench.EXC_FRACTION)
    for n in (126, 1000, 12345):
        assert dc.split_sizes(n) == bench.split_sizes(n)
    assert dc.N_TARGETS == DaspnetParams().n_targets
