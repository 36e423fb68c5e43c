"""The compiled time loop.

One call runs a chunk of steps on the arrays of :mod:`dopaspike.core.arrays`. The order inside
each step ``k`` is fixed and is the definition of the model's discrete time:

1. **decay** -- the phasic dopamine of every region decays by one step; for synapses of the
   exact rule, eligibility decays and the weight integrates ``dw = lr * dt * (baseline + DA - reference) * c``
   (done lazily, in closed form, when the synapse is next touched);
2. **arrival** -- spikes emitted at step ``k - d`` reach the synapses of delay ``d``: plasticity
   first (eligibility ``c += a_pre - A- * x_post``, the presynaptic trace counts the arrival), then the
   weight is added to the target's synaptic current;
3. **neurons** -- synaptic (scaled by the population's dopamine excitability factor, computed
   from its region's concentration after the decay of phase 1), bias, noise, Poisson and
   stimulus currents drive every neuron; spikes
   are emitted (Izhikevich 2003: two half-steps of v, then u; LIF: exact exponential update);
4. **spikes** -- each spiking neuron: recorded, releases dopamine if it is a dopamine neuron,
   potentiates its incoming plastic synapses (``c += A+ * x_pre``), and its post trace ``+= 1``;
5. **dopamine** -- the daspnet sweep runs if due; then released and externally delivered
   dopamine is added to each region (and logged for the exact rule), and recorded;
6. **catch-up** -- bookkeeping with no effect on results: neurons whose spike history is full
   have their incoming exact-rule synapses brought up to the end of the step (below).

The exact rule follows Izhikevich (2007) in continuous form (dc/dt = -c/tau_c + STDP,
dw/dt = c * DA) and NEST's ``stdp_dopamine_synapse`` in evaluating it only at presynaptic spikes:
between events the eligibility trace and dopamine decay exponentially, so the weight's change has
a closed form. The potentiation of step 4 is therefore deferred: each neuron keeps its recent
spikes, and a synapse applies them (in order, each with the presynaptic trace of its time) when
its next presynaptic spike arrives, touching only its own row. When a neuron's history is full,
its incoming synapses are brought up to date at the end of the step and the history is cleared.
A rule with a rise time (``tau_c_rise_ms``) keeps its eligibility as two parts that receive the
same increments, ``c = elig - elig_rise``, decaying with tau_c and tau_c_rise; each part
integrates in the same closed form. Weights are clipped to their bounds whenever a synapse is
updated. A rule with soft bounds (``DaStdp.soft_bounds``) moves the weight as the sum goes: each
step through a receptor's phasic period is scaled by the distance of the weight from the bound
it moves toward, as in the per-step order; the closed-form part (a receptor's tonic offset, zero
when the reference is the tonic level) with sum X moves it exponentially toward the bound of X's
sign (equal to the per-step order to first order in the learning rate). Only receptor rules have
soft bounds. The result equals the literal per-step order above (tested against a per-step
reference), for soft bounds whenever the reference is the tonic level.

The ``# <features>`` block below names the parts a network may use; every branch only such a
network needs is guarded by one of them (``if RISE and has_rise[e]``). Here all are ``True``:
this module is the general loop. :mod:`dopaspike.core.variants` runs a network on a copy of this
file with the features it does not use set to ``False``, which Numba prunes before compiling.
Keep the block's form (one ``NAME = True`` per line) and guard new optional code the same way.

Numba's on-disk cache of this module is invalidated only when this file changes, not when
``arrays.py`` (constants) or ``neuron_step.py`` (callees) do: after editing those, touch this file
or delete ``__pycache__`` (the specialised copies are named by a hash of all three and need
neither). Sizes (tables, histories, rings) are read from the arrays themselves, so no size
constant can go stale.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .arrays import (
    MODE_EXACT,
    MODE_SWEEP,
    MODEL_IZHIKEVICH,
    NEVER,
    POW_C,
    POW_D,
    POW_MINUS,
    POW_PLUS,
    POW_Q,
    POW_QR,
    POW_R,
)
from .neuron_step import izhikevich_pop, lif_pop, poisson_input, sweep_weights

# <features>  (variants.FEATURES, in this order)
IZHIKEVICH = True
LIF = True
POISSON = True
MODULATION = True
EXACT = True
SWEEP = True
RECEPTOR = True
SOFT = True
RISE = True
# </features>


@njit(cache=True, error_model="numpy")
def _pw(pow_tab, log_alpha, e, which, n):
    """alpha**n for rule e's decay factor ``which``: table, or exp for long intervals (the table's
    length is read from the array, never from a module constant)."""
    if n < pow_tab.shape[1]:
        return pow_tab[e, n, which]
    x = n * log_alpha[e, which]
    return 0.0 if x < -700.0 else np.exp(x)


@njit(cache=True, error_model="numpy")
def _occupancy(rec_ec50, rec_hill, e, da):
    """Occupancy of rule e's receptor at concentration da (Hill equation)."""
    x = da / rec_ec50[e]
    if rec_hill[e] != 1.0:
        x = x ** rec_hill[e]
    return x / (1.0 + x)


@njit(cache=True, error_model="numpy")
def _emission_before(em_head, em_step, i, t):
    """Position in neuron i's emission ring of its newest emission at or before step t."""
    h = em_head[i]
    n_em = em_step.shape[1]
    for back in range(n_em):
        idx = h - back
        if idx < 0:
            idx += n_em
        if em_step[i, idx] <= t:
            return idx
    return h  # unreachable while the ring is large enough (checked when it is written)


@njit(cache=True, error_model="numpy")
def _x_pre(em_x, em_step, plus_kind, pow_tab, log_alpha, e, i, idx, t):
    """Presynaptic trace of rule e at step t after neuron i's emission at ring position idx."""
    return em_x[plus_kind[e], i, idx] * _pw(pow_tab, log_alpha, e, POW_PLUS, t - em_step[i, idx])


@njit(cache=True, error_model="numpy")
def _jump_at_or_before(log_step, r, n_log, t0):
    """Index of region r's last dopamine jump at or before step t0. The log is in step order and
    starts at -1; it grows through a run (one entry per step in which dopamine neurons release), so
    after a few steps back from its end the search bisects."""
    i = n_log - 1
    for _ in range(8):
        if log_step[r, i] <= t0:
            return i
        i -= 1
    lo = 0  # log_step[r, lo] <= t0 < log_step[r, i + 1]
    hi = i
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if log_step[r, mid] <= t0:
            lo = mid
        else:
            hi = mid - 1
    return lo


@njit(cache=True, error_model="numpy")
def run_chunk(k0, n_steps, dt_ms, key_noise, key_poisson, neu, nst, syn, ent, reg, ev, out):
    """Run steps ``k0 .. k0+n_steps-1``; return how many ran (fewer if the spike buffer filled;
    ``-1 - steps`` if a neuron fired too often for its emission history).

    With ``n_steps == 0`` it only fills ``out.peek_w``/``out.peek_c`` with the weight and
    eligibility of the synapses ``out.peek_syn`` as of the end of step ``k0 - 1``, changing nothing.

    The arrays are unpacked once. ``integrate`` and ``catch_up`` are closures, which Numba inlines:
    compiled as functions of their ~30 arrays they stay calls, and the daspnet benchmark ran 5x
    slower. The small helpers (``_pw``, ``_occupancy``, ``_emission_before``, ``_x_pre``,
    ``_jump_at_or_before``) are compiled functions taking a few arrays, which LLVM inlines at no cost at run time; as closures
    they were inlined into this loop's intermediate code at every call, and Numba's passes over that
    code grow faster than its size. They are called with int64 arguments only, never int literals,
    so each compiles once. Every function here uses ``error_model="numpy"``: no division checks a
    zero divisor (none can be zero: receptor EC50s are validated positive, the ring has at least two
    slots), which makes less code to compile. First compile of the daspnet benchmark on 2 cores
    (``python benchmarks/run_benchmarks.py --cold --peers dopaspike --sizes 1000``): 19.7 s with
    the helpers as closures, 13.0 s now; run time unchanged.
    """
    # -- unpack (once per chunk) ------------------------------------------------------------
    a, b, c_reset, d_jump = neu.a, neu.b, neu.c, neu.d
    lif_decay, lif_gain = neu.lif_decay, neu.lif_gain_mv_per_pa
    v_rest, v_reset, v_th = neu.v_rest_mv, neu.v_reset_mv, neu.v_th_mv
    ref_steps, syn_decay, noise_amp, bias = neu.ref_steps, neu.syn_decay, neu.noise_amp_pa, neu.bias_pa
    syn_gain = neu.syn_gain
    p_lambda, p_w, da_region, da_release = neu.poisson_lambda, neu.poisson_w_pa, neu.da_region, neu.da_release
    pop_index, record_mask = neu.pop_index, neu.record_mask
    pop_start, pop_model, pop_noise, pop_poisson = neu.pop_start, neu.pop_model, neu.pop_noise, neu.pop_poisson
    mod_region, mod_gain, mod_ec50, mod_hill = neu.pop_mod_region, neu.pop_mod_gain, neu.pop_mod_ec50, neu.pop_mod_hill
    v_mv, u_rec, i_syn, i_stim = nst.v_mv, nst.u, nst.i_syn_pa, nst.i_stim_pa
    ref_until, last_spike = nst.ref_until, nst.last_spike
    post_trace, ring_count, ring_idx = nst.post_trace, nst.ring_count, nst.ring_idx
    em_head, em_step, em_x, hist_len, hist_step = nst.em_head, nst.em_step, nst.em_x, nst.hist_len, nst.hist_step
    target, weight, rule, seg, elig, t_upd = syn.target, syn.weight, syn.rule, syn.seg, syn.elig, syn.t_upd
    elig_rise = syn.elig_rise
    in_ptr, in_syn, in_pre, in_delay = syn.in_ptr, syn.in_syn, syn.in_pre, syn.in_delay
    e_mode, e_region, a_plus, a_minus, a_pre = ent.mode, ent.region, ent.a_plus, ent.a_minus, ent.a_pre
    w_min, w_max, lr_dt, sweep_steps, da_ref = ent.w_min, ent.w_max, ent.lr_dt, ent.sweep_steps, ent.da_ref
    g_q, g_c, log_alpha, pow_tab = ent.g_q, ent.g_c, ent.log_alpha, ent.pow_tab
    has_rise, g_qr, g_r, soft = ent.has_rise, ent.g_qr, ent.g_r, ent.soft
    rec_sign, rec_ec50, rec_hill, rec_occ_ref = ent.rec_sign, ent.rec_ec50, ent.rec_hill, ent.rec_occ_ref
    sweep_ptr, sweep_runs = ent.sweep_ptr, ent.sweep_runs
    plus_kind, minus_kind, plus_rep, minus_rep = ent.plus_kind, ent.minus_kind, ent.plus_rep, ent.minus_rep
    r_decay, baseline, phasic = reg.decay, reg.baseline, reg.phasic
    log_step, log_val, log_len = reg.log_step, reg.log_val, reg.log_len
    n_neurons = v_mv.shape[0]
    n_pops = pop_model.shape[0]
    n_regions = r_decay.shape[0]
    n_rules = e_mode.shape[0]
    n_plus_kinds = plus_rep.shape[0]
    n_minus_kinds = minus_rep.shape[0]
    n_slots = ring_count.shape[0]
    max_delay = n_slots - 1
    n_em = em_step.shape[1]
    n_hist = hist_step.shape[1]
    has_sweep = False
    for e in range(n_rules):
        if e_mode[e] == MODE_SWEEP:
            has_sweep = True

    def integrate(e, c0, cr0, w, t0, k):
        """(c, c_rise, w) of an exact-rule synapse carried from step t0 to step k with no spike
        events: walks the region's dopamine jumps; between jumps the sum over steps of
        (c - c_rise) * (baseline + DA - reference) is geometric in each part. Through a receptor,
        (baseline + DA - reference) becomes sign * (occ(baseline + DA) - occ(reference)), summed
        step by step until the phasic part is negligible and in closed form after."""
        if k <= t0:
            return c0, cr0, w
        r = e_region[e]
        n_log = log_len[r]
        i = _jump_at_or_before(log_step, r, n_log, t0)
        dv = log_val[r, i]
        if dv != 0.0:
            dv *= _pw(pow_tab, log_alpha, e, POW_D, t0 - log_step[r, i])
        base = baseline[r] - da_ref[e]  # the constant part of (DA - reference)
        acc = 0.0  # the sum (hard bounds: applied at the end)
        soft_e = soft[e]  # soft bounds: the weight moves as the sum goes, each part scaled at the weight it meets
        span = w_max[e] - w_min[e]
        cval = c0
        crval = cr0
        rise = has_rise[e]
        sgn = rec_sign[e]
        rec = sgn != 0.0
        occ_ref = f_tonic = tiny = a_c1 = a_d1 = a_r1 = 0.0
        if RECEPTOR and rec:  # only rules read through a receptor pay for these
            occ_ref = rec_occ_ref[e]
            f_tonic = sgn * (_occupancy(rec_ec50, rec_hill, e, baseline[r]) - occ_ref)
            tiny = 1e-13 * rec_ec50[e]  # phasic dopamine below this changes occupancy by < 1e-13
            a_c1, a_d1, a_r1 = pow_tab[e, 1, POW_C], pow_tab[e, 1, POW_D], pow_tab[e, 1, POW_R]
        start = t0
        j = i + 1
        while True:
            end = k
            last = True
            if j < n_log and log_step[r, j] < k:
                end = log_step[r, j]
                last = False
            n = end - start
            if RECEPTOR and rec:  # through a receptor: step by step while the phasic part matters
                m = 0
                while m < n and abs(dv) > tiny:
                    dv *= a_d1
                    f = sgn * (_occupancy(rec_ec50, rec_hill, e, baseline[r] + dv) - occ_ref)
                    cval *= a_c1
                    if SOFT and soft_e:  # step by step, each step's change scaled at that step's weight
                        x = cval * f
                        if RISE and rise:
                            crval *= a_r1
                            x -= crval * f
                        dw = lr_dt[e] * x
                        w += dw * ((w_max[e] - w) if dw > 0.0 else (w - w_min[e])) / span
                    else:
                        acc += cval * f
                        if RISE and rise:
                            crval *= a_r1
                            acc -= crval * f
                    m += 1
                n -= m
                pc = _pw(pow_tab, log_alpha, e, POW_C, n)
                part = cval * f_tonic * g_c[e] * (1.0 - pc)
                cval *= pc
                if RISE and rise:
                    pr = _pw(pow_tab, log_alpha, e, POW_R, n)
                    part_r = crval * f_tonic * g_r[e] * (1.0 - pr)
                    crval *= pr
                else:
                    part_r = 0.0
            else:
                pc = _pw(pow_tab, log_alpha, e, POW_C, n)
                pq = _pw(pow_tab, log_alpha, e, POW_Q, n)
                part = cval * (dv * g_q[e] * (1.0 - pq) + base * g_c[e] * (1.0 - pc))
                cval *= pc
                if RISE and rise:
                    pr = _pw(pow_tab, log_alpha, e, POW_R, n)
                    pqr = _pw(pow_tab, log_alpha, e, POW_QR, n)
                    part_r = crval * (dv * g_qr[e] * (1.0 - pqr) + base * g_r[e] * (1.0 - pr))
                    crval *= pr
                else:
                    part_r = 0.0
            if SOFT and soft_e:  # soft bounds: the interval's closed-form sum X moves w exponentially toward its sign's bound
                x = lr_dt[e] * (part - part_r) / span
                if x > 0.0:
                    w = w_max[e] - (w_max[e] - w) * np.exp(-x)
                elif x < 0.0:
                    w = w_min[e] + (w - w_min[e]) * np.exp(x)
            else:  # in this order, as ever (the sums are bitwise those of earlier versions)
                acc += part
                if RISE and rise:
                    acc -= part_r
            if last:
                break
            dv = log_val[r, j]
            start = end
            j += 1
        if SOFT and soft_e:
            return cval, crval, min(max(w, w_min[e]), w_max[e])
        return cval, crval, min(max(w + lr_dt[e] * acc, w_min[e]), w_max[e])

    def catch_up(s, e, i, d, tgt, k, inclusive, idx_prev):
        """(c, c_rise, w) of exact-rule synapse s (from neuron i, delay d, onto tgt) at step k: integrates
        and applies the potentiation of every postsynaptic spike not yet applied (those at or after
        its t_upd; up to step k, inclusive or not). ``idx_prev`` >= 0 is the emission whose arrival
        is the synapse's last, when the caller knows it. Writes nothing."""
        c = elig[s]
        cr = elig_rise[s] if RISE and has_rise[e] else 0.0
        w = weight[s]
        t0 = t_upd[s]
        m = hist_len[tgt]
        jj = m
        if last_spike[tgt] >= t0 and m > 0:
            jj = m - 1
            while jj >= 0 and hist_step[tgt, jj] >= t0:
                jj -= 1
            jj += 1
        while True:  # segments end at each pending postsynaptic spike, the last at k
            end = k
            spike = False
            if jj < m:
                p = hist_step[tgt, jj]
                if p < k or (p == k and inclusive):
                    end = p
                    spike = True
            c, cr, w = integrate(e, c, cr, w, t0, end)
            if not spike:
                return c, cr, w
            idx = idx_prev if idx_prev >= 0 else _emission_before(em_head, em_step, i, end - d)
            inc = a_plus[e] * _x_pre(em_x, em_step, plus_kind, pow_tab, log_alpha, e, i, idx, end - d)
            c += inc
            if RISE and has_rise[e]:
                cr += inc
            t0 = end
            jj += 1

    spiked = np.empty(n_neurons, np.int64)
    consolidate = np.empty(n_neurons, np.int64)
    release = np.zeros(n_regions)
    p_da = 0
    p_stim = 0
    peek = n_steps == 0
    kk = -1
    while True:
        kk += 1
        if peek:
            k = k0 - 1
            n_cons = 0
        else:
            if kk == n_steps:
                return n_steps
            if out.spk_n[0] + n_neurons > out.spk_step.shape[0]:
                return kk
            k = k0 + kk
            # 1. decay of phasic dopamine (synapses decay lazily)
            for r in range(n_regions):
                phasic[r] *= r_decay[r]
            # 2. arrivals: plasticity at the synapse, then the weight into the target's current
            for dl in range(1, n_slots):
                slot = (k - dl) % n_slots
                for q in range(ring_count[slot]):
                    i = ring_idx[slot, q]
                    lo = seg[i, dl]
                    hi = seg[i, dl + 1]
                    if lo == hi:
                        continue
                    idx_prev = _emission_before(em_head, em_step, i, k - dl - 1)  # the emission that arrived last before this one
                    for s in range(np.uint64(lo), np.uint64(hi)):
                        tgt = target[s]
                        e = np.int64(rule[s])
                        if e >= 0:
                            # LTD minus the presynaptic-only term: what this arrival takes from the eligibility
                            decay_post = _pw(pow_tab, log_alpha, e, POW_MINUS, k - last_spike[tgt])
                            ltd = a_minus[e] * post_trace[minus_kind[e], tgt] * decay_post - a_pre[e]
                            if EXACT and e_mode[e] == MODE_EXACT:
                                c, cr, w = catch_up(s, e, i, dl, tgt, k, False, idx_prev)
                                elig[s] = c - ltd
                                if RISE and has_rise[e]:
                                    elig_rise[s] = cr - ltd
                                weight[s] = w
                                t_upd[s] = k
                            else:
                                elig[s] -= ltd
                        i_syn[tgt] += weight[s]
            while p_stim < ev.stim_step.shape[0] and ev.stim_step[p_stim] == k:
                i_stim[ev.stim_neuron[p_stim]] += ev.stim_pa[p_stim]
                p_stim += 1
            # 3. neurons, population by population, in separately compiled vectorisable loops
            n_spk = np.int64(0)  # not a literal 0: one compiled version of each neuron update
            for pp in range(n_pops):
                lo = pop_start[pp]
                hi = pop_start[pp + 1]
                mod = 1.0  # dopamine's effect on the population's excitability (D1 up, D2 down)
                if MODULATION and mod_region[pp] >= 0:
                    x = (baseline[mod_region[pp]] + phasic[mod_region[pp]]) / mod_ec50[pp]
                    if mod_hill[pp] != 1.0:
                        x = x ** mod_hill[pp]
                    mod = 1.0 + mod_gain[pp] * x / (1.0 + x)
                if POISSON and pop_poisson[pp]:
                    poisson_input(i_stim[lo:hi], p_lambda[lo:hi], p_w[lo:hi], key_poisson, k, n_neurons, lo)
                if IZHIKEVICH and pop_model[pp] == MODEL_IZHIKEVICH:
                    n_spk = izhikevich_pop(v_mv[lo:hi], u_rec[lo:hi], a[lo:hi], b[lo:hi], c_reset[lo:hi], d_jump[lo:hi],
                                           i_syn[lo:hi], syn_gain[lo:hi], mod, bias[lo:hi], i_stim[lo:hi],
                                           syn_decay[lo:hi], noise_amp[lo:hi], pop_noise[pp], key_noise, k, n_neurons, lo, dt_ms,
                                           spiked, n_spk)
                elif LIF:
                    n_spk = lif_pop(v_mv[lo:hi], ref_until[lo:hi], v_rest[lo:hi], v_reset[lo:hi], v_th[lo:hi],
                                     lif_gain[lo:hi], lif_decay[lo:hi], ref_steps[lo:hi], i_syn[lo:hi], syn_gain[lo:hi], mod,
                                     bias[lo:hi], i_stim[lo:hi], syn_decay[lo:hi], noise_amp[lo:hi], pop_noise[pp], key_noise,
                                     k, n_neurons, lo, spiked, n_spk)
            # 4. spikes: record, release dopamine, potentiation, traces and histories
            slot = k % n_slots
            ring_count[slot] = n_spk
            n_cons = 0
            for q in range(n_spk):
                n = spiked[q]
                ring_idx[slot, q] = n
                out.pop_counts[kk, pop_index[n]] += 1
                if record_mask[n]:
                    m = out.spk_n[0]
                    out.spk_step[m] = k
                    out.spk_idx[m] = n
                    out.spk_n[0] = m + 1
                if da_region[n] >= 0:
                    release[da_region[n]] += da_release[n]
                if SWEEP and has_sweep:  # the sweep rule needs its eligibility current at every sweep
                    for idx in range(in_ptr[n], in_ptr[n + 1]):
                        s = in_syn[idx]
                        e = np.int64(rule[s])
                        if e_mode[e] == MODE_SWEEP:
                            pre = in_pre[idx]
                            t = k - in_delay[idx]
                            idx_pre = _emission_before(em_head, em_step, pre, t)
                            elig[s] += a_plus[e] * _x_pre(em_x, em_step, plus_kind, pow_tab, log_alpha, e, pre, idx_pre, t)
                for q in range(n_minus_kinds):  # one trace per tau_minus, shared by the rules that have it
                    decay_post = _pw(pow_tab, log_alpha, minus_rep[q], POW_MINUS, k - last_spike[n])
                    post_trace[q, n] = post_trace[q, n] * decay_post + 1.0
                last_spike[n] = k
                hist_step[n, hist_len[n]] = k
                hist_len[n] += 1
                if hist_len[n] == n_hist:
                    consolidate[n_cons] = n
                    n_cons += 1
                h_old = em_head[n]
                h_new = h_old + 1 if h_old + 1 < n_em else 0
                oldest_kept = em_step[n, h_new + 1 if h_new + 1 < n_em else 0]
                if em_step[n, h_new] != NEVER and oldest_kept + max_delay > k:
                    return -1 - kk
                for q in range(n_plus_kinds):  # one trace per tau_plus, shared by the rules that have it
                    em_x[q, n, h_new] = _x_pre(em_x, em_step, plus_kind, pow_tab, log_alpha, plus_rep[q], n, h_old, k) + 1.0
                em_step[n, h_new] = k
                em_head[n] = h_new
            # 5. dopamine: daspnet sweep if due, then release and delivery, logged and recorded
            for e in range(n_rules):
                if SWEEP and e_mode[e] == MODE_SWEEP and (k + 1) % sweep_steps[e] == 0:
                    r = e_region[e]
                    gain = lr_dt[e] * sweep_steps[e] * (baseline[r] + phasic[r] - da_ref[e])
                    decay = _pw(pow_tab, log_alpha, e, POW_C, sweep_steps[e])
                    for run in range(sweep_ptr[e], sweep_ptr[e + 1]):
                        lo = sweep_runs[run, 0]
                        hi = sweep_runs[run, 1]
                        sweep_weights(weight[lo:hi], elig[lo:hi], gain, decay, w_min[e], w_max[e])
            while p_da < ev.da_step.shape[0] and ev.da_step[p_da] == k:
                release[ev.da_region[p_da]] += ev.da_amount[p_da]
                p_da += 1
            for r in range(n_regions):
                if release[r] != 0.0:
                    phasic[r] += release[r]
                    m = log_len[r]
                    log_step[r, m] = k
                    log_val[r, m] = phasic[r]
                    log_len[r] = m + 1
                    release[r] = 0.0
                out.da_conc[kk, r] = baseline[r] + phasic[r]
        # 6. catch synapses up to the end of step k: when peeking, the requested ones (read only);
        #    otherwise the incoming synapses of neurons whose spike history is full (written back)
        if peek:
            src_syn, src_pre, src_delay = out.peek_syn, out.peek_pre, out.peek_delay
            n_ranges = 1
        else:
            src_syn, src_pre, src_delay = in_syn, in_pre, in_delay
            n_ranges = n_cons
        j = 0
        for q in range(n_ranges):
            lo = 0 if peek else in_ptr[consolidate[q]]
            hi = src_syn.shape[0] if peek else in_ptr[consolidate[q] + 1]
            for idx in range(lo, hi):
                s = src_syn[idx]
                e = np.int64(rule[s])
                if EXACT and e >= 0 and e_mode[e] == MODE_EXACT:
                    c, cr, w = catch_up(s, e, src_pre[idx], src_delay[idx], target[s], k, True, -1)
                else:
                    c, cr, w = elig[s], 0.0, weight[s]
                if peek:
                    out.peek_c[j], out.peek_w[j] = c - cr, w
                    j += 1
                else:
                    elig[s], weight[s] = c, w
                    if EXACT and e >= 0 and e_mode[e] == MODE_EXACT:
                        t_upd[s] = k
                        if RISE and has_rise[e]:
                            elig_rise[s] = cr
            if not peek:
                hist_len[consolidate[q]] = 0
        if peek:
            return 0
