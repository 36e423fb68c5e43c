"""How fast dopaspike runs on this machine: the daspnet network (Izhikevich 2007, Cereb Cortex 17:2443).

The protocol is the one every simulator follows in the side-by-side benchmark
(``benchmarks/run_benchmarks.py``, which runs this module for dopaspike): build the daspnet.m
network (ModelDB 84167) of N neurons, 80 % excitatory; a 1 s warm-up run, whose first call
compiles the Numba kernel or loads it from the cache; then the timed run. Dopamine +0.5 every
2 s of model time, a fixed schedule. ``compile_s`` is the warm-up's excess over the steady rate.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .core.errors import ConfigError, check_choice, check_range
from .models.daspnet import DaspnetParams, build_daspnet

EXC_FRACTION = 0.8
WARMUP_MODEL_S = 1.0
REWARD_PERIOD_MS = 2000.0
DA_PULSE = 0.5
MODES = ("exact", "sweep")
MAX_SIZE = 10_000_000
MAX_MODEL_S = 100_000.0


def split_sizes(n_total: int) -> tuple[int, int]:
    """(n_exc, n_inh) of a network of ``n_total`` neurons, 80 % / 20 %."""
    n_exc = int(round(EXC_FRACTION * n_total))
    return n_exc, n_total - n_exc


def daspnet_params(n: int, mode: str | None = None) -> DaspnetParams:
    """The daspnet network of ``n`` neurons; ``mode`` the plasticity mode (None: the package's)."""
    n_exc, n_inh = split_sizes(n)
    params = DaspnetParams(n_exc=n_exc, n_inh=n_inh)
    if mode is not None:
        params = dataclasses.replace(params, rule=dataclasses.replace(params.rule, mode=mode))
    return params


def _fits(n: int) -> bool:
    try:
        daspnet_params(n).validate()
    except ConfigError:
        return False
    return True


MIN_SIZE = next(n for n in range(2, 10_000) if _fits(n))  # each neuron has 100 targets


def default_model_seconds(n: int) -> float:
    """Timed model time: 10 s up to 1,000 neurons, 3 s above."""
    return 10.0 if n <= 1000 else 3.0


def validate(sizes: list[int], model_seconds: list[float], mode: str | None) -> None:
    """Raise :class:`ConfigError` for a size, model time or mode the benchmark cannot run."""
    if not sizes:
        raise ConfigError("--sizes", sizes, "at least one network size")
    for n in sizes:
        check_range("--sizes", n, MIN_SIZE, MAX_SIZE)
    if len(model_seconds) != len(sizes):
        raise ConfigError("--model-seconds", model_seconds, f"one value or one per size ({len(sizes)})")
    for s in model_seconds:
        check_range("--model-seconds", s, 0.0, MAX_MODEL_S, low_open=True)
    if mode is not None:
        check_choice("--mode", mode, MODES)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0  # bytes on macOS, KiB on Linux


def bench_daspnet(n: int, model_s: float, *, mode: str | None = None, seed: int = 0) -> dict[str, Any]:
    """Build and run the daspnet network of ``n`` neurons; return the timings.

    Keys: ``n``, ``mode``, ``seed``, ``model_s`` (timed model time), ``build_s`` (network
    construction), ``first_run_s`` (wall time of the 1 s warm-up, including the compile or cache
    load), ``compile_s`` (its excess over the steady rate), ``wall_s`` (timed run),
    ``wall_per_model_s``, ``model_s_per_wall_s``, ``rate_hz`` (mean over warm-up + timed run),
    ``mean_exc_w`` (mean excitatory weight at the end), ``sim_peak_mb`` (peak memory of this
    process so far, read before the weights), ``version``.
    """
    from . import __version__

    validate([n], [model_s], mode)
    params = daspnet_params(n, mode)
    total_ms = 1000.0 * (WARMUP_MODEL_S + model_s)
    t0 = time.perf_counter()
    sim = build_daspnet(params, seed=seed)
    build_s = time.perf_counter() - t0
    for t_ms in np.arange(REWARD_PERIOD_MS, total_ms + 0.5, REWARD_PERIOD_MS):
        sim.deliver_dopamine(params.region.name, DA_PULSE, at_ms=float(t_ms))
    spikes: list[int] = []
    sim.add_listener(lambda chunk: spikes.append(int(chunk.pop_counts.sum())))
    t1 = time.perf_counter()
    sim.run(1000.0 * WARMUP_MODEL_S)
    first_run_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    sim.run(1000.0 * model_s)
    wall_s = time.perf_counter() - t2
    peak = peak_rss_mb()
    weights, _ = sim.weights(sim.synapse_ids("exc"))
    return {
        "n": n, "mode": params.rule.mode, "seed": seed, "model_s": model_s, "build_s": build_s,
        "first_run_s": first_run_s, "compile_s": max(0.0, first_run_s - WARMUP_MODEL_S * wall_s / model_s),
        "wall_s": wall_s, "wall_per_model_s": wall_s / model_s, "model_s_per_wall_s": model_s / wall_s if wall_s > 0 else None,
        "rate_hz": sum(spikes) / n / (total_ms / 1000.0), "mean_exc_w": float(weights.mean()), "sim_peak_mb": peak,
        "version": __version__,
    }


def machine() -> dict[str, Any]:
    """The machine and software the benchmark ran on."""
    import numba

    from . import __version__

    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "dopaspike": __version__}


def peer_harness() -> Path | None:
    """``benchmarks/run_benchmarks.py`` (dopaspike beside Brian2 and NEST) of the source checkout
    this package runs from (editable install) or that the current folder is in, else None (it
    is not part of an installed package)."""
    here = Path.cwd().resolve()
    for root in (Path(__file__).resolve().parents[2], here, *here.parents):
        script = root / "benchmarks" / "run_benchmarks.py"
        if script.is_file():
            return script
    return None
