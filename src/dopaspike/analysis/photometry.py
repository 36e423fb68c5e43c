"""Simulated fiber photometry: a region's dopamine concentration as a genetically encoded sensor
and an optical fiber report it, aligned on task events and averaged per learning stage.

Fiber photometry records the bulk fluorescence of a sensor expressed in the tissue below a fiber
tip. Dopamine sensors are dopamine receptors with a circularly permuted GFP inside: bound
dopamine raises their fluorescence, so that, below saturation, the fluorescence follows the
extracellular concentration low-passed by the binding kinetics, a rise (on) and a decay (off)
time constant (:data:`SENSORS`). The kinetics matter when a model is compared with a recording:
through GRAB-DA2m (decay ~1.3 s) a 200 ms dip of the concentration (the pause of dopamine
neurons after an omitted reward) keeps about 14 % of its depth (``1 - exp(-200/1300)``) and is
spread over seconds, while through dLight1.1 (decay ~100 ms) it keeps about 85 %.

Sources: Patriarchi T et al. 2018, Science 360:eaat4422 (dLight1); Sun F et al. 2020, Nat
Methods 17:1156 (GRAB-DA2m). The read-out has the layout of Lopez GC et al. 2025, Curr Biol
35:2433 (dopamine in the NAc core and ventromedial shell during avoidance learning): the signal
around cue, shock, avoidance and escape, averaged per learning stage, one row of panels per region.

Steps: :func:`sensor_signal` (through :func:`sensor_kernel`), :func:`normalise` (dF/F or
z-score), :func:`peri_event` and :func:`baseline_subtract`, :func:`learning_stages`,
:func:`peri_event_table` (mean, SEM and n per region, event and group) and :func:`photometry_figure`.
The read-out is linear: no saturation (concentrations far below the sensor's affinity), no
bleaching, no noise, no isosbestic channel; the filtered concentration stands for F.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import ConfigError, check_range

#: Sensor kinetics ``(rise_ms, decay_ms)``: the published on and off time constants, rounded and
#: approximate (they were fitted to fast dopamine application in vitro and vary with preparation,
#: temperature and concentration). ``dlight1.1``: on ~10 ms, off ~100 ms (Patriarchi et al. 2018,
#: Science 360:eaat4422); ``grab_da2m``: on ~40 ms, off ~1.3 s (Sun et al. 2020, Nat Methods
#: 17:1156); ``none``: no sensor, the concentration itself (a decay of 0 is the identity).
SENSORS: dict[str, tuple[float, float]] = {"dlight1.1": (10.0, 100.0), "grab_da2m": (40.0, 1300.0), "none": (0.0, 0.0)}
#: Fraction of the kernel's area that :func:`sensor_kernel` keeps when no length is given.
KERNEL_AREA = 0.999
#: Stage labels of :func:`learning_stages` with three stages, in order.
STAGE_LABELS = ("early", "middle", "expert")


def _positive(field: str, value) -> float:
    check_range(field, value, 0.0, low_open=True)
    return float(value)


def _window(field: str, window) -> tuple[float, float]:
    try:
        start, stop = (float(v) for v in window)
    except (TypeError, ValueError):
        raise ConfigError(field, window, "a pair (start_ms, stop_ms) of numbers") from None
    if not (math.isfinite(start) and math.isfinite(stop) and start < stop):
        raise ConfigError(field, window, "a pair (start_ms, stop_ms) of finite numbers with start < stop")
    return start, stop


def _array(field: str, value, *, ndim: tuple[int, ...] = (1, 2), finite: bool = True) -> np.ndarray:
    try:
        x = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(field, type(value).__name__, "an array of numbers") from None
    if x.ndim not in ndim or x.shape[-1] == 0:
        raise ConfigError(f"{field}: shape", x.shape, f"a non-empty array of {' or '.join(map(str, ndim))} dimensions")
    if finite and not np.isfinite(x).all():
        raise ConfigError(field, "NaN or infinite values", "finite numbers")
    return x


def _kinetics(sensor) -> tuple[float, float]:
    try:
        rise, decay = SENSORS[sensor] if isinstance(sensor, str) else (float(v) for v in sensor)
    except (KeyError, TypeError, ValueError):
        raise ConfigError("sensor", sensor, f"one of {', '.join(map(repr, SENSORS))} or a pair (rise_ms, decay_ms)") from None
    check_range("sensor: rise_ms", rise, 0.0)
    check_range("sensor: decay_ms", decay, 0.0)
    if decay and not rise < decay:
        raise ConfigError("sensor: rise_ms", rise, f"less than decay_ms ({decay:g})")
    return rise, decay


# ---------------------------------------------------------------------------------------------
# concentration to signal


def sensor_kernel(dt_ms: float, rise_ms: float, decay_ms: float, *, length_ms: float | None = None) -> np.ndarray:
    """The sensor's impulse response sampled every ``dt_ms`` from t = 0: the causal difference of
    exponentials ``exp(-t/decay_ms) - exp(-t/rise_ms)`` (a pure exponential decay with
    ``rise_ms = 0``), scaled so that its samples sum to 1 (unit area: a constant concentration
    maps to itself). It runs over ``length_ms``, by default long enough to hold
    :data:`KERNEL_AREA` of its area. ``decay_ms = 0`` (with ``rise_ms = 0``) is the identity, ``[1.0]``.
    """
    dt = _positive("dt_ms", dt_ms)
    rise, decay = _kinetics((rise_ms, decay_ms))
    if length_ms is not None:
        _positive("length_ms", length_ms)
    if decay == 0.0:
        return np.ones(1)
    if length_ms is None:  # the tail beyond L is below decay * exp(-L/decay) / (decay - rise)
        length_ms = decay * math.log(decay / (decay - rise) / (1.0 - KERNEL_AREA))
    t = np.arange(max(int(math.ceil(length_ms / dt)), 1) + 1) * dt
    k = np.exp(-t / decay) - (np.exp(-t / rise) if rise > 0 else 0.0)
    return k / k.sum()


def sensor_signal(concentration, dt_ms: float, sensor="dlight1.1") -> np.ndarray:
    """The sensor's signal: ``concentration`` (time on the last axis, e.g. (regions, time))
    convolved causally with :func:`sensor_kernel` of ``sensor`` (a name of :data:`SENSORS` or a
    pair ``(rise_ms, decay_ms)``); same shape as the input. The samples before the recording are
    taken as 0, so the first ``decay`` or so of the output rises from 0. ``"none"`` gives a copy."""
    dt = _positive("dt_ms", dt_ms)
    rise, decay = _kinetics(sensor)
    c = _array("concentration", concentration)
    kernel = sensor_kernel(dt, rise, decay)
    if kernel.size == 1:
        return c.copy()
    from scipy.signal import oaconvolve

    return oaconvolve(c, kernel.reshape((1,) * (c.ndim - 1) + (-1,)), mode="full", axes=-1)[..., : c.shape[-1]]


def normalise(signal, dt_ms: float, kind: str = "dff", baseline: Sequence[tuple[float, float]] | None = None) -> np.ndarray:
    """The signal normalised along its last axis (each row on its own):

    - ``"dff"``: ``dF/F = (F - F0) / F0``, with ``F0`` the median of the baseline samples;
    - ``"zscore"``: ``(F - mean) / std``, mean and standard deviation (ddof 0) of the baseline samples.

    The baseline is the whole trace by default, or the samples in the given time ranges
    ``[(start_ms, stop_ms), ...]`` (sample i at ``i * dt_ms``; each range half-open).
    """
    dt = _positive("dt_ms", dt_ms)
    if kind not in ("dff", "zscore"):
        raise ConfigError("kind", kind, "'dff' or 'zscore'")
    f = _array("signal", signal)
    n = f.shape[-1]
    mask = np.ones(n, bool)
    if baseline is not None:
        mask[:] = False
        times = np.arange(n) * dt
        try:
            ranges = [baseline] if np.ndim(baseline) == 1 else list(baseline)
        except (TypeError, ValueError):
            raise ConfigError("baseline", baseline, "a range (start_ms, stop_ms) or a list of them") from None
        for r in ranges:
            start, stop = _window("baseline", r)
            mask |= (times >= start) & (times < stop)
        if not mask.any():
            raise ConfigError("baseline", baseline, f"time ranges holding at least one sample of the trace (0 to {n * dt:g} ms)")
    base = f[..., mask]
    if kind == "dff":
        f0 = np.median(base, axis=-1, keepdims=True)
        if np.any(f0 == 0):
            raise ConfigError("baseline", baseline, "a baseline whose median is not 0 (dF/F divides by it; use 'zscore')")
        return (f - f0) / f0
    sd = base.std(axis=-1, keepdims=True)
    if np.any(sd == 0):
        raise ConfigError("baseline", baseline, "a baseline that is not constant (the z-score divides by its standard deviation)")
    return (f - base.mean(axis=-1, keepdims=True)) / sd


# ---------------------------------------------------------------------------------------------
# aligned on events


def peri_event(signal, dt_ms: float, event_ms, window_ms=(-2000.0, 5000.0)) -> tuple[np.ndarray, np.ndarray]:
    """``(times_ms, matrix)``: one row per event of the 1-D ``signal`` (sample i at ``i * dt_ms``)
    in the window around it. ``times_ms`` are the multiples of ``dt_ms`` in ``window_ms``
    (bounds included), 0 among them when the window holds it; column j of a row is the sample
    ``round(event_ms / dt_ms) + times_ms[j] / dt_ms``: an event between two samples is taken at
    the nearest (half-way: the later). NaN where the window runs off the recording; no events
    give a ``(0, len(times_ms))`` matrix.
    """
    dt = _positive("dt_ms", dt_ms)
    start, stop = _window("window_ms", window_ms)
    x = _array("signal", signal, ndim=(1,), finite=False)
    try:
        events = np.atleast_1d(np.asarray(event_ms, dtype=float))
    except (TypeError, ValueError):
        raise ConfigError("event_ms", event_ms, "a 1-D sequence of event times in ms") from None
    if events.ndim != 1 or not np.isfinite(events).all():
        raise ConfigError("event_ms", event_ms, "a 1-D sequence of finite event times in ms")
    offsets = np.arange(math.ceil(start / dt - 1e-9), math.floor(stop / dt + 1e-9) + 1)
    if offsets.size == 0:
        raise ConfigError("window_ms", window_ms, f"a window holding at least one multiple of dt_ms ({dt:g})")
    index = np.floor(events / dt + 0.5).astype(np.int64)[:, None] + offsets[None, :]
    inside = (index >= 0) & (index < x.size)
    matrix = np.full(index.shape, np.nan)
    matrix[inside] = x[index[inside]]
    return offsets * dt, matrix


def _row_mean(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring NaN; NaN where a row has no finite value (no warning)."""
    ok = np.isfinite(values)
    count = ok.sum(axis=-1)
    total = np.where(ok, values, 0.0).sum(axis=-1)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def baseline_subtract(matrix, times_ms, window_ms=(-1000.0, 0.0)) -> np.ndarray:
    """Each row of a :func:`peri_event` matrix minus its mean over the samples with
    ``start <= times_ms < stop`` of ``window_ms`` (NaN samples ignored; a row without any is all NaN)."""
    m = _array("matrix", matrix, ndim=(2,), finite=False)
    t = _array("times_ms", times_ms, ndim=(1,))
    if t.size != m.shape[1]:
        raise ConfigError("times_ms: length", t.size, f"the number of columns of matrix ({m.shape[1]})")
    start, stop = _window("window_ms", window_ms)
    cols = (t >= start) & (t < stop)
    if not cols.any():
        raise ConfigError("window_ms", window_ms, f"a window holding at least one of times_ms ({t[0]:g} to {t[-1]:g})")
    return m - _row_mean(m[:, cols])[:, None]


def learning_stages(values, n_stages: int = 3, labels: Sequence[str] | None = None) -> np.ndarray:
    """Each item's learning stage: the distinct ``values`` (sessions, or trials), in sorted order,
    split into ``n_stages`` consecutive parts, and every item labelled by its value's part. With
    ``d`` distinct values each part holds ``d // n_stages`` of them and the first ``d % n_stages``
    parts one more (10 sessions in 3 stages: 4, 3, 3). ``labels`` default to :data:`STAGE_LABELS`
    for 3 stages, ``"stage 1"``, ``"stage 2"``, ... otherwise."""
    if isinstance(n_stages, bool) or not isinstance(n_stages, (int, np.integer)) or n_stages < 1:
        raise ConfigError("n_stages", n_stages, "an integer >= 1")
    if labels is None:
        labels = STAGE_LABELS if n_stages == 3 else [f"stage {i + 1}" for i in range(n_stages)]
    if isinstance(labels, str) or len(labels) != n_stages:
        raise ConfigError("labels", labels, f"a sequence of {n_stages} labels (one per stage)")
    items = pd.Series(np.asarray(values).ravel() if not isinstance(values, pd.Series) else values.to_numpy())
    if items.empty or items.isna().any():
        raise ConfigError("values", list(items[:5]), "a non-empty sequence of sessions (or trials) without missing values")
    distinct = np.sort(items.unique())
    if distinct.size < n_stages:
        raise ConfigError("values", f"{distinct.size} distinct values", f"at least n_stages ({n_stages}) distinct values")
    part = np.concatenate([np.full(p.size, i) for i, p in enumerate(np.array_split(distinct, n_stages))])
    return np.asarray(labels, dtype=object)[part[np.searchsorted(distinct, items.to_numpy())]]


# ---------------------------------------------------------------------------------------------
# averaged per region, event and group


@dataclass(frozen=True)
class PeriEventSummary:
    """Peri-event averages, per (region, event, group...): row i of ``groups`` (columns ``region``,
    ``event``, the grouping columns ``by`` and ``n``, the number of events) goes with row i of
    ``mean`` and ``sem`` and ``count`` (arrays (groups, times)): the mean over events at each of
    ``times_ms``, its standard error (``std(ddof=1) / sqrt(count)``, NaN with fewer than 2 events)
    and the number of events with a value there (fewer than ``n`` near the recording's edges)."""

    times_ms: np.ndarray
    by: tuple[str, ...]
    groups: pd.DataFrame
    mean: np.ndarray
    sem: np.ndarray
    count: np.ndarray

    def select(self, **where) -> pd.DataFrame:
        """The rows of ``groups`` matching every ``column=value`` given (their index: rows of ``mean``)."""
        rows = np.ones(len(self.groups), bool)
        for column, value in where.items():
            if column not in self.groups.columns:
                raise ConfigError(column, value, f"one of the columns {', '.join(self.groups.columns)}")
            rows &= (self.groups[column] == value).to_numpy()
        return self.groups[rows]

    def to_frame(self) -> pd.DataFrame:
        """One row per group and time: the group's columns, ``t_ms``, ``mean``, ``sem``, ``count``."""
        nt = self.times_ms.size
        frame = self.groups.loc[self.groups.index.repeat(nt)].reset_index(drop=True)
        return frame.assign(t_ms=np.tile(self.times_ms, len(self.groups)), mean=self.mean.ravel(),
                            sem=self.sem.ravel(), count=self.count.ravel())


def peri_event_table(signals: Mapping[str, np.ndarray], dt_ms: float, events: pd.DataFrame, window_ms=(-2000.0, 5000.0),
                     baseline_window_ms: tuple[float, float] | None = (-1000.0, 0.0), *,
                     by: Sequence[str] | None = None) -> PeriEventSummary:
    """Mean and SEM over events of each region's signal around each kind of event, per group.

    ``signals`` maps a region to its 1-D trace (sample i at ``i * dt_ms``). ``events`` has a row
    per event with ``t_ms`` and ``event`` (its name) and grouping columns (``stage``,
    ``outcome``, ``individual``, ...); ``by`` names those to group by (default: every other
    column). Rows are :func:`peri_event` windows, minus their mean over ``baseline_window_ms``
    (:func:`baseline_subtract`; ``None``: not subtracted). Groups appear in the order of
    ``signals``, then of first appearance in ``events``."""
    dt = _positive("dt_ms", dt_ms)
    _window("window_ms", window_ms)
    base = None if baseline_window_ms is None else _window("baseline_window_ms", baseline_window_ms)
    if not isinstance(signals, Mapping) or not signals:
        raise ConfigError("signals", type(signals).__name__, "a non-empty dict region -> 1-D trace")
    traces = {str(r): _array(f"signals[{r!r}]", s, ndim=(1,), finite=False) for r, s in signals.items()}
    if not isinstance(events, pd.DataFrame) or not {"t_ms", "event"} <= set(events.columns):
        raise ConfigError("events", type(events).__name__, "a DataFrame with the columns t_ms and event (and grouping columns)")
    by = tuple(c for c in events.columns if c not in ("t_ms", "event")) if by is None else tuple(by)
    missing = [c for c in by if c not in events.columns or c in ("t_ms", "event", "region")]
    if missing:
        raise ConfigError("by", list(by), f"columns of events but t_ms, event, region (not {', '.join(map(str, missing))})")
    t = pd.to_numeric(events["t_ms"], errors="coerce").to_numpy(float)
    if not np.isfinite(t).all():
        raise ConfigError("events: t_ms", events["t_ms"][~np.isfinite(t)].iloc[0], "finite times in ms")
    times = peri_event(np.zeros(1), dt, [], window_ms)[0]
    if base is not None and not np.any((times >= base[0]) & (times < base[1])):
        raise ConfigError("baseline_window_ms", baseline_window_ms, f"a window within window_ms ({window_ms})")
    rows, stats = [], []
    for region, trace in traces.items():
        _, matrix = peri_event(trace, dt, t, window_ms)
        if base is not None:
            matrix = baseline_subtract(matrix, times, base)
        for key, g in events.reset_index(drop=True).groupby(["event", *by], sort=False, dropna=False):
            m = matrix[g.index.to_numpy()]
            ok = np.isfinite(m)
            count, mean = ok.sum(axis=0), _row_mean(m.T)
            var = np.divide((np.where(ok, m - mean, 0.0) ** 2).sum(axis=0), count - 1, out=np.full(count.shape, np.nan),
                            where=count > 1)
            rows.append({"region": region, **dict(zip(["event", *by], key)), "n": len(g)})
            stats.append((mean, np.sqrt(var) / np.sqrt(np.maximum(count, 1)), count))
    mean, sem, count = (np.reshape([s[i] for s in stats], (len(rows), times.size)) for i in range(3))
    return PeriEventSummary(times, by, pd.DataFrame(rows, columns=["region", "event", *by, "n"]), mean, sem, count.astype(int))


# ---------------------------------------------------------------------------------------------
# the figure


def photometry_figure(summary: PeriEventSummary, *, regions=None, events=None, stages=None, title: str = ""):
    """The read-out in the layout of Lopez et al. 2025: one row of panels per region, one column
    per event, one line per stage (coloured from early, light, to expert, dark) with its SEM as a
    band, a vertical line at the event, the y-axis shared along a row and time in seconds. The
    summary is grouped by at most ``stage`` (:func:`peri_event_table` with ``by=["stage"]`` or
    ``by=[]``); ``regions``, ``events`` and ``stages`` choose and order them (default: all, stages
    in the order of :data:`STAGE_LABELS` where they are those, else of appearance)."""
    import matplotlib as mpl

    from .strategy import _STYLE, _new_figure

    if not isinstance(summary, PeriEventSummary):
        raise ConfigError("summary", type(summary).__name__, "a PeriEventSummary (from peri_event_table)")
    if set(summary.by) - {"stage"}:
        raise ConfigError("summary: by", list(summary.by), "a summary grouped by at most 'stage' (by=['stage'] or [])")
    g = summary.groups
    have: dict[str, list] = {"regions": list(dict.fromkeys(g["region"])), "events": list(dict.fromkeys(g["event"])),
            "stages": list(dict.fromkeys(g["stage"])) if "stage" in g else [None]}
    if "stage" in g and set(have["stages"]) <= set(STAGE_LABELS):
        have["stages"] = [s for s in STAGE_LABELS if s in have["stages"]]
    chosen = {}
    for name, given in (("regions", regions), ("events", events), ("stages", stages)):
        chosen[name] = have[name] if given is None else list(given)
        if not chosen[name] or any(v not in have[name] for v in chosen[name]):
            raise ConfigError(name, given, "None (the summary has no stage column)" if have[name] == [None]
                              else "a non-empty list of " + ", ".join(map(repr, have[name])))
    nr, nc, ns = len(chosen["regions"]), len(chosen["events"]), len(chosen["stages"])
    fig = _new_figure((1.1 + 2.2 * nc, 0.7 + 1.9 * nr))
    cmap = mpl.colormaps["viridis_r"]
    with mpl.rc_context(_STYLE):
        axes = fig.subplots(nr, nc, sharex=True, sharey="row", squeeze=False)
        x = summary.times_ms / 1000.0
        for i, region in enumerate(chosen["regions"]):
            for j, event in enumerate(chosen["events"]):
                ax = axes[i, j]
                for k, stage in enumerate(chosen["stages"]):
                    where = {"region": region, "event": event} | ({"stage": stage} if stage is not None else {})
                    for row in summary.select(**where).index:
                        colour = cmap(0.15 + 0.75 * k / max(ns - 1, 1)) if stage is not None else "k"
                        mean, sem = summary.mean[row], np.nan_to_num(summary.sem[row])
                        ax.fill_between(x, mean - sem, mean + sem, color=colour, alpha=0.25, lw=0)
                        ax.plot(x, mean, color=colour, lw=1.2)
                ax.axvline(0.0, color="0.4", lw=0.6, ls="--")
                ax.axhline(0.0, color="0.7", lw=0.5)
                ax.set(title=str(event) if i == 0 else "", ylabel=f"{region}\nsignal" if j == 0 else "",
                       xlabel="time from event (s)" if i == nr - 1 else "")
        if chosen["stages"][0] is not None:
            handles = [mpl.lines.Line2D([], [], color=cmap(0.15 + 0.75 * k / max(ns - 1, 1)), label=str(stage))
                       for k, stage in enumerate(chosen["stages"])]
            fig.legend(handles=handles, loc="outside lower center", ncol=ns, frameon=False)
        if title:
            fig.suptitle(title)
    return fig
