"""The spiking deep network of the 2-alternative visual task (Liebana et al. 2025): it builds and
runs in closed loop, is deterministic, its read-out follows its associations, each DA
subpopulation reaches only its own regions, and a cohort learns the task."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from dopaspike.circuits.two_afc_network import SIDES, TwoAFCNetworkConfig, add_two_afc_network
from dopaspike.core.network import Network
from dopaspike.core.record import DopamineRecorder
from dopaspike.experiments.two_afc_spiking import SpikingTwoAFCSession, TwoAFCOpto
from dopaspike.tasks.two_afc import TwoAFCConfig

COLUMNS = ("individual", "condition", "session", "trial", "signed_contrast", "choice_right", "reward", "rpe", "opto",
           "w_stim_left", "w_stim_right", "w_out_left", "w_out_right", "assoc_left", "assoc_right", "da_left_hz",
           "da_right_hz")
SHORT_ITI = dict(iti_min_ms=400, iti_max_ms=500)  # shortest the timing allows: quick tests


def _session(n_trials=12, seed=3, individuals=(("uniform", (1.0, 1.0)), ("hetero", (2.0, 0.5))), cfg=None, **kw):
    cfg = cfg or TwoAFCNetworkConfig(**SHORT_ITI)
    task = TwoAFCConfig(n_sessions=2, trials_per_session=n_trials // 2)
    return SpikingTwoAFCSession(cfg, seed, list(individuals), task, **kw)


def _run(session, chunk_ms=None, split_at_ms=None):
    if split_at_ms is not None:  # run part, pickle, continue in the copy
        session.sim.run(split_at_ms, chunk_ms=session.chunk_ms)
        session = pickle.loads(pickle.dumps(session))
    while session.sim.t_ms < session.end_ms:
        session.sim.run(min(5000.0, session.end_ms - session.sim.t_ms), chunk_ms=chunk_ms or session.chunk_ms)
    return session.trial_table()


def test_builds_and_runs_a_few_trials():
    s = _session()
    s.run()
    t = s.trial_table()
    assert set(COLUMNS) <= set(t)
    assert len({v.size for v in t.values()}) == 1 and t["trial"].size == 2 * 12
    assert set(np.unique(t["individual"])) == {0, 1} and set(np.unique(t["condition"])) == {"uniform", "hetero"}
    assert set(np.unique(t["session"])) == {1, 2} and set(np.unique(t["choice_right"])) <= {0, 1}
    # the task's rule: the grating's side pays, zero contrast pays either side with p 1/2
    side = t["signed_contrast"] != 0
    np.testing.assert_array_equal(t["reward"][side] > 0, t["choice_right"][side] == (t["signed_contrast"][side] > 0))
    # the read-out picks the choice population with more spikes
    differ = t["out_left_spikes"] != t["out_right_spikes"]
    np.testing.assert_array_equal(t["choice_right"][differ], (t["out_right_spikes"] > t["out_left_spikes"])[differ])
    cfg = s.cfg
    assert np.all((t["w_stim_left"] >= 0) & (t["w_stim_left"] <= cfg.stim_hidden_w_max))
    assert np.all((t["w_out_right"] >= 0) & (t["w_out_right"] <= cfg.hidden_out_w_max))
    assert np.all(t["da_left_hz"] >= 0) and not t["opto"].any()
    assert s.wall_s > 0 and s.sim.t_ms >= s.end_ms


def test_stimulus_rate_is_proportional_to_contrast_and_da_neurons_pacemake():
    cfg = TwoAFCNetworkConfig(n_stim=500, n_da=100)
    net = Network(dt_ms=1.0)
    h = add_two_afc_network(net, cfg, seed=1)
    sim = net.build(2)
    counts = []
    sim.add_listener(lambda r: counts.append(r.pop_counts.copy()))
    h.present(sim, 0.5, 0.25, 1000.0, 3000.0)
    sim.run(3000.0)
    c = np.concatenate(counts)
    index = {p.name: i for i, p in enumerate(net.populations)}

    def rate(role, lo, hi):
        i = index[h.pop(role)]
        return c[lo:hi, i].sum() * 1000.0 / (net.populations[i].n * (hi - lo))

    for role, contrast in (("stim_left", 0.5), ("stim_right", 0.25)):
        expect = contrast * cfg.stim_rate_hz
        sd = math.sqrt(expect * 2.0 * cfg.n_stim) / (2.0 * cfg.n_stim)  # Poisson count over 2 s
        assert abs(rate(role, 1000, 3000) - expect) < 4 * sd, role
        assert rate(role, 0, 1000) == 0.0  # silent without a grating
    for role in ("da_left", "da_left_shared", "da_right", "da_right_shared"):
        assert abs(rate(role, 200, 3000) - cfg.da_tonic_hz) < 0.1 * cfg.da_tonic_hz, role


def test_same_seed_same_table_across_chunks_and_checkpoints():
    a = _run(_session())
    b = _run(_session(), chunk_ms=37.0)
    c = _run(_session(), split_at_ms=7000.0)
    for other in (b, c):
        for key in COLUMNS + ("out_left_spikes",):
            np.testing.assert_array_equal(a[key], other[key], err_msg=key)
    d = _run(_session(seed=4))
    assert not np.array_equal(a["out_left_spikes"], d["out_left_spikes"])


def test_a_strong_left_association_makes_left_choices_on_left_trials():
    """Plasticity off; in the 'strong' arm, by hand: stim_left -> the left-feedback hidden groups
    at 3.0 (initially 1.5) and those groups -> out_left at 1.5 (initially 0.5). Over 3 seeds x 2
    individuals x 40 trials, P(left | left grating) is at least 0.9 with the strong association and
    at least 0.3 below it in the control (measured: 1.0 and about 0.45); every seed agrees."""
    cfg = TwoAFCNetworkConfig(stim_hidden_lr_per_ms=0.0, hidden_out_lr_per_ms=0.0, **SHORT_ITI)
    pooled = {"strong": [0, 0], "control": [0, 0]}
    for seed in range(3):
        p = {}
        for arm in pooled:
            s = _session(n_trials=40, seed=seed, individuals=[("x", (1.0, 1.0))] * 2, cfg=cfg)
            if arm == "strong":
                for k in range(2):
                    s.set_weights(k, "stim_left", 3.0, hidden_side="left")
                    s.set_weights(k, "out_left", 1.5, hidden_side="left")
            s.run()
            t = s.trial_table()
            left = t["signed_contrast"] < 0
            n_left_choices = int((t["choice_right"][left] == 0).sum())
            pooled[arm][0] += n_left_choices
            pooled[arm][1] += int(left.sum())
            p[arm] = n_left_choices / left.sum()
        assert p["strong"] > p["control"], (seed, p)
    p_strong, p_control = (pooled[a][0] / pooled[a][1] for a in ("strong", "control"))
    assert p_strong >= 0.9 and p_strong - p_control >= 0.3, (p_strong, p_control)


def _one_trial(action, seed=4):
    """One individual shown both gratings (contrast 0.5) from 500 ms to the end of the hold,
    choosing left at the read-out; ``action(sim, handle, t0)`` adds what the case tests. Returns
    the weights 2.5 s later and the DA concentration of each region per ms."""
    cfg = TwoAFCNetworkConfig()
    net = Network(dt_ms=1.0)
    h = add_two_afc_network(net, cfg, prefix="a_", seed=seed)
    sim = net.build(7)
    rec = DopamineRecorder(sim, bin_ms=1.0)
    t0 = 500.0
    h.present(sim, 0.5, 0.5, t0, t0 + cfg.hold_ms)
    h.drive_choice(sim, "left", t0 + cfg.decision_ms, t0 + cfg.hold_ms)
    action(sim, h, t0)
    sim.run(3000.0)
    w = {k: sim.weights(h.synapse_ids(sim, k))[0] for k in ("stim_left", "stim_right", "out_left", "out_right")}
    conc = {key: rec.conc[:, net.region_index(name)] for key, name in h.regions.items()}
    return w, conc


def test_each_da_subpopulation_reaches_only_its_own_regions():
    """Both stimulus associations are eligible (both gratings on). Optogenetic stimulation of
    da_left at the choice, or a reward on a left-grating trial, raises DA in regions left and
    shared only: region right's concentration is exactly that of the control, and the
    stim_right -> hidden weights move less than 5% as much as stim_left -> hidden (what moves
    them at all is the changed hidden activity after the left burst, with region right at its
    tonic level). A reward on a zero-contrast trial drives both subpopulations: both
    associations change."""
    cfg = TwoAFCNetworkConfig()
    base_w, base_c = _one_trial(lambda sim, h, t0: None)

    def change(w):
        return {k: float(np.abs(w[k] - base_w[k]).mean()) for k in w}

    cases = {
        "opto_left": lambda sim, h, t0: h.stimulate_da(sim, "left", t0 + cfg.decision_ms),
        "reward_left_grating": lambda sim, h, t0: h.schedule_outcome(sim, -0.5, True, t0 + cfg.outcome_ms),
        "reward_zero_contrast": lambda sim, h, t0: h.schedule_outcome(sim, 0.0, True, t0 + cfg.outcome_ms),
    }
    for name, action in cases.items():
        w, c = _one_trial(action)
        d = change(w)
        for region in ("left", "shared"):
            assert (c[region] - base_c[region]).max() > 0.05, (name, region)
        assert d["stim_left"] > 0.005 and d["out_left"] > 0.005, (name, d)
        if name == "reward_zero_contrast":
            assert (c["right"] - base_c["right"]).max() > 0.05
            assert d["stim_right"] > 0.5 * d["stim_left"], d
        else:
            np.testing.assert_array_equal(c["right"], base_c["right"])
            assert d["stim_right"] < 0.05 * d["stim_left"], (name, d)


def test_outcomes_and_opto_reach_the_da_rates_of_the_table():
    s = _session(n_trials=30, individuals=[("x", (1.0, 1.0))] * 2, opto=TwoAFCOpto(side="right", stimulus="left"))
    s.run()
    t = s.trial_table()
    left, zero = t["signed_contrast"] < 0, t["signed_contrast"] == 0
    assert np.array_equal(t["opto"], left)  # p = 1 on every left-grating trial
    burst, pause = t["rpe"] > 0.2, t["rpe"] < -0.2
    tonic = s.cfg.da_tonic_hz
    # a left-grating outcome moves da_left, not da_right; a zero-contrast reward moves both
    assert np.mean(t["da_left_hz"][left & burst]) > tonic + 1.0
    assert np.mean(t["da_left_hz"][left & pause]) < tonic - 1.0
    assert abs(np.mean(t["da_right_hz"][left]) - tonic) < 1.0
    for side in SIDES:
        assert np.mean(t[f"da_{side}_hz"][zero & burst]) > tonic + 1.0, side


def test_a_cohort_learns_the_task():
    """4 individuals with uniform DA gains, 450 trials each, in one network. On trials with a
    grating, pooled accuracy in the last third exceeds the first third by at least 0.1 (one-sided
    two-proportion z-test, p < 0.01) and chance (one-sided binomial, p < 1e-6), and at least 3 of
    the 4 individuals improve. Measured with the defaults (seed 2): 0.60 -> 0.78 pooled."""
    n = 450
    s = SpikingTwoAFCSession(TwoAFCNetworkConfig(), 2, [("uniform", (1.0, 1.0))] * 4,
                             TwoAFCConfig(n_sessions=1, trials_per_session=n))
    s.run()
    t = s.trial_table()
    grating = t["signed_contrast"] != 0
    correct = t["choice_right"] == (t["signed_contrast"] > 0)
    first, last = grating & (t["trial"] < n // 3), grating & (t["trial"] >= 2 * n // 3)
    k1, n1, k3, n3 = correct[first].sum(), first.sum(), correct[last].sum(), last.sum()
    p1, p3 = k1 / n1, k3 / n3
    assert p3 - p1 >= 0.1, (p1, p3)
    pooled = (k1 + k3) / (n1 + n3)
    z = (p3 - p1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n3))
    assert z > 2.33, z  # one-sided p < 0.01
    p_chance = sum(math.comb(int(n3), i) for i in range(int(k3), int(n3) + 1)) / 2.0 ** int(n3)
    assert p_chance < 1e-6, p_chance
    improved = sum(correct[last & (t["individual"] == k)].mean() > correct[first & (t["individual"] == k)].mean()
                   for k in range(4))
    assert improved >= 3, improved


@pytest.mark.parametrize("bad", [dict(decision_ms=500, outcome_ms=500), dict(iti_min_ms=900, iti_max_ms=800),
                                 dict(decision_ms=450, opto_ms=100)])
def test_config_refuses_inconsistent_timing(bad):
    with pytest.raises(ValueError):
        TwoAFCNetworkConfig(**bad)
