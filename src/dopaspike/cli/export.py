"""``dopaspike export RUN``: a run's data as NWB or as one self-contained HDF5 file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..core.errors import ConfigError
from .app import app, console, fail_bad_input
from .app import out as stdout


@app.command("export")
def export(
    run: Annotated[Path, typer.Argument(help="run folder (one written by `dopaspike run`)")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="nwb (Neurodata Without Borders; needs pynwb) or h5 "
                                     "(one HDF5 file with the data, config and metrics)")] = "nwb",
    out: Annotated[Path | None, typer.Option(help="file to create (default: RUN/RUNNAME.nwb or RUN/RUNNAME.export.h5); "
                                             "an existing file is never overwritten")] = None,
) -> None:
    """Export a run's data for analysis with the tools used for recordings; prints the file's path.

    NWB: spikes -> units, dopamine -> one time series per region,
    trials and events -> interval tables, other signals -> processing/analysis,
    anything else -> scratch; times in seconds.
    NWB needs pynwb: pip install 'dopaspike\\[nwb]'

    Examples:

      dopaspike export runs/distal-reward/20260101-120000-seed0

      dopaspike export runs/distal-reward/20260101-120000-seed0 --format h5 --out handout.h5
    """
    from ..export import check_export, export_run

    try:
        dest = check_export(run, fmt, out)
        console.print(f"exporting {escape(str(run))} as {fmt} -> {escape(str(dest))}")
        path = export_run(run, fmt, out)
    except ConfigError as err:
        raise fail_bad_input(err) from None
    stdout.print(str(path), markup=False, highlight=False, soft_wrap=True)
