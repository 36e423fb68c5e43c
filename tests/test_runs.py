"""The run index (dopaspike.runindex) and `dopaspike runs`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import operator
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dopaspike import runindex, store
from dopaspike.cli import app
from dopaspike.cli.app import out as cli_out
from dopaspike.core.errors import ConfigError

runner = CliRunner()
T0 = dt.datetime(2026, 1, 1, 12, 0, 0)


def make_run(folder: Path, *, experiment: str = "distal-reward", seed: int = 0, status: str = "complete",
             checks: dict[str, bool] | None = None, metrics: dict | None = None, minute: int = 0,
             wall_s: float = 2.5) -> Path:
    """A finished run folder as the store writes it (config.json and metrics.json only)."""
    folder.mkdir(parents=True)
    checks = {"a": True, "b": True} if checks is None else checks
    finished = (T0 + dt.timedelta(minutes=minute)).isoformat(timespec="seconds")
    (folder / "config.json").write_text(json.dumps({"experiment": experiment, "seed": seed, "quick": True, "n": 10}))
    (folder / "metrics.json").write_text(json.dumps({
        **(metrics or {}), "status": status,
        "checks": {k: {"passed": v, "value": 1.0, "expected": "x"} for k, v in checks.items()},
        "provenance": {"dopaspike_version": "0.1.0", "git_commit": "abc", "python": "3.11", "numpy": "2",
                       "seed": seed, "wall_s": wall_s, "finished": finished},
    }))
    return folder


def paths(records) -> list[str]:
    return [r.path for r in records]


# ----------------------------------------------------------------------------- the library


def test_default_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("DOPASPIKE_RUNS", raising=False)
    assert runindex.default_root() == Path("runs")
    monkeypatch.setenv("DOPASPIKE_RUNS", str(tmp_path / "store"))
    assert runindex.default_root() == tmp_path / "store"
    assert runindex.index_path() == tmp_path / "store" / "index.sqlite"


def test_added_run_reads_back_with_flattened_numeric_metrics(tmp_path):
    metrics = {"w_final": 3.5, "n": 7, "flag": True, "label": "text", "gone": None, "series": [1, 2],
               "at_min": {"10": 0.5, "20": {"deep": 2.0}}}
    run = make_run(tmp_path / "runs" / "r1", seed=4, checks={"a": True, "b": False, "c": True}, metrics=metrics,
                   minute=3, wall_s=90.0)
    runindex.add_run(run, tmp_path / "runs")
    [rec] = runindex.query(tmp_path / "runs")
    assert rec.path == str(run.resolve())
    assert (rec.experiment, rec.seed, rec.status, rec.quick) == ("distal-reward", 4, "complete", True)
    assert (rec.n_checks, rec.n_failed, rec.passed) == (3, 1, False)
    assert (rec.git_commit, rec.dopaspike_version, rec.wall_s) == ("abc", "0.1.0", 90.0)
    finished = T0 + dt.timedelta(minutes=3)
    assert rec.finished == finished.isoformat(timespec="seconds")
    assert rec.started == (finished - dt.timedelta(seconds=90)).isoformat(timespec="seconds")
    assert rec.metrics == {"w_final": 3.5, "n": 7.0, "flag": 1.0, "at_min.10": 0.5, "at_min.20.deep": 2.0}
    assert list(rec.metrics) == ["w_final", "n", "flag", "at_min.10", "at_min.20.deep"]  # the run's own order


def test_adding_a_run_again_replaces_its_row(tmp_path):
    root = tmp_path / "runs"
    run = make_run(root / "r", metrics={"x": 1.0, "only_before": 5.0}, status="interrupted")
    runindex.add_run(run, root)
    (run / "metrics.json").write_text(json.dumps({"x": 2.0, "status": "complete", "checks": {}}))
    runindex.add_run(run, root)
    [rec] = runindex.query(root)
    assert rec.status == "complete" and rec.metrics == {"x": 2.0}


@pytest.fixture
def fleet(tmp_path):
    """Eight runs of two experiments with different statuses, checks and metric values."""
    root = tmp_path / "runs"
    specs = [  # name, experiment, status, checks, metrics
        ("r0", "alpha", "complete", {"a": True}, {"w": 0.5, "n": 1}),
        ("r1", "alpha", "complete", {"a": False}, {"w": 3.0, "n": 2}),
        ("r2", "alpha", "interrupted", {"a": True}, {"w": 3.5}),
        ("r3", "beta", "complete", {"a": True, "b": True}, {"w": 4.0, "n": 4}),
        ("r4", "beta", "failed", {}, {"n": 5}),
        ("r5", "beta", "complete", {"a": True, "b": False}, {"w": 3.0, "n": 6}),
        ("r6", "alpha", "complete", {"a": True}, {"w": -1.0, "n": 7}),
        ("r7", "beta", "interrupted", {"a": False}, {"w": 2.0, "n": 8}),
    ]
    runs = {}
    for i, (name, exp, status, checks, metrics) in enumerate(specs):
        folder = make_run(root / exp / name, experiment=exp, status=status, checks=checks, metrics=metrics,
                          minute=i, seed=i)
        runindex.add_run(folder, root)
        runs[name] = {"path": str(folder.resolve()), "experiment": exp, "status": status,
                      "passed": all(checks.values()), "metrics": metrics, "minute": i}
    return root, runs


def test_filters_select_exactly_the_matching_runs(fleet):
    root, runs = fleet

    def expect(pred):
        return sorted(r["path"] for r in runs.values() if pred(r))

    assert sorted(paths(runindex.query(root, experiment="beta"))) == expect(lambda r: r["experiment"] == "beta")
    for status in runindex.STATUSES:
        assert sorted(paths(runindex.query(root, status=status))) == expect(lambda r, s=status: r["status"] == s)
    for passed in (True, False):
        assert sorted(paths(runindex.query(root, passed=passed))) == expect(lambda r, p=passed: r["passed"] == p)
    ops = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq, "!=": operator.ne}
    for sym, op in ops.items():
        for threshold in (-1.0, 3.0, 3.5, 10.0):
            got = sorted(paths(runindex.query(root, where=[f"w {sym} {threshold}"])))
            assert got == expect(lambda r, op=op, t=threshold: "w" in r["metrics"] and op(r["metrics"]["w"], t)), sym
    got = runindex.query(root, experiment="alpha", where=["w>=0", "n<=2"])
    assert sorted(paths(got)) == expect(lambda r: r["experiment"] == "alpha" and r["metrics"].get("w", -9) >= 0
                                        and r["metrics"].get("n", 99) <= 2)
    assert runindex.query(root, where=["no_such_metric>0"]) == []


def test_newest_first_sort_and_limit(fleet):
    root, runs = fleet
    newest_first = [r["path"] for r in sorted(runs.values(), key=lambda r: -r["minute"])]
    assert paths(runindex.query(root)) == newest_first
    assert paths(runindex.query(root, limit=3)) == newest_first[:3]
    assert paths(runindex.query(root, sort="finished")) == newest_first[::-1]
    assert paths(runindex.query(root, sort="-seed", limit=2)) == newest_first[:2]
    with_w = sorted((r for r in runs.values() if "w" in r["metrics"]), key=lambda r: (r["metrics"]["w"], r["path"]))
    without_w = [r["path"] for r in runs.values() if "w" not in r["metrics"]]
    assert paths(runindex.query(root, sort="w")) == [r["path"] for r in with_w] + without_w
    desc = sorted(sorted(with_w, key=lambda r: r["path"], reverse=True), key=lambda r: -r["metrics"]["w"])
    assert paths(runindex.query(root, sort="-w")) == [r["path"] for r in desc] + without_w
    # sort and filters together (the sort's parameters and the filter's must not be confused)
    got = runindex.query(root, experiment="beta", where=["n>4"], sort="-n", limit=2)
    assert [r.metrics["n"] for r in got] == [8.0, 6.0]


def test_rebuild_after_deleting_the_index_gives_the_same_result(fleet, tmp_path):
    root, runs = fleet
    outside = make_run(tmp_path / "elsewhere" / "ext", metrics={"w": 9.0}, minute=99)  # written with --out
    runindex.add_run(outside, root)
    partial = make_run(root / "alpha" / ".r9.partial-123", metrics={"w": 1.0})  # an unfinished temporary
    before = [r.as_dict() for r in runindex.query(root, sort="path")]
    assert str(outside.resolve()) in [r["path"] for r in before]
    assert str(partial.resolve()) not in [r["path"] for r in before]

    assert runindex.rebuild(root) == len(runs) + 1  # keeps the indexed run that lives elsewhere
    assert [r.as_dict() for r in runindex.query(root, sort="path")] == before

    runindex.remove_index(root)
    assert not runindex.index_path(root).exists()
    assert runindex.rebuild(root) == len(runs)  # from the folders alone: the outside run is not under root
    assert [r.as_dict() for r in runindex.query(root, sort="path")] == [r for r in before if r["path"] != str(
        outside.resolve())]


def test_rebuild_drops_runs_whose_folder_is_gone_and_skips_broken_ones(fleet):
    import shutil

    root, runs = fleet
    shutil.rmtree(runs["r3"]["path"])
    (Path(runs["r5"]["path"]) / "metrics.json").write_text("{ not json")
    assert len(runindex.query(root)) == len(runs)  # the index alone does not know yet
    assert runindex.rebuild(root) == len(runs) - 2
    left = set(paths(runindex.query(root)))
    assert left == {r["path"] for k, r in runs.items() if k not in ("r3", "r5")}


def test_concurrent_writers_lose_nothing(tmp_path):
    root = tmp_path / "runs"
    n_proc, per_proc = 4, 50
    for p in range(n_proc):
        for i in range(per_proc):
            make_run(root / f"p{p}" / f"run{i:03d}", seed=i, metrics={"proc": p, "i": i})
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from dopaspike import runindex
        root, proc = Path(sys.argv[1]), sys.argv[2]
        for folder in sorted((root / proc).iterdir()):
            runindex.add_run(folder, root)
    """)
    # the index does not exist yet: the writers also race to create it
    procs = [subprocess.Popen([sys.executable, "-c", script, str(root), f"p{p}"], stderr=subprocess.PIPE, text=True)
             for p in range(n_proc)]
    errors = [proc.communicate(timeout=300)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * n_proc, errors
    got = runindex.query(root)
    assert len(got) == n_proc * per_proc
    assert {(r.metrics["proc"], r.metrics["i"]) for r in got} == {(p, i) for p in range(n_proc) for i in range(per_proc)}


def test_listing_5000_runs_reads_only_the_index(tmp_path):
    root = tmp_path / "runs"
    n = 5000
    for i in range(n):
        make_run(root / "many" / f"run{i:05d}", seed=i, metrics={"w": i / n, "i": i}, minute=i,
                 checks={"a": i % 3 != 0})
    assert runindex.rebuild(root) == n
    for folder in (root / "many").iterdir():  # nothing is left to read but the index
        (folder / "metrics.json").unlink()
        (folder / "config.json").unlink()

    res = runner.invoke(app, ["runs", "--root", str(root), "--limit", "0", "--json"])
    assert res.exit_code == 0, res.output
    listed = json.loads(res.stdout)
    assert len(listed) == n
    assert [r["metrics"]["i"] for r in listed[:3]] == [n - 1, n - 2, n - 3]  # newest first
    res = runner.invoke(app, ["runs", "--root", str(root), "--where", "w>=0.9", "--failed", "--json", "--limit", "0"])
    assert res.exit_code == 0, res.output
    assert sorted(r["metrics"]["i"] for r in json.loads(res.stdout)) == [i for i in range(n) if i >= 4500 and i % 3 == 0]
    res = runner.invoke(app, ["runs", "--root", str(root), "--limit", "5", "--metric", "i"])
    assert res.exit_code == 0 and "more" in res.stderr
    shown = {i for i in range(n - 10, n) if f" {i} " in res.stdout}
    assert shown == set(range(n - 5, n))
    assert runindex.rebuild(root) == 0  # the folders really are unreadable as runs now


def test_query_validates_before_touching_the_index(tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    for kwargs in ({"where": ["w>>3"]}, {"where": ["w>three"]}, {"where": ["w~3"]}, {"status": "done"},
                   {"limit": -1}, {"sort": "-"}):
        with pytest.raises(ConfigError):
            runindex.query(root, **kwargs)
    assert not runindex.index_path(root).exists()
    assert runindex.parse_where(" a.b_c <= -2.5e3 ") == runindex.Condition("a.b_c", "<=", -2500.0)


# ----------------------------------------------------------------------------- store.write_run


def test_write_run_indexes_runs_inside_and_outside_the_root(tmp_path, monkeypatch):
    root = tmp_path / "store"
    monkeypatch.setenv("DOPASPIKE_RUNS", str(root))
    metrics = {"w": 1.5, "status": "complete", "checks": {"c": {"passed": True, "value": 1, "expected": "1"}}}
    inside = store.write_run(root / "exp" / "one", experiment="exp", config={"seed": 1}, metrics=metrics, data={},
                             figures={})
    outside = store.write_run(tmp_path / "elsewhere", experiment="exp", config={"seed": 2}, metrics=metrics, data={},
                              figures={})
    got = {r.path: r for r in runindex.query(root)}
    assert set(got) == {str(inside.resolve()), str(outside.resolve())}
    assert got[str(outside.resolve())].seed == 2 and got[str(outside.resolve())].metrics == {"w": 1.5}


@pytest.mark.parametrize("breakage", ["root is a file", "index is garbage"])
def test_write_run_survives_an_index_that_cannot_be_written(tmp_path, monkeypatch, caplog, breakage):
    root = tmp_path / "store"
    if breakage == "root is a file":
        root.write_text("not a folder")
    else:
        root.mkdir()
        runindex.index_path(root).write_bytes(b"this is not an sqlite database" * 100)
    monkeypatch.setenv("DOPASPIKE_RUNS", str(root))
    with caplog.at_level(logging.WARNING, logger="dopaspike.store"):
        out = store.write_run(tmp_path / "run", experiment="exp", config={"seed": 0},
                              metrics={"w": 1.0, "status": "complete", "checks": {}}, data={}, figures={})
    assert json.loads((out / "metrics.json").read_text())["w"] == 1.0 and (out / "data.h5").is_file()
    assert any("not added to the run index" in r.getMessage() for r in caplog.records)


# ----------------------------------------------------------------------------- the command


def test_cli_lists_a_real_run(tmp_path, monkeypatch):
    root = tmp_path / "store"
    monkeypatch.setenv("DOPASPIKE_RUNS", str(root))
    res = runner.invoke(app, ["run", "distal-reward", "--quick", "--seed", "3", "--set", "duration_s=20",
                              "--set", "snapshot_every_s=5", "--no-progress"])
    assert res.exit_code in (0, 1), res.output
    [run] = [p for p in (root / "distal-reward").iterdir() if not p.name.startswith(".")]  # the default destination
    metrics = json.loads((run / "metrics.json").read_text())
    checks = metrics["checks"]
    n_ok = sum(c["passed"] for c in checks.values())

    res = runner.invoke(app, ["runs", "--json"])
    assert res.exit_code == 0, res.output
    [listed] = json.loads(res.stdout)
    assert listed["path"] == str(run.resolve()) and listed["seed"] == 3 and listed["status"] == metrics["status"]
    assert (listed["n_checks"], listed["n_failed"]) == (len(checks), len(checks) - n_ok)
    assert listed["passed"] == (n_ok == len(checks))
    assert listed["wall_s"] == metrics["provenance"]["wall_s"]
    def numbers(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from numbers(v, f"{prefix}{k}.")
            elif isinstance(v, (int, float)):
                yield f"{prefix}{k}", float(v)

    expected = dict(numbers({k: v for k, v in metrics.items() if k not in ("checks", "provenance")}))
    assert "target_synapse.id" in expected
    assert listed["metrics"] == expected

    monkeypatch.setattr(cli_out, "width", 160)  # a terminal wide enough for the whole table
    res = runner.invoke(app, ["runs", "--metric", "n_rewards", "--metric", "rate_hz"])
    assert res.exit_code == 0, res.output
    [row] = [line.split() for line in res.stdout.splitlines() if "distal-reward" in line]
    assert row == ["distal-reward", str(run.relative_to(root)), "3", metrics["status"], f"{n_ok}/{len(checks)}",
                   f"{metrics['provenance']['wall_s']:.1f}", "s", str(metrics["n_rewards"]), f"{metrics['rate_hz']:.4g}"]
    assert "n_rewards" in res.stdout and "rate_hz" in res.stdout
    w = metrics["target_weight_final"]
    for expr, count in ((f"target_weight_final>={w}", 1), (f"target_weight_final>{w}", 0),
                        (f"target_weight_final!={w}", 0), (f"target_weight_final<{w + 1}", 1)):
        res = runner.invoke(app, ["runs", "--where", expr, "--json"])
        assert res.exit_code == 0 and len(json.loads(res.stdout)) == count, expr
    res = runner.invoke(app, ["runs", "--passed" if n_ok < len(checks) else "--failed", "--json"])
    assert json.loads(res.stdout) == []


def test_cli_rebuilds_a_missing_or_damaged_index(tmp_path):
    root = tmp_path / "runs"
    made = {str(make_run(root / "x" / f"r{i}", minute=i).resolve()) for i in range(3)}
    assert not runindex.index_path(root).exists()
    res = runner.invoke(app, ["runs", "--root", str(root), "--json"])
    assert res.exit_code == 0, res.output
    assert {r["path"] for r in json.loads(res.stdout)} == made and runindex.index_path(root).is_file()
    assert "indexed 3 runs" in res.stderr

    runindex.remove_index(root)
    runindex.index_path(root).write_bytes(b"garbage" * 1000)
    res = runner.invoke(app, ["runs", "--root", str(root), "--json"])
    assert res.exit_code == 0, res.output
    assert {r["path"] for r in json.loads(res.stdout)} == made and "rebuilding" in res.stderr

    new = make_run(root / "x" / "late", minute=10)  # copied in by hand: only --rebuild sees it
    res = runner.invoke(app, ["runs", "--root", str(root), "--json"])
    assert str(new.resolve()) not in {r["path"] for r in json.loads(res.stdout)}
    res = runner.invoke(app, ["runs", "--root", str(root), "--json", "--rebuild"])
    assert json.loads(res.stdout)[0]["path"] == str(new.resolve())


def test_cli_notes_unknown_metric_keys(tmp_path):
    root = tmp_path / "runs"
    runindex.add_run(make_run(root / "r", metrics={"target_weight_final": 1.0}), root)
    res = runner.invoke(app, ["runs", "--root", str(root), "--where", "target_weight_fnal>0"])
    assert res.exit_code == 0
    said = " ".join(res.stderr.split())  # as printed, wrapped to the terminal
    assert "no indexed run has a metric 'target_weight_fnal' (did you mean 'target_weight_final'?)" in said


def test_cli_with_no_run_store_yet(tmp_path, monkeypatch):
    monkeypatch.setenv("DOPASPIKE_RUNS", str(tmp_path / "never"))
    res = runner.invoke(app, ["runs", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout) == [] and "no runs yet" in res.stderr
    assert not (tmp_path / "never").exists()


def test_cli_bad_input_exits_2_with_the_field(tmp_path):
    root = tmp_path / "runs"
    runindex.add_run(make_run(root / "r"), root)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    cases = [
        (["--status", "done"], "--status"),
        (["--limit", "-1"], "--limit"),
        (["--limit", "many"], "--limit"),
        (["--where", "w>>3"], "--where"),
        (["--where", "w~3"], "--where"),
        (["--where", "w>three"], "--where"),
        (["--where", ">3"], "--where"),
        (["--where", "w>nan"], "--where"),
        (["--sort", "-"], "--sort"),
        (["--root", str(a_file)], "--root"),
        (["--root", str(tmp_path / "missing")], "--root"),
    ]
    for args, field in cases:
        full = ["runs", *args] if "--root" in args else ["runs", "--root", str(root), *args]
        res = runner.invoke(app, full)
        assert res.exit_code == 2, (args, res.output)
        assert "error:" in res.output and field in res.output and "Traceback" not in res.output, (args, res.output)
    res = runner.invoke(app, ["runs", "--root", str(root), "--where", "w>>3"])
    said = " ".join(res.output.split())
    assert "--where='w>>3' is invalid: allowed KEY OP NUMBER with OP one of > >= < <= = !=" in said


def test_help_has_examples():
    res = runner.invoke(app, ["runs", "--help"])
    assert res.exit_code == 0 and "Examples" in res.output and "--where" in res.output


def test_metrics_and_config_are_strict_json_with_nan_as_null(tmp_path):
    """NaN and infinities, as numpy scalars, Python floats or inside arrays, are written as null:
    every metrics.json and config.json parses as strict JSON (no NaN literal, which most JSON
    readers other than Python's refuse)."""
    import numpy as np

    metrics = {"a": np.float64("nan"), "b": [1.0, float("inf")], "c": np.array([0.5, np.nan]), "d": np.int64(3),
               "e": {"f": np.float32(-np.inf)},
               "g": np.array(np.nan), "h": np.array([[1, 2], [3, 4]])}
    out = store.write_run(tmp_path / "run", experiment="exp", config={"seed": 1, "x": np.nan}, metrics=metrics, data={},
                          figures={})

    def strict(text):
        return json.loads(text, parse_constant=lambda name: pytest.fail(f"non-JSON constant {name}"))

    got = strict((out / "metrics.json").read_text())
    assert got == {"a": None, "b": [1.0, None], "c": [0.5, None], "d": 3, "e": {"f": None}, "g": None,
                   "h": [[1, 2], [3, 4]]}
    assert strict((out / "config.json").read_text())["x"] is None
