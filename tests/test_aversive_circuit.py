"""The regional dopamine circuit for aversion (dopaspike.circuits.aversive_dopamine)."""

from __future__ import annotations

import numpy as np
import pytest

import dopaspike as ds
from dopaspike.analysis.responses import window_rates
from dopaspike.circuits.aversive_dopamine import AversiveCircuitConfig, add_aversive_circuit
from dopaspike.core.errors import ConfigError
from dopaspike.core.record import SpikeRecorder


def _rates(sim, net, circ, role):
    pop = net.population(circ.pop(role))
    return pop.n, SpikeRecorder(sim, ids=pop.ids)


@pytest.mark.parametrize("seed", [1, 2])
def test_shock_dips_core_and_raises_shell_and_safety_raises_core(seed):
    """Naive circuit, shocks of 2 s then safety: tonic pacemaking near 4-5 Hz in both
    subpopulations; the shock silences the core-projecting neurons (through the GABA neurons)
    and excites the shell-projecting ones (through the aversive input; de Jong et al. 2019); safety
    excites the core ones only (Oleson et al. 2012). Margins: tonic in [3, 6.5] Hz; core < 0.3 x
    tonic and shell > 3 x tonic during the first 500 ms of shock; core > 3 x tonic in the 200 ms
    after safety while shell stays within 50 % of tonic."""
    net = ds.Network()
    circ = add_aversive_circuit(net, AversiveCircuitConfig(plastic=False), prefix="a_", seed=seed)
    sim = net.build(seed=seed)
    (n_core, rc), (n_shell, rs) = _rates(sim, net, circ, "da_core"), _rates(sim, net, circ, "da_shell")
    shocks = np.arange(3000.0, 60000.0, 6000.0)
    for t in shocks:
        circ.schedule_shock(sim, t, t + 2000.0)
        circ.schedule_safety(sim, t + 2000.0)
    sim.run(61000.0)
    core, shell = np.sort(rc.times_ms), np.sort(rs.times_ms)
    for times, n in ((core, n_core), (shell, n_shell)):
        assert 3.0 <= window_rates(times, shocks, -1500.0, 0.0, n).mean() <= 6.5
    tonic_core = window_rates(core, shocks, -1500.0, 0.0, n_core).mean()
    tonic_shell = window_rates(shell, shocks, -1500.0, 0.0, n_shell).mean()
    assert window_rates(core, shocks, 0.0, 500.0, n_core).mean() < 0.3 * tonic_core
    assert window_rates(shell, shocks, 0.0, 500.0, n_shell).mean() > 3 * tonic_shell
    assert window_rates(core, shocks + 2000.0, 0.0, 200.0, n_core).mean() > 3 * tonic_core
    assert abs(window_rates(shell, shocks + 2000.0, 0.0, 200.0, n_shell).mean() - tonic_shell) < 0.5 * tonic_shell


def test_blunted_safety_response():
    """``safety_da_scale=0`` removes the core's rise at safety (the learned-helplessness
    manipulation's lever); the default gives it."""
    out = {}
    for scale in (0.0, 1.0):
        net = ds.Network()
        circ = add_aversive_circuit(net, AversiveCircuitConfig(safety_da_scale=scale, plastic=False), seed=4)
        sim = net.build(seed=4)
        n, rec = _rates(sim, net, circ, "da_core")
        at = np.arange(2000.0, 20000.0, 2000.0)
        for t in at:
            circ.schedule_safety(sim, t)
        sim.run(21000.0)
        times = np.sort(rec.times_ms)
        out[scale] = window_rates(times, at, 0.0, 200.0, n).mean() / window_rates(times, at, -1000.0, 0.0, n).mean()
    assert out[1.0] > 3.0 and out[0.0] < 1.5


@pytest.fixture(scope="module")
def paired():
    """Three conditions x two individuals in one network, 30 trials of a 5-s cue: followed at its
    end by a 2-s shock (paired), by a shock 3 s after its end (unpaired: the eligibility of the
    cue's synapses, tau 1 s, has faded), or paired with plasticity frozen."""
    base = AversiveCircuitConfig()
    conditions = [("paired", base, 0.0), ("unpaired", base, 3000.0), ("frozen", base.model_copy(update={"plastic": False}), 0.0)]
    net = ds.Network()
    circs = [(label, gap, add_aversive_circuit(net, cfg, prefix=f"{label}{k}_", seed=10 + k))
             for label, cfg, gap in conditions for k in range(2)]
    sim = net.build(seed=3)
    recs = [(_rates(sim, net, c, "da_core"), _rates(sim, net, c, "da_shell")) for _, _, c in circs]
    w0 = [sim.weights(sim.synapse_ids(f"{c.prefix}cue_CS->threat"))[0].mean() for _, _, c in circs]
    onsets = np.arange(30) * 12000.0 + 2000.0
    for _, gap, c in circs:
        for t in onsets:
            c.schedule_cue(sim, "CS", t, t + 5000.0)
            c.schedule_shock(sim, t + 5000.0 + gap, t + 7000.0 + gap)
    sim.run(30 * 12000.0 + 1000.0)
    out: dict[str, list[dict]] = {}
    for (label, _, c), ((n_core, rc), (n_shell, rs)), w_start in zip(circs, recs, w0):
        row = {"w_start": w_start, "w_end": sim.weights(sim.synapse_ids(f"{c.prefix}cue_CS->threat"))[0].mean()}
        for region, times, n in (("core", np.sort(rc.times_ms), n_core), ("shell", np.sort(rs.times_ms), n_shell)):
            cue = window_rates(times, onsets, 0.0, 500.0, n)
            row[f"{region}_first"], row[f"{region}_last"] = cue[:3].mean(), cue[-5:].mean()
            row[f"{region}_base"] = window_rates(times, onsets, -1000.0, 0.0, n)[-5:].mean()
        out.setdefault(label, []).append(row)
    return out


def test_pairing_makes_the_cue_raise_shell_and_dip_core(paired):
    """After cue-shock pairing the two regions answer the warning cue in opposite directions, as
    Lopez et al. (2025) and de Jong et al. (2019) found: shell up, core down. Margins against the
    unpaired control (same cues and shocks, not contiguous): shell cue response >= 3 Hz above
    every unpaired individual's and >= 1.5 x its own first trials; core cue response >= 1.5 Hz
    below every unpaired individual's and below its own baseline."""
    unpaired_shell = max(r["shell_last"] for r in paired["unpaired"])
    unpaired_core = min(r["core_last"] for r in paired["unpaired"])
    for r in paired["paired"]:
        assert r["shell_last"] >= unpaired_shell + 3.0 and r["shell_last"] >= 1.5 * r["shell_first"]
        assert r["core_last"] <= unpaired_core - 1.5 and r["core_last"] < r["core_base"]


@pytest.mark.parametrize("control", ["unpaired", "frozen"])
def test_no_cue_learning_without_contiguity_or_plasticity(paired, control):
    for r in paired[control]:
        assert r["w_end"] <= 1.5 * r["w_start"]
        assert abs(r["shell_last"] - r["shell_first"]) < 2.0
    assert min(r["w_end"] for r in paired["paired"]) > 5 * max(r["w_start"] for r in paired["paired"])


@pytest.mark.parametrize("field, value", [("n_da_core", 0), ("gaba_core_weight_pa", 1.0), ("safety_da_scale", -1.0),
                                          ("threat_w_max", 0.0), ("cue_threat_p", 0.0), ("bogus", 1)])
def test_config_refuses_bad_values_naming_the_field(field, value):
    with pytest.raises((ConfigError, ValueError), match=field):
        AversiveCircuitConfig(**{field: value})


def test_relief_chain_marks_the_moments_after_shock_onset():
    """The shock-onset pulse starts the chain: group j fires one volley about
    relief_chain_start_ms + j * relief_chain_step_ms after onset (plus a few ms of synaptic
    latency per link): the network's own clock."""
    cfg = AversiveCircuitConfig(plastic=False)
    net = ds.Network()
    circ = add_aversive_circuit(net, cfg, prefix="a_", seed=1)
    sim = net.build(seed=1)
    pop = net.population(circ.pop("relief_chain"))
    rec = SpikeRecorder(sim, ids=pop.ids)
    circ.schedule_shock(sim, 1000.0, 3000.0)
    sim.run(5000.0)
    group = (rec.ids - pop.ids[0]) // cfg.relief_chain_group_size
    for j in (0, 5, 10, 19, 29):
        t = rec.times_ms[group == j] - 1000.0
        expected = cfg.relief_chain_start_ms + j * cfg.relief_chain_step_ms
        assert t.size >= cfg.relief_chain_group_size  # the whole group fires
        assert np.all((t >= expected) & (t < expected + 10.0 + 2.0 * j))


def _relief_run(plastic: bool, seed: int, n_shocks: int = 40):
    """Fixed 2 s shocks, each ending with relief (the safety input): the core's rate in the
    500 ms after each shock end minus the second before the shock, and the final chain ->
    relief striosome weights per chain group."""
    cfg = AversiveCircuitConfig(plastic=plastic)
    net = ds.Network()
    circ = add_aversive_circuit(net, cfg, prefix="a_", seed=seed)
    sim = net.build(seed=seed)
    n, rec = _rates(sim, net, circ, "da_core")
    onsets = np.arange(2000.0, 2000.0 + 6000.0 * n_shocks, 6000.0)
    for t in onsets:
        circ.schedule_shock(sim, t, t + 2000.0)
        circ.schedule_safety(sim, t + 2000.0)
    sim.run(onsets[-1] + 4000.0)
    times = np.sort(rec.times_ms)
    response = window_rates(times, onsets + 2000.0, 0.0, 500.0, n) - window_rates(times, onsets, -1000.0, 0.0, n)
    w = sim.weights(sim.synapse_ids("a_relief_chain->relief_strio"))[0]  # presynaptic-major, all-to-all
    return response, w.reshape(cfg.relief_chain_groups, -1).mean(axis=1)


@pytest.mark.parametrize("seed", [1, 2])
def test_relief_at_a_predictable_shock_end_is_predicted_away(seed):
    """Shocks of one fixed length, each ending in relief: the striosomal relief path learns the
    moment of the end (the chain groups active then gain the most weight), and the core's relief
    response over the last 20 of 40 shocks is smaller than with plasticity off (as a timed
    reward's burst is predicted away, Brown, Bullock & Grossberg 1999). Margin: at least 10 %
    smaller; the strongest group within 3 groups of the shock's end."""
    learned, w = _relief_run(True, seed)
    frozen, _ = _relief_run(False, seed)
    cfg = AversiveCircuitConfig()
    end_group = (2000.0 - cfg.relief_chain_start_ms) / cfg.relief_chain_step_ms
    assert abs(int(np.argmax(w)) - end_group) <= 3
    assert learned[-20:].mean() < 0.9 * frozen[-20:].mean()
