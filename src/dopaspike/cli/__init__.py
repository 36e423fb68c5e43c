"""Command line (Typer). No science here: each command module parses, validates and calls
the library. One module per command group; each registers itself on :data:`app`."""

from __future__ import annotations

from . import run as _run  # noqa: F401  (registers `list` and `run`)
from .app import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_INTERRUPTED, EXIT_OK, app

__all__ = ["app", "main", "EXIT_OK", "EXIT_CHECK_FAILED", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED"]


def main() -> None:
    app()
