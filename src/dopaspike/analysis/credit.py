"""Which synapses a recorded dopamine signal would teach, and how much: an offline credit estimate.

For a three-factor rule ``dw/dt = lr * c(t) * sign * (occ(DA(t)) - occ(tonic))`` (see
:class:`~dopaspike.core.models.DaStdp` with a :class:`~dopaspike.core.models.DaReceptor`), the
weight change of a trial is the integral of the eligibility times the receptor's occupancy
change. This module evaluates that integral on a *recorded* concentration trace (for example a
choice experiment's ``dopamine/conc``) for an idealised eligibility: constant pre-post pairing
from the offer until ``drive_until_ms`` (until ``hold_ms`` for the chosen option, until
``decision_ms`` for an option offered but not chosen), filtered by the rule's eligibility
kernel, ``exp(-t / tau_c) - exp(-t / tau_rise)`` (a difference of exponentials; Yagishita et al.
2014, Science 345:1616, for the delay between pairing and dopamine).

It answers questions such as: does the option not chosen share in the chosen option's reward?
At what reward rate do a receptor's bursts and dips cancel? Because the dopamine trace is
fixed, it ignores how learning would change the trace and the firing; it is an estimate to
guide, not a replacement for, a run.
"""

from __future__ import annotations

import numpy as np

from ..core.models import DaReceptor


def eligibility_kernel(tau_c_ms: float, tau_rise_ms: float, dt_ms: float, length_ms: float) -> np.ndarray:
    """The eligibility left ``t`` after one pairing, sampled at bin centres, peak scaled to 1.

    ``tau_rise_ms == 0`` gives a plain exponential decay.
    """
    if tau_c_ms <= 0 or tau_rise_ms < 0 or dt_ms <= 0 or length_ms < dt_ms:
        raise ValueError(f"need tau_c_ms > 0, tau_rise_ms >= 0, dt_ms > 0, length_ms >= dt_ms "
                         f"(got {tau_c_ms}, {tau_rise_ms}, {dt_ms}, {length_ms})")
    t = np.arange(0.0, length_ms, dt_ms) + dt_ms / 2
    k = np.exp(-t / tau_c_ms) - (np.exp(-t / tau_rise_ms) if tau_rise_ms > 0 else 0.0)
    return k / k.max()


def trial_credit(conc: np.ndarray, t_ms: np.ndarray, starts_ms: np.ndarray, *, receptor: DaReceptor, tonic: float,
                 drive_until_ms: float, tau_c_ms: float, tau_rise_ms: float = 0.0,
                 window_ms: float = 2500.0) -> np.ndarray:
    """Per trial, ``integral c(t) * sign * (occ(DA) - occ(tonic)) dt`` in seconds, with the
    occupancy and sign of ``receptor`` (its ``ec50`` in the units of ``conc``).

    ``conc`` is one region's concentration sampled at ``t_ms`` (evenly spaced bins); each trial
    starts (the offer) at an entry of ``starts_ms``, and its eligibility builds from constant
    pairing in ``[0, drive_until_ms)`` after the start. The integral runs over ``window_ms``
    after the start. Trials whose window leaves the recording give NaN.
    """
    conc = np.asarray(conc, float)
    t_ms = np.asarray(t_ms, float)
    if conc.shape != t_ms.shape or t_ms.size < 2:
        raise ValueError(f"conc and t_ms must be 1-d of the same length >= 2 (got {conc.shape}, {t_ms.shape})")
    dt = float(t_ms[1] - t_ms[0])
    n = int(round(window_ms / dt))
    centres = np.arange(n) * dt + dt / 2
    drive = (centres < drive_until_ms).astype(float)
    elig = np.convolve(drive, eligibility_kernel(tau_c_ms, tau_rise_ms, dt, window_ms))[:n] * dt
    ref = receptor.occupancy(float(tonic))
    out = np.full(len(starts_ms), np.nan)
    for i, t0 in enumerate(np.asarray(starts_ms, float)):
        k = int(np.searchsorted(t_ms, t0))
        if k + n <= conc.size:
            dev = receptor.sign * (receptor.occupancy(np.maximum(conc[k:k + n], 0.0)) - ref)
            out[i] = float(dev @ elig) * dt / 1000.0
    return out


def balance_reward_rate(rewarded: float, omitted: float) -> float:
    """The reward rate at which the mean credit of rewarded and of omitted trials cancel:
    ``p * rewarded + (1 - p) * omitted = 0``. NaN when both have the same sign."""
    if rewarded * omitted >= 0:
        return float("nan")
    return float(omitted / (omitted - rewarded))
