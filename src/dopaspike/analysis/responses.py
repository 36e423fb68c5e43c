"""Dopamine-neuron responses from spike times: windowed rates, PSTHs, burst onset and pauses.

The measures of the single-unit literature (Schultz, Dayan & Montague 1997, Science 275:1593;
Fiorillo, Tobler & Schultz 2003, Science 299:1898), computed on a population of model neurons:
a response is the population's mean rate in a window after an event, compared with its rate in
the second before the trial; a burst's onset is the first bin whose rate exceeds the baseline by
a threshold, its duration how long it stays above; a pause is the stretch of a PSTH below the
baseline rate.
"""

from __future__ import annotations

import numpy as np


def window_rates(times_ms: np.ndarray, align_ms: np.ndarray, start_ms: float, stop_ms: float, n_neurons: int) -> np.ndarray:
    """Mean rate (Hz per neuron) in ``[align + start, align + stop)`` for each alignment time.

    ``times_ms`` must be sorted. NaN alignments give NaN.
    """
    align = np.asarray(align_ms, float)
    out = np.full(align.shape, np.nan)
    ok = np.isfinite(align)
    lo = np.searchsorted(times_ms, align[ok] + start_ms, side="left")
    hi = np.searchsorted(times_ms, align[ok] + stop_ms, side="left")
    out[ok] = (hi - lo) / n_neurons / ((stop_ms - start_ms) / 1000.0)
    return out


def psth(times_ms: np.ndarray, align_ms: np.ndarray, start_ms: float, stop_ms: float, bin_ms: float,
         n_neurons: int) -> tuple[np.ndarray, np.ndarray]:
    """(bin centres relative to the event, mean rate in Hz per neuron per bin) over alignments."""
    edges = np.arange(start_ms, stop_ms + bin_ms / 2, bin_ms)
    align = np.asarray(align_ms, float)
    align = align[np.isfinite(align)]
    counts = np.zeros(edges.size - 1)
    for t0 in align:
        lo, hi = np.searchsorted(times_ms, [t0 + edges[0], t0 + edges[-1]])
        counts += np.histogram(times_ms[lo:hi] - t0, edges)[0]
    rate = counts / max(align.size, 1) / n_neurons / (bin_ms / 1000.0)
    if align.size == 0:
        rate[:] = np.nan
    return (edges[:-1] + edges[1:]) / 2, rate


def burst_onset_duration(centres_ms: np.ndarray, rate_hz: np.ndarray, baseline_hz: float,
                         threshold_hz: float) -> tuple[float, float, float]:
    """(onset latency, duration, peak rate) of the first run of bins at or after 0 whose rate
    exceeds ``baseline_hz + threshold_hz``; NaN latency and 0 duration if there is none.

    Latency is the start of the first such bin; duration runs to the end of the last bin of the
    contiguous run.
    """
    width = float(centres_ms[1] - centres_ms[0]) if centres_ms.size > 1 else 1.0
    after = centres_ms >= 0
    above = (rate_hz > baseline_hz + threshold_hz) & after
    if not above.any():
        return float("nan"), 0.0, float(np.nanmax(rate_hz[after])) if after.any() else float("nan")
    first = int(np.argmax(above))
    last = first
    while last + 1 < above.size and above[last + 1]:
        last += 1
    onset = centres_ms[first] - width / 2
    return float(onset), float((last - first + 1) * width), float(rate_hz[first:last + 1].max())


def pause(centres_ms: np.ndarray, rate_hz: np.ndarray, baseline_hz: float, start_ms: float,
          stop_ms: float) -> tuple[float, float]:
    """(rate at the deepest point, centre of the pause) between ``start_ms`` and ``stop_ms``.

    The centre is the mean time of the bins in the window whose rate is below half the baseline,
    weighted by how far below; NaN if none is.
    """
    sel = (centres_ms >= start_ms) & (centres_ms < stop_ms)
    c, r = centres_ms[sel], rate_hz[sel]
    if r.size == 0:
        return float("nan"), float("nan")
    deficit = np.clip(baseline_hz / 2 - r, 0, None)
    centre = float(np.sum(c * deficit) / deficit.sum()) if deficit.sum() > 0 else float("nan")
    return float(r.min()), centre
