"""The basal-ganglia loop (dopaspike.circuits.basal_ganglia): wiring of the manipulations, action
selection by disinhibition, and opposite-signed D1/D2 learning from the network's own dopamine."""

from __future__ import annotations

import numpy as np
import pytest

import dopaspike as ds
from dopaspike.circuits.basal_ganglia import BasalGangliaConfig, add_basal_ganglia
from dopaspike.circuits.prediction_error import PredictionCircuitConfig
from dopaspike.core.record import SpikeRecorder

CRITIC = PredictionCircuitConfig()


def _loop(seed=1, options=("a", "b"), **changes):
    net = ds.Network()
    bg = add_basal_ganglia(net, BasalGangliaConfig(**changes), CRITIC, options=options, seed=seed)
    return net, bg


def test_manipulations_change_what_they_name():
    net, bg = _loop()
    sim = net.build(seed=1)
    tonic = CRITIC.normal_tonic
    assert CRITIC.da_reference == pytest.approx(tonic)
    rules = sim.compiled.rules
    assert set(rules.rec_sign) == {-1.0, 0.0, 1.0}  # D2, the critic's linear rules, D1
    d1_rule = rules.rec_sign == 1.0
    assert np.allclose(rules.rec_ec50[d1_rule], 3.0 * tonic) and np.allclose(rules.rec_ec50[~d1_rule & (rules.rec_sign != 0)],
                                                                           1.0 * tonic)
    assert np.allclose(rules.da_ref[rules.rec_sign != 0], tonic)
    # D2 occupancy is shallow (Hill 0.5 by default), D1's is not; the D2 MSNs' excitability reads the same receptor
    assert np.allclose(rules.rec_hill[d1_rule], 1.0) and np.allclose(rules.rec_hill[rules.rec_sign == -1.0], 0.5)
    assert net.population(bg.pop("d2")).da_excitability.receptor.hill == 0.5
    net_h, _ = _loop(d2_hill=1.0)
    r_h = net_h.build(seed=1).compiled.rules
    assert np.allclose(r_h.rec_hill[r_h.rec_sign == -1.0], 1.0)
    w = lambda s, name: s.weights(s.synapse_ids(name))[0]  # noqa: E731
    base = {name: w(sim, name) for name in ("d1->gpi", "d2->gpe")}
    for changes, name, factor in (({"lesion": "d1"}, "d1->gpi", 0.0), ({"lesion": "d2"}, "d2->gpe", 0.0),
                                  ({"indirect_gain": 1.5}, "d2->gpe", 1.5)):
        net2, _ = _loop(**changes)
        assert np.allclose(w(net2.build(seed=1), name), factor * base[name])
    # separate Go and NoGo learning rates: only the D2 synapses' rate is scaled
    lr = {sign: rules.lr_dt[rules.rec_sign == sign] for sign in (1.0, -1.0)}
    assert np.allclose(lr[-1.0], lr[1.0]) and np.all(lr[1.0] > 0)
    r_lr = _loop(d2_lr_scale=6.0)[0].build(seed=1).compiled.rules
    assert np.allclose(r_lr.lr_dt[r_lr.rec_sign == 1.0], lr[1.0])
    assert np.allclose(r_lr.lr_dt[r_lr.rec_sign == -1.0], 6.0 * lr[-1.0])
    net2, _ = _loop(d2_antagonist=10.0)
    r2 = net2.build(seed=1).compiled.rules
    assert np.allclose(r2.rec_ec50[r2.rec_sign == -1.0], 10.0 * tonic)  # 1.0 x tonic x dose ratio 10
    net2, bg2 = _loop(da_depletion=0.75, tonic_da=2.0)
    da = net2.population(bg2.critic.pop("da"))
    assert da.da_release == pytest.approx(0.25 * CRITIC.da_release)
    assert net2.regions[net2.region_index(bg2.critic.region)].baseline == pytest.approx(2.0 * tonic)
    # the plasticity reference of every rule is the individual's own tonic level (2.25 x normal)
    r2 = net2.build(seed=1).compiled.rules
    plastic = r2.lr_dt > 0
    assert np.allclose(r2.da_ref[plastic], 2.25 * tonic)
    # ... or, for the actor's synapses, the normal tonic level (Shen et al. 2008's depleted striatum)
    net3, _ = _loop(da_depletion=0.75, tonic_da=2.0, plasticity_reference="normal_tonic")
    r3 = net3.build(seed=1).compiled.rules
    assert np.allclose(r3.da_ref[r3.rec_sign != 0], tonic) and np.allclose(r3.da_ref[(r3.rec_sign == 0) & (r3.lr_dt > 0)],
                                                                           2.25 * tonic)


def _thal_counts(sim, net, bg, rec, t0, t1):
    p = net.population(bg.pop("thal"))
    sel = (rec.ids >= p.start) & (rec.ids < p.start + p.n) & (rec.times_ms >= t0) & (rec.times_ms < t1)
    return np.bincount((rec.ids[sel] - p.start) // bg.config.n_gp, minlength=len(bg.options))


N_OFFERS = 24


@pytest.mark.parametrize("pathway, weights", [("d1", (1.2, 0.6)), ("d2", (0.2, 1.6))])
def test_stronger_go_or_weaker_nogo_input_wins_the_channel(pathway, weights):
    """With cortex -> D1 of option a stronger than of b (or cortex -> D2 weaker), a's thalamus
    fires more than b's when both are offered: selection by disinhibition through the direct and
    the indirect pathway (Gurney et al. 2001). Over 4 individuals x 24 offers (a tie counts half);
    with equal weights (the control) neither channel is favoured."""
    won, control = 0, 0
    for seed in range(4):
        for weighted in (True, False):
            net, bg = _loop(seed=seed, ctx_msn_lr_per_ms=0.0)
            sim = net.build(seed=seed)
            if weighted:
                for o, wv in zip("ab", weights):
                    ids = sim.synapse_ids(f"ctx_{o}->{pathway}")
                    sim.compiled.synapses.weight[ids] = wv
            rec = SpikeRecorder(sim, ids=net.population(bg.pop("thal")).ids)
            for j in range(N_OFFERS):
                t0 = 500.0 + 1500.0 * j
                bg.offer(sim, ("a", "b"), t0)
                bg.withdraw(sim, ("a", "b"), t0 + 300)
            sim.run(500.0 + 1500.0 * N_OFFERS)
            for j in range(N_OFFERS):
                t0 = 500.0 + 1500.0 * j
                c = _thal_counts(sim, net, bg, rec, t0, t0 + 300)
                score = float(c[0] > c[1]) + 0.5 * float(c[0] == c[1])
                if weighted:
                    won += score
                else:
                    control += score
    assert won >= 61, won  # of 96 offers; a fair coin gives >= 61 with p < 0.006
    assert 35 <= control <= 61, control  # a fair coin: outside with p < 0.006


def test_reward_teaches_go_and_its_omission_teaches_nogo():
    """Offer option a alone and reward it through the critic: the cortex -> D1 weights of a grow
    and cortex -> D2 weights of a shrink, relative to the same offers unrewarded in the same
    individuals (Frank 2005; Shen et al. 2008); b, never offered, is untouched."""
    changes = {}
    for rewarded in (True, False):
        d1, d2, d1b = [], [], []
        for seed in range(3):
            net, bg = _loop(seed=seed)
            sim = net.build(seed=seed)
            ids = {n: sim.synapse_ids(n) for n in ("ctx_a->d1", "ctx_a->d2", "ctx_b->d1")}
            w0 = {n: sim.weights(i)[0].mean() for n, i in ids.items()}
            for j in range(15):
                t0 = 500.0 + 2500.0 * j
                bg.offer(sim, ("a",), t0)
                bg.critic.schedule_cue(sim, "trial", t0)
                bg.withdraw(sim, ("a",), t0 + 900)
                if rewarded:
                    bg.critic.schedule_reward(sim, t0 + 800)
            sim.run(500.0 + 2500.0 * 15)
            w1 = {n: sim.weights(i)[0].mean() for n, i in ids.items()}
            d1.append(w1["ctx_a->d1"] - w0["ctx_a->d1"])
            d2.append(w1["ctx_a->d2"] - w0["ctx_a->d2"])
            d1b.append(w1["ctx_b->d1"] - w0["ctx_b->d1"])
        changes[rewarded] = (np.array(d1), np.array(d2), np.array(d1b))
    (d1_r, d2_r, b_r), (d1_n, d2_n, b_n) = changes[True], changes[False]
    assert np.all(d1_r > d1_n + 0.05), (d1_r, d1_n)
    assert np.all(d2_r < d2_n - 0.05), (d2_r, d2_n)
    assert np.allclose(b_r, 0.0, atol=0.02) and np.allclose(b_n, 0.0, atol=0.02)
