"""Neuron models against hand-integrated values."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dopaspike as ds
from reference import izhikevich_reference


def _single(model, bias_pa):
    net = ds.Network(dt_ms=1.0)
    net.add_population("n", 1, model, bias_pa=bias_pa)
    return net.build(seed=0)


@pytest.mark.parametrize("model", [ds.Izhikevich.regular_spiking(), ds.Izhikevich.fast_spiking()])
def test_izhikevich_matches_hand_integration(model):
    sim = _single(model, bias_pa=10.0)
    trace = []
    for _ in range(300):
        sim.run(1.0)
        trace.append(sim.state.v_mv[0])
    ref, spikes = izhikevich_reference(10.0, 300, a=model.a, b=model.b, c=model.c_mv, d=model.d)
    assert len(spikes) >= 3
    np.testing.assert_allclose(trace, ref, rtol=1e-9, atol=1e-9)


def test_izhikevich_rests_without_input():
    sim = _single(ds.Izhikevich.regular_spiking(), bias_pa=0.0)
    sim.run(2000.0)
    # fixed point of v' = 0.04v^2+5v+140-bv with b=0.2: v = -70 mV
    assert sim.state.v_mv[0] == pytest.approx(-70.0, abs=1e-3)


def test_lif_subthreshold_and_interspike_interval():
    lif = ds.LIF(tau_m_ms=20.0, c_m_pf=250.0, v_rest_mv=-70.0, v_reset_mv=-70.0, v_th_mv=-50.0, t_ref_ms=2.0)
    # subthreshold: v(t) = v_rest + R I (1 - e^{-t/tau}), R = tau/C = 0.08 mV/pA
    sim = _single(lif, bias_pa=200.0)
    sim.run(30.0)
    expected = -70.0 + 0.08 * 200.0 * (1 - math.exp(-30.0 / 20.0))
    assert sim.state.v_mv[0] == pytest.approx(expected, rel=1e-12)
    # suprathreshold: ISI = t_ref + ceil(tau ln(RI / (RI - theta))) in whole steps
    sim = _single(lif, bias_pa=400.0)
    from dopaspike.core.record import SpikeRecorder

    rec = SpikeRecorder(sim)
    sim.run(1000.0)
    isi = np.diff(rec.times_ms)
    ri = 0.08 * 400.0
    steps_to_threshold = math.ceil(20.0 * math.log(ri / (ri - 20.0)))
    assert np.all(isi == steps_to_threshold + 2)


def test_poisson_input_counts_have_poisson_statistics():
    """Counter-based Poisson counts: mean and variance lambda (within 3.5 sigma), zero rate -> 0."""
    from dopaspike.core.neuron_step import poisson_input

    n, steps = 2000, 200
    for lam in (0.0, 0.05, 2.0):
        counts = np.zeros((steps, n))
        for k in range(steps):
            i_stim = np.zeros(n)
            poisson_input(i_stim, np.full(n, lam), np.ones(n), np.uint64(12345), k, n, 0)
            counts[k] = i_stim
        if lam == 0.0:
            assert counts.sum() == 0
            continue
        m = counts.size
        assert abs(counts.mean() - lam) < 3.5 * np.sqrt(lam / m)
        assert abs(counts.var() - lam) < 3.5 * lam * np.sqrt(2.0 / m) + 3.5 * np.sqrt(lam / m)
        assert np.all(counts == np.round(counts))


def test_exponential_synaptic_current_decays_with_tau_syn():
    """With tau_syn_ms > 0 the synaptic current of an arrival decays by exp(-dt/tau) per step."""
    net = ds.Network(dt_ms=1.0)
    pre = net.add_population("pre", 1, ds.LIF(tau_m_ms=10.0, c_m_pf=100.0))
    post = net.add_population("post", 1, ds.LIF(v_th_mv=1e3), tau_syn_ms=5.0)
    net.connect(pre, post, ds.OneToOne(), weight=100.0, delay_ms=1.0)
    sim = net.build(seed=0)
    sim.stimulate([0], 5000.0, at_ms=10.0)  # pre fires at step 10, arrives at step 11
    sim.run(12.0)
    trace = []
    for _ in range(6):
        trace.append(sim.state.i_syn_pa[1])
        sim.run(1.0)
    decay = math.exp(-1.0 / 5.0)
    np.testing.assert_allclose(trace, 100.0 * decay ** np.arange(1, 7), rtol=1e-12)
