"""Export a run for analysis elsewhere: ``nwb`` (Neurodata Without Borders) or ``h5`` (one
self-contained HDF5 file with the data, the configuration and the metrics).

    from dopaspike.export import export_run
    export_run("runs/distal-reward/20260101-120000-seed0", "nwb")   # -> RUN/RUNNAME.nwb
    export_run(run, "h5", out="handout.h5")                         # default RUN/RUNNAME.export.h5

- :mod:`dopaspike.export.layout`: the data.h5 convention, what each group of a run's data is
- :mod:`dopaspike.export.nwb`: where each kind of group goes in NWB (needs ``pip install 'dopaspike[nwb]'``)
- :mod:`dopaspike.export.h5`: the self-contained HDF5 file

Everything is checked before anything is written (bad input raises :class:`ConfigError`). The
file is written next to its destination under a hidden temporary name and renamed into place
once complete; an existing file is never overwritten.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import h5py

from ..core.errors import ConfigError, check_choice

FORMATS = {"nwb": ".nwb", "h5": ".export.h5"}
RUN_FILES = ("config.json", "metrics.json", "data.h5")
NWB_MISSING = "pynwb is not installed: pip install 'dopaspike[nwb]'"

__all__ = ["FORMATS", "check_export", "default_path", "export_run"]


def default_path(run_dir: Path, fmt: str) -> Path:
    """``RUN/RUNNAME.nwb`` or ``RUN/RUNNAME.export.h5``."""
    run_dir = Path(run_dir).resolve()
    return run_dir / f"{run_dir.name}{FORMATS[fmt]}"


def check_export(run_dir: Path, fmt: str, out: Path | None = None) -> Path:
    """Check the request before any work; return the destination file."""
    check_choice("--format", fmt, list(FORMATS))
    if fmt == "nwb":
        try:
            import pynwb  # noqa: F401
        except ImportError:
            raise ConfigError("--format", fmt, f"'h5'; 'nwb' needs pynwb ({NWB_MISSING})") from None
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError("RUN", str(run_dir), "a run folder (this is not an existing folder)")
    missing = [name for name in RUN_FILES if not (run_dir / name).is_file()]
    if missing:
        raise ConfigError("RUN", str(run_dir), f"a run folder with {', '.join(RUN_FILES)} (missing: {', '.join(missing)})")
    if not h5py.is_hdf5(run_dir / "data.h5"):
        raise ConfigError("RUN", str(run_dir), "a run folder whose data.h5 is an HDF5 file (this one is not)")
    dest = Path(out) if out is not None else default_path(run_dir, fmt)
    if dest.exists() or dest.is_symlink():
        raise ConfigError("--out", str(dest), "a file that does not exist yet (this one exists; remove it or choose another)")
    if any(p.exists() and not p.is_dir() for p in dest.parents):
        raise ConfigError("--out", str(dest), "a path inside a folder (a parent of this one is a file)")
    return dest


def export_run(run_dir: Path, fmt: str, out: Path | None = None) -> Path:
    """Export the run folder ``run_dir`` as ``fmt`` ("nwb" or "h5"); return the file written."""
    dest = check_export(run_dir, fmt, out)
    run_dir = Path(run_dir).resolve()
    config, metrics = (_read_json(run_dir / name) for name in ("config.json", "metrics.json"))
    if fmt == "nwb":
        from .layout import classify
        from .nwb import session_start, write_nwb

        parts = classify(*_read_data(run_dir))
        started = session_start(metrics, run_dir / "metrics.json")
        _write_atomically(dest, fmt, lambda tmp: write_nwb(tmp, run_name=run_dir.name, config=config, metrics=metrics,
                                                      parts=parts, started=started))
    else:
        from .h5 import write_h5

        _write_atomically(dest, fmt, lambda tmp: write_h5(tmp, run_dir=run_dir, config=config, metrics=metrics))
    return dest


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError("RUN", str(path.parent), f"a run folder with a readable {path.name} ({err})") from None
    if not isinstance(value, dict):
        raise ConfigError("RUN", str(path.parent), f"a run folder whose {path.name} is a JSON object")
    return value


def _read_data(run_dir: Path) -> tuple[dict, dict]:
    """data.h5's datasets (as :func:`dopaspike.store.read_data` gives them) and every object's attributes."""
    from ..store import read_data

    attrs: dict[str, dict] = {}
    try:
        data = read_data(run_dir)
        with h5py.File(run_dir / "data.h5", "r") as f:
            f.visititems(lambda key, obj: attrs.__setitem__(key, dict(obj.attrs)) if obj.attrs else None)
    except OSError as err:
        raise ConfigError("RUN", str(run_dir), f"a run folder with a readable data.h5 ({err})") from None
    return data, attrs


def _write_atomically(dest: Path, fmt: str, write: Callable[[Path], None]) -> None:
    """Write via a hidden temporary file next to ``dest``, renamed into place when complete."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.partial-{os.getpid()}{FORMATS[fmt]}"
    try:
        write(tmp)
        if dest.exists():
            raise ConfigError("--out", str(dest), "a file that does not exist yet (it appeared during the export)")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
