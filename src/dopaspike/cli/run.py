"""``dopaspike list`` and ``dopaspike run NAME``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ..core.errors import ConfigError
from .app import EXIT_CHECK_FAILED, EXIT_INTERRUPTED, app, console, fail_bad_input
from .app import out as stdout


@app.command("list")
def list_experiments() -> None:
    """List the experiments with a one-line description and the paper they reproduce.

    Example: dopaspike list
    """
    from ..experiments import all_experiments

    table = Table("name", "what it shows", "source", show_lines=False)
    for exp in all_experiments():
        table.add_row(exp.name, exp.summary, exp.citation)
    stdout.print(table)


class _Speed(ProgressColumn):
    """Model seconds per wall second."""

    def __init__(self) -> None:
        super().__init__()
        self.t0 = time.perf_counter()

    def render(self, task) -> Text:
        wall = time.perf_counter() - self.t0
        rate = task.completed / 1000.0 / wall if wall > 0 else 0.0
        return Text(f"{rate:,.0f} model-s/s", style="cyan")


@app.command()
def run(
    name: Annotated[str, typer.Argument(help="experiment name (see `dopaspike list`)")],
    quick: Annotated[bool, typer.Option("--quick", help="short variant (for CI and a first look)")] = False,
    seed: Annotated[int, typer.Option(help="run seed; same seed, same result", min=0)] = 0,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a config value: key=value (repeatable)")] = None,
    out: Annotated[Path | None, typer.Option(help="run folder to create (default: runs/NAME/TIME-seedN)")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Run an experiment and write its run folder (config, metrics.json, data.h5, figures).

    Examples:

      dopaspike run distal-reward --quick

      dopaspike run distal-reward --seed 3 --set duration_s=1200 --set control=shuffled --out runs/shuffled
    """
    from .. import store
    from ..config import build_config, parse_overrides
    from ..experiments import get

    try:
        exp = get(name)
        base = exp.quick() if quick else exp.default()
        cfg = build_config(exp.config_model, base, parse_overrides(set_ or []))
        dest = out if out is not None else store.default_run_dir(Path("runs"), name, seed)
        store.check_destination(dest)
    except ConfigError as err:
        raise fail_bad_input(err) from None

    total_ms = getattr(cfg, "duration_s", 0.0) * 1000.0
    console.print(f"running {name} (seed {seed}, {total_ms / 1000.0:g} s of model time) -> {dest}")
    t0 = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f} ms"),
                  _Speed(), TimeRemainingColumn(), console=console, disable=not progress, transient=True) as bar:
        task = bar.add_task(f"{name} seed {seed}", total=total_ms or None)
        res = exp.run(cfg, seed, progress=lambda ms: bar.update(task, completed=ms))
    wall = time.perf_counter() - t0
    checks = {k: c.as_dict() for k, c in exp.checks(res).items()}
    metrics = {**res.metrics, "status": res.status, "checks": checks, "provenance": store.provenance(seed, wall)}
    path = store.write_run(dest, experiment=name, config={"seed": seed, "quick": quick, **cfg.model_dump()},
                           metrics=metrics, data=res.data, figures=exp.figures(res))
    _summary(path, res, checks)
    if res.status != "complete":
        raise typer.Exit(EXIT_INTERRUPTED)
    if not all(c["passed"] for c in checks.values()):
        raise typer.Exit(EXIT_CHECK_FAILED)


def _summary(path: Path, res, checks: dict) -> None:
    out = stdout
    out.print(f"[bold]{path}[/bold]  ({res.status})")
    for k, v in res.metrics.items():
        if isinstance(v, (int, float)):
            out.print(f"  {k:34s} {v:.6g}" if isinstance(v, float) else f"  {k:34s} {v}")
    for k, c in checks.items():
        mark = "[green]PASS[/green]" if c["passed"] else "[red]FAIL[/red]"
        out.print(f"  {mark} {k}: {c['value']}  (expected: {c['expected']})")
