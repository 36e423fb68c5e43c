"""Time loops specialised to a network's features give the general loop's results, bit for bit."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import dopaspike as ds
from dopaspike.core import kernel, variants
from dopaspike.core.record import SpikeRecorder, SynapseRecorder

D1 = ds.DaReceptor("d1", ec50=0.5)
D2 = ds.DaReceptor("d2", ec50=0.05, hill=1.5)


def _net(*, lif_cortex=False, poisson=False, modulation=False, mode="exact", receptor=None, soft=False, rise_ms=0.0):
    """Cortex -> striatum with a plastic projection; DA neurons driven by noise or Poisson input."""
    net = ds.Network(dt_ms=1.0)
    net.add_region(ds.DopamineRegion("str", tau_ms=150.0, baseline=0.05))
    cortex_model = ds.LIF() if lif_cortex else ds.Izhikevich.regular_spiking()
    cortex_input = {"poisson_rate_hz": 300.0, "poisson_weight_pa": 500.0} if lif_cortex else {"noise_uniform_pa": 22.0}
    cortex = net.add_population("cortex", 30, cortex_model, **cortex_input)
    excit = {"da_excitability": ds.DaExcitability("str", D1, 0.5)} if modulation else {}
    striatum = net.add_population("striatum", 20, ds.Izhikevich.regular_spiking(), noise_uniform_pa=18.0, **excit)
    da_input = {"poisson_rate_hz": 400.0, "poisson_weight_pa": 600.0} if poisson else {"noise_uniform_pa": 30.0}
    da_model = ds.LIF() if poisson else ds.Izhikevich.regular_spiking()
    da = net.add_population("da", 6, da_model, da_region="str", da_release=0.05, **da_input)
    rule = ds.DaStdp(a_plus=0.2, a_minus=0.25, tau_c_ms=300.0, lr_per_ms=0.2, w_min=0.0, w_max=3.0, mode=mode,
                     da_reference=0.05, tau_c_rise_ms=rise_ms, receptor=receptor, soft_bounds=soft)
    net.connect(cortex, striatum, ds.FixedProbability(0.3), weight=1.0, delay_ms=(1.0, 5.0), rule=rule, region="str")
    net.connect(cortex, cortex, ds.FixedProbability(0.1), weight=2.0, delay_ms=2.0)
    net.connect(da, cortex, ds.FixedOutDegree(3), weight=2.0)
    return net


#: Networks run on a copy of exactly their features (two copies, compiled here only) ...
EXACT_COPY = {
    "modulated, d1 receptor, soft bounds": {"modulation": True, "receptor": D1, "soft": True},
    "lif and poisson, d2 receptor, rising eligibility": {"lif_cortex": True, "poisson": True, "receptor": D2,
                                                         "rise_ms": 80.0},
}
#: ... and plain networks, on the copy of their tier (one copy for both).
TIERED = {
    "izhikevich, exact": {},
    "lif and poisson, sweep": {"lif_cortex": True, "poisson": True, "mode": "sweep"},
}


def _run(kwargs, monkeypatch, general: bool):
    monkeypatch.setenv("DOPASPIKE_GENERAL_KERNEL", "1" if general else "0")
    sim = _net(**kwargs).build(seed=3)
    spikes = SpikeRecorder(sim)
    watched = SynapseRecorder(sim, sim.synapse_ids("cortex->striatum")[:5], every_ms=7.0)
    for t in (150.0, 420.0, 900.0):
        sim.deliver_dopamine("str", 0.4, at_ms=t)
    sim.run(1200.0, chunk_ms=97.0)
    w, c = sim.weights()
    return spikes.times_ms, spikes.ids, w, c, sim.state.v_mv.copy(), watched.weight, watched.eligibility


def _same_as_general(kwargs, monkeypatch):
    specialised = _run(kwargs, monkeypatch, general=False)
    general = _run(kwargs, monkeypatch, general=True)
    assert specialised[0].size > 100  # the network is active
    for a, b in zip(specialised, general):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(TIERED))
def test_the_tiers_copy_gives_the_general_loops_results(name, monkeypatch):
    assert variants.tier_of(variants.features_of(_net(**TIERED[name]).build(seed=0).compiled)) != dict.fromkeys(
        variants.FEATURES, True)
    _same_as_general(TIERED[name], monkeypatch)


@pytest.mark.parametrize("name", list(EXACT_COPY))
def test_a_copy_of_exactly_the_networks_features_gives_the_general_loops_results(name, monkeypatch):
    monkeypatch.setattr(variants, "tier_of", lambda features: features)
    _same_as_general(EXACT_COPY[name], monkeypatch)


def test_tiers_hold_plain_networks_and_send_the_rest_to_the_general_loop():
    daspnet_like = dict.fromkeys(variants.FEATURES, False) | {"IZHIKEVICH": True, "EXACT": True}
    tier = variants.tier_of(daspnet_like)
    assert {name for name, on in tier.items() if on} == set(variants.TIERS[0])
    assert variants.tier_of(tier) == tier
    with_receptor = daspnet_like | {"RECEPTOR": True}
    assert variants.tier_of(with_receptor) == dict.fromkeys(variants.FEATURES, True)


def test_features_name_what_the_network_uses():
    plain = variants.features_of(_net().build(seed=0).compiled)
    assert plain == {"IZHIKEVICH": True, "LIF": False, "POISSON": False, "MODULATION": False, "EXACT": True,
                     "SWEEP": False, "RECEPTOR": False, "SOFT": False, "RISE": False}
    full = variants.features_of(_net(lif_cortex=True, poisson=True, modulation=True, receptor=D2, soft=True,
                                     rise_ms=80.0).build(seed=0).compiled)
    assert full == dict.fromkeys(variants.FEATURES, True) | {"SWEEP": False}
    assert variants.features_of(_net(mode="sweep").build(seed=0).compiled)["SWEEP"]


def test_a_network_using_every_feature_runs_the_general_loop():
    assert variants.kernel_for(dict.fromkeys(variants.FEATURES, True)) is kernel.run_chunk


def test_the_copy_differs_from_the_general_loop_only_in_its_feature_block_and_imports():
    features = dict.fromkeys(variants.FEATURES, False) | {"IZHIKEVICH": True, "EXACT": True}
    copy = variants.variant_source(features).splitlines()
    general = Path(kernel.__file__).read_text().splitlines()
    assert len(copy) == len(general)
    changed = [(g, c) for g, c in zip(general, copy) if g != c]
    assert all(g.startswith(("from .", "# <features>")) or g.endswith(" = True") for g, _ in changed)
    assert sum(c.endswith(" = False") for _, c in changed) == len(variants.FEATURES) - 2
    assert not any(line.startswith("from .") for line in copy)


def test_an_unwritable_kernel_directory_falls_back_to_the_general_loop(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("DOPASPIKE_KERNEL_DIR", str(blocked / "kernels"))
    monkeypatch.setenv("DOPASPIKE_GENERAL_KERNEL", "0")
    monkeypatch.setattr(variants, "_loaded", {})
    features = dict.fromkeys(variants.FEATURES, False) | {"LIF": True}
    assert variants.kernel_for(features) is kernel.run_chunk


def test_copies_are_written_once_and_named_by_features_and_content(tmp_path, monkeypatch):
    monkeypatch.setenv("DOPASPIKE_KERNEL_DIR", str(tmp_path))
    monkeypatch.setenv("DOPASPIKE_GENERAL_KERNEL", "0")
    monkeypatch.setattr(variants, "_loaded", {})
    features = dict.fromkeys(variants.FEATURES, False) | {"LIF": True, "POISSON": True}
    first = variants.kernel_for(features)
    (path,) = tmp_path.glob("dopaspike_kernel_011000000_*.py")
    stamp = os.stat(path).st_mtime_ns
    monkeypatch.setattr(variants, "_loaded", {})
    second = variants.kernel_for(features)  # imported again from the same file, not rewritten
    assert os.stat(path).st_mtime_ns == stamp and first is not kernel.run_chunk and second is not kernel.run_chunk
    assert not list(tmp_path.glob("*.tmp"))


def test_unknown_features_are_refused():
    with pytest.raises(ValueError, match="differs in"):
        variants.kernel_for({"IZHIKEVICH": True})
