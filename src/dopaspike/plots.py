"""All matplotlib in one place: figures built from plain arrays, never from a simulation.

Every function returns a :class:`matplotlib.figure.Figure`; the run store saves it as PNG and
SVG. The Agg backend is used, so nothing needs a screen.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

_STYLE = {"axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 110, "font.size": 9}


def _figure(rows: int = 1, cols: int = 1, size=(6.4, 3.6), **kw):
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(rows, cols, figsize=size, layout="constrained", **kw)
    return fig, ax


def weight_trajectory(t_ms, w_target, ts_ms, mean, p1, p99, reward_ms, w_max) -> Figure:
    """The rewarded synapse's weight over time against the population (Izhikevich 2007 Fig. 1d)."""
    fig, ax = _figure()
    minutes = np.asarray(ts_ms) / 60000.0
    ax.fill_between(minutes, p1, p99, color="0.85", label="E→E weights, 1st–99th percentile")
    ax.plot(minutes, mean, color="0.4", lw=1, label="E→E mean")
    ax.plot(np.asarray(t_ms) / 60000.0, w_target, color="C3", lw=1.5, label="rewarded synapse")
    r = np.asarray(reward_ms) / 60000.0
    if r.size:
        ax.plot(r, np.full(r.size, w_max * 1.04), "|", color="C0", ms=4, label="rewards")
    ax.set(xlabel="time (min)", ylabel="synaptic weight", ylim=(0, w_max * 1.08))
    ax.legend(loc="center right", frameon=False, fontsize=8)
    return fig


def weight_histogram(weights, w_target, w_max) -> Figure:
    """Final excitatory weight distribution with the rewarded synapse marked (Fig. 1c)."""
    fig, ax = _figure(size=(5.0, 3.4))
    ax.hist(weights, bins=np.linspace(0, w_max, 81), color="0.6", log=True)
    ax.axvline(w_target, color="C3", lw=2, label=f"rewarded synapse ({w_target:.2f})")
    ax.set(xlabel="synaptic weight", ylabel="number of synapses (log)")
    ax.legend(frameon=False)
    return fig


def raster_dopamine(t_ms, ids, da_t_ms, da, n_exc, window_ms: float) -> Figure:
    """Spike rasters of the first and last window (excitatory grey, inhibitory blue) above the
    dopamine concentration over the whole run."""
    with plt.rc_context(_STYLE):
        fig = plt.figure(figsize=(6.4, 4.8), layout="constrained")
        grid = fig.add_gridspec(2, 2, height_ratios=(3, 1.2))
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])]
        ax_d = fig.add_subplot(grid[1, :])
    t = np.asarray(t_ms)
    ids = np.asarray(ids)
    end = float(np.asarray(da_t_ms).max(initial=0.0)) + 1.0
    for ax, (lo, title) in zip(axes, [(0.0, "first"), (max(0.0, end - window_ms), "last")]):
        sel = (t >= lo) & (t < lo + window_ms)
        exc = sel & (ids < n_exc)
        inh = sel & (ids >= n_exc)
        ax.plot(t[exc] / 1000.0, ids[exc], ",", color="0.3")
        ax.plot(t[inh] / 1000.0, ids[inh], ",", color="C0")
        ax.set(title=f"{title} {window_ms / 1000:g} s", xlabel="time (s)")
    axes[0].set_ylabel("neuron")
    ax_d.plot(np.asarray(da_t_ms) / 60000.0, da, color="C2", lw=0.6)
    ax_d.set(xlabel="time (min)", ylabel="dopamine")
    return fig
