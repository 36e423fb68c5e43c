"""Build your own network with the API and reward it from Python between compiled chunks.

The task is a small instrumental-conditioning protocol in the spirit of Izhikevich (2007,
Cereb Cortex 17:2443, Fig. 5): once per trial a stimulus group S is driven; dopamine arrives
shortly afterwards whenever response group A fired more than response group B in the 20 ms
after the stimulus. Every excitatory synapse learns by dopamine-modulated STDP and all of them
see the same dopamine, yet the S -> A synapses, whose activity earns the reward, grow faster
than the S -> B synapses, and A comes to out-fire B after the stimulus. The script prints both.

What it shows: populations with different neuron models and inputs, a dopamine region,
plastic and static projections, trials run as compiled chunks with the reward decided in
plain Python in between, recorders (spikes, rates, dopamine, weights) and a figure.

    python examples/custom_network.py               # 600 trials (10 min of model time)
    python examples/custom_network.py --quick       # 60 trials
    python examples/custom_network.py --out DIR     # where the figure goes (default: a temp dir)
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dopaspike as ds  # noqa: E402
from dopaspike.core.record import DopamineRecorder, RateRecorder, SpikeRecorder, WeightStatsRecorder  # noqa: E402

TRIAL_MS = 1000.0  # one trial = one compiled chunk
RESPONSE_MS = 20.0  # A and B are compared over this window after the stimulus
REWARD_DELAY_MS = 200.0  # dopamine arrives this long after a correct response
REWARD_DA = 0.1  # dopamine added per reward
GROUP = 50  # neurons in S, A and B


def build_network() -> ds.Network:
    """800 excitatory and 200 inhibitory Izhikevich neurons, as in daspnet.m, with one DA region."""
    net = ds.Network(dt_ms=1.0)
    # No tonic dopamine (daspnet.m has 0.002): weights change only when a reward arrives.
    net.add_region(ds.DopamineRegion("cortex", tau_ms=200.0, baseline=0.0))
    exc = net.add_population("exc", 800, ds.Izhikevich.regular_spiking(), noise_uniform_pa=13.0)
    inh = net.add_population("inh", 200, ds.Izhikevich.fast_spiking(), noise_uniform_pa=13.0)
    # Excitatory synapses are plastic (DA-STDP) and read the "cortex" region's dopamine.
    net.connect(exc, (exc, inh), ds.FixedOutDegree(100), weight=1.0, rule=ds.DaStdp(), region="cortex", name="exc")
    # Inhibitory synapses are static. A delay is a value in ms or a (low, high) range drawn in whole steps.
    net.connect(inh, exc, ds.FixedOutDegree(100), weight=-1.0, delay_ms=1.0, name="inh")
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 trials instead of 600")
    parser.add_argument("--out", type=Path, default=None, help="folder for the figure (default: a new temp dir)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="dopaspike-custom-"))
    out.mkdir(parents=True, exist_ok=True)
    n_trials = 60 if args.quick else 600

    net = build_network()
    sim = net.build(seed=1)  # same seed, same result
    S, A, B = np.arange(0, GROUP), np.arange(GROUP, 2 * GROUP), np.arange(2 * GROUP, 3 * GROUP)

    # The synapses S -> A and S -> B, found in the engine's synapse arrays.
    syn = sim.compiled.synapses
    exc_ids = sim.synapse_ids("exc")
    pre = np.searchsorted(syn.seg[:, 0], exc_ids, side="right") - 1  # presynaptic neuron of each synapse
    from_s = np.isin(pre, S)
    s_to_a = exc_ids[from_s & np.isin(syn.target[exc_ids], A)]
    s_to_b = exc_ids[from_s & np.isin(syn.target[exc_ids], B)]

    # Recorders only read: adding or removing one never changes the dynamics.
    responses = SpikeRecorder(sim, ids=np.concatenate([A, B]))
    raster = SpikeRecorder(sim, windows_ms=[(0.0, 2000.0)])
    rates = RateRecorder(sim, bin_ms=1000.0)
    dopamine = DopamineRecorder(sim, bin_ms=10.0)
    w_a = WeightStatsRecorder(sim, s_to_a, every_ms=TRIAL_MS)
    w_b = WeightStatsRecorder(sim, s_to_b, every_ms=TRIAL_MS)

    rewards = 0
    a_minus_b = []  # response of A minus response of B, per trial
    for _ in range(n_trials):
        t0 = sim.t_ms
        sim.stimulate(S, 20.0, at_ms=t0)  # drive S during the trial's first step
        sim.run(RESPONSE_MS, chunk_ms=RESPONSE_MS)  # a compiled chunk: the response window
        # Plain Python between chunks: read the response and decide the reward.
        t, ids = responses.times_ms, responses.ids
        window = t >= t0
        n_a, n_b = np.isin(ids[window], A).sum(), np.isin(ids[window], B).sum()
        a_minus_b.append(n_a - n_b)
        if n_a > n_b:
            rewards += 1
            sim.deliver_dopamine("cortex", REWARD_DA, at_ms=sim.t_ms + REWARD_DELAY_MS)  # scheduled for later
        sim.run(TRIAL_MS - RESPONSE_MS, chunk_ms=TRIAL_MS)  # the rest of the trial, one chunk

    tenth = max(1, n_trials // 10)
    print(f"{n_trials} trials, {rewards} rewarded")
    print(f"spikes of A minus spikes of B after the stimulus: {np.mean(a_minus_b[:tenth]):+.2f} in the first "
          f"{tenth} trials, {np.mean(a_minus_b[-tenth:]):+.2f} in the last {tenth}")
    print(f"mean weight S->A: {w_a.mean[0]:.3f} -> {w_a.mean[-1]:.3f}; S->B: {w_b.mean[0]:.3f} -> {w_b.mean[-1]:.3f}")

    fig, (ax_r, ax_w, ax_b, ax_d) = plt.subplots(4, 1, figsize=(6.4, 8.6), layout="constrained")
    ax_r.plot(raster.times_ms, raster.ids, ",", color="0.3")
    ax_r.set(xlabel="time (ms)", ylabel="neuron", title=f"first two trials (mean rate {rates.rates_hz.mean():.2f} Hz)")
    minutes = w_a.t_ms / 60000.0
    ax_w.plot(minutes, w_a.mean, color="C3", label="S -> A (rewarded)")
    ax_w.plot(minutes, w_b.mean, color="C0", label="S -> B")
    ax_w.set(xlabel="time (min)", ylabel="mean weight")
    ax_w.legend(frameon=False)
    smooth = np.convolve(a_minus_b, np.ones(tenth) / tenth, mode="valid")
    ax_b.plot(np.arange(smooth.size) + tenth, smooth, color="k")
    ax_b.axhline(0.0, color="0.7", lw=0.8)
    ax_b.set(xlabel="trial", ylabel=f"A - B spikes\n(mean of {tenth} trials)")
    ax_d.plot(dopamine.t_ms / 60000.0, dopamine.conc[:, 0], color="C2", lw=0.5)
    ax_d.set(xlabel="time (min)", ylabel="dopamine")
    path = out / "custom_network.png"
    fig.savefig(path)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
