"""The Typer application and what every command shares: consoles and exit codes.

Exit codes: 0 the command succeeded (for ``run``: every check passed); 1 a run completed and a
check failed; 2 invalid input (nothing was run or written); 3 a run crashed (its last checkpoint
is kept for ``run --resume``); 130 interrupted (what was recorded is kept, with a checkpoint).
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.text import Text

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Spiking networks with an integrated dopamine system: run published experiments.\n\n"
         "Example: dopaspike run distal-reward --quick && dopaspike report --open",
)
console = Console(stderr=True)  # messages, errors and progress
out = Console()  # results a script may read

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_CRASHED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def fail_bad_input(err: Exception) -> typer.Exit:
    """Print ``error: ...`` and return the exit for invalid input (raise it)."""
    console.print(Text.assemble(("error:", "red"), " ", str(err)))  # as typed: no markup or :emoji: codes in it
    return typer.Exit(EXIT_BAD_INPUT)
