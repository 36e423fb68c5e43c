"""The choice experiments (bandit, reversal, probabilistic-selection): closed-loop sessions that
are deterministic, learn against a frozen control, and report their checks."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from dopaspike.config import build_config
from dopaspike.core.errors import ConfigError
from dopaspike.experiments.bandit import BanditExperimentConfig, BanditSession
from dopaspike.experiments.base import get
from dopaspike.experiments.reversal import ReversalExperimentConfig, win_stay_lose_shift

TINY = dict(n_individuals=2, n_trials=12, score_trials=5, conditions=("control", "d2_lesion"))


def _table(cfg, seed=3, chunk_ms=None, split_at_ms=None):
    session = BanditSession(cfg, seed)
    if split_at_ms is not None:  # run part, pickle, continue in the copy
        session.sim.run(split_at_ms, chunk_ms=session.chunk_ms)
        session = pickle.loads(pickle.dumps(session))
    while session.end_ms - session.sim.t_ms > 0:
        session.sim.run(min(5000.0, session.end_ms - session.sim.t_ms), chunk_ms=chunk_ms or session.chunk_ms)
    return session.trial_table()


def test_same_seed_same_choices_across_chunks_and_checkpoints():
    cfg = BanditExperimentConfig(**TINY)
    a = _table(cfg)
    b = _table(cfg, chunk_ms=37.0)
    c = _table(cfg, split_at_ms=9000.0)
    assert a["trial"].size == 2 * 2 * 12
    for other in (b, c):
        for key in ("chosen", "reward", "thal_chosen", "da_outcome_hz", "d1_w_arm0"):
            np.testing.assert_array_equal(a[key], other[key], err_msg=key)
    d = _table(cfg, seed=4)
    assert not np.array_equal(a["thal_chosen"], d["thal_chosen"])


def test_choices_follow_the_thalamus_and_rewards_reach_the_critic():
    t = _table(BanditExperimentConfig(**TINY))
    assert np.all(t["thal_chosen"] >= t["thal_other"])  # the read-out picks the most active channel
    rewarded = t["reward"] > 0
    assert rewarded.any() and (~rewarded).any()
    # the reward input makes the critic's DA neurons burst in the outcome window
    assert np.mean(t["da_outcome_hz"][rewarded]) > 2 * np.mean(t["da_outcome_hz"][~rewarded])
    # before each offer the DA neurons pacemake at their tonic rate (about 4-5 Hz), every trial
    assert np.all(t["da_baseline_hz"][t["trial"] > 0] > 1.0)
    assert 2.5 < np.mean(t["da_baseline_hz"]) < 8.0


@pytest.mark.slow
def test_bandit_learning_beats_a_frozen_control():
    """Over 4 individuals x 110 trials (two arms, 80/20), P(best arm) over the last 40 trials is
    at least 0.15 higher with corticostriatal plasticity than with it frozen (same individuals,
    same luck). The frozen cohort stays near chance by construction of the symmetric circuit."""
    exp = get("bandit")
    base = dict(n_individuals=4, n_trials=110, score_trials=40, conditions=("control",))
    learn = exp.run(BanditExperimentConfig(**base), seed=2)
    frozen = exp.run(BanditExperimentConfig(**base, ctx_msn_lr_per_ms=0.0), seed=2)
    p_learn = np.mean([r["p_best_scored"] for r in learn.metrics["conditions"]["control"]])
    p_frozen = np.mean([r["p_best_scored"] for r in frozen.metrics["conditions"]["control"]])
    assert p_learn >= p_frozen + 0.15, (p_learn, p_frozen)
    assert abs(p_frozen - 0.5) < 0.15, p_frozen


@pytest.mark.parametrize("name, overrides", [
    ("reversal", dict(n_individuals=1, n_trials=24, reversal_trial=12, score_trials=6)),
    ("probabilistic-selection", dict(n_individuals=1, block_trials=6, min_blocks=1, max_blocks=1, test_repeats=1)),
])
def test_small_runs_report_every_check(name, overrides):
    exp = get(name)
    cfg = build_config(exp.config_model, exp.default(), overrides)
    res = exp.run(cfg, seed=1)
    checks = exp.checks(res)
    assert checks and all(isinstance(c.passed, bool) for c in checks.values())
    per = res.metrics["conditions"]
    assert set(per) == set(cfg.conditions) and all(len(v) == 1 for v in per.values())
    figs = exp.figures(res)
    assert figs
    if name == "probabilistic-selection":
        r = per["control"][0]
        assert r["tested"] and 0.0 <= r["choose_a"] <= 1.0 and 0.0 <= r["avoid_b"] <= 1.0


@pytest.mark.parametrize("model, bad, field", [
    (BanditExperimentConfig, {"k": 3}, "reward_probabilities"),
    (BanditExperimentConfig, {"decision_ms": 900}, "outcome_ms"),
    (BanditExperimentConfig, {"conditions": ["placebo"]}, "conditions"),
    (BanditExperimentConfig, {"cue_lead_ms": 600}, "cue_lead_ms"),  # 600 + 800 ms outruns the critic's chain
    (ReversalExperimentConfig, {"reversal_trial": 400}, "reversal_trial"),
    (BanditExperimentConfig, {"da_depletion": 1.0}, "da_depletion"),
])
def test_bad_configs_are_refused_before_any_work(model, bad, field):
    with pytest.raises(ConfigError, match=field):
        build_config(model, model(), bad)


def test_a_trial_start_cue_leads_the_offer():
    """With ``cue_lead_ms`` the critic's cue comes that long before the options: the critic's cue
    neurons fire there, trials are spaced by it, and the DA baseline is read before the cue."""
    cfg = BanditExperimentConfig(**(TINY | dict(n_individuals=1, n_trials=10, conditions=("control",), cue_lead_ms=400)))
    session = BanditSession(cfg, 3)
    cue = session.net.population(session.loops[0].critic.pop("cue_trial"))
    from dopaspike.core.record import SpikeRecorder
    rec = SpikeRecorder(session.sim, cue.ids)
    while session.end_ms - session.sim.t_ms > 0:
        session.sim.run(min(5000.0, session.end_ms - session.sim.t_ms), chunk_ms=session.chunk_ms)
    t = session.trial_table()
    starts = t["start_ms"]
    assert starts[0] == 1400.0 and np.all(np.diff(starts) >= cfg.hold_ms + cfg.iti_min_ms + 400)
    times = rec.times_ms
    for t0 in starts:  # cue neurons fire within 50 ms after t0 - 400, and not in the 300 ms before the offer
        assert np.any((times >= t0 - 400) & (times < t0 - 350)), t0
        assert not np.any((times >= t0 - 300) & (times < t0)), t0
    assert np.all(t["da_baseline_hz"] > 1.0)


def test_win_stay_lose_shift():
    chosen = np.array(["A", "A", "B", "B", "A"])
    reward = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    # after a win (trials 0, 2): stayed, stayed -> 1; after a loss (1, 3): shifted, shifted -> 1
    assert win_stay_lose_shift(chosen, reward) == (1.0, 1.0)
    chosen = np.array(["A", "B", "B", "B"])
    reward = np.array([1.0, 0.0, 0.0, 1.0])
    assert win_stay_lose_shift(chosen, reward) == (0.0, 0.0)
