"""dopaspike entry of the daspnet speed benchmark (Izhikevich 2007, Cereb Cortex 17:2443).

Runs :func:`dopaspike.models.daspnet.build_daspnet` (the daspnet.m network, ModelDB 84167)
with the main environment's Python, under the protocol the peers follow: build, a 1 s warm-up
run (the first call compiles the Numba kernel or loads it from the cache), then the timed run.
The reward is the shared fixed schedule: DA += 0.5 every 2 s. The plasticity mode is the
package default unless ``--mode exact|sweep`` is given (sweep = daspnet.m's 10 ms sweep).
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import daspnet_common as dc  # noqa: E402

try:
    import dopaspike
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
    import dopaspike


def main() -> None:
    parser = dc.peer_parser(__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["exact", "sweep"], default=None,
                        help="plasticity mode (default: the package's)")
    args = parser.parse_args()
    from dopaspike.models.daspnet import DaspnetParams, build_daspnet

    n_exc, n_inh = dc.split_sizes(args.n)
    params = DaspnetParams(n_exc=n_exc, n_inh=n_inh)
    if args.mode is not None:
        params = dataclasses.replace(params, rule=dataclasses.replace(params.rule, mode=args.mode))
    total_ms = 1000.0 * (dc.WARMUP_MODEL_S + args.model_seconds)

    t0 = time.perf_counter()
    sim = build_daspnet(params, seed=args.seed)
    build_s = time.perf_counter() - t0
    result = {"peer": "dopaspike", "n": args.n, "model_s": args.model_seconds,
              "version": getattr(dopaspike, "__version__", "?"), "build_s": build_s}
    rule = getattr(params, "rule", None)
    if rule is not None:
        result["mode"] = getattr(rule, "mode", None)

    if hasattr(sim, "deliver_dopamine"):
        region = params.region.name
        for t_ms in dc.reward_times_ms(total_ms):
            sim.deliver_dopamine(region, dc.DA_PULSE, at_ms=float(t_ms))
    else:
        result["note"] = "no deliver_dopamine: ran without reward pulses"
    spikes = []
    if hasattr(sim, "add_listener"):
        sim.add_listener(lambda chunk: spikes.append(int(chunk.pop_counts.sum())))

    t1 = time.perf_counter()
    sim.run(1000.0 * dc.WARMUP_MODEL_S)
    result["first_run_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    sim.run(1000.0 * args.model_seconds)
    result["wall_s"] = time.perf_counter() - t2
    steady = result["wall_s"] / args.model_seconds
    result["compile_s"] = max(0.0, result["first_run_s"] - dc.WARMUP_MODEL_S * steady)
    result["sim_peak_mb"] = dc.self_peak_mb()  # before the read-out below
    if hasattr(sim, "add_listener"):
        result["rate_hz"] = sum(spikes) / args.n / (total_ms / 1000.0)
    if hasattr(sim, "weights") and hasattr(sim, "synapse_ids"):
        weights, _ = sim.weights(sim.synapse_ids("exc"))
        result["mean_exc_w"] = float(weights.mean())
    dc.emit(result)


if __name__ == "__main__":
    main()
