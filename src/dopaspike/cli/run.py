"""``dopaspike list`` and ``dopaspike run NAME``."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ..core.errors import ConfigError
from .app import EXIT_CHECK_FAILED, EXIT_CRASHED, EXIT_INTERRUPTED, app, console, fail_bad_input
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
        self.start_ms: float | None = None  # where this process started (a resumed run starts late)

    def render(self, task) -> Text:
        if self.start_ms is None:
            self.start_ms = task.completed
        wall = time.perf_counter() - self.t0
        rate = (task.completed - self.start_ms) / 1000.0 / wall if wall > 0 else 0.0
        return Text(f"{rate:,.0f} model-s/s", style="cyan")


@app.command()
def run(
    name: Annotated[str | None, typer.Argument(help="experiment name (see `dopaspike list`); omitted with --resume")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="short variant (for CI and a first look)")] = False,
    seed: Annotated[int | None, typer.Option(
        help="run seed; same seed, same result [default: the --config file's seed, else 0]", min=0)] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a config value: key=value (repeatable)")] = None,
    config_file: Annotated[Path | None, typer.Option(
        "--config", help="TOML file of config values (`dopaspike config NAME --toml` writes one); --set overrides it")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="validate everything, print the resolved config as JSON; run and write nothing")] = False,
    out: Annotated[Path | None, typer.Option(
        help="run folder to create (default: ROOT/NAME/TIME-seedN; ROOT is $DOPASPIKE_RUNS, else runs)")] = None,
    resume: Annotated[Path | None, typer.Option(
        help="continue an interrupted run (its folder) or a crashed one (the folder it was to write)")] = None,
    checkpoint_every: Annotated[float, typer.Option(
        min=0.0, help="wall seconds between checkpoints kept while running (0: after every chunk)")] = 60.0,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Run an experiment and write its run folder (config, metrics.json, data.h5, figures).

    While it runs, a checkpoint is kept next to the destination (.NAME.checkpoint.pkl). Ctrl-C
    stops at the end of the current chunk and writes the folder marked "interrupted" with its
    checkpoint; a crash keeps the last checkpoint. `--resume` continues either one, with
    results identical to a run that was never stopped.

    Examples:

      dopaspike run distal-reward --quick

      dopaspike run distal-reward --seed 3 --set duration_s=1200 --set control=shuffled --out runs/shuffled

      dopaspike run distal-reward --config my.toml --set duration_s=60 --dry-run

      dopaspike run --resume runs/distal-reward/20261121-101500-000000-seed0
    """
    from .. import store
    from ..config import resolve_config
    from ..experiments import get
    from ..runindex import default_root

    if resume is not None:
        given = [opt for opt, v in (("NAME", name), ("--quick", quick), ("--seed", seed), ("--set", set_),
                                    ("--out", out), ("--config", config_file), ("--dry-run", dry_run))
                 if v is not None and v is not False]
        if given:
            raise fail_bad_input(ConfigError("--resume", str(resume),
                                             f"used alone: a resumed run keeps its experiment, seed and configuration "
                                             f"(also given: {', '.join(given)})"))
        _resume(resume, progress=progress, checkpoint_every=checkpoint_every)
        return
    try:
        if name is None:
            raise ConfigError("NAME", None, "an experiment name (see `dopaspike list`), or --resume RUN")
        exp = get(name)
        base = exp.quick() if quick else exp.default()
        cfg, seed = resolve_config(exp.config_model, base, experiment=name, toml=config_file, overrides=set_, seed=seed)
        dest = out if out is not None else store.default_run_dir(default_root(), name, seed)
        store.check_destination(dest)
    except ConfigError as err:
        raise fail_bad_input(err) from None
    if dry_run:
        typer.echo(json.dumps({"experiment": name, "seed": seed, "quick": quick, **cfg.model_dump()}, indent=2))
        console.print(f"dry run: the input is valid; a run would write {dest} (nothing was run or written)", markup=False)
        return
    _execute(exp, cfg, seed, quick, Path(dest), progress=progress, checkpoint_every=checkpoint_every)


def checkpoint_path(dest: Path) -> Path:
    """Where a run's checkpoint is kept while it runs: a hidden file next to its folder."""
    return dest.parent / f".{dest.name}.checkpoint.pkl"


def _resume(run_dir: Path, *, progress: bool, checkpoint_every: float) -> None:
    from ..checkpoint import read_header
    from ..experiments import get
    from ..experiments.runner import resume_session

    run_dir = Path(run_dir)
    inside, beside = run_dir / "checkpoint.pkl", checkpoint_path(run_dir)
    try:
        found = [p for p in (inside, beside) if p.is_file()]
        if not found:
            raise ConfigError("--resume", str(run_dir), "an interrupted run folder holding checkpoint.pkl, or the folder "
                                                        f"a crashed run was writing (with {beside.name} beside it)")
        # an interrupted folder that was resumed and then crashed has both: take the later one
        path = max(found, key=lambda p: read_header(p).get("model_ms", 0.0))
        head, session = resume_session(path)
        exp = get(head["experiment"])
        cfg = exp.config_model.model_validate(head["config"])
    except ConfigError as err:
        raise fail_bad_input(err) from None
    replace = run_dir.exists()
    _execute(exp, cfg, head["seed"], bool(head.get("quick")), run_dir, progress=progress,
             checkpoint_every=checkpoint_every, session=session, resumed_from=path, replace=replace)


def _execute(exp, cfg, seed: int, quick: bool, dest: Path, *, progress: bool, checkpoint_every: float,
             session=None, resumed_from: Path | None = None, replace: bool = False) -> None:
    """Run (or continue) to the end or to Ctrl-C, write the run folder, exit with its code."""
    from .. import store
    from ..experiments.runner import execute

    ck = checkpoint_path(dest)
    total_ms = getattr(cfg, "duration_s", 0.0) * 1000.0
    verb = "running" if session is None else f"resuming at {session.sim.t_ms / 1000.0:g} s"
    console.print(f"{verb} {exp.name} (seed {seed}, {total_ms / 1000.0:g} s of model time) -> {dest}")
    if resumed_from is not None and resumed_from != ck:  # keep it beside the folder while running
        shutil.copy2(resumed_from, ck)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f} ms"),
                  _Speed(), TimeRemainingColumn(), console=console, disable=not progress, transient=True) as bar:
        task = bar.add_task(f"{exp.name} seed {seed}", total=total_ms or None,
                            completed=session.sim.t_ms if session is not None else 0.0)
        try:
            res = execute(exp, cfg, seed, progress=lambda ms: bar.update(task, completed=ms), session=session,
                          checkpoint_path=ck, checkpoint_every_s=checkpoint_every, header={"quick": quick})
        except Exception as exc:
            bar.stop()
            console.print_exception(max_frames=8)
            console.print(f"[red]error:[/red] the run crashed: {type(exc).__name__}: {exc}")
            if ck.exists():
                console.print(f"its last checkpoint is kept in {ck}; continue with: dopaspike run --resume {dest}")
            raise typer.Exit(EXIT_CRASHED) from None
    checks = {k: c.as_dict() for k, c in exp.checks(res).items()}
    prov = {**store.provenance(seed, res.wall_s), "resumed": resumed_from is not None}
    metrics = {**res.metrics, "status": res.status, "checks": checks, "provenance": prov}
    files = {"checkpoint.pkl": ck} if res.status != "complete" and ck.exists() else None
    path = store.write_run(dest, experiment=exp.name, config={"seed": seed, "quick": quick, **cfg.model_dump()},
                           metrics=metrics, data=res.data, figures=exp.figures(res), files=files, replace=replace,
                           kinds=res.kinds)
    ck.unlink(missing_ok=True)
    _summary(path, res, checks)
    if res.status != "complete":
        console.print(f"interrupted at {res.metrics.get('model_s', 0):g} s; continue with: dopaspike run --resume {path}")
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
