"""`dopaspike compare two-afc` as a user types it: on the published mice (where their data are
present) and on small synthetic mice and cohorts written into tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dopaspike.cli import app
from psychometric_agent import agent

runner = CliRunner()
MICE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "liebana2025"
PLAN = [(0.0, 0.0, 0.0), (2.5, 0.0, 0.0), (0.5, 0.0, 8.0), (0.5, 0.0, 8.0), (0.0, 8.0, 8.0)]  # (bias, sens. left, right)


def _trials(name: str, seed: int, plan=PLAN, trials: int = 120) -> pd.DataFrame:
    return agent(name, plan, trials=trials, seed=seed)


@pytest.fixture
def mice_dir(tmp_path) -> Path:
    """Four synthetic mice in the data set's format (DAPxxx.csv)."""
    folder = tmp_path / "mice"
    folder.mkdir()
    for k in range(4):
        t = _trials(f"DAP{k:03d}", seed=k).drop(columns="individual").assign(response_time_s=0.4)
        t.to_csv(folder / f"DAP{k:03d}.csv", index=False)
    return folder


@pytest.fixture
def cohort_dir(tmp_path) -> Path:
    """A cohort folder as the cohort runner writes it: table.csv with the shared columns."""
    folder = tmp_path / "cohort"
    folder.mkdir()
    table = pd.concat([_trials(str(k), seed=10 + k, plan=PLAN[:1] + PLAN[2:]) for k in range(5)], ignore_index=True)
    table = table.assign(trial=np.arange(len(table)), reward=0, condition=np.where(table["individual"] < "3", "a", "b"))
    table.to_csv(folder / "table.csv", index=False)
    return folder


def _check_folder(out: Path, cohorts: tuple[str, ...]) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    for name in cohorts:
        for table in ("sessions", "individuals", "phases"):
            assert (out / f"{name}_{table}.csv").stat().st_size > 50
        for fig in ("trajectories", "psychometric"):
            assert (out / f"{fig}_{name}.png").stat().st_size > 5000
        assert summary[name]["n_individuals"] > 0
    assert (out / "distributions.png").stat().st_size > 5000
    assert not list(out.parent.glob(".*partial*"))
    return summary


def test_mice_alone(tmp_path, mice_dir):
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", "two-afc", "--mice", str(mice_dir), "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = _check_folder(out, ("mice",))
    assert "sim" not in summary and "comparison" not in summary
    assert summary["mice"]["n_individuals"] == 4 and summary["sources"]["mice"] == str(mice_dir)
    assert "reaching both sides" in res.output and "4/4" in res.output
    sessions = pd.read_csv(out / "mice_sessions.csv")
    assert len(sessions) == 4 * len(PLAN) and set(sessions["label"]) <= {"both", "left_only", "right_only", "other"}


def test_with_a_simulated_cohort_folder(tmp_path, mice_dir, cohort_dir):
    out = tmp_path / "cmp"
    # the table has two conditions: which one is compared must be said
    res = runner.invoke(app, ["compare", "two-afc", "--mice", str(mice_dir), "--sim", str(cohort_dir), "--out", str(out)])
    assert res.exit_code == 2 and "--condition" in res.output and "a, b" in res.output and not out.exists()
    res = runner.invoke(app, ["compare", "two-afc", "--mice", str(mice_dir), "--sim", str(cohort_dir), "--condition", "c",
                              "--out", str(out)])
    assert res.exit_code == 2 and not out.exists()
    res = runner.invoke(app, ["compare", "two-afc", "--mice", str(mice_dir), "--sim", str(cohort_dir), "--condition", "a",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = _check_folder(out, ("mice", "sim"))
    assert summary["sim"]["n_individuals"] == 3  # individuals 0, 1 and 2 are of condition a
    cmp = summary["comparison"]
    assert set(cmp) == {"longest_one_sided", "sessions_to_criterion", "one_sided_durations", "fraction_one_sided",
                        "fraction_both", "time_to_criterion", "early_late"}
    assert cmp["fraction_both"]["n_a"] == 3 and cmp["fraction_both"]["n_b"] == 4
    assert 0 <= cmp["longest_one_sided"]["mannwhitney_p"] <= 1
    assert "p (sim vs mice)" in res.output


def test_with_a_simulated_run_folder(tmp_path, mice_dir):
    run = tmp_path / "run"
    run.mkdir()
    table = pd.concat([_trials(f"ind{k}", seed=30 + k) for k in range(3)], ignore_index=True)
    with h5py.File(run / "data.h5", "w") as f:
        f["trials/individual"] = np.array([s.encode() for s in table["individual"]])
        for col in ("session", "signed_contrast", "choice_right"):
            f[f"trials/{col}"] = table[col].to_numpy()
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", "two-afc", "--mice", str(mice_dir), "--sim", str(run), "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = _check_folder(out, ("mice", "sim"))
    assert summary["sim"]["n_individuals"] == 3
    assert set(pd.read_csv(out / "sim_individuals.csv")["individual"]) == {"ind0", "ind1", "ind2"}


@pytest.mark.skipif(not MICE.is_dir(), reason=f"the mice's data are not at {MICE} (Liebana et al. 2025)")
def test_the_published_mice(tmp_path):
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", "two-afc", "--mice", str(MICE), "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = _check_folder(out, ("mice",))
    assert summary["mice"]["n_individuals"] == 19 and summary["mice"]["fraction_one_sided"] == 1.0
    assert "19/19" in res.output


def test_bad_input_exits_2_and_writes_nothing(tmp_path, mice_dir, cohort_dir):
    out = tmp_path / "never"
    cases = [
        (["compare", "two-afc", "--mice", str(tmp_path / "nowhere")], "--mice"),
        (["compare", "three-afc", "--mice", str(mice_dir)], "allowed one of two-afc"),
        (["compare", "two-afc", "--mice", str(cohort_dir)], "--mice table.csv: columns"),  # a CSV of another format
        (["compare", "two-afc", "--mice", str(mice_dir), "--sim", str(tmp_path / "nosim")], "--sim"),
        (["compare", "two-afc", "--mice", str(mice_dir), "--sim", str(mice_dir)], "--sim"),
    ]
    for args, message in cases:
        res = runner.invoke(app, [*args, "--out", str(out)])
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output and "error" in res.output and message in res.output, res.output
        assert not out.exists()
        assert not list(tmp_path.glob(".*partial*"))
    res = runner.invoke(app, ["compare", "two-afc", "--out", str(out)])  # --mice is required
    assert res.exit_code == 2 and not out.exists()
    (out / "x").mkdir(parents=True)
    res = runner.invoke(app, ["compare", "two-afc", "--mice", str(mice_dir), "--out", str(out)])
    assert res.exit_code == 2 and "not empty" in res.output
