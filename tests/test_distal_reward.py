"""Izhikevich (2007) Fig. 1: the rewarded synapse grows; controls do not.

Each run is the quick protocol (20 min of model time, daspnet.m network). Expected directions
come from the paper: with contingent reward 1-3 s after n1->n2 pairings, the synapse rises to the
top of the weight distribution; with no reward, with rewards shuffled in time, or with an
eligibility trace far shorter (50 ms) than the reward delay, it does not.
"""

from __future__ import annotations

import numpy as np
import pytest

from dopaspike.experiments import distal_reward as dr

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def rewarded():
    return {s: dr.run(dr.quick_config(), seed=s) for s in SEEDS}


def _control(control: str, seed: int):
    return dr.run(dr.quick_config().model_copy(update={"control": control}), seed=seed)


def test_quick_checks_pass_for_every_seed(rewarded):
    for seed, res in rewarded.items():
        checks = dr.checks(res)
        assert set(checks) == {"target_in_top_percent", "exc_mean_not_grown"}
        failed = {k: c.value for k, c in checks.items() if not c.passed}
        assert not failed, f"seed {seed}: {failed}"
        assert res.metrics["n_rewards"] > 20


@pytest.mark.parametrize("control", ["no_reward", "shuffled", "short_eligibility"])
def test_controls_do_not_reinforce(rewarded, control):
    """Margin: every rewarded run ends at least 2.0 (half the weight range) above every control."""
    ctl = [_control(control, s) for s in SEEDS[:2]]
    for res in ctl:
        assert dr.checks(res)["target_not_reinforced"].passed, res.metrics
    worst_rewarded = min(r.metrics["target_weight_final"] for r in rewarded.values())
    best_control = max(r.metrics["target_weight_final"] for r in ctl)
    assert worst_rewarded - best_control >= 2.0, (worst_rewarded, best_control)


def test_metrics_and_data_are_complete(rewarded):
    res = rewarded[SEEDS[0]]
    for key in ("target_weight_final", "exc_weight_mean_final", "exc_weight_p99_final", "n_rewards",
                "rate_hz", "wall_s_per_model_s"):
        assert np.isfinite(res.metrics[key]), key
    assert 0.5 < res.metrics["rate_hz"] < 5.0  # daspnet fires sparsely (~1 Hz)
    d = res.data
    assert d["target/t_ms"].size == 1200 * 10 + 1  # every 100 ms, from t = 0 to the end
    assert d["weights/t_ms"].size == 120
    assert np.all(np.diff(d["rewards/t_ms"]) >= 0)
    assert d["rewards/delay_ms"].min() > 1000.0 and d["rewards/delay_ms"].max() <= 3000.0  # daspnet.m: 1-3 s
