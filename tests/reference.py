"""Slow, obvious per-step implementations used only as oracles by the tests.

They follow the step order documented in :mod:`dopaspike.core.kernel` literally, one step at a
time, with no closed forms and no laziness.
"""

from __future__ import annotations

import math

import numpy as np


def da_stdp_reference(n_steps, arrivals, post_spikes, da_jumps, *, dt_ms, a_plus, a_minus, tau_plus_ms,
                      tau_minus_ms, tau_c_ms, tau_da_ms, baseline, lr_per_ms, w0, w_min, w_max, mode="exact",
                      da_reference=0.0, sweep_steps=10, tau_c_rise_ms=0.0, receptor=None, a_pre=0.0,
                      soft_bounds=False):
    """Eligibility and weight of one synapse after ``n_steps``.

    ``arrivals``: steps at which presynaptic spikes arrive; ``post_spikes``: steps at which the
    postsynaptic neuron spikes; ``da_jumps``: {step: amount} added to the phasic dopamine at the
    end of that step. Weights are clipped when the synapse is touched by an event (exact mode) or
    at every sweep (sweep mode), as in the engine. With ``tau_c_rise_ms`` > 0 the eligibility is
    ``c_slow - c_fast`` (decaying with tau_c and tau_c_rise), both receiving every increment
    times the factor that makes the kernel peak at 1. With a ``receptor`` (a DaReceptor) dopamine
    is read as ``sign * (occupancy(DA) - occupancy(da_reference))``. ``a_pre`` is added to the
    eligibility at every arrival, whatever the postsynaptic neuron does. With ``soft_bounds``
    each step's change is scaled by ``(w_max - w) / (w_max - w_min)`` when it potentiates and by
    ``(w - w_min) / (w_max - w_min)`` when it depresses, at that step's weight.
    """
    a_c = math.exp(-dt_ms / tau_c_ms)
    a_d = math.exp(-dt_ms / tau_da_ms)
    a_p = math.exp(-dt_ms / tau_plus_ms)
    a_m = math.exp(-dt_ms / tau_minus_ms)
    arrivals, posts = set(arrivals), set(post_spikes)
    rise = tau_c_rise_ms > 0
    a_r = math.exp(-dt_ms / tau_c_rise_ms) if rise else 0.0
    scale = 1.0
    if rise:
        t_peak = tau_c_ms * tau_c_rise_ms / (tau_c_ms - tau_c_rise_ms) * math.log(tau_c_ms / tau_c_rise_ms)
        scale = 1.0 / (math.exp(-t_peak / tau_c_ms) - math.exp(-t_peak / tau_c_rise_ms))
    a_plus, a_minus, a_pre = a_plus * scale, a_minus * scale, a_pre * scale
    c, w, da, x_pre, x_post = 0.0, float(w0), 0.0, 0.0, 0.0
    c_fast = 0.0
    for k in range(n_steps):
        da *= a_d  # 1. decay
        if mode == "exact":
            c *= a_c
            c_fast *= a_r
            if receptor is None:
                teach = baseline + da - da_reference
            else:
                teach = receptor.sign * (receptor.occupancy(baseline + da) - receptor.occupancy(da_reference))
            dw = lr_per_ms * dt_ms * teach * (c - c_fast)
            if soft_bounds:
                dw *= ((w_max - w) if dw > 0 else (w - w_min)) / (w_max - w_min)
            w += dw
        x_pre *= a_p
        x_post_before = x_post * a_m  # post trace as of this step, before this step's spikes
        if k in arrivals:  # 2. arrival
            if mode == "exact":
                w = min(max(w, w_min), w_max)
            c += a_pre - a_minus * x_post_before
            c_fast += a_pre - a_minus * x_post_before if rise else 0.0
            x_pre += 1.0
        x_post = x_post_before
        if k in posts:  # 4. post spike
            if mode == "exact":
                w = min(max(w, w_min), w_max)
            c += a_plus * x_pre
            c_fast += a_plus * x_pre if rise else 0.0
            x_post += 1.0
        if mode == "sweep" and (k + 1) % sweep_steps == 0:  # 5. sweep, then dopamine
            w = min(max(w + lr_per_ms * dt_ms * sweep_steps * (baseline + da - da_reference) * c, w_min), w_max)
            c *= a_c ** sweep_steps
        da += da_jumps.get(k, 0.0)
    if mode == "exact":
        w = min(max(w, w_min), w_max)
    return c - c_fast, w


def izhikevich_reference(current_pa, n_steps, *, a=0.02, b=0.2, c=-65.0, d=8.0, v0=-65.0, dt_ms=1.0):
    """Membrane trace and spike steps of one Izhikevich neuron (two half-steps, as daspnet.m)."""
    v, u = v0, b * v0
    trace, spikes = [], []
    h = dt_ms / 2
    for k in range(n_steps):
        i = current_pa[k] if np.ndim(current_pa) else current_pa
        v = v + h * ((0.04 * v + 5.0) * v + 140.0 - u + i)
        v = v + h * ((0.04 * v + 5.0) * v + 140.0 - u + i)
        u = u + dt_ms * a * (b * v - u)
        if v >= 30:
            spikes.append(k)
            v, u = c, u + d
        trace.append(v)
    return np.array(trace), spikes
