"""Run folders: config, metrics, data and figures, written atomically.

A run is written into a hidden temporary folder next to its destination and renamed into place
only when every file is complete, so a crash never leaves a half-written run under the final
name. Layout::

    RUN/config.json    resolved configuration, seed, experiment name
    RUN/metrics.json   metrics, checks {name: {passed, value, expected}}, status, provenance
    RUN/data.h5        recorded arrays (HDF5, one dataset per key, groups by "/")
    RUN/*.png, *.svg   figures
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .core.errors import ConfigError


def default_run_dir(root: Path, experiment: str, seed: int) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return Path(root) / experiment / f"{stamp}-seed{seed}"


def check_destination(out: Path) -> None:
    """Refuse an existing, non-empty destination before any work starts."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError("--out", str(out), "a new or empty folder (this one exists and is not empty)")


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


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


def write_run(out: Path, *, experiment: str, config: dict, metrics: dict, data: dict[str, np.ndarray],
              figures: dict) -> Path:
    """Write a complete run folder at ``out`` atomically; return its path."""
    out = Path(out)
    check_destination(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        (tmp / "config.json").write_text(json.dumps(_jsonable({"experiment": experiment, **config}), indent=2))
        (tmp / "metrics.json").write_text(json.dumps(_jsonable(metrics), indent=2))
        with h5py.File(tmp / "data.h5", "w") as f:
            for key, arr in data.items():
                f.create_dataset(key, data=np.asarray(arr), compression="gzip" if np.size(arr) > 4096 else None)
        for name, fig in figures.items():
            fig.savefig(tmp / f"{name}.png")
            fig.savefig(tmp / f"{name}.svg")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        import matplotlib.pyplot as plt

        for fig in figures.values():
            plt.close(fig)
    return out


def read_data(run: Path) -> dict[str, np.ndarray]:
    """All datasets of a run's data.h5 as ``{"group/name": array}``."""
    out: dict[str, np.ndarray] = {}
    with h5py.File(Path(run) / "data.h5", "r") as f:
        f.visititems(lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None)
    return out
