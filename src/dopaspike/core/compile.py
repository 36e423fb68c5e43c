"""Compile a :class:`~dopaspike.core.network.Network` description into flat engine arrays.

Connectivity is drawn from the run's ``"connectivity"`` stream, delays from ``"delays"``.
The memory the arrays need is estimated from the description first, so a network too big for
the machine is refused before anything is allocated.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from . import rng as rngmod
from .arrays import (
    MAX_EMISSION_SLOTS,
    MODE_EXACT,
    MODE_SWEEP,
    MODEL_IZHIKEVICH,
    MODEL_LIF,
    POST_HISTORY,
    POW_TABLE_LEN,
    NeuronArrays,
    RegionState,
    RuleTable,
    SynapseArrays,
)
from .errors import ConfigError
from .models import Izhikevich

#: Bytes per synapse in the engine arrays (target, weight, rule, elig, t_upd, incoming index
#: with its pre and delay) and per neuron (parameters, state, spike histories).
BYTES_PER_SYNAPSE = 4 + 8 + 2 + 8 + 8 + 3 * 8
BYTES_PER_NEURON = 8 * 30


@dataclass
class Compiled:
    """Everything the simulation needs that is fixed at build time."""

    neurons: NeuronArrays
    synapses: SynapseArrays
    rules: RuleTable
    regions: RegionState
    max_delay: int
    proj_slices: dict[str, np.ndarray]  # projection name -> synapse ids


def estimate_bytes(net) -> int:
    """Engine memory of ``net`` in bytes, from the description alone (construction peak ~2x)."""
    n_syn = sum(p.connectivity.count(p.pre.n, sum(q.n for q in p.post)) for p in net.projections)
    max_delay = _max_delay_steps(net)
    n = net.n_neurons
    rules = [p.rule for p in net.projections if p.rule is not None]
    n_plus = max(1, len({r.tau_plus_ms for r in rules}))  # presynaptic traces are kept per tau_plus
    n_minus = max(1, len({r.tau_minus_ms for r in rules}))
    em_slots = min(max_delay + 2, MAX_EMISSION_SLOTS)
    per_neuron = BYTES_PER_NEURON + 8 * (max_delay + 1) + 8 * POST_HISTORY + 8 * em_slots * (1 + n_plus) + 8 * n_minus
    rise = any(p.rule is not None and p.rule.tau_c_rise_ms > 0 for p in net.projections)
    per_synapse = BYTES_PER_SYNAPSE + (8 if rise else 0)  # the fast part of a rising eligibility
    return int(n_syn * per_synapse * 2 + n * per_neuron)


def _available_bytes() -> int:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _max_delay_steps(net) -> int:
    longest = 1
    for p in net.projections:
        hi = p.delay_ms[1] if isinstance(p.delay_ms, tuple) else p.delay_ms
        longest = max(longest, int(round(hi / net.dt_ms)))
    return longest


def compile_network(net, seed: int, *, max_memory_gb: float | None = None) -> Compiled:
    if not net.populations:
        raise ConfigError("populations", 0, "at least one population")
    need = estimate_bytes(net)
    limit = max_memory_gb * (1 << 30) if max_memory_gb is not None else 0.8 * _available_bytes()
    if need > limit:
        raise ConfigError(
            "network size", f"{need / (1 << 30):.2f} GiB estimated",
            f"at most {limit / (1 << 30):.2f} GiB (reduce neurons or synapses, or raise max_memory_gb)",
        )
    neurons = _neuron_arrays(net)
    max_delay = _max_delay_steps(net)
    rule_keys = _rule_keys(net)
    syn, proj_slices = _synapse_arrays(net, seed, max_delay, rule_keys)
    rules = _rule_table(net, rule_keys, syn)
    regions = _region_state(net)
    return Compiled(neurons, syn, rules, regions, max_delay, proj_slices)


def _neuron_arrays(net) -> NeuronArrays:
    n = net.n_neurons
    dt = net.dt_ms
    f = {k: np.zeros(n) for k in ("a", "b", "c", "d", "lif_decay", "lif_gain_mv_per_pa", "v_rest_mv",
                                   "v_reset_mv", "v_th_mv", "syn_decay", "noise_amp_pa", "bias_pa",
                                   "poisson_lambda", "poisson_w_pa", "da_release")}
    model = np.zeros(n, np.int8)
    ref_steps = np.zeros(n, np.int64)
    da_region = np.full(n, -1, np.int64)
    pop_index = np.zeros(n, np.int64)
    record = np.zeros(n, bool)
    for i, p in enumerate(net.populations):
        s = slice(p.start, p.start + p.n)
        m = p.model
        if isinstance(m, Izhikevich):
            model[s] = MODEL_IZHIKEVICH
            f["a"][s], f["b"][s], f["c"][s], f["d"][s] = m.a, m.b, m.c_mv, m.d
        else:
            model[s] = MODEL_LIF
            f["lif_decay"][s] = math.exp(-dt / m.tau_m_ms)
            f["lif_gain_mv_per_pa"][s] = m.tau_m_ms / m.c_m_pf
            f["v_rest_mv"][s], f["v_reset_mv"][s], f["v_th_mv"][s] = m.v_rest_mv, m.v_reset_mv, m.v_th_mv
            ref_steps[s] = int(round(m.t_ref_ms / dt))
        f["syn_decay"][s] = math.exp(-dt / p.tau_syn_ms) if p.tau_syn_ms > 0 else 0.0
        f["noise_amp_pa"][s] = p.noise_uniform_pa
        f["bias_pa"][s] = p.bias_pa
        f["poisson_lambda"][s] = p.poisson_rate_hz * p.poisson_n_sources * dt / 1000.0
        f["poisson_w_pa"][s] = p.poisson_weight_pa
        if p.da_region is not None:
            da_region[s] = net.region_index(p.da_region)
            f["da_release"][s] = p.da_release
        pop_index[s] = i
        record[s] = p.record_spikes
    n_pops = len(net.populations)
    mod = {"pop_mod_region": np.full(n_pops, -1, np.int64), "pop_mod_gain": np.zeros(n_pops),
           "pop_mod_ec50": np.ones(n_pops), "pop_mod_hill": np.ones(n_pops)}
    for i, p in enumerate(net.populations):
        x = p.da_excitability
        if x is not None:
            mod["pop_mod_region"][i] = net.region_index(x.region)
            mod["pop_mod_gain"][i] = x.receptor.sign * x.gain
            mod["pop_mod_ec50"][i], mod["pop_mod_hill"][i] = x.receptor.ec50, x.receptor.hill
    starts = np.array([p.start for p in net.populations] + [n], np.int64)
    pops = [slice(starts[i], starts[i + 1]) for i in range(len(net.populations))]
    return NeuronArrays(
        syn_gain=np.ones(n), model=model, ref_steps=ref_steps, da_region=da_region, pop_index=pop_index, record_mask=record,
        pop_start=starts, pop_model=np.array([model[s][0] for s in pops], np.int64),
        pop_noise=np.array([bool(np.any(f["noise_amp_pa"][s] != 0)) for s in pops]),
        pop_poisson=np.array([bool(np.any(f["poisson_lambda"][s] > 0)) for s in pops]), **mod, **f,
    )


def _rule_keys(net) -> list[tuple]:
    """Distinct (rule, region) pairs in projection order: the rows of the rule table."""
    keys: list[tuple] = []
    for p in net.projections:
        if p.rule is not None and (p.rule, p.region) not in keys:
            keys.append((p.rule, p.region))
    return keys


def _synapse_arrays(net, seed, max_delay, rule_keys):
    conn_rng = rngmod.stream(seed, "connectivity")
    delay_rng = rngmod.stream(seed, "delays")
    pres, posts, ws, ds, rs, owner = [], [], [], [], [], []
    for j, p in enumerate(net.projections):
        post_sizes = [q.n for q in p.post]
        post_starts = np.concatenate([[0], np.cumsum(post_sizes)])
        same = len(p.post) == 1 and p.post[0] is p.pre
        pre_l, post_l = p.connectivity.pairs(p.pre.n, int(post_starts[-1]), conn_rng, same)
        which = np.searchsorted(post_starts, post_l, side="right") - 1
        post_g = np.array([q.start for q in p.post], np.int64)[which] + post_l - post_starts[which]
        pres.append(p.pre.start + pre_l)
        posts.append(post_g)
        w = np.broadcast_to(np.asarray(p.weight, float), pre_l.shape) if np.ndim(p.weight) == 0 else np.asarray(p.weight, float)
        if w.shape != pre_l.shape:
            raise ConfigError(f"projection[{p.name!r}].weight", f"shape {w.shape}", f"a scalar or shape {pre_l.shape}")
        ws.append(np.array(w, float))
        lo, hi = p.delay_ms if isinstance(p.delay_ms, tuple) else (p.delay_ms, p.delay_ms)
        d_lo, d_hi = max(1, int(round(lo / net.dt_ms))), int(round(hi / net.dt_ms))
        ds.append(delay_rng.integers(d_lo, d_hi + 1, size=pre_l.size) if d_hi > d_lo else np.full(pre_l.size, d_lo))
        rid = -1 if p.rule is None else rule_keys.index((p.rule, p.region))
        rs.append(np.full(pre_l.size, rid, np.int16))
        owner.append(np.full(pre_l.size, j, np.int32))
    cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
    pre, post, w = cat(pres, np.int64), cat(posts, np.int32), cat(ws, float)
    delay, rule, own = cat(ds, np.int64), cat(rs, np.int16), cat(owner, np.int32)
    order = np.lexsort((delay, pre))
    pre, post, w, delay, rule, own = pre[order], post[order], w[order], delay[order], rule[order], own[order]
    n = net.n_neurons
    counts = np.zeros((n, max_delay + 2), np.int64)
    np.add.at(counts, (pre, delay + 1), 1)
    seg = np.cumsum(counts.ravel()).reshape(n, max_delay + 2)
    plastic = np.flatnonzero(rule >= 0)
    by_target = plastic[np.argsort(post[plastic], kind="stable")]
    in_ptr = np.concatenate([[0], np.cumsum(np.bincount(post[plastic], minlength=n))]).astype(np.int64)
    n_syn = pre.size
    syn = SynapseArrays(
        target=post, weight=w, rule=rule, seg=seg, elig=np.zeros(n_syn),
        elig_rise=np.zeros(n_syn if any(r.tau_c_rise_ms > 0 for r, _ in rule_keys) else 1), t_upd=np.zeros(n_syn, np.int64),
        in_ptr=in_ptr, in_syn=by_target.astype(np.int64), in_pre=pre[by_target].astype(np.int64),
        in_delay=delay[by_target].astype(np.int64),
    )
    proj_slices = {p.name: np.flatnonzero(own == j) for j, p in enumerate(net.projections)}
    return syn, proj_slices


def _rule_table(net, rule_keys, syn) -> RuleTable:
    dt = net.dt_ms
    n_rules = len(rule_keys)
    cols = {k: np.zeros(n_rules) for k in ("a_plus", "a_minus", "a_pre", "w_min", "w_max", "lr_dt", "da_ref", "g_q", "g_c",
                                           "g_qr", "g_r", "rec_sign", "rec_ec50", "rec_hill", "rec_occ_ref")}
    has_rise = np.zeros(n_rules, np.bool_)
    soft = np.zeros(n_rules, np.bool_)
    mode = np.zeros(n_rules, np.int64)
    region = np.zeros(n_rules, np.int64)
    sweep_steps = np.ones(n_rules, np.int64)
    log_alpha = np.zeros((n_rules, 7))
    for e, (rule, reg_name) in enumerate(rule_keys):
        r = net.regions[net.region_index(reg_name)]
        mode[e] = MODE_EXACT if rule.mode == "exact" else MODE_SWEEP
        region[e] = net.region_index(reg_name)
        sweep_steps[e] = max(1, int(round(rule.sweep_ms / dt)))
        scale = rule.rise_scale  # increments scaled so that a rising trace peaks at them
        cols["a_plus"][e], cols["a_minus"][e] = rule.a_plus * scale, rule.a_minus * scale
        cols["a_pre"][e] = rule.a_pre * scale
        cols["w_min"][e], cols["w_max"][e] = rule.w_min, rule.w_max
        cols["lr_dt"][e] = rule.lr_per_ms * dt
        cols["da_ref"][e] = rule.da_reference
        cols["rec_ec50"][e], cols["rec_hill"][e] = 1.0, 1.0
        if rule.receptor is not None:
            cols["rec_sign"][e] = rule.receptor.sign
            cols["rec_ec50"][e], cols["rec_hill"][e] = rule.receptor.ec50, rule.receptor.hill
            cols["rec_occ_ref"][e] = rule.receptor.occupancy(rule.da_reference)
        lc, ld = -dt / rule.tau_c_ms, -dt / r.tau_ms
        lr = -dt / rule.tau_c_rise_ms if rule.tau_c_rise_ms > 0 else lc  # unused without a rise time
        log_alpha[e] = (lc, lc + ld, ld, -dt / rule.tau_plus_ms, -dt / rule.tau_minus_ms, lr, lr + ld)
        q, ac = math.exp(lc + ld), math.exp(lc)
        cols["g_q"][e] = q / -math.expm1(lc + ld)
        cols["g_c"][e] = ac / -math.expm1(lc)
        has_rise[e] = rule.tau_c_rise_ms > 0
        soft[e] = rule.soft_bounds
        cols["g_qr"][e] = math.exp(lr + ld) / -math.expm1(lr + ld)
        cols["g_r"][e] = math.exp(lr) / -math.expm1(lr)
    steps = np.arange(POW_TABLE_LEN)
    pow_tab = np.ascontiguousarray(np.exp(log_alpha[:, None, :] * steps[None, :, None]))
    runs = [_runs(syn.rule == e) if mode[e] == MODE_SWEEP else np.zeros((0, 2), np.int64) for e in range(n_rules)]
    sweep_ptr = np.concatenate([[0], np.cumsum([len(x) for x in runs])]).astype(np.int64)
    sweep_runs = np.concatenate(runs).astype(np.int64) if runs else np.zeros((0, 2), np.int64)
    kinds = {}
    for which, tau in (("plus", lambda r: r.tau_plus_ms), ("minus", lambda r: r.tau_minus_ms)):
        taus = [tau(rule) for rule, _ in rule_keys]
        distinct = list(dict.fromkeys(taus))
        kinds[f"{which}_kind"] = np.array([distinct.index(t) for t in taus], np.int64)
        kinds[f"{which}_rep"] = np.array([taus.index(t) for t in distinct], np.int64)
    return RuleTable(mode=mode, region=region, sweep_steps=sweep_steps, log_alpha=log_alpha, has_rise=has_rise, soft=soft,
                     pow_tab=pow_tab, sweep_ptr=sweep_ptr, sweep_runs=sweep_runs, **kinds, **cols)


def _runs(mask: np.ndarray) -> np.ndarray:
    """[start, stop) of every maximal run of True in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1).astype(np.int64)


def _region_state(net) -> RegionState:
    n_regions = len(net.regions)
    cap = 1024
    log_step = np.zeros((n_regions, cap), np.int64)
    log_step[:, 0] = -1  # the state before step 0: no phasic dopamine
    return RegionState(
        decay=np.array([math.exp(-net.dt_ms / r.tau_ms) for r in net.regions]),
        baseline=np.array([r.baseline for r in net.regions], float),
        phasic=np.zeros(n_regions),
        log_step=log_step,
        log_val=np.zeros((n_regions, cap)),
        log_len=np.ones(n_regions, np.int64),
    )
