"""Command line (Typer). No science here: each command module parses, validates and calls
the library. One module per command group; each registers itself on :data:`app`."""

from __future__ import annotations

from . import bench as _bench  # noqa: F401  (registers `bench`)
from . import cohort as _cohort  # noqa: F401  (registers `cohort`)
from . import compare as _compare  # noqa: F401  (registers `compare`)
from . import config as _config  # noqa: F401  (registers `config`)
from . import export as _export  # noqa: F401  (registers `export`)
from . import report as _report  # noqa: F401  (registers `report`)
from . import run as _run  # noqa: F401  (registers `list` and `run`)
from . import runs as _runs  # noqa: F401  (registers `runs`)
from .app import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_CRASHED, EXIT_INTERRUPTED, EXIT_OK, app

__all__ = ["app", "main", "EXIT_OK", "EXIT_CHECK_FAILED", "EXIT_BAD_INPUT", "EXIT_CRASHED", "EXIT_INTERRUPTED"]


def main() -> None:
    app()
