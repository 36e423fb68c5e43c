"""Same seed, same result: across runs, chunk sizes and recorders; other seeds differ."""

from __future__ import annotations

import numpy as np

import dopaspike as ds
from dopaspike.core.record import DopamineRecorder, RateRecorder, SpikeRecorder, SynapseRecorder, WeightStatsRecorder
from dopaspike.models.daspnet import DaspnetParams, daspnet_network

PARAMS = DaspnetParams(n_exc=160, n_inh=40, n_targets=20)


def _run(seed=5, chunks=(100.0,), recorders=False, mode="exact"):
    net = daspnet_network(PARAMS if mode == "exact" else DaspnetParams(n_exc=160, n_inh=40, n_targets=20,
                                                                       rule=ds.DaStdp(mode="sweep")))
    sim = net.build(seed)
    spikes = SpikeRecorder(sim)
    for t in (300.0, 777.0, 1500.0):
        sim.deliver_dopamine("cortex", 0.5, at_ms=t)
    if recorders:
        RateRecorder(sim, 50.0)
        DopamineRecorder(sim, 7.0)
        SynapseRecorder(sim, [0, 5, 17], every_ms=3.0)
        WeightStatsRecorder(sim, sim.synapse_ids("exc"), every_ms=250.0, keep_weights=True)
    done = 0.0
    i = 0
    while done < 2000.0:
        step = min(chunks[i % len(chunks)], 2000.0 - done)
        sim.run(step, chunk_ms=step)
        done += step
        i += 1
    w, c = sim.weights()
    return spikes.times_ms, spikes.ids, w, c, sim.state.v_mv.copy()


def _same(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_same_seed_same_result():
    _same(_run(), _run())


def test_chunk_size_does_not_matter():
    ref = _run(chunks=(2000.0,))
    _same(ref, _run(chunks=(1.0, 7.0, 33.0, 250.0)))
    _same(ref, _run(chunks=(13.0,)))


def test_recorders_do_not_change_dynamics():
    _same(_run(recorders=False), _run(recorders=True))


def test_sweep_mode_chunk_independent():
    _same(_run(mode="sweep", chunks=(2000.0,)), _run(mode="sweep", chunks=(3.0, 11.0)))


def test_other_seed_differs():
    a, b = _run(seed=5), _run(seed=6)
    assert a[0].size != b[0].size or not np.array_equal(a[0], b[0])


def test_recorders_read_the_state_they_claim():
    sim = daspnet_network(PARAMS).build(3)
    sim.deliver_dopamine("cortex", 0.5, at_ms=200.0)
    ids = sim.synapse_ids("exc")[:7]
    syn = SynapseRecorder(sim, ids, every_ms=50.0)
    stats = WeightStatsRecorder(sim, sim.synapse_ids("exc"), every_ms=100.0, keep_weights=True)
    rates = RateRecorder(sim, 100.0)
    sim.run(1000.0, chunk_ms=30.0)
    w, c = sim.weights(ids)
    np.testing.assert_array_equal(syn.weight[-1], w)
    np.testing.assert_array_equal(syn.eligibility[-1], c)
    assert syn.t_ms[0] == 0.0 and syn.t_ms[-1] == 1000.0 and syn.weight.shape == (21, 7)
    np.testing.assert_allclose(stats.mean, stats.weights.mean(axis=1))
    np.testing.assert_array_equal(stats.weights[-1], sim.weights(sim.synapse_ids("exc"))[0])
    assert rates.rates_hz.shape == (10, 2) and np.all(rates.rates_hz > 0)


def test_bins_attached_mid_run_align_to_absolute_time():
    sim = daspnet_network(PARAMS).build(3)
    sim.run(130.0)
    rates = RateRecorder(sim, 100.0)
    da = DopamineRecorder(sim, 100.0)
    sim.run(470.0, chunk_ms=37.0)
    np.testing.assert_allclose(rates.t_ms, [250.0, 350.0, 450.0, 550.0])  # bins [200, 300) ... [500, 600)
    np.testing.assert_allclose(da.t_ms, rates.t_ms)
