"""The compiled time loop.

One call runs a chunk of steps on the arrays of :mod:`dopaspike.core.arrays`. The order inside
each step ``k`` is fixed and is the definition of the model's discrete time:

1. **decay** -- the phasic dopamine of every region decays by one step; for synapses of the
   exact rule, eligibility decays and the weight integrates ``dw = lr * dt * (baseline + DA) * c``
   (done lazily, in closed form, when the synapse is next touched);
2. **arrival** -- spikes emitted at step ``k - d`` reach the synapses of delay ``d``: plasticity
   first (eligibility ``c -= A- * x_post``; presynaptic trace ``x_pre += 1``), then the weight is
   added to the target's synaptic current;
3. **neurons** -- synaptic, bias, noise, Poisson and stimulus currents drive every neuron; spikes
   are emitted (Izhikevich 2003: two half-steps of v, then u; LIF: exact exponential update);
4. **spikes** -- each spiking neuron: recorded, releases dopamine if it is a dopamine neuron,
   potentiates its incoming plastic synapses (``c += A+ * x_pre``), and its post trace ``+= 1``;
5. **dopamine** -- the daspnet sweep runs if due; then released and externally delivered
   dopamine is added to each region (and logged for the exact rule), and recorded.

The exact rule follows Izhikevich (2007) in continuous form (dc/dt = -c/tau_c + STDP,
dw/dt = c * DA) and NEST's ``stdp_dopamine_synapse`` in evaluating it only at spikes: between
events the eligibility trace and dopamine decay exponentially, so the weight's change has a closed
form. Weights are clipped to their bounds whenever a synapse is updated.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .arrays import (
    MODE_EXACT,
    MODE_SWEEP,
    MODEL_IZHIKEVICH,
    POW_C,
    POW_D,
    POW_MINUS,
    POW_PLUS,
    POW_Q,
    POW_TABLE_LEN,
)

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def uniform(key, step, n_neurons, neuron):
    """U[0, 1) for (step, neuron): the splitmix64 output at that counter (Steele et al. 2014)."""
    ctr = np.uint64(step) * np.uint64(n_neurons) + np.uint64(neuron)
    z = key + ctr * _GAMMA
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return float(np.int64(z >> _S11)) * _INV53


@njit(cache=True)
def _input_currents(current, i_syn, bias, i_stim, syn_decay):
    """Synaptic + bias + stimulus current of this step; synaptic current decays for the next."""
    for n in range(current.shape[0]):
        current[n] = i_syn[n] + bias[n] + i_stim[n]
        i_stim[n] = 0.0
        i_syn[n] *= syn_decay[n]


@njit(cache=True)
def _uniform_noise(current, amp, key, k, n_neurons, first):
    """daspnet.m's thalamic input ``amp * (U(0,1) - 0.5)``, counter-based (ids from ``first``)."""
    for n in range(current.shape[0]):
        current[n] += amp[n] * (uniform(key, k, n_neurons, first + n) - 0.5)


@njit(cache=True)
def _poisson_input(lo, hi, current, lam_per_step, w_pa, key, k, n_neurons):
    """External Poisson events this step (count by inversion of one counter-based uniform)."""
    for n in range(lo, hi):
        lam = lam_per_step[n]
        if lam <= 0.0:
            continue
        uu = uniform(key, k, n_neurons, n)
        p = np.exp(-lam)
        cdf = p
        count = 0
        while uu > cdf and count < 10000:
            count += 1
            p *= lam / count
            cdf += p
        current[n] += w_pa[n] * count


@njit(cache=True)
def _izhikevich_step(v_mv, u, a, b, current, dt_ms):
    """Izhikevich (2003) update as in daspnet.m: two half-steps of v, then u (threshold after)."""
    h = 0.5 * dt_ms
    for n in range(v_mv.shape[0]):
        v = v_mv[n]
        uv = u[n]
        cur = current[n]
        v += h * ((0.04 * v + 5.0) * v + 140.0 - uv + cur)
        v += h * ((0.04 * v + 5.0) * v + 140.0 - uv + cur)
        u[n] = uv + dt_ms * a[n] * (b[n] * v - uv)
        v_mv[n] = v


@njit(cache=True)
def _lif_step(lo, hi, k, v_mv, ref_until, v_rest, v_reset, v_th, gain, decay, ref_steps, current, spiked, n_spk):
    """Exact LIF update for a current constant over the step; refractory clamp; returns n_spk."""
    for n in range(lo, hi):
        if k <= ref_until[n]:
            v_mv[n] = v_reset[n]
            continue
        v_inf = v_rest[n] + gain[n] * current[n]
        v = v_inf + (v_mv[n] - v_inf) * decay[n]
        if v >= v_th[n]:
            v = v_reset[n]
            ref_until[n] = k + ref_steps[n]
            spiked[n_spk] = n
            n_spk += 1
        v_mv[n] = v
    return n_spk


@njit(cache=True)
def run_chunk(k0, n_steps, dt_ms, key_noise, key_poisson, neu, nst, syn, ent, reg, ev, out):
    """Run steps ``k0 .. k0+n_steps-1``; return how many ran (fewer if the spike buffer filled).

    With ``n_steps == 0`` it only fills ``out.peek_w``/``out.peek_c`` with every synapse's weight
    and eligibility as of step ``k0 - 1``, changing nothing.

    The arrays are unpacked once and the phases are closures: Numba inlines closures without the
    reference counting that array arguments of helper functions cost in the inner loops.
    """
    # -- unpack (once per chunk) ------------------------------------------------------------
    model, a, b, c_reset, d_jump = neu.model, neu.a, neu.b, neu.c, neu.d
    lif_decay, lif_gain, v_rest, v_reset, v_th = neu.lif_decay, neu.lif_gain_mv_per_pa, neu.v_rest_mv, neu.v_reset_mv, neu.v_th_mv
    ref_steps, syn_decay, noise_amp, bias = neu.ref_steps, neu.syn_decay, neu.noise_amp_pa, neu.bias_pa
    p_lambda, p_w, da_region, da_release = neu.poisson_lambda, neu.poisson_w_pa, neu.da_region, neu.da_release
    pop_index, record_mask = neu.pop_index, neu.record_mask
    pop_start, pop_model, pop_noise, pop_poisson = neu.pop_start, neu.pop_model, neu.pop_noise, neu.pop_poisson
    n_pops = pop_model.shape[0]
    v_mv, u_rec, i_syn, i_stim, ref_until, last_spike = nst.v_mv, nst.u, nst.i_syn_pa, nst.i_stim_pa, nst.ref_until, nst.last_spike
    post_trace, ring_count, ring_idx = nst.post_trace, nst.ring_count, nst.ring_idx
    target, weight, rule, seg, elig = syn.target, syn.weight, syn.rule, syn.seg, syn.elig
    pre_trace, t_pre, t_upd, in_ptr, in_syn = syn.pre_trace, syn.t_pre, syn.t_upd, syn.in_ptr, syn.in_syn
    e_mode, e_region, a_plus, a_minus = ent.mode, ent.region, ent.a_plus, ent.a_minus
    w_min, w_max, lr_dt, sweep_steps = ent.w_min, ent.w_max, ent.lr_dt, ent.sweep_steps
    g_q, g_c, log_alpha, pow_tab, sweep_ptr, sweep_syn = ent.g_q, ent.g_c, ent.log_alpha, ent.pow_tab, ent.sweep_ptr, ent.sweep_syn
    r_decay, baseline, phasic, log_step, log_val, log_len = reg.decay, reg.baseline, reg.phasic, reg.log_step, reg.log_val, reg.log_len
    n_neurons = model.shape[0]
    n_regions = r_decay.shape[0]
    n_rules = e_mode.shape[0]
    n_slots = ring_count.shape[0]

    def pw(e, which, n):
        """alpha**n for rule e's decay factor ``which``: table, or exp for long intervals."""
        if n < POW_TABLE_LEN:
            return pow_tab[e, which, n]
        x = n * log_alpha[e, which]
        return 0.0 if x < -700.0 else np.exp(x)

    def lazy(s, k):
        """(c, w) of exact-rule synapse s integrated to step k, walking the region's DA jumps;
        between jumps the sum over steps of c * (baseline + DA) is geometric. No write."""
        e = rule[s]
        c0 = elig[s]
        w = weight[s]
        t0 = t_upd[s]
        if k <= t0:
            return c0, w
        r = e_region[e]
        n_log = log_len[r]
        i = n_log - 1
        if log_step[r, i] > t0:  # binary search: last jump at or before t0
            lo = 0
            hi = n_log - 1
            while hi - lo > 1:
                mid = (lo + hi) >> 1
                if log_step[r, mid] <= t0:
                    lo = mid
                else:
                    hi = mid
            i = lo
        dv = log_val[r, i]
        if dv != 0.0:
            dv *= pw(e, POW_D, t0 - log_step[r, i])
        base = baseline[r]
        acc = 0.0
        cval = c0
        start = t0
        j = i + 1
        while True:
            end = k
            last = True
            if j < n_log and log_step[r, j] < k:
                end = log_step[r, j]
                last = False
            n = end - start
            pc = pw(e, POW_C, n)
            acc += cval * (dv * g_q[e] * (1.0 - pw(e, POW_Q, n)) + base * g_c[e] * (1.0 - pc))
            cval *= pc
            if last:
                break
            dv = log_val[r, j]
            start = end
            j += 1
        w = min(max(w + lr_dt[e] * acc, w_min[e]), w_max[e])
        return cval, w

    def current_value(s, k):
        e = rule[s]
        if e >= 0 and e_mode[e] == MODE_EXACT:
            return lazy(s, k)
        return elig[s], weight[s]

    if n_steps == 0:
        for s in range(weight.shape[0]):
            out.peek_c[s], out.peek_w[s] = current_value(s, k0 - 1)
        return 0

    spiked = np.empty(n_neurons, np.int64)
    current = np.empty(n_neurons)
    release = np.zeros(n_regions)
    p_da = 0
    p_stim = 0
    stride = out.track_stride[0]
    for kk in range(n_steps):
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
                for s in range(seg[i, dl], seg[i, dl + 1]):
                    tgt = target[s]
                    e = rule[s]
                    if e >= 0:
                        if e_mode[e] == MODE_EXACT:
                            elig[s], weight[s] = lazy(s, k)
                            t_upd[s] = k
                        elig[s] -= a_minus[e] * post_trace[e, tgt] * pw(e, POW_MINUS, k - last_spike[tgt])
                        pre_trace[s] = pre_trace[s] * pw(e, POW_PLUS, k - t_pre[s]) + 1.0
                        t_pre[s] = k
                    i_syn[tgt] += weight[s]
        while p_stim < ev.stim_step.shape[0] and ev.stim_step[p_stim] == k:
            i_stim[ev.stim_neuron[p_stim]] += ev.stim_pa[p_stim]
            p_stim += 1
        # 3. neurons, population by population, in separately compiled vectorisable loops
        n_spk = 0
        for pp in range(n_pops):
            lo = pop_start[pp]
            hi = pop_start[pp + 1]
            _input_currents(current[lo:hi], i_syn[lo:hi], bias[lo:hi], i_stim[lo:hi], syn_decay[lo:hi])
            if pop_noise[pp]:
                _uniform_noise(current[lo:hi], noise_amp[lo:hi], key_noise, k, n_neurons, lo)
            if pop_poisson[pp]:
                _poisson_input(lo, hi, current, p_lambda, p_w, key_poisson, k, n_neurons)
            if pop_model[pp] == MODEL_IZHIKEVICH:
                _izhikevich_step(v_mv[lo:hi], u_rec[lo:hi], a[lo:hi], b[lo:hi], current[lo:hi], dt_ms)
                for n in range(lo, hi):
                    if v_mv[n] >= 30.0:
                        v_mv[n] = c_reset[n]
                        u_rec[n] += d_jump[n]
                        spiked[n_spk] = n
                        n_spk += 1
            else:
                n_spk = _lif_step(lo, hi, k, v_mv, ref_until, v_rest, v_reset, v_th, lif_gain, lif_decay,
                                  ref_steps, current, spiked, n_spk)
        # 4. spikes: record, release dopamine, LTP on incoming plastic synapses, post traces
        slot = k % n_slots
        ring_count[slot] = n_spk
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
            for idx in range(in_ptr[n], in_ptr[n + 1]):
                s = in_syn[idx]
                e = rule[s]
                if e_mode[e] == MODE_EXACT:
                    elig[s], weight[s] = lazy(s, k)
                    t_upd[s] = k
                elig[s] += a_plus[e] * pre_trace[s] * pw(e, POW_PLUS, k - t_pre[s])
            for e in range(n_rules):
                post_trace[e, n] = post_trace[e, n] * pw(e, POW_MINUS, k - last_spike[n]) + 1.0
            last_spike[n] = k
        # 5. dopamine: daspnet sweep if due, then release and delivery, logged and recorded
        for e in range(n_rules):
            if e_mode[e] == MODE_SWEEP and (k + 1) % sweep_steps[e] == 0:
                r = e_region[e]
                gain = lr_dt[e] * sweep_steps[e] * (baseline[r] + phasic[r])
                decay = pw(e, POW_C, sweep_steps[e])
                for idx in range(sweep_ptr[e], sweep_ptr[e + 1]):
                    s = sweep_syn[idx]
                    weight[s] = min(max(weight[s] + gain * elig[s], w_min[e]), w_max[e])
                    elig[s] *= decay
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
        if stride > 0 and k % stride == 0 and out.track_syn.shape[0] > 0:
            m = out.track_n[0]
            out.track_step[m] = k
            for jj in range(out.track_syn.shape[0]):
                out.track_c[m, jj], out.track_w[m, jj] = current_value(out.track_syn[jj], k)
            out.track_n[0] = m + 1
    return n_steps
