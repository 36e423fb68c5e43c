"""A run as one self-contained HDF5 file, to hand on without the run folder.

The file holds every dataset of data.h5 at the same path (with its attributes and compression),
and on its root these attributes:

``format``          ``"dopaspike-run"``  (and ``format_version``: 1)
``config``          config.json, as JSON text
``metrics``         metrics.json, as JSON text
``experiment``      the experiment's name
``run``             the run folder's name
``exported_by``     the dopaspike version that wrote the file

Times stay as in data.h5 (model milliseconds, ``t_ms``); see :mod:`dopaspike.export.layout`.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py

FORMAT = "dopaspike-run"
FORMAT_VERSION = 1


def write_h5(dest: Path, *, run_dir: Path, config: dict, metrics: dict) -> None:
    """Write the self-contained file at ``dest`` (a new file) from ``run_dir``'s data.h5."""
    from .. import __version__

    with h5py.File(Path(run_dir) / "data.h5", "r") as src, h5py.File(dest, "w") as dst:
        for name, value in src.attrs.items():
            dst.attrs[name] = value
        for name in src:
            src.copy(src[name], dst, name=name)
        dst.attrs.update({
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "config": json.dumps(config),
            "metrics": json.dumps(metrics),
            "experiment": str(config.get("experiment", "")),
            "run": Path(run_dir).name,
            "exported_by": f"dopaspike {__version__}",
        })
