"""Shared protocol of the daspnet speed benchmark (Izhikevich 2007, Cereb Cortex 17:2443).

One place for the network parameters, the random connectivity and the result line that every
peer script prints, so that Brian2, NEST and dopaspike run the same network. The protocol is
daspnet.m (ModelDB 84167): 80 % RS / 20 % FS Izhikevich neurons, 100 random postsynaptic
targets per neuron drawn with replacement (inhibitory neurons target excitatory neurons only),
1 ms delay, weights +1 / -1, excitatory weights plastic in [0, 4], input 13*(U(0,1)-0.5) to
every neuron each ms, two 0.5 ms Euler half-steps of v, DA-modulated STDP with eligibility.
The reward is a fixed DA pulse of +0.5 every 2 s (``REWARD_PERIOD_MS``), the same in every peer.

Only numpy and the standard library are imported here: the module is used both by the peer
virtualenv (Brian2, NEST) and by the main environment (dopaspike).
"""
from __future__ import annotations

import argparse
import json
import resource
import sys

import numpy as np

# --- daspnet.m parameters (Izhikevich 2007), units: ms, mV, dimensionless weights -------------
EXC_FRACTION = 0.8
A_EXC, B_EXC, C_EXC, D_EXC = 0.02, 0.2, -65.0, 8.0  # regular spiking
A_INH, B_INH, C_INH, D_INH = 0.1, 0.2, -65.0, 2.0  # fast spiking
N_TARGETS = 100
DELAY_MS = 1.0
W_EXC, W_INH, W_MAX = 1.0, -1.0, 4.0
INPUT_AMPLITUDE = 13.0  # I = 13 * (U(0,1) - 0.5) each ms -> mean 0, std 13/sqrt(12)
INPUT_STD = INPUT_AMPLITUDE / np.sqrt(12.0)
V_PEAK = 30.0
STDP_TRACE = 0.1  # trace value set at a spike (A+ = 0.1)
STDP_DECAY_PER_MS = 0.95  # tau ~ 20 ms
LTD_FACTOR = 1.5  # A- = 1.5 * 0.1 = 0.15
TAU_STDP_MS = 20.0
TAU_C_MS = 1000.0  # eligibility: c *= 0.99 every 10 ms
TAU_DA_MS = 200.0  # DA *= 0.995 every ms
DA_TONIC = 0.002
DA_PULSE = 0.5
SWEEP_MS = 10.0  # daspnet applies w += (DA_TONIC + DA) * c every 10 ms
REWARD_PERIOD_MS = 2000.0
WARMUP_MODEL_S = 1.0  # first run in every peer that compiles / warms up

RESULT_PREFIX = "BENCH_RESULT "


def split_sizes(n_total: int) -> tuple[int, int]:
    """Return (n_exc, n_inh) for a network of ``n_total`` neurons (80 % / 20 %)."""
    n_exc = int(round(EXC_FRACTION * n_total))
    return n_exc, n_total - n_exc


def connectivity(n_exc: int, n_inh: int, seed: int = 0):
    """Random daspnet graph: (exc_pre, exc_post, inh_pre, inh_post), int64 arrays.

    Every excitatory neuron gets ``N_TARGETS`` targets uniform over all neurons, every
    inhibitory neuron ``N_TARGETS`` targets uniform over the excitatory ones; draws are with
    replacement, as ``ceil(N * rand(Ne, M))`` in daspnet.m.
    """
    rng = np.random.default_rng(seed)
    n = n_exc + n_inh
    exc_pre = np.repeat(np.arange(n_exc), N_TARGETS)
    exc_post = rng.integers(0, n, size=n_exc * N_TARGETS)
    inh_pre = np.repeat(np.arange(n_exc, n), N_TARGETS)
    inh_post = rng.integers(0, n_exc, size=n_inh * N_TARGETS)
    return exc_pre, exc_post, inh_pre, inh_post


def reward_times_ms(t_end_ms: float) -> np.ndarray:
    """Times of the fixed DA pulses: every ``REWARD_PERIOD_MS``, first one at that time."""
    return np.arange(REWARD_PERIOD_MS, t_end_ms + 0.5, REWARD_PERIOD_MS)


def peer_parser(description: str) -> argparse.ArgumentParser:
    """Command line shared by all peer scripts; each script may add its own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=1000, help="number of neurons")
    parser.add_argument("--model-seconds", type=float, default=10.0,
                        help="model time of the timed run (after the warm-up), s")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=None, help="scratch folder for build products")
    return parser


def self_peak_mb() -> float:
    """Peak resident memory of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def emit(result: dict) -> None:
    """Print the one machine-readable line the harness looks for."""
    result.setdefault("sim_peak_mb", self_peak_mb())
    if result.get("model_s") and result.get("wall_s") is not None:
        result["wall_per_model_s"] = result["wall_s"] / result["model_s"]
    sys.stdout.flush()
    print(RESULT_PREFIX + json.dumps(result), flush=True)
