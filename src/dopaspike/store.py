"""Run folders: config, metrics, data and figures, written atomically.

A run is written into a hidden temporary folder next to its destination and renamed into place
only when every file is complete, so a crash never leaves a half-written run under the final
name. Layout::

    RUN/config.json    resolved configuration, seed, experiment name
    RUN/metrics.json   metrics, checks {name: {passed, value, expected}}, status, provenance
    RUN/data.h5        recorded arrays (HDF5, one dataset per key, groups by "/")
    RUN/*.png, *.svg   figures
    RUN/report.html    the run as one self-contained HTML page (see :mod:`dopaspike.report`)
    RUN/checkpoint.pkl only in an interrupted run: the state to resume from
                       (``dopaspike run --resume RUN``; see :mod:`dopaspike.checkpoint`)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import os
import platform
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .core.errors import ConfigError

log = logging.getLogger(__name__)


def default_run_dir(root: Path, experiment: str, seed: int) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return Path(root) / experiment / f"{stamp}-seed{seed}"


def check_destination(out: Path) -> None:
    """Refuse, before any work starts, a destination that cannot become a new run folder: an
    existing non-empty folder, a file, a path under a file or unwritable folder, an invalid name."""
    out = Path(out)
    try:
        problem = _destination_problem(out)
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte in it...
        problem = getattr(exc, "strerror", None) or str(exc)
    if problem:
        raise ConfigError("--out", str(out), f"a new or empty folder ({problem})")


def _destination_problem(out: Path) -> str | None:
    if "\x00" in str(out):
        return "a path cannot hold a NUL character"
    if out.exists():
        if not out.is_dir():
            return "this is a file"
        return "this one exists and is not empty" if any(out.iterdir()) else None
    parent = next((p for p in out.absolute().parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        return f"{parent} is a file"
    if parent is not None and not os.access(parent, os.W_OK | os.X_OK):
        return f"{parent} is not writable"
    return None


def provenance(seed: int, wall_s: float) -> dict[str, Any]:
    from . import __version__

    return {
        "dopaspike_version": __version__,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "seed": seed,
        "wall_s": wall_s,
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
    }


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def jsonable(x: Any) -> Any:
    """Plain JSON values: numpy scalars and arrays as Python ones, NaN and infinities (also inside
    arrays) as None, so that every file written is strict JSON."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())  # nested lists of Python values, or one value for a 0-d array
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def write_run(out: Path, *, experiment: str, config: dict, metrics: dict, data: dict[str, np.ndarray],
              figures: dict, files: dict[str, Path] | None = None, replace: bool = False,
              kinds: dict[str, str] | None = None) -> Path:
    """Write a complete run folder at ``out`` atomically; return its path.

    ``kinds`` maps a data group to what it holds (``spikes``, ``dopamine``, ``trials``,
    ``events``, ``timeseries``, ``misc``; see :mod:`dopaspike.export.layout`), stored as the
    group's HDF5 attribute ``kind`` so that exports need not guess.

    ``files`` maps names in the folder to existing files moved into it (e.g. a checkpoint).
    With ``replace``, an existing run folder at ``out`` (an interrupted run being resumed) is
    swapped for the new one only once the new one is complete.
    """
    out = Path(out)
    if not replace:
        check_destination(out)
    try:
        with assembling(out) as tmp:
            resolved = jsonable({"experiment": experiment, **config})
            (tmp / "config.json").write_text(json.dumps(resolved, indent=2, allow_nan=False))
            (tmp / "metrics.json").write_text(json.dumps(jsonable(metrics), indent=2, allow_nan=False))
            with h5py.File(tmp / "data.h5", "w") as f:
                for key, arr in data.items():
                    _write_dataset(f, key, np.asarray(arr))
                for group, kind in (kinds or {}).items():
                    f.require_group(group).attrs["kind"] = kind
            for name, fig in figures.items():
                fig.savefig(tmp / f"{name}.png")
                fig.savefig(tmp / f"{name}.svg")
            for name, src in (files or {}).items():
                shutil.copy2(src, tmp / name)
            _report(tmp, out.name)
        for src in (files or {}).values():
            Path(src).unlink(missing_ok=True)
    finally:
        import matplotlib.pyplot as plt

        for fig in figures.values():
            plt.close(fig)
    _index(out)
    return out


@contextlib.contextmanager
def assembling(out: Path) -> Iterator[Path]:
    """A fresh hidden folder ``.NAME.partial-PID`` beside ``out`` to write a folder's files into:
    when the block ends it is renamed to ``out`` (:func:`_move_into_place`), and if the block
    raises it is removed. Nobody ever sees a half-written ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _report(folder: Path, name: str) -> None:
    """Write ``report.html`` into the run folder being assembled. The run is what counts: a
    failure here is logged, never raised."""
    try:
        from .report import write_report

        write_report(folder, name=name)
    except Exception as err:  # any rendering or disk error alike
        log.warning("run %s is written without report.html (%s: %s); `dopaspike report RUN` writes it again",
                    name, type(err).__name__, err)


def _index(run: Path) -> None:
    """Add a written run to the run index (:mod:`dopaspike.runindex`). The folder is what
    counts: a failure here is logged, never raised."""
    try:
        from . import runindex

        runindex.add_run(run)
    except Exception as err:  # sqlite, disk or permission errors alike
        log.warning("run %s was written but not added to the run index (%s: %s); "
                    "`dopaspike runs --rebuild` indexes the run folders again", run, type(err).__name__, err)


def _move_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished ``tmp`` to ``out``; an existing ``out`` is set aside first and
    removed after (a crash between the two renames leaves it as ``.NAME.old-PID``)."""
    old = None
    if out.exists():
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        else:
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_data(run: Path) -> dict[str, np.ndarray]:
    """All datasets of a run's data.h5 as ``{"group/name": array}``."""
    out: dict[str, np.ndarray] = {}
    with h5py.File(Path(run) / "data.h5", "r") as f:
        f.visititems(lambda k, v: out.__setitem__(k, _read_dataset(v)) if isinstance(v, h5py.Dataset) else None)
    return out


def _write_dataset(f: h5py.File, key: str, arr: np.ndarray) -> None:
    """One array as a dataset; text (a numpy unicode array) as UTF-8 strings, which :func:`read_data` decodes."""
    if arr.dtype.kind == "U":
        f.create_dataset(key, data=arr.astype(object), dtype=h5py.string_dtype())
    else:
        f.create_dataset(key, data=arr, compression="gzip" if arr.size > 4096 else None)


def _read_dataset(ds: h5py.Dataset) -> np.ndarray:
    """A dataset's values; HDF5 strings come back as a numpy unicode array."""
    if h5py.check_string_dtype(ds.dtype) is not None:
        return np.asarray(ds.asstr()[()], dtype=str)
    return ds[()]
