"""Dopamine neurons as a population of the network: their spikes set a region's dopamine.

A population becomes dopaminergic with ``da_region=`` (the region it projects to) and
``da_release=`` (concentration added per spike). Here 30 LIF "VTA" neurons fire tonically on
Poisson input and receive cortical input; four times a cue drives them into a burst. Each
spike adds ``da_release`` to the "striatum" region, whose phasic dopamine decays with
``tau_ms`` (volume transmission: every synapse reading the region sees the same value). The
cortex -> striatum synapses learn by DA-STDP from that dopamine.

The script records the dopamine with DopamineRecorder and rebuilds the same curve from the
recorded VTA spikes alone, to show that the dopamine is exactly what the spikes released.

    python examples/dopamine_neurons.py              # 10 s of model time
    python examples/dopamine_neurons.py --quick      # 4 s
    python examples/dopamine_neurons.py --out DIR    # where the figure goes (default: a temp dir)
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dopaspike as ds  # noqa: E402
from dopaspike.core.record import DopamineRecorder, SpikeRecorder, WeightStatsRecorder  # noqa: E402

RELEASE = 0.002  # dopamine added to the region per VTA spike
TAU_DA_MS = 200.0
BASELINE = 0.002  # tonic dopamine of the region


def build_network() -> ds.Network:
    net = ds.Network(dt_ms=1.0)
    net.add_region(ds.DopamineRegion("striatum", tau_ms=TAU_DA_MS, baseline=BASELINE))
    ctx = net.add_population("ctx", 200, ds.Izhikevich.regular_spiking(), noise_uniform_pa=13.0)
    msn = net.add_population("str", 100, ds.Izhikevich.regular_spiking(), noise_uniform_pa=13.0)
    # The dopamine neurons: LIF cells with Poisson input that release into "striatum" at each spike.
    vta = net.add_population("vta", 30, ds.LIF(), poisson_rate_hz=10.0, poisson_n_sources=100, poisson_weight_pa=200.0,
                             tau_syn_ms=5.0, da_region="striatum", da_release=RELEASE)
    net.connect(ctx, ctx, ds.FixedOutDegree(20), weight=1.0)
    net.connect(ctx, vta, ds.FixedProbability(0.1), weight=50.0)  # DA neurons are part of the circuit
    # Plastic synapses read the dopamine of the region they name.
    net.connect(ctx, msn, ds.FixedOutDegree(20), weight=2.0, rule=ds.DaStdp(), region="striatum")
    return net


def dopamine_from_spikes(spike_steps: np.ndarray, n_steps: int) -> np.ndarray:
    """Concentration at the end of every step: baseline + each spike's release, decaying with tau."""
    released = np.bincount(spike_steps, minlength=n_steps)[:n_steps] * RELEASE
    decay = math.exp(-1.0 / TAU_DA_MS)  # per 1 ms step
    phasic = np.empty(n_steps)
    level = 0.0
    for k in range(n_steps):
        level = level * decay + released[k]  # decay first, then this step's release
        phasic[k] = level
    return BASELINE + phasic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 s of model time instead of 10 s")
    parser.add_argument("--out", type=Path, default=None, help="folder for the figure (default: a new temp dir)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="dopaspike-da-"))
    out.mkdir(parents=True, exist_ok=True)
    duration_ms = 4000.0 if args.quick else 10000.0

    net = build_network()
    sim = net.build(seed=3)
    vta_ids = net.population("vta").ids
    cues_ms = np.linspace(0.0, duration_ms, 6)[1:-1].round()  # four cues, evenly spaced
    for t in cues_ms:  # a cue: 400 pA into every VTA neuron for 20 steps
        for k in range(20):
            sim.stimulate(vta_ids, 400.0, at_ms=t + k)

    vta_spikes = SpikeRecorder(sim, ids=vta_ids)
    dopamine = DopamineRecorder(sim, bin_ms=1.0)  # one bin per step: the concentration at each step's end
    weights = WeightStatsRecorder(sim, sim.synapse_ids("ctx->str"), every_ms=100.0)
    sim.run(duration_ms, chunk_ms=500.0)

    n_steps = sim.step
    rebuilt = dopamine_from_spikes((vta_spikes.times_ms / sim.dt_ms).astype(np.int64), n_steps)
    recorded = dopamine.conc[:, 0]
    tonic = np.ones(n_steps, bool)
    for t in cues_ms:
        tonic[int(t):int(t) + 500] = False
    rate = vta_spikes.times_ms.size / vta_ids.size / (duration_ms / 1000.0)
    print(f"VTA: {vta_spikes.times_ms.size} spikes ({rate:.1f} Hz per neuron, bursts included)")
    print(f"dopamine: {recorded[tonic].mean():.4f} mean away from cues, {recorded.max():.4f} peak after a cue")
    print(f"rebuilt from the VTA spikes: largest difference {np.abs(rebuilt - recorded).max():.2e}")
    print(f"mean ctx->str weight: {weights.mean[0]:.3f} -> {weights.mean[-1]:.3f}")

    fig, (ax_s, ax_d, ax_w) = plt.subplots(3, 1, figsize=(6.4, 6.4), sharex=True, layout="constrained")
    ax_s.plot(vta_spikes.times_ms / 1000.0, vta_spikes.ids - vta_ids[0], "|", color="k", ms=3)
    ax_s.set(ylabel="VTA neuron", title="dopamine neurons and the dopamine they release")
    ax_d.plot(dopamine.t_ms / 1000.0, recorded, color="C2", lw=1.0, label="DopamineRecorder")
    ax_d.plot(np.arange(n_steps) / 1000.0, rebuilt, color="k", lw=0.6, ls="--", label="rebuilt from spikes")
    ax_d.set(ylabel="striatum dopamine")
    ax_d.legend(frameon=False, loc="upper left")
    ax_w.plot(weights.t_ms / 1000.0, weights.mean, color="C3")
    ax_w.set(xlabel="time (s)", ylabel="mean ctx -> str weight")
    path = out / "dopamine_neurons.png"
    fig.savefig(path)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
