"""Izhikevich (2007) Fig. 5: the network singles out the stimulus that predicts a delayed reward.

The effect tests run ten minutes of model time (the published protocol runs an hour) for two
seeds under each condition. Expected directions from the paper: with dopamine after every S1
presentation, the synapses out of S1's neurons grow above every other group's and S1 evokes
the largest response of all 100 groups; with the same rewards attached to other presentations
(``control="shuffled"``) neither happens.
"""

from __future__ import annotations

import json
import pickle

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from dopaspike.cli import app
from dopaspike.config import build_config
from dopaspike.core.errors import ConfigError
from dopaspike.experiments import classical_conditioning as cc
from dopaspike.experiments import get
from dopaspike.experiments.runner import execute

SEEDS = (1, 2)
SHORT = {"duration_s": 600.0, "assess_window_s": 300.0}


def _cfg(**overrides) -> cc.ClassicalConditioningConfig:
    return build_config(cc.ClassicalConditioningConfig, None, overrides)


@pytest.fixture(scope="module")
def short_runs():
    return {(control, s): cc.run(_cfg(**SHORT, control=control), seed=s)
            for control in ("none", "shuffled") for s in SEEDS}


def test_rewarded_group_is_singled_out(short_runs):
    for s in SEEDS:
        res = short_runs["none", s]
        checks = cc.checks(res)
        assert set(checks) == {"rewarded_response_above_distractors", "rewarded_response_grew"}
        failed = {k: c.value for k, c in checks.items() if not c.passed}
        assert not failed, f"seed {s}: {failed}"
        assert res.metrics["s1_rank_final"] == 1
        assert res.metrics["n_rewards"] == res.metrics["n_presentations_s1"] > 20


def test_shuffled_rewards_single_nothing_out(short_runs):
    for s in SEEDS:
        res = short_runs["shuffled", s]
        checks = cc.checks(res)
        assert set(checks) == {"rewarded_not_singled_out"}
        assert checks["rewarded_not_singled_out"].passed, (s, checks["rewarded_not_singled_out"].value)
        # as many rewards as S1 presentations, none of them after S1
        trials = {k.split("/")[1]: v for k, v in res.data.items() if k.startswith("trials/")}
        assert trials["rewarded"].sum() == np.sum(trials["group"] == 0) > 20
        assert not np.any(trials["rewarded"] & (trials["group"] == 0))


def test_outgoing_weights_of_s1_grow_only_when_s1_predicts_reward(short_runs):
    """The mechanism: S1's outgoing excitatory weights end above every distractor group's under
    contingent reward, and inside the distractors' range when rewards are shuffled. Margin: every
    rewarded run ends >= 0.3 above every shuffled one (weights start at 1, at most 4)."""
    for s in SEEDS:
        w = short_runs["none", s].data["groups/out_weight_final"]
        assert w[0] > np.max(w[1:]), (s, w[0], np.max(w[1:]))
        w = short_runs["shuffled", s].data["groups/out_weight_final"]
        assert w[0] <= np.max(w[1:]), (s, w[0], np.max(w[1:]))
    worst = min(short_runs["none", s].metrics["out_weight_s1_final"] for s in SEEDS)
    best = max(short_runs["shuffled", s].metrics["out_weight_s1_final"] for s in SEEDS)
    assert worst - best >= 0.3, (worst, best)


def test_session_matches_the_task(short_runs):
    res = short_runs["none", SEEDS[0]]
    d, m = res.data, res.metrics
    n = d["trials/start_ms"].size
    for key in ("stop_ms", "group", "name", "rewarded", "reward_ms", "response", "evoked_spikes", "baseline_spikes",
                "direct_spikes"):
        assert d[f"trials/{key}"].shape == (n,), key
    gaps = np.diff(d["trials/start_ms"])
    assert gaps.min() >= 100 and gaps.max() <= 300
    assert np.all(np.isfinite(d["trials/response"]))  # every presentation of a complete run was measured
    assert m["n_presentations"] == n
    # the pulse fires nearly all of a group's ~40 excitatory neurons within the window
    members = d["groups/members"]
    assert members.shape == (100, 50) and all(np.unique(g).size == 50 for g in members)
    n_exc_members = (members < 800).sum(axis=1)[d["trials/group"]]
    assert np.mean(d["trials/direct_spikes"] >= 0.9 * n_exc_members) > 0.95
    # rewards: one per S1 presentation, 0-1000 ms later
    assert d["rewards/t_ms"].size == m["n_rewards"]
    assert np.all(d["rewards/group"] == 0)
    assert d["rewards/delay_ms"].min() >= 0 and d["rewards/delay_ms"].max() <= 1000
    assert d["curve/t_ms"].size == 10 and d["out_weights/t_ms"].size == 61
    assert d["groups/response_final"].shape == d["groups/out_weight_final"].shape == (100,)
    assert 0.5 < m["rate_exc_hz"] < 5.0


def test_chunking_and_checkpoints_do_not_change_results():
    """Stimuli are scheduled between chunks: any chunk size, and a pickled session resumed
    half-way, give the same run bit for bit."""
    cfg = _cfg(duration_s=20.0, assess_window_s=10.0, chunk_ms=500.0)
    exp = get("classical-conditioning")
    ref = exp.run(cfg, seed=3)
    other = exp.run(cfg.model_copy(update={"chunk_ms": 37.0}), seed=3)
    session = exp.start(cfg, 3)
    session.sim.run(7_300.0, chunk_ms=cfg.chunk_ms)
    resumed = execute(exp, cfg, 3, session=pickle.loads(pickle.dumps(session)))
    for res in (other, resumed):
        for key in ("trials/response", "trials/direct_spikes", "groups/out_weight_final", "rewards/t_ms"):
            np.testing.assert_array_equal(res.data[key], ref.data[key], err_msg=key)
        # the recorder's 10 ms means are summed chunk by chunk: equal up to the order of the sum
        np.testing.assert_allclose(res.data["dopamine/conc"], ref.data["dopamine/conc"], rtol=1e-12)
    assert ref.metrics["n_presentations"] > 50


def test_cli_run_writes_folder(tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", "classical-conditioning", "--seed", "1", "--set", "duration_s=40",
                                   "--set", "assess_window_s=20", "--out", str(out), "--no-progress"])
    assert res.exit_code in (0, 1), res.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["checks"] and all(set(c) == {"passed", "value", "expected"} for c in metrics["checks"].values())
    assert res.exit_code == (0 if all(c["passed"] for c in metrics["checks"].values()) else 1)
    with h5py.File(out / "data.h5") as f:
        assert f["trials"].attrs["kind"] == "trials"
        assert f["trials/response"].shape == f["trials/start_ms"].shape == (metrics["n_presentations"],)
        assert f["curve/s1"].shape == f["curve/t_ms"].shape
    for fig in ("learning_curve", "response_histogram", "outgoing_weights"):
        assert (out / f"{fig}.png").stat().st_size > 5000


@pytest.mark.parametrize("overrides, field", [
    ({"control": "no_reward"}, "control"),
    ({"duration_s": -1}, "duration_s"),
    ({"group_size": 2000}, "group_size"),
    ({"interval_min_ms": 300, "interval_max_ms": 100}, "interval_max_ms"),
    ({"response_window_ms": 80}, "response_window_ms"),
    ({"reward_delay_min_ms": 800, "reward_delay_max_ms": 500}, "reward_delay_max_ms"),
    ({"assess_window_s": 2000}, "assess_window_s"),
    ({"duration_s": 1.0005}, "duration_s"),
    ({"n_groups": 1}, "n_groups"),
    ({"stim_pa": 0}, "stim_pa"),
    ({"group_sise": 10}, "group_sise"),
])
def test_bad_input_is_refused_before_any_work(overrides, field):
    with pytest.raises(ConfigError) as err:
        build_config(cc.ClassicalConditioningConfig, cc.quick_config(), overrides)
    assert err.value.field == field, str(err.value)


def test_bad_input_on_the_command_line_exits_2(tmp_path):
    out = tmp_path / "never"
    res = CliRunner().invoke(app, ["run", "classical-conditioning", "--set", "stim_ms=200", "--out", str(out),
                                   "--no-progress"])
    assert res.exit_code == 2 and "stim_ms" in res.output and "Traceback" not in res.output
    assert not out.exists()
