"""The offline credit estimate (dopaspike.analysis.credit): eligibility kernel, per-trial credit of
a recorded dopamine trace, and the reward rate at which bursts and dips cancel."""

from __future__ import annotations

import numpy as np
import pytest

from dopaspike.analysis.credit import balance_reward_rate, eligibility_kernel, trial_credit
from dopaspike.core.models import DaReceptor


def test_kernel_peaks_where_the_difference_of_exponentials_does():
    k = eligibility_kernel(500.0, 200.0, 1.0, 3000.0)
    assert k.max() == pytest.approx(1.0)
    t_peak = np.log(500.0 / 200.0) * 500.0 * 200.0 / 300.0  # 305 ms
    assert abs(np.argmax(k) + 0.5 - t_peak) <= 1.0
    plain = eligibility_kernel(300.0, 0.0, 10.0, 2000.0)
    assert plain[0] == 1.0 and np.all(np.diff(plain) < 0)
    with pytest.raises(ValueError, match="tau_c_ms"):
        eligibility_kernel(0.0, 0.0, 1.0, 100.0)


def _ode_credit(conc_fn, tonic, ec50, hill, sign, drive_until_ms, tau_c, tau_r, window_ms, h=0.05):
    def occupancy(da):  # written out here, independent of DaReceptor
        x = (da / ec50) ** hill
        return x / (1.0 + x)

    """Reference: the eligibility as two leaky integrators of the pairing drive (their difference
    is the kernel convolved with the drive), stepped finely, times the occupancy change."""
    t_peak = np.log(tau_c / tau_r) * tau_c * tau_r / (tau_c - tau_r)
    k_max = np.exp(-t_peak / tau_c) - np.exp(-t_peak / tau_r)
    a = b = acc = 0.0
    ref = occupancy(tonic)
    for t in np.arange(0.0, window_ms, h):
        drive = 1.0 if t < drive_until_ms else 0.0
        a += h * (drive - a / tau_c)
        b += h * (drive - b / tau_r)
        acc += h * (a - b) / k_max * sign * (occupancy(conc_fn(t)) - ref)
    return acc / 1000.0


def _burst_trace(t_ms, starts, level, at_ms=800.0, dur_ms=200.0):
    conc = np.ones_like(t_ms)
    for t0 in starts:
        conc[(t_ms >= t0 + at_ms) & (t_ms < t0 + at_ms + dur_ms)] = level
    return conc


def test_credit_matches_a_finely_stepped_reference_and_has_the_receptors_signs():
    dt = 1.0
    t_ms = np.arange(0.0, 10_000.0, dt)
    starts = np.array([1000.0, 4000.0])
    burst = _burst_trace(t_ms, starts, 3.0)
    dip = _burst_trace(t_ms, starts, 0.2)
    common = dict(tonic=1.0, tau_c_ms=500.0, tau_rise_ms=200.0, window_ms=2000.0)
    d1 = dict(receptor=DaReceptor("d1", ec50=3.0))
    d2 = dict(receptor=DaReceptor("d2", ec50=1.0, hill=0.5))
    ref_args = {id(d1): (3.0, 1.0, 1.0), id(d2): (1.0, 0.5, -1.0)}  # ec50, hill, sign
    for conc, level in ((burst, 3.0), (dip, 0.2)):
        for rec in (d1, d2):
            for until in (900.0, 300.0):
                got = trial_credit(conc, t_ms, starts, drive_until_ms=until, **common, **rec)
                want = _ode_credit(lambda t, lv=level: lv if 800.0 <= t < 1000.0 else 1.0, 1.0, *ref_args[id(rec)],
                                   until, 500.0, 200.0, 2000.0)
                np.testing.assert_allclose(got, want, rtol=0.02)
    chosen = trial_credit(burst, t_ms, starts, drive_until_ms=900.0, **common, **d1)
    unchosen = trial_credit(burst, t_ms, starts, drive_until_ms=300.0, **common, **d1)
    assert np.all(chosen > unchosen) and np.all(unchosen > 0)  # a burst teaches D1 Go, the chosen option most
    assert np.all(trial_credit(burst, t_ms, starts, drive_until_ms=900.0, **common, **d2) < 0)  # and D2 NoGo away
    assert np.all(trial_credit(dip, t_ms, starts, drive_until_ms=900.0, **common, **d2) > 0)
    flat = trial_credit(np.ones_like(t_ms), t_ms, starts, drive_until_ms=900.0, **common, **d1)
    np.testing.assert_array_equal(flat, 0.0)  # no phasic dopamine, no credit
    late = trial_credit(burst, t_ms, np.array([9000.0]), drive_until_ms=900.0, **common, **d1)
    assert np.isnan(late[0])  # the window leaves the recording
    with pytest.raises(ValueError, match="same length"):
        trial_credit(burst[:-1], t_ms, starts, drive_until_ms=900.0, **common, **d1)


def test_balance_reward_rate():
    assert balance_reward_rate(1.0, -1.0) == pytest.approx(0.5)
    assert balance_reward_rate(-1.0, 3.0) == pytest.approx(0.75)  # D2: a dip counts three times a burst
    assert np.isnan(balance_reward_rate(1.0, 2.0))
