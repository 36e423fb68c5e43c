"""Cohorts (dopaspike.cohort, `dopaspike cohort`): seeds and --vary draws that depend only on
(cohort seed, individual), identical tables on every backend and worker count, retries and
failures reported, interrupted and crashed cohorts resumed to the same table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dopaspike import cohort as co
from dopaspike.cli import app
from dopaspike.core.errors import ConfigError
from dopaspike.core.rng import derive_seed
from dopaspike.experiments.base import Experiment, register
from dopaspike.experiments.distal_reward import EXPERIMENT as DISTAL
from dopaspike.experiments.distal_reward import DistalRewardConfig, DistalRewardSession

runner = CliRunner()
TINY = ["duration_s=2", "n_exc=80", "n_inh=20", "n_targets=10"]  # ~10 ms of simulation per individual
VARY = ["reward_da=uniform(0.3,0.7)", "tau_c_ms=lognormal(6.9,0.2)"]


# ---------------------------------------------------------------- a test-only experiment that fails on demand


class FlakyConfig(DistalRewardConfig):
    fail_seed: int = -1  # the run seed that fails
    fail_times: int = 0  # how many of its first attempts fail
    marker_dir: str = ""  # one file per attempt (counts attempts across processes)


def _flaky_start(cfg: FlakyConfig, seed: int):
    if seed == cfg.fail_seed:
        folder = Path(cfg.marker_dir)
        n = len(list(folder.glob("attempt-*")))
        (folder / f"attempt-{n}").touch()
        if n < cfg.fail_times:
            raise RuntimeError(f"injected failure {n + 1}")
    return DistalRewardSession(cfg, seed)


FLAKY = register(Experiment(name="cohort-test-flaky", summary="test only", citation="-", config_model=FlakyConfig,
                            quick=lambda: FlakyConfig(duration_s=2, n_exc=80, n_inh=20, n_targets=10),
                            default=lambda: FlakyConfig(duration_s=2, n_exc=80, n_inh=20, n_targets=10),
                            start=_flaky_start, figures=DISTAL.figures, checks=DISTAL.checks))


@pytest.fixture(scope="module", autouse=True)
def _unregister_flaky():
    """The test-only experiment leaves the registry with this module's tests (other modules list
    the package's experiments); spawned workers register it again when they import this module."""
    yield
    from dopaspike.experiments.base import _REGISTRY

    _REGISTRY.pop(FLAKY.name, None)


def _plan(n=4, seed=5, vary=VARY):
    return co.plan_cohort("distal-reward", n, seed=seed, quick=True, overrides=TINY, vary=vary)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The cohort run in this process: the table every other backend must reproduce."""
    res = co.run_cohort(_plan(), tmp_path_factory.mktemp("ref") / "cohort", workers=1)
    assert res.ok and res.manifest["backend"] == "in-process"
    return res.path


# ---------------------------------------------------------------- seeds and --vary


def test_seeds_and_draws_depend_only_on_cohort_seed_and_individual():
    plan = _plan(n=6)
    assert [i.seed for i in plan.individuals] == [derive_seed(5, f"individual{i}") for i in range(6)]
    assert len({i.seed for i in plan.individuals}) == 6
    assert [i.values for i in _plan(n=6).individuals] == [i.values for i in plan.individuals]
    # a larger cohort, or one more --vary key, leaves the draws of the others unchanged
    assert [i.values for i in _plan(n=9).individuals[:6]] == [i.values for i in plan.individuals]
    more = _plan(n=6, vary=[*VARY, "w_max=choice(3,4,5)"])
    assert [{k: v for k, v in i.values.items() if k != "w_max"} for i in more.individuals] == [i.values for i in plan.individuals]
    assert {i.values["w_max"] for i in more.individuals} <= {3, 4, 5}
    # every individual's config holds its draws; a different cohort seed draws differently
    for ind in plan.individuals:
        assert ind.config.reward_da == ind.values["reward_da"] and 0.3 <= ind.values["reward_da"] <= 0.7
    assert [i.values for i in _plan(n=6, seed=6).individuals] != [i.values for i in plan.individuals]


def test_vary_specs_parse_strictly():
    assert co.parse_vary("a=normal(1, 0.5)").args == (1.0, 0.5)
    assert co.parse_vary("k=intuniform(2,4)").args == (2, 4)
    assert co.parse_vary("p=choice([0.8,0.2], [0.5,0.5])").args == ([0.8, 0.2], [0.5, 0.5])
    assert co.parse_vary("c=choice(none, 'short_eligibility')").args == ("none", "short_eligibility")
    for bad in ("reward_da", "reward_da=", "reward_da=normal", "reward_da=normal(1)", "reward_da=normal(1,-1)",
                "reward_da=gauss(1,1)", "reward_da=uniform(2,1)", "reward_da=uniform(a,b)", "n_exc=intuniform(1.5,3)",
                "reward_da=choice()", "reward_da=uniform(0,inf)", "1x=uniform(0,1)"):
        with pytest.raises(ConfigError):
            co.parse_vary(bad)
    # integer fields: continuous draws are rounded, intuniform includes both ends
    plan = co.plan_cohort("distal-reward", 40, quick=True, overrides=TINY,
                          vary=["n_targets=uniform(5,8)", "n_inh=intuniform(1,3)"])
    assert all(isinstance(i.values["n_targets"], int) for i in plan.individuals)
    assert {i.values["n_inh"] for i in plan.individuals} == {1, 2, 3}


def test_bad_cohorts_are_refused_before_any_work():
    with pytest.raises(ConfigError, match="did you mean 'reward_da'"):
        _plan(vary=["reward_dx=uniform(0,1)"])
    with pytest.raises(ConfigError, match=r"individual \d+: reward_da=-.* allowed >= 0"):
        _plan(n=20, vary=["reward_da=normal(0,1)"])  # some draw is negative
    with pytest.raises(ConfigError, match="one --vary per key"):
        _plan(vary=["reward_da=uniform(0,1)", "reward_da=uniform(0,2)"])
    with pytest.raises(ConfigError, match="--n"):
        co.plan_cohort("distal-reward", 0)
    with pytest.raises(ConfigError, match="n_individuals"):
        co.plan_cohort("bandit", 2, vary=["n_individuals=intuniform(1,3)"])
    with pytest.raises(ConfigError, match="--scheduler"):
        co.check_scheduler("not an address")


# ---------------------------------------------------------------- tables and backends


def test_individual_table_columns():
    cols = {"individual": np.zeros(3, int), "trial": np.arange(3), "seed": np.ones(3), "label": np.array([b"a", b"b", b"c"])}
    df = co.individual_table(cols, 7, 123, {"x": 0.5})
    assert list(df.columns) == ["individual", "seed", "x", "trial", "seed_run", "label"]
    assert df["individual"].tolist() == [7] * 3 and df["label"].tolist() == ["a", "b", "c"]
    cols["individual"] = np.array([0, 1, 1])
    assert "loop" in co.individual_table(cols, 7, 123, {}).columns


def test_same_table_on_every_backend(reference, tmp_path):
    ref = (reference / "table.csv").read_bytes()
    table = pd.read_csv(reference / "table.csv")
    assert table["individual"].tolist() == [0, 1, 2, 3] and {"seed", "reward_da", "tau_c_ms", "target_weight_final",
                                                              "check_exc_mean_not_grown"} <= set(table.columns)
    assert not any("wall" in c for c in table.columns)  # timing differs from run to run: never in a table
    for kw in ({"workers": 2}, {"workers": 2, "scheduler": "local"}):
        res = co.run_cohort(_plan(), tmp_path / "-".join(map(str, kw.values())), **kw)
        assert res.ok and (res.path / "table.csv").read_bytes() == ref, kw
        assert res.manifest["backend"] == ("dask" if "scheduler" in kw else "process-pool")
        assert res.manifest["workers"] == 2 and res.manifest["individuals_per_hour"] > 0
    manifest = json.loads((reference / "cohort.json").read_text())
    assert manifest["status"] == "complete" and manifest["n_complete"] == 4 and manifest["vary"] == VARY
    assert [r["seed"] for r in manifest["individuals"]] == [i.seed for i in _plan().individuals]
    assert sorted(p.name for p in (reference / "individuals").iterdir()) == [f"{i:04d}.{e}" for i in range(4)
                                                                              for e in ("csv", "json")]
    assert (reference / "figures" / "metrics.png").is_file()


def test_choice_experiment_table_and_learning_curve(tmp_path):
    plan = co.plan_cohort("bandit", 2, seed=1, overrides=['conditions=["control","indirect_weak"]', "n_trials=10",
                                                          "score_trials=5"])
    assert all(i.config.n_individuals == 1 for i in plan.individuals)
    res = co.run_cohort(plan, tmp_path / "bandit", workers=1)
    t = res.table
    assert res.ok and len(t) == 2 * 2 * 10  # individuals x loops (one per condition) x trials
    assert list(t.columns[:3]) == ["individual", "seed", "loop"] and {"trial", "chose_best", "condition"} <= set(t.columns)
    assert sorted(res.manifest["figures"]) == ["learning_chose_best", "learning_reward"]
    assert (res.path / "figures" / "learning_chose_best.png").is_file()


# ---------------------------------------------------------------- failures, interrupts, resume


def _flaky(tmp_path, fail_times, n=3, index=1):
    marker = tmp_path / "markers"
    marker.mkdir(exist_ok=True)
    seed = co.individual_seed(0, index)
    return co.plan_cohort("cohort-test-flaky", n, overrides=[f"fail_seed={seed}", f"fail_times={fail_times}",
                                                             f"marker_dir={marker}"])


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_individual_is_retried(tmp_path, workers):
    said = []
    res = co.run_cohort(_flaky(tmp_path, 1), tmp_path / "c", workers=workers, notify=said.append)
    assert res.ok and len(res.table) == 3
    assert len(said) == 1 and "individual 1" in said[0] and "injected failure 1" in said[0] and "retrying" in said[0]
    assert json.loads((res.path / "individuals" / "0001.json").read_text())["attempts"] == 2


def test_a_failing_individual_is_reported_never_dropped_and_resume_retries_it(tmp_path):
    res = co.run_cohort(_flaky(tmp_path, 3), tmp_path / "c", workers=1, retries=1)
    assert res.status == "complete" and not res.ok and list(res.failed) == [1] and "injected failure 2" in res.failed[1]
    assert res.table["individual"].tolist() == [0, 2]
    rec = res.manifest["individuals"][1]
    assert rec["status"] == "failed" and rec["attempts"] == 2 and "RuntimeError: injected failure 2" in rec["error"]
    assert res.manifest["n_failed"] == 1
    again = co.resume_cohort(res.path, workers=1, retries=1)  # attempt 3 fails, attempt 4 succeeds
    assert again.ok and again.table["individual"].tolist() == [0, 1, 2]
    assert again.manifest["sessions"][-1]["skipped"] == 2


def test_an_interrupted_cohort_resumes_to_the_same_table(reference, tmp_path):
    def stop(done, total):
        if done == 2:
            raise KeyboardInterrupt

    res = co.run_cohort(_plan(), tmp_path / "c", workers=1, progress=stop)
    assert res.status == "interrupted" and res.table["individual"].tolist() == [0, 1]
    assert [r["status"] for r in res.manifest["individuals"]] == ["complete", "complete", "interrupted", "interrupted"]
    first = (res.path / "individuals" / "0000.json").read_text()
    done = []
    again = co.resume_cohort(res.path, workers=2, progress=lambda d, n: done.append(d))
    assert again.ok and done[0] == 2 and done[-1] == 4
    assert (again.path / "individuals" / "0000.json").read_text() == first  # skipped, not rerun
    assert (again.path / "table.csv").read_bytes() == (reference / "table.csv").read_bytes()
    assert [s["skipped"] for s in again.manifest["sessions"]] == [0, 2]


def test_a_crashed_cohort_resumes_from_its_partial_folder(reference, tmp_path):
    def crash(done, total):
        if done == 3:
            raise OSError("disk trouble")

    dest = tmp_path / "c"
    with pytest.raises(OSError):
        co.run_cohort(_plan(), dest, workers=1, progress=crash)
    assert not dest.exists() and co.partial_path(dest).is_dir()
    with pytest.raises(ConfigError, match="unfinished cohort"):
        co.run_cohort(_plan(), dest, workers=1)
    again = co.resume_cohort(dest, workers=1)
    assert again.ok and again.manifest["sessions"][-1]["skipped"] == 3 and not co.partial_path(dest).exists()
    assert (dest / "table.csv").read_bytes() == (reference / "table.csv").read_bytes()


# ---------------------------------------------------------------- the command line


def _cli(*args):
    return runner.invoke(app, ["cohort", *args])


def test_cli_writes_the_cohort_folder(reference, tmp_path):
    out = tmp_path / "c"
    res = _cli("distal-reward", "--quick", "--n", "4", "--seed", "5", *[a for kv in TINY for a in ("--set", kv)],
               *[a for v in VARY for a in ("--vary", v)], "--workers", "1", "--out", str(out), "--no-progress")
    assert res.exit_code == 0, res.output
    assert (out / "table.csv").read_bytes() == (reference / "table.csv").read_bytes()
    manifest = json.loads((out / "cohort.json").read_text())
    assert manifest["experiment"] == "distal-reward" and manifest["n"] == 4 and manifest["status"] == "complete"
    assert "individuals complete 4/4" in res.output


def test_cli_exit_codes(tmp_path, monkeypatch):
    out = tmp_path / "c"
    common = ["--n", "3", "--workers", "1", "--no-progress", *[a for kv in TINY for a in ("--set", kv)]]
    for bad in (["--vary", "reward_da=gauss(0,1)"], ["--vary", "reward_da=normal(0,1)", "--n", "30"],
                ["--scheduler", "nowhere"], ["--set", "n_exc=-1"]):
        res = _cli("distal-reward", *common, *bad, "--out", str(out))
        assert res.exit_code == 2 and "error:" in res.output, (bad, res.output)
        assert not out.exists() and not co.partial_path(out).exists()
    assert _cli("--resume", str(out), "--n", "3").exit_code == 2
    assert _cli("--resume", str(tmp_path / "nothing")).exit_code == 2
    dry = _cli("distal-reward", *common, "--vary", VARY[0], "--dry-run", "--out", str(out))
    assert dry.exit_code == 0 and not out.exists()
    assert len(json.loads(dry.stdout)["individuals"]) == 3
    # an individual that fails for good: exit 1, reported
    marker = tmp_path / "markers"
    marker.mkdir()
    flaky = _cli("cohort-test-flaky", "--n", "2", "--workers", "1", "--no-progress", "--retries", "0", "--out", str(out),
                 "--set", f"fail_seed={co.individual_seed(0, 0)}", "--set", "fail_times=5", "--set", f"marker_dir={marker}")
    assert flaky.exit_code == 1 and "FAILED individual 0" in flaky.output and "injected failure" in flaky.output
    # Ctrl-C: exit 130, the folder marked interrupted
    real = co.run_individual

    def interrupted(job):
        return {**real(job), "status": "interrupted"} if job["index"] == 1 else real(job)

    monkeypatch.setattr(co, "run_individual", interrupted)
    res = _cli("distal-reward", *common, "--out", str(tmp_path / "i"))
    assert res.exit_code == 130 and "--resume" in res.output
    assert json.loads((tmp_path / "i" / "cohort.json").read_text())["status"] == "interrupted"
