"""The flat arrays the engine runs on, grouped by what they describe.

Every neuron of every population lives in one set of arrays (index = global neuron id); every
synapse lives in presynaptic-major arrays (CSR rows, each row sorted by delay, so that a spike
touches its own row only, one delay segment per step). Plasticity rules and dopamine regions are
small tables. The layout is plain NumPy, backend-neutral: a JAX or GPU engine can run the same
arrays.

Units: ms, mV, pA, Hz; time is counted in integer steps of ``dt_ms``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: Neuron model codes in :attr:`NeuronArrays.model`.
MODEL_IZHIKEVICH = 0
MODEL_LIF = 1

#: Plasticity modes in :attr:`RuleTable.mode`.
MODE_EXACT = 1  # event-driven, closed-form integration between events
MODE_SWEEP = 2  # daspnet.m legacy: weights swept every ``sweep_steps``

#: Columns of :attr:`RuleTable.pow_tab`: powers of the per-step decay factors (one row per power,
#: so the factors of one interval share a cache line). numpy int64 rather than Python ints: Numba
#: types a Python int constant as a literal and would compile the kernel's helpers once per column.
POW_C, POW_Q, POW_D, POW_PLUS, POW_MINUS, POW_R, POW_QR = (np.int64(col) for col in range(7))

#: Length of the power tables; longer intervals fall back to ``exp``.
POW_TABLE_LEN = 4096

#: Step stored for "never spiked": far enough back that every trace has decayed to 0.
NEVER = -(1 << 40)

#: Postsynaptic spikes kept per neuron before its incoming synapses are brought up to date.
POST_HISTORY = 16

#: Most recent emissions kept per neuron (at most; fewer when delays are short).
MAX_EMISSION_SLOTS = 64


class NeuronArrays(NamedTuple):
    """Per-neuron parameters (read-only in the loop)."""

    model: np.ndarray  # int8, MODEL_*
    a: np.ndarray  # Izhikevich a (1/ms), dimensionless b, c (mV), d (pA)
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    lif_decay: np.ndarray  # exp(-dt/tau_m)
    lif_gain_mv_per_pa: np.ndarray  # tau_m / C_m
    v_rest_mv: np.ndarray
    v_reset_mv: np.ndarray
    v_th_mv: np.ndarray
    ref_steps: np.ndarray  # int64
    syn_decay: np.ndarray  # per-step decay of synaptic current; 0 = delta pulses
    noise_amp_pa: np.ndarray  # uniform noise: amp * (U(0,1) - 0.5) each step
    bias_pa: np.ndarray
    syn_gain: np.ndarray  # multiplies the synaptic current (neuromodulatory input gain; 1 = none)
    poisson_lambda: np.ndarray  # expected external Poisson events per step
    poisson_w_pa: np.ndarray
    da_region: np.ndarray  # int64, region a spike releases dopamine into, -1 none
    da_release: np.ndarray  # concentration added per spike
    pop_index: np.ndarray  # int64
    record_mask: np.ndarray  # bool, spikes recorded
    pop_start: np.ndarray  # (n_pops+1,) int64: populations are contiguous id ranges
    pop_model: np.ndarray  # (n_pops,) int64 MODEL_*
    pop_noise: np.ndarray  # (n_pops,) bool: any uniform noise
    pop_poisson: np.ndarray  # (n_pops,) bool: any Poisson input
    pop_mod_region: np.ndarray  # (n_pops,) int64: region whose DA scales the synaptic input, -1 none
    pop_mod_gain: np.ndarray  # (n_pops,) signed gain: factor = 1 + gain * occupancy
    pop_mod_ec50: np.ndarray  # (n_pops,) receptor's half-occupancy concentration
    pop_mod_hill: np.ndarray  # (n_pops,) its Hill coefficient


class NeuronState(NamedTuple):
    """Per-neuron state the loop mutates."""

    v_mv: np.ndarray
    u: np.ndarray
    i_syn_pa: np.ndarray
    i_stim_pa: np.ndarray  # scheduled stimulus current for the current step
    ref_until: np.ndarray  # int64
    last_spike: np.ndarray  # int64
    post_trace: np.ndarray  # (n_minus_kinds, N): STDP post trace right after the last spike, per tau_minus
    ring_count: np.ndarray  # (n_delay_slots,) spikes per recent step
    ring_idx: np.ndarray  # (n_delay_slots, N) which neurons spiked
    em_head: np.ndarray  # (N,) ring position of each neuron's newest emission
    em_step: np.ndarray  # (N, EMISSION_SLOTS) steps of recent emissions (NEVER when empty)
    em_x: np.ndarray  # (n_plus_kinds, N, EMISSION_SLOTS) presynaptic trace right after each emission, per tau_plus
    hist_len: np.ndarray  # (N,) postsynaptic spikes kept since the neuron's last consolidation
    hist_step: np.ndarray  # (N, POST_HISTORY) their steps


class SynapseArrays(NamedTuple):
    """Presynaptic-major synapses; row of neuron i with delay d is ``seg[i, d]:seg[i, d+1]``."""

    target: np.ndarray  # int32
    weight: np.ndarray  # float64 (pA per spike)
    rule: np.ndarray  # int16 row of the rule table, -1 for static
    seg: np.ndarray  # (N, max_delay + 2) int64
    elig: np.ndarray  # eligibility trace c (its slow part when the rule has a rise time)
    elig_rise: np.ndarray  # the fast part subtracted from it (rules with tau_c_rise_ms > 0; else 0)
    t_upd: np.ndarray  # int64: (elig, weight) hold through phase 1 of this step; post spikes before it are applied
    in_ptr: np.ndarray  # (N+1,) incoming plastic synapses of each neuron
    in_syn: np.ndarray  # int64 synapse ids
    in_pre: np.ndarray  # int64 their presynaptic neuron
    in_delay: np.ndarray  # int64 their delay in steps


class RuleTable(NamedTuple):
    """One row per plasticity rule in use (a rule bound to a dopamine region)."""

    mode: np.ndarray  # int64 MODE_*
    region: np.ndarray  # int64
    a_plus: np.ndarray
    a_minus: np.ndarray
    a_pre: np.ndarray  # presynaptic-only eligibility increment per arrival
    w_min: np.ndarray
    w_max: np.ndarray
    lr_dt: np.ndarray  # learning rate times dt
    da_ref: np.ndarray  # dopamine concentration at which weights do not change
    rec_sign: np.ndarray  # 0: DA read linearly; +1 (D1) / -1 (D2): read through a receptor's occupancy
    rec_ec50: np.ndarray  # the receptor's half-occupancy concentration
    rec_hill: np.ndarray  # its Hill coefficient
    rec_occ_ref: np.ndarray  # its occupancy at da_ref
    sweep_steps: np.ndarray  # int64
    g_q: np.ndarray  # q / (1 - q), q = alpha_c * alpha_d
    g_c: np.ndarray  # alpha_c / (1 - alpha_c)
    has_rise: np.ndarray  # bool: the eligibility has a rise time (a fast part, decaying with alpha_r)
    soft: np.ndarray  # bool: multiplicative (soft) weight bounds
    g_qr: np.ndarray  # qr / (1 - qr), qr = alpha_r * alpha_d
    g_r: np.ndarray  # alpha_r / (1 - alpha_r)
    log_alpha: np.ndarray  # (n_rules, 7) natural logs of the decay factors, POW_* order
    pow_tab: np.ndarray  # (n_rules, POW_TABLE_LEN, 7)
    plus_kind: np.ndarray  # (n_rules,) int64: row of the rule's presynaptic trace (rules sharing tau_plus share it)
    minus_kind: np.ndarray  # (n_rules,) int64: row of the rule's postsynaptic trace (shared by tau_minus)
    plus_rep: np.ndarray  # (n_plus_kinds,) int64: a rule of each presynaptic trace kind (its decay factors)
    minus_rep: np.ndarray  # (n_minus_kinds,) int64: a rule of each postsynaptic trace kind
    sweep_ptr: np.ndarray  # (n_rules+1,) each rule's runs in ``sweep_runs``, for the sweep mode
    sweep_runs: np.ndarray  # (n_runs, 2) [start, stop) of consecutive synapse ids of one rule


class RegionState(NamedTuple):
    """Dopamine regions: concentration = baseline + phasic part; log of every jump."""

    decay: np.ndarray  # per-step decay factor of the phasic part
    baseline: np.ndarray
    phasic: np.ndarray  # state
    log_step: np.ndarray  # (n_regions, capacity) int64
    log_val: np.ndarray  # (n_regions, capacity) phasic value right after the jump
    log_len: np.ndarray  # (n_regions,) int64


class ChunkEvents(NamedTuple):
    """Externally scheduled events inside one chunk, sorted by step."""

    da_step: np.ndarray
    da_region: np.ndarray
    da_amount: np.ndarray
    stim_step: np.ndarray
    stim_neuron: np.ndarray
    stim_pa: np.ndarray


class ChunkOutput(NamedTuple):
    """What the loop writes for the recorders; sized by the caller for one chunk."""

    pop_counts: np.ndarray  # (n_steps, n_pops) int32
    da_conc: np.ndarray  # (n_steps, n_regions)
    spk_step: np.ndarray  # (capacity,) int64
    spk_idx: np.ndarray  # (capacity,) int32
    spk_n: np.ndarray  # (1,) int64 filled so far
    peek_syn: np.ndarray  # (K,) synapses to read when n_steps == 0
    peek_pre: np.ndarray  # (K,) their presynaptic neuron
    peek_delay: np.ndarray  # (K,) their delay in steps
    peek_w: np.ndarray  # (K,) filled instead of running when n_steps == 0
    peek_c: np.ndarray


def empty_events() -> ChunkEvents:
    """No scheduled events."""
    i = np.zeros(0, np.int64)
    return ChunkEvents(i, i, np.zeros(0), i, i, np.zeros(0))
