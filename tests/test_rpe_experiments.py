"""The prediction-error experiments as a user runs them: folders, checks, figures, data, bad
input, and sameness across chunk sizes and a checkpoint. The learning itself is tested against
its controls in ``test_prediction_circuit.py``; the experiments' published outcomes are
measured at full length (see each docs page), which is too long for a unit test."""

from __future__ import annotations

import json
import pickle

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from dopaspike.cli import app
from dopaspike.config import build_config
from dopaspike.experiments import get

runner = CliRunner()

TINY = {
    "pavlovian-rpe": {"n_individuals": 1, "n_trials": 30, "probe_from_trial": 10, "cs2_from_trial": 20,
                      "omission_probability": 0.3, "unexpected_reward_probability": 0.3, "late_trials": 5, "cs2_trials": 5},
    "pavlovian-probability": {"n_individuals": 1, "n_trials": 20, "measured_trials": 10, "reward_probabilities": [0.0, 0.5, 1.0]},
    "incentive-salience": {"n_individuals": 1, "n_train": 12, "n_test": 2, "pre_switch_trials": 5},
}
CHECKS = {
    "pavlovian-rpe": {"reward_burst_before_training", "cs_burst_after_training", "predicted_reward_response_reduced",
                      "omission_pause", "unexpected_reward_still_bursts", "burst_moves_to_cs2"},
    "pavlovian-probability": {"cs_response_rises_with_p", "cs_response_graded", "us_response_falls_with_p",
                              "omission_pause_deepens_with_p"},
    "incentive-salience": {"raised_state_boosts_cue_at_once", "lowered_state_weakens_cue_at_once", "no_weight_change_at_switch"},
}
FIGURES = {"pavlovian-rpe": ("schultz", "learning_curves", "dopamine_trace"),
           "pavlovian-probability": ("probability", "psth_by_probability"), "incentive-salience": ("switch",)}


def _sets(overrides: dict) -> list[str]:
    return [a for k, v in overrides.items() for a in ("--set", f"{k}={json.dumps(v)}")]


@pytest.mark.parametrize("name", sorted(TINY))
def test_a_short_run_writes_a_complete_folder(name, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", name, "--seed", "3", *_sets(TINY[name]), "--out", str(out), "--no-progress"])
    assert res.exit_code in (0, 1), res.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["checks"]) == CHECKS[name]
    assert res.exit_code == (0 if all(c["passed"] for c in metrics["checks"].values()) else 1)
    for fig in FIGURES[name]:
        assert (out / f"{fig}.png").stat().st_size > 5000
    with h5py.File(out / "data.h5") as f:
        n = f["trials/trial"].shape[0]
        assert n > 10
        for col in ("individual", "type", "cs1_hz", "us_hz", "baseline_hz", "value_w_cs1"):
            assert f[f"trials/{col}"].shape == (n,)
        assert f["dopamine/conc"].shape[1] == f["dopamine/regions"].shape[0]


def test_pavlovian_rpe_tables_follow_the_task(tmp_path):
    exp = get("pavlovian-rpe")
    cfg = build_config(exp.config_model, None, TINY["pavlovian-rpe"])
    res = exp.run(cfg, seed=4)
    d = res.data
    types = d["trials/type"]
    assert set(types) <= {"cs_us", "omission", "unexpected_reward"}
    us = d["trials/us_on_ms"]
    assert np.all(np.isnan(us[types == "omission"])) and np.all(np.isfinite(us[types == "cs_us"]))
    cs2 = d["trials/cs2_on_ms"]
    late = (d["trials/trial"] >= cfg.cs2_from_trial) & (types != "unexpected_reward")
    np.testing.assert_allclose((d["trials/cs1_on_ms"] - cs2)[late], cfg.cs2_lead_ms)
    assert np.all(np.isnan(cs2[d["trials/trial"] < cfg.cs2_from_trial]))
    # every stage mask selects trials of its own kind
    assert np.all(types[d["stages/omission"]] == "omission")
    assert np.all(types[d["stages/early"]] == "cs_us")
    # rates are rates: non-negative and finite where the event exists
    assert np.all(d["trials/baseline_hz"] >= 0) and np.all(np.isfinite(d["trials/cs1_hz"][types != "unexpected_reward"]))


def test_incentive_state_changes_no_weight_and_gain_is_set(tmp_path):
    exp = get("incentive-salience")
    cfg = build_config(exp.config_model, None, TINY["incentive-salience"])
    session = exp.start(cfg, 2)
    session.sim.run(session.end_ms, chunk_ms=cfg.chunk_ms)
    gains = {ind.label: session.sim.input_gain(c.pop("value")) for ind, c in zip(session.individuals, session.circuits)}
    assert gains == {"unchanged": 1.0, "raised": 1.0 + 0.5 * cfg.raised_level, "lowered": 1.0 + 0.5 * cfg.lowered_level}
    res = session.results("complete")
    for rows in res.metrics["conditions"].values():
        for r in rows:
            assert np.isfinite(r["evoked_first_hz"]) and np.isfinite(r["relative_weight_change"])


def test_same_result_across_chunk_sizes_and_a_checkpoint():
    exp = get("pavlovian-rpe")
    cfg = build_config(exp.config_model, None, {**TINY["pavlovian-rpe"], "n_trials": 24, "probe_from_trial": 12,
                                                 "cs2_from_trial": 18, "late_trials": 3, "cs2_trials": 3})

    def run(chunk_ms, stop_ms=None):
        session = exp.start(build_config(exp.config_model, cfg, {"chunk_ms": chunk_ms}), 5)
        if stop_ms is not None:
            session.sim.run(stop_ms, chunk_ms=chunk_ms)
            session = pickle.loads(pickle.dumps(session))
        session.sim.run(session.end_ms - session.sim.t_ms, chunk_ms=chunk_ms)
        return session.trial_table()

    ref = run(1000.0)
    for other in (run(333.0), run(1000.0, stop_ms=40_000.0)):
        for col, values in ref.items():
            if values.dtype.kind == "f":
                np.testing.assert_array_equal(other[col], values, err_msg=col)
            else:
                assert (other[col] == values).all(), col


@pytest.mark.parametrize("name, sets, field", [
    ("pavlovian-rpe", {"cs2_from_trial": 5, "probe_from_trial": 10}, "cs2_from_trial"),
    ("pavlovian-rpe", {"n_da": 0}, "n_da"),
    ("pavlovian-rpe", {"control": "nope"}, "control"),
    ("pavlovian-probability", {"reward_probabilities": [0.5, 0.25]}, "reward_probabilities"),
    ("pavlovian-probability", {"reward_probabilities": [0, 1.5]}, "reward_probabilities"),
    ("incentive-salience", {"lowered_level": 1.0}, "lowered_level"),
    ("incentive-salience", {"pre_switch_trials": 50, "n_train": 20}, "pre_switch_trials"),
])
def test_bad_input_is_refused_before_any_work(name, sets, field, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", name, *_sets(sets), "--out", str(out), "--no-progress"])
    assert res.exit_code == 2, res.output
    assert field in res.output
    assert not out.exists()
