"""NEST 3.x peer of the daspnet speed benchmark (Izhikevich 2007, Cereb Cortex 17:2443).

The daspnet.m network (ModelDB 84167) built from NEST's documented models, resolution 1 ms,
one thread:

* neurons: ``izhikevich`` with ``consistent_integration=False``, the published numerics (two
  0.5 ms half-steps of v, then u += a(bv - u)); spike input enters the half-steps as current,
  as in daspnet.m;
* excitatory synapses: ``stdp_dopamine_synapse`` (A_plus 0.1, A_minus 0.15, tau_plus = the
  neurons' tau_minus = 20 ms, tau_c 1000 ms, tau_n 200 ms, Wmin 0, Wmax 4), delay 1 ms;
  inhibitory synapses: ``static_synapse``, weight -1, delay 1 ms;
* dopamine: a ``spike_generator`` fires every 2 s, relayed by a ``parrot_neuron`` (multiplicity
  kept) into a ``volume_transmitter``; the relay adds 2 ms of delay to the pulse.

Scaling. NEST integrates dw/dt = c (n - b) per ms, daspnet adds (0.002 + DA) c every 10 ms,
so n = DA / 10: b = -0.0002 (tonic DA 0.002 as a negative baseline) and each reward spike has
multiplicity 10 (n += multiplicity / tau_n = 0.05, i.e. DA += 0.5).

``deliver_interval``: the volume transmitter hands DA to *every* plastic synapse each
deliver_interval x min_delay whether or not DA spiked; the NEST default (1, every 1 ms) thus
costs a sweep over all synapses per ms. A synapse also reads the transmitter's pending DA
spikes exactly whenever its own presynaptic neuron fires, which is the only time its weight is
used, so the interval does not change the dynamics (measured here: identical spike counts and
weights to 1e-15 for 10, 100 and 1000). This benchmark uses 1000 (weights brought up to date
every 1 s); ``--deliver-interval`` changes it (10 -> ~5x, 1 -> ~40x slower at N = 1000).

Divergences from daspnet.m that NEST's models do not let us remove:

* input: NEST has no per-ms uniform current source; a ``noise_generator`` (dt 1 ms, mean 0,
  std 13/sqrt(12) = 3.75, independent per target) gives Gaussian instead of uniform current
  with the same mean and variance, applied one step later than it is drawn. Its heavier tails
  raise the mean rate from ~1.3 to ~1.9 Hz (Brian2 given the same Gaussian input: 1.91 Hz),
  so NEST delivers ~1.5x more spikes than the other peers;
* STDP traces: NEST's are all-to-all (each spike adds 1 to the trace) while daspnet sets the
  trace to 0.1 at each spike (nearest-spike); weight changes are event-driven and exact in
  NEST instead of swept every 10 ms.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daspnet_common as dc  # noqa: E402


def build_network(nest, n_exc: int, n_inh: int, seed: int, deliver_interval: int, t_end_ms):
    """Create and connect the daspnet nodes; return (neurons, spike_recorder)."""
    common = {"V_m": -65.0, "U_m": 0.2 * -65.0, "consistent_integration": False,
              "tau_minus": dc.TAU_STDP_MS, "V_th": dc.V_PEAK}
    exc = nest.Create("izhikevich", n_exc, params=dict(
        common, a=dc.A_EXC, b=dc.B_EXC, c=dc.C_EXC, d=dc.D_EXC))
    inh = nest.Create("izhikevich", n_inh, params=dict(
        common, a=dc.A_INH, b=dc.B_INH, c=dc.C_INH, d=dc.D_INH))
    neurons = exc + inh

    noise = nest.Create("noise_generator", params={"mean": 0.0, "std": dc.INPUT_STD, "dt": 1.0})
    nest.Connect(noise, neurons)

    vt = nest.Create("volume_transmitter", params={"deliver_interval": deliver_interval})
    times = dc.reward_times_ms(t_end_ms)
    multiplicity = int(round(dc.DA_PULSE / dc.SWEEP_MS * dc.TAU_DA_MS))
    reward = nest.Create("spike_generator", params={
        "spike_times": times, "spike_multiplicities": [multiplicity] * len(times)})
    relay = nest.Create("parrot_neuron")  # devices cannot target the volume transmitter
    nest.Connect(reward, relay)
    nest.Connect(relay, vt)

    nest.CopyModel("stdp_dopamine_synapse", "daspnet_synapse", {
        "volume_transmitter": vt, "A_plus": dc.STDP_TRACE,
        "A_minus": dc.LTD_FACTOR * dc.STDP_TRACE, "tau_plus": dc.TAU_STDP_MS,
        "tau_c": dc.TAU_C_MS, "tau_n": dc.TAU_DA_MS, "b": -dc.DA_TONIC / dc.SWEEP_MS,
        "Wmin": 0.0, "Wmax": dc.W_MAX})

    first = neurons[0].global_id  # node ids of the neurons are contiguous from here
    exc_pre, exc_post, inh_pre, inh_post = dc.connectivity(n_exc, n_inh, seed)
    for pre, post, model, weight in ((exc_pre, exc_post, "daspnet_synapse", dc.W_EXC),
                                     (inh_pre, inh_post, "static_synapse", dc.W_INH)):
        nest.Connect(pre + first, post + first, "one_to_one", {
            "synapse_model": model, "weight": np.full(pre.size, weight),
            "delay": np.full(pre.size, dc.DELAY_MS)})

    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    return neurons, recorder


def main() -> None:
    parser = dc.peer_parser(__doc__.splitlines()[0])
    parser.add_argument("--deliver-interval", type=int, default=1000,
                        help="volume_transmitter deliver_interval in min_delays (1 ms each)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 1.0, "local_num_threads": args.threads,
                          "rng_seed": args.seed + 1, "print_time": False})
    n_exc, n_inh = dc.split_sizes(args.n)
    total_ms = 1000.0 * (dc.WARMUP_MODEL_S + args.model_seconds)

    t0 = time.perf_counter()
    neurons, recorder = build_network(nest, n_exc, n_inh, args.seed, args.deliver_interval,
                                      total_ms)
    result = {"peer": "nest", "n": args.n, "model_s": args.model_seconds,
              "version": nest.__version__, "build_s": time.perf_counter() - t0,
              "deliver_interval": args.deliver_interval, "threads": args.threads}
    t1 = time.perf_counter()
    nest.Simulate(1000.0 * dc.WARMUP_MODEL_S)
    result["first_run_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    nest.Simulate(1000.0 * args.model_seconds)
    result["wall_s"] = time.perf_counter() - t2
    steady = result["wall_s"] / args.model_seconds
    # NEST compiles nothing; this is the one-off preparation of the first Simulate call.
    result["compile_s"] = max(0.0, result["first_run_s"] - dc.WARMUP_MODEL_S * steady)
    result["sim_peak_mb"] = dc.self_peak_mb()  # before the read-out below
    result["rate_hz"] = recorder.n_events / args.n / (total_ms / 1000.0)
    # Reading all weights back costs GBs at N = 10k (a dict per connection), so sample the
    # synapses of the first 100 excitatory neurons.
    sample = nest.GetConnections(neurons[:min(100, n_exc)], synapse_model="daspnet_synapse")
    weights = np.asarray(sample.get("weight"), dtype=float)
    result["mean_exc_w"] = float(weights.mean())
    dc.emit(result)


if __name__ == "__main__":
    main()
