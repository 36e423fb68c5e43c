"""A run as one NWB file (Neurodata Without Borders), for the tools used with real recordings.

Each part of data.h5 (see :mod:`dopaspike.export.layout` for the convention) goes to one place;
times are converted from model milliseconds to seconds since the start of the simulation, and a
column named ``x_ms`` becomes ``x_s`` in seconds:

==============  ===========================================================================
data.h5 kind    NWB
==============  ===========================================================================
spikes          ``/units``: one row per neuron with its spike times (s) and the columns
                ``neuron_id`` and ``source`` (the data.h5 group). The neurons listed in
                ``unit_ids`` (silent ones with no spikes) or else those that spiked.
dopamine        ``/processing/dopamine``: one TimeSeries per region, unit "a.u.", timestamps
                in s, named after the region (``concentration`` for one unnamed trace,
                ``region0``, ``region1``... for unnamed regions); further per-time arrays of
                the group as TimeSeries ``dopamine.NAME``.
trials          ``/intervals/trials``: ``start_ms``/``stop_ms`` as start_time/stop_time and
                every other column.
events          ``/intervals/GROUP``: a TimeIntervals table, start_time = stop_time = the
                event's time, and the group's other columns.
timeseries      ``/processing/analysis/GROUP.NAME``: one TimeSeries per array (timestamps in
                s; unit "s" for ``_ms`` arrays, "Hz" for ``hz``, otherwise "a.u.").
misc            ``/scratch/GROUP.NAME``: the array as it is (so are non-numeric arrays of a
                timeseries group).
==============  ===========================================================================

Session: ``session_description`` is the experiment's name and summary, ``identifier`` the run
folder's name with the seed, ``session_start_time`` when the run started (provenance ``finished``
minus ``wall_s``, in the local time zone), ``source_script`` the dopaspike version and commit.
``/scratch/dopaspike_config`` and ``/scratch/dopaspike_metrics`` hold config.json and metrics.json
as JSON text; ``/scratch/dopaspike_mapping`` maps every data.h5 key to the NWB paths that hold it.

pynwb is an optional dependency (``pip install 'dopaspike[nwb]'``), imported only here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from .layout import Part, seconds

MODULES = {"dopamine": "dopamine signal of the simulated network", "analysis": "signals recorded during the simulation"}


def write_nwb(dest: Path, *, run_name: str, config: dict, metrics: dict, parts: list[Part], started: dt.datetime) -> None:
    """Write the NWB file at ``dest`` (a new file)."""
    from pynwb import NWBHDF5IO

    nwbfile, _ = build_nwbfile(run_name=run_name, config=config, metrics=metrics, parts=parts, started=started)
    with NWBHDF5IO(str(dest), "w") as io:
        io.write(nwbfile)


def session_start(metrics: dict, fallback: Path) -> dt.datetime:
    """When the run started, time-zone aware: provenance ``finished`` minus ``wall_s`` (naive times
    are local time), or the modification time of ``fallback`` for a run without them."""
    prov = metrics.get("provenance") or {}
    try:
        finished = dt.datetime.fromisoformat(str(prov["finished"]))
        wall_s = float(prov.get("wall_s") or 0.0)
    except (KeyError, TypeError, ValueError):
        return dt.datetime.fromtimestamp(Path(fallback).stat().st_mtime).astimezone()
    return (finished - dt.timedelta(seconds=wall_s)).astimezone()


def build_nwbfile(*, run_name: str, config: dict, metrics: dict, parts: list[Part], started: dt.datetime):
    """The in-memory NWBFile and the mapping ``{data.h5 key: [NWB paths]}``."""
    from pynwb import NWBFile

    from .. import __version__

    experiment = str(config.get("experiment", "unknown"))
    seed = config.get("seed")
    summary, citation = _describe(experiment)
    prov = metrics.get("provenance", {}) or {}
    status = metrics.get("status", "complete")
    commit = prov.get("git_commit")
    nwbfile = NWBFile(
        session_description=f"dopaspike experiment {experiment}: {summary}" + ("" if status == "complete" else f" ({status})"),
        identifier=run_name if seed is None or run_name.endswith(f"seed{seed}") else f"{run_name}-seed{seed}",
        session_start_time=started,
        session_id=run_name,
        experiment_description=citation or f"dopaspike experiment {experiment}",
        notes=("A simulation exported by dopaspike. Times are seconds of model time from the start of the simulation. "
               "config.json, metrics.json and where each data.h5 array went are JSON text in /scratch "
               "(dopaspike_config, dopaspike_metrics, dopaspike_mapping)."),
        source_script=f"dopaspike {prov.get('dopaspike_version', __version__)}" + (f" (git {commit})" if commit else ""),
        source_script_file_name="dopaspike",
        keywords=["dopaspike", "simulation", experiment],
    )
    mapping: dict[str, list[str]] = {}
    spikes = [p for p in parts if p.kind == "spikes"]
    if spikes:
        _units(nwbfile, spikes, mapping)
    writers = {"dopamine": _dopamine, "trials": _trials, "events": _events, "timeseries": _timeseries, "misc": _misc}
    for part in parts:
        if part.kind in writers:  # spikes: all groups together in /units, above
            writers[part.kind](nwbfile, part, mapping)
    exported = f"dopaspike {__version__}"
    nwbfile.add_scratch(json.dumps(config), name="dopaspike_config", description=f"config.json of run {run_name} ({exported})")
    nwbfile.add_scratch(json.dumps(metrics), name="dopaspike_metrics", description=f"metrics.json of run {run_name}")
    nwbfile.add_scratch(json.dumps(mapping), name="dopaspike_mapping",
                        description="JSON: each data.h5 key -> the NWB paths that hold it")
    return nwbfile, mapping


def _describe(experiment: str) -> tuple[str, str]:
    """The registered experiment's summary and citation (a generic line for one not known here)."""
    from ..core.errors import ConfigError
    from ..experiments import get

    try:
        exp = get(experiment)
    except ConfigError:
        return "a simulated spiking network with a dopamine system", ""
    return exp.summary, exp.citation


def _name(part: Part, column: str | None = None) -> str:
    """An NWB object name from a data.h5 path: groups joined by dots (NWB names cannot hold "/")."""
    path = part.key(column) if column is not None else part.group
    return path.replace("/", ".")


def _wrap(arr: np.ndarray):
    """Large arrays compressed like data.h5."""
    from pynwb import H5DataIO

    return H5DataIO(arr, compression="gzip") if arr.size > 4096 and arr.dtype.kind in "iufb" else arr


def _units(nwbfile, parts: list[Part], mapping: dict) -> None:
    from pynwb.misc import Units

    units = Units(name="units", description="spikes of the simulated neurons; times in s of model time "
                  f"(data.h5 groups: {', '.join(p.group for p in parts)})")
    units.add_column("neuron_id", "the neuron's index in the simulated network")
    units.add_column("source", "the data.h5 group the spikes come from")
    for part in parts:
        t_s = part.columns["t_ms"].astype(float) / 1000.0
        ids = part.columns["ids"].astype(np.int64)
        listed = part.columns.get("unit_ids", np.array([], np.int64)).astype(np.int64)
        order = np.argsort(ids, kind="stable")
        ids_sorted, t_sorted = ids[order], t_s[order]
        for nid in np.union1d(listed, ids):
            lo, hi = np.searchsorted(ids_sorted, [nid, nid + 1])
            units.add_unit(spike_times=np.sort(t_sorted[lo:hi]), neuron_id=int(nid), source=part.group)
        mapping[part.key("t_ms")] = ["/units/spike_times"]
        mapping[part.key("ids")] = ["/units/neuron_id"]
        if "unit_ids" in part.columns:
            mapping[part.key("unit_ids")] = ["/units/neuron_id"]
    nwbfile.units = units


def _module(nwbfile, name: str):
    if name not in nwbfile.processing:
        nwbfile.create_processing_module(name, MODULES[name])
    return nwbfile.processing[name]


def _series(module, name: str, values: np.ndarray, t_s: np.ndarray, unit: str, description: str) -> str:
    """Add a TimeSeries to ``module``; return its path."""
    from pynwb import TimeSeries

    module.add(TimeSeries(name=name, data=_wrap(values), unit=unit, timestamps=t_s, description=description))
    return f"/processing/{module.name}/{name}"


def _signal(module, part: Part, column: str, t_s: np.ndarray) -> str:
    """One per-time array of a group as the TimeSeries GROUP.NAME (``x_ms`` as ``x_s``, in seconds)."""
    name, values, converted = seconds(column, part.columns[column])
    unit = "s" if converted else "Hz" if name.lower().endswith("hz") else "a.u."
    return _series(module, _name(part, name), values, t_s, unit, f"data.h5 {part.key(column)}")


def _dopamine(nwbfile, part: Part, mapping: dict) -> None:
    cols = part.columns
    t_s = cols["t_ms"].astype(float) / 1000.0
    conc = cols["conc"]
    traces = conc[:, None] if conc.ndim == 1 else conc
    names = _region_names(part, traces.shape[1])
    module = _module(nwbfile, "dopamine")
    paths = []
    for i, region in enumerate(names):
        paths.append(_series(module, region, traces[:, i], t_s, "a.u.", f"dopamine concentration, region {region} "
                             f"(data.h5 {part.key('conc')}" + (f"[:, {i}])" if conc.ndim == 2 else ")")))
    mapping[part.key("conc")] = [p + "/data" for p in paths]
    if "regions" in cols:
        mapping[part.key("regions")] = list(paths)
    for column, values in cols.items():
        if column in ("t_ms", "conc", "regions"):
            continue
        if values.dtype.kind not in "iuf":
            _misc(nwbfile, Part("misc", part.group, {column: values}), mapping)
            continue
        path = _signal(module, part, column, t_s)
        paths.append(path)
        mapping[part.key(column)] = [path + "/data"]
    mapping[part.key("t_ms")] = [p + "/timestamps" for p in paths]


def _region_names(part: Part, n: int) -> list[str]:
    from ..core.errors import ConfigError

    given = part.columns.get("regions")
    if given is None:
        given = part.attrs.get("regions")
    if given is None:
        return ["concentration"] if n == 1 else [f"region{i}" for i in range(n)]
    names = [x.decode() if isinstance(x, bytes) else str(x) for x in np.atleast_1d(given)]
    if len(names) != n or len(set(names)) != n or any(not x or "/" in x for x in names):
        raise ConfigError(f"data.h5 {part.key('regions')}", names, f"{n} distinct region names without '/'")
    return names


def _intervals(part: Part, start_key: str, stop_key: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Columns in NWB's units: start/stop times in s, ``x_ms`` as ``x_s``; and which data.h5 key each came from."""
    cols: dict[str, np.ndarray] = {"start_time": part.columns[start_key].astype(float) / 1000.0,
                                   "stop_time": part.columns[stop_key].astype(float) / 1000.0}
    source = {"start_time": part.key(start_key), "stop_time": part.key(stop_key)}
    for column, values in part.columns.items():
        if column in (start_key, stop_key):
            continue
        name, values, _ = seconds(column, values)
        cols[name] = values
        source[name] = part.key(column)
    return cols, source


def _time_intervals(name: str, description: str, cols: dict[str, np.ndarray], source: dict[str, str]):
    from hdmf.common import VectorData
    from pynwb.epoch import TimeIntervals

    vectors = [VectorData(name=k, description=f"data.h5 {source[k]}" + (" (ms -> s)" if source[k].endswith("_ms") else ""),
                          data=v) for k, v in cols.items()]
    return TimeIntervals(name=name, description=description, columns=vectors)


def _trials(nwbfile, part: Part, mapping: dict) -> None:
    cols, source = _intervals(part, "start_ms", "stop_ms")
    nwbfile.trials = _time_intervals("trials", f"trials of the simulated task (data.h5 {part.group}/)", cols, source)
    for column, key in source.items():
        mapping.setdefault(key, []).append(f"/intervals/trials/{column}")


def _events(nwbfile, part: Part, mapping: dict) -> None:
    cols, source = _intervals(part, "t_ms", "t_ms")
    name = _name(part)
    nwbfile.add_time_intervals(_time_intervals(name, f"events (data.h5 {part.group}/): start_time = stop_time = "
                                               "the event's time in s", cols, source))
    for column, key in source.items():
        mapping.setdefault(key, []).append(f"/intervals/{name}/{column}")


def _timeseries(nwbfile, part: Part, mapping: dict) -> None:
    t_s = part.columns["t_ms"].astype(float) / 1000.0
    times = []
    for column, values in part.columns.items():
        if column == "t_ms":
            continue
        if values.dtype.kind not in "iuf":
            _misc(nwbfile, Part("misc", part.group, {column: values}), mapping)
            continue
        path = _signal(_module(nwbfile, "analysis"), part, column, t_s)
        mapping[part.key(column)] = [path + "/data"]
        times.append(path + "/timestamps")
    if times:
        mapping[part.key("t_ms")] = times
    else:  # only non-numeric arrays: the times stay with them
        _misc(nwbfile, Part("misc", part.group, {"t_ms": part.columns["t_ms"]}), mapping)


def _misc(nwbfile, part: Part, mapping: dict) -> None:
    from pynwb.core import ScratchData

    for column, values in part.columns.items():
        name = part.key(column).replace("/", ".")
        nwbfile.add_scratch(ScratchData(name=name, data=_wrap(values) if values.ndim else values[()],
                                        description=f"data.h5 {part.key(column)}, as it is (shape {values.shape})"))
        mapping[part.key(column)] = [f"/scratch/{name}"]
