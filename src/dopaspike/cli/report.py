"""``dopaspike report RUN``: write a run's self-contained HTML report."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import ConfigError
from .app import app, console, fail_bad_input
from .app import out as stdout


@app.command()
def report(
    run: Annotated[Path | None, typer.Argument(
        metavar="RUN", help="run folder (written by `dopaspike run`); default: the latest run in the run store")] = None,
    out: Annotated[Path | None, typer.Option(help="HTML file to write (default: RUN/report.html)")] = None,
    open_: Annotated[bool, typer.Option("--open", help="open the report in a web browser")] = False,
) -> None:
    """(Re)write a run's report: one self-contained HTML page with its checks, metrics, figures,
    configuration and provenance. Prints the path written.

    Examples:

      dopaspike report

      dopaspike report runs/distal-reward/20250101-120000-000000-seed0

      dopaspike report runs/shuffled --out shuffled.html --open
    """
    from ..report import write_report

    try:
        path = write_report(run if run is not None else _latest_run(), out)
    except ConfigError as err:
        raise fail_bad_input(err) from None
    stdout.print(str(path), markup=False, highlight=False, soft_wrap=True)
    if open_ and not webbrowser.open(path.resolve().as_uri()):
        console.print(f"could not start a web browser; open {path.resolve().as_uri()}", markup=False, highlight=False)


def _latest_run() -> Path:
    """The most recently finished run of the run store ($DOPASPIKE_RUNS or ./runs) that still exists."""
    from ..runindex import default_root, query

    root = default_root()
    if root.is_dir():
        for rec in query(root, limit=20):
            if Path(rec.path).is_dir():
                return Path(rec.path)
    raise ConfigError("RUN", None, f"a run folder (the run store {root} holds no runs yet; run `dopaspike run NAME` first)")
