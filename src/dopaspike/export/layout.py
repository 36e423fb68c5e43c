"""What each part of a run's data.h5 is: the convention every experiment's data follows.

An experiment returns its arrays as ``{"group/name": array}`` and :func:`dopaspike.store.write_run`
writes one HDF5 dataset per key. Times are model time in milliseconds, in a dataset named ``t_ms``
(or any name ending in ``_ms``). The exporters read data.h5 group by group (a group is the folder
part of a key, nested groups included; datasets at the root stand alone) and give each group one
*kind*:

``spikes``
    A group with 1-D ``t_ms`` and ``ids`` of the same length: one row per spike (time, neuron id).
    Optional ``unit_ids``: every recorded neuron, so that silent ones are kept as units too.
    Example: ``raster/t_ms``, ``raster/ids``.
``dopamine``
    The group ``dopamine`` with ``t_ms`` and ``conc`` of shape ``(T,)`` or ``(T, R)`` (R regions).
    Region names, when given, are in ``dopamine/regions`` (R strings) or in a ``regions``
    attribute of the group or of ``conc``. Other arrays with one row per time are further series.
``trials``
    The group ``trials`` with 1-D ``start_ms`` and ``stop_ms`` and further columns of the same length
    (e.g. ``choice``, ``rewarded``).
``events``
    Any other group with ``t_ms`` whose other arrays are all 1-D with one value per time, and whose
    times are not a regular grid (or that has nothing but ``t_ms``): one row per event, e.g.
    ``rewards/t_ms`` + ``rewards/delay_ms``, ``pairings/t_ms``.
``timeseries``
    Any other group with ``t_ms`` and arrays with one row per time (1-D or N-D), sampled on a
    regular grid, or with an N-D array: signals, e.g. ``rates/t_ms`` + ``rates/hz`` (time x
    population), ``target/t_ms`` + ``target/weight``.
``misc``
    Everything else, kept as it is: a group without ``t_ms``, an array of another length in a group
    with ``t_ms`` (e.g. ``weights/final_exc_exc`` next to ``weights/t_ms``), datasets at the root.

Events and regularly sampled signals differ only in meaning, so the rule above (regular grid of
at least three times -> timeseries) is a default. A group may state its kind instead with an HDF5
attribute ``kind`` (one of :data:`KINDS`); a stated kind that its arrays do not fit is an error.
Experiments state the kind of every group they write (``Results.kinds``, written by
:func:`dopaspike.store.write_run` as that attribute), so the default applies only to data
written otherwise.

Nothing is dropped: :func:`classify` puts every dataset in exactly one :class:`Part`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np

from ..core.errors import ConfigError

KINDS = ("spikes", "dopamine", "trials", "events", "timeseries", "misc")


@dataclass
class Part:
    """One group of data.h5 as one kind: ``columns`` maps a dataset's name in the group to its array."""

    kind: str
    group: str
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    attrs: dict[str, object] = field(default_factory=dict)

    def key(self, name: str) -> str:
        """The data.h5 key of one of this part's columns."""
        return f"{self.group}/{name}" if self.group else name


def is_regular(t: np.ndarray) -> bool:
    """At least three strictly increasing times with one step: a sampling grid."""
    if t.ndim != 1 or t.size < 3:
        return False
    step = np.diff(t)
    return bool(step[0] > 0 and np.allclose(step, step[0], rtol=1e-9, atol=1e-9))


def classify(data: dict[str, np.ndarray], attrs: dict[str, dict] | None = None) -> list[Part]:
    """Split data.h5's datasets (``{"group/name": array}``) into parts by the convention above.

    ``attrs`` maps a group path to its HDF5 attributes (for ``kind`` and ``regions``). Raises
    :class:`ConfigError` when a group's stated kind does not fit its arrays.
    """
    attrs = attrs or {}
    groups: dict[str, dict[str, np.ndarray]] = {}
    parts: list[Part] = []
    for key, arr in data.items():
        path = PurePosixPath(key)
        group = "" if str(path.parent) == "." else str(path.parent)
        if not group:
            parts.append(Part("misc", "", {key: np.asarray(arr)}))
        else:
            groups.setdefault(group, {})[path.name] = np.asarray(arr)
    for group, cols in groups.items():
        group_attrs = dict(attrs.get(group, {}))
        if "regions" in attrs.get(f"{group}/conc", {}):  # region names may sit on the dopamine trace itself
            group_attrs.setdefault("regions", attrs[f"{group}/conc"]["regions"])
        parts.extend(_classify_group(group, cols, group_attrs))
    return parts


def _classify_group(group: str, cols: dict[str, np.ndarray], attrs: dict) -> list[Part]:
    stated = attrs.get("kind")
    if stated is not None:
        stated = stated.decode() if isinstance(stated, bytes) else str(stated)
        if stated not in KINDS:
            raise ConfigError(f"data.h5 {group}/ attribute kind", stated, "one of " + ", ".join(KINDS))
    kind = stated or _structural_kind(group, cols)
    if kind == "misc":
        return [Part("misc", group, cols, attrs)]
    required = {"spikes": ("t_ms", "ids"), "dopamine": ("t_ms", "conc"), "trials": ("start_ms", "stop_ms")}.get(kind, ("t_ms",))
    def fits(c: str) -> bool:
        return c in cols and cols[c].ndim in ((1, 2) if (kind, c) == ("dopamine", "conc") else (1,))

    bad = [c for c in required if not fits(c)]
    if bad or len({len(cols[c]) for c in required}) != 1:
        raise ConfigError(f"data.h5 {group}/ (kind {kind})", {k: v.shape for k, v in cols.items()},
                          f"datasets {', '.join(required)} of one length, 1-D (a dopamine conc: 1-D or 2-D); "
                          f"missing or misshapen: {', '.join(bad) or 'none, but the lengths differ'}")
    n = len(cols[required[0]])
    aligned = {k: v for k, v in cols.items() if v.ndim >= 1 and len(v) == n}
    if kind == "spikes":  # one row per spike: time and id; other per-spike arrays stay as they are
        aligned = {k: cols[k] for k in ("t_ms", "ids", "unit_ids") if k in cols and cols[k].ndim == 1}
    if kind == "dopamine" and "regions" in cols and cols["regions"].ndim == 1:
        aligned["regions"] = cols["regions"]
    if kind == "events" and any(v.ndim != 1 for v in aligned.values()):
        raise ConfigError(f"data.h5 {group}/ (kind events)", {k: v.shape for k, v in aligned.items()},
                          f"1-D columns of length {n}")
    rest = {k: v for k, v in cols.items() if k not in aligned}
    out = [Part(kind, group, aligned, attrs)]
    if rest:
        out.append(Part("misc", group, rest))
    return out


def _structural_kind(group: str, cols: dict[str, np.ndarray]) -> str:
    def vec(name: str) -> bool:
        return name in cols and cols[name].ndim == 1

    if vec("t_ms") and vec("ids") and len(cols["t_ms"]) == len(cols["ids"]):
        return "spikes"
    if group == "dopamine" and vec("t_ms") and "conc" in cols and cols["conc"].ndim in (1, 2) \
            and len(cols["conc"]) == len(cols["t_ms"]):
        return "dopamine"
    if group == "trials" and vec("start_ms") and vec("stop_ms") and len(cols["start_ms"]) == len(cols["stop_ms"]):
        return "trials"
    if not vec("t_ms"):
        return "misc"
    t = cols["t_ms"]
    aligned = [v for k, v in cols.items() if k != "t_ms" and v.ndim >= 1 and len(v) == len(t)]
    if not aligned:
        return "events"
    if all(v.ndim == 1 for v in aligned) and not is_regular(t):
        return "events"
    return "timeseries"


def seconds(name: str, values: np.ndarray) -> tuple[str, np.ndarray, bool]:
    """A column in NWB's units: ``x_ms`` becomes ``x_s`` in seconds; others are unchanged."""
    if name.endswith("_ms") and values.dtype.kind in "iuf":
        return name[:-3] + "_s", values.astype(float) / 1000.0, True
    return name, values, False
