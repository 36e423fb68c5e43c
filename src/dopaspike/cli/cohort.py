"""``dopaspike cohort NAME --n N``: many individuals of one experiment (see :mod:`dopaspike.cohort`)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from ..core.errors import ConfigError
from .app import EXIT_CHECK_FAILED, EXIT_CRASHED, EXIT_INTERRUPTED, app, console, fail_bad_input
from .app import out as stdout


class _Rate(ProgressColumn):
    """Individuals per hour finished by this command (a resumed cohort starts late)."""

    def __init__(self) -> None:
        super().__init__()
        self.t0 = time.perf_counter()
        self.start: float | None = None

    def render(self, task) -> Text:
        if self.start is None:
            self.start = task.completed
        wall = time.perf_counter() - self.t0
        rate = (task.completed - self.start) * 3600.0 / wall if wall > 0 else 0.0
        return Text(f"{rate:,.0f} individuals/h", style="cyan")


@app.command()
def cohort(
    name: Annotated[str | None, typer.Argument(help="experiment name (see `dopaspike list`); omitted with --resume")] = None,
    n: Annotated[int | None, typer.Option("--n", help="number of individuals", min=1, max=100_000)] = None,
    quick: Annotated[bool, typer.Option("--quick", help="the experiment's short variant for every individual")] = False,
    seed: Annotated[int | None, typer.Option(
        help="cohort seed: individual i runs with seed derive_seed(SEED, 'individual{i}') "
             "[default: the --config file's seed, else 0]", min=0)] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a config value for all: key=value (repeatable)")]
    = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="TOML file of config values; --set overrides it")] = None,
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", help="vary a config value across individuals: key=normal(mu,sd), lognormal(mu,sigma), uniform(lo,hi), "
                       "intuniform(lo,hi) or choice(a,b,...) (repeatable)")] = None,
    workers: Annotated[int | None, typer.Option(
        help="worker processes (local pool, or the local Dask cluster) [default: one per core; 1: in this process]",
        min=1)] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="run on a Dask cluster: its scheduler address (tcp://HOST:8786), or 'local' to start one here")] = None,
    out: Annotated[Path | None, typer.Option(
        help="cohort folder to create (default: ROOT/cohorts/NAME/TIME-seedN; ROOT is $DOPASPIKE_RUNS, else runs)")] = None,
    resume: Annotated[Path | None, typer.Option(
        help="continue an interrupted or crashed cohort (its folder), or retry its failed individuals")] = None,
    retries: Annotated[int, typer.Option(help="further attempts of an individual that fails", min=0)] = 1,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="validate everything, print every individual's seed and varied values as JSON; run nothing")] = False,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Run a cohort: many individuals of one experiment, each with its own seed and, with
    --vary, its own parameter values; write a tidy table (table.csv: individual x trial x
    measure), cohort figures and cohort.json.

    Individuals run in a local pool of processes (one per core) or on a Dask cluster
    (--scheduler), with identical tables either way. Each finished individual is written at
    once; a failing one is retried (--retries) and, if it still fails, reported (exit 1). Ctrl-C
    keeps what finished and writes the folder marked "interrupted" (exit 130); --resume
    continues it. Exit 0 when every individual ran and every cohort check passed.

    Examples:

      dopaspike cohort bandit --n 64 --set 'conditions=["control"]' --set n_trials=100

      dopaspike cohort distal-reward --quick --n 16 --vary 'tau_c_ms=lognormal(6.9,0.3)' --vary 'reward_da=uniform(0.3,0.7)'

      dopaspike cohort bandit --n 256 --scheduler tcp://10.0.0.5:8786 --out runs/bandit-256

      dopaspike cohort --resume runs/cohorts/bandit/20261121-101500-000000-seed0
    """
    from .. import cohort as co
    from .. import store
    from ..runindex import default_root

    if resume is not None:
        given = [opt for opt, v in (("NAME", name), ("--n", n), ("--quick", quick), ("--seed", seed), ("--set", set_),
                                    ("--config", config_file), ("--vary", vary), ("--out", out), ("--dry-run", dry_run))
                 if v is not None and v is not False]
        try:
            if given:
                raise ConfigError("--resume", str(resume), "used alone (or with --workers, --scheduler, --retries): a "
                                                           f"resumed cohort keeps its plan (also given: {', '.join(given)})")
            co.check_scheduler(scheduler)
            plan, dest, _ = co.plan_from_manifest(resume)
        except ConfigError as err:
            raise fail_bad_input(err) from None
        _execute(plan, dest, lambda **kw: co.resume_cohort(resume, **kw), workers=workers, scheduler=scheduler,
                 retries=retries, progress=progress, verb="resuming")
        return
    try:
        if name is None:
            raise ConfigError("NAME", None, "an experiment name (see `dopaspike list`), or --resume COHORT")
        if n is None:
            raise ConfigError("--n", None, "the number of individuals, an integer >= 1")
        plan = co.plan_cohort(name, n, seed=seed, quick=quick, toml=config_file, overrides=set_ or [], vary=vary or [])
        dest = out if out is not None else co.default_cohort_dir(default_root(), name, plan.seed)
        store.check_destination(dest)
        if co.partial_path(dest).exists():
            raise ConfigError("--out", str(dest), f"a destination without an unfinished cohort beside it "
                                                  f"({co.partial_path(dest)} exists: --resume {dest} continues it)")
        co.check_scheduler(scheduler)
    except ConfigError as err:
        raise fail_bad_input(err) from None
    if dry_run:
        people = [{"individual": i.index, "seed": i.seed, **i.values} for i in plan.individuals]
        typer.echo(json.dumps({**plan.describe(), "individuals": people}, indent=2))
        console.print(f"dry run: the input is valid; a cohort would write {dest} (nothing was run or written)", markup=False)
        return
    _execute(plan, Path(dest), lambda **kw: co.run_cohort(plan, dest, **kw), workers=workers, scheduler=scheduler,
             retries=retries, progress=progress, verb="running")


def _execute(plan, dest: Path, start, *, workers, scheduler, retries: int, progress: bool, verb: str) -> None:
    """Run (or resume) with a progress bar over individuals, print the summary, exit with its code."""
    where = (f"the Dask scheduler {scheduler}" if scheduler else "this process" if workers == 1 else
             f"{workers} worker processes" if workers else "one worker process per core")
    console.print(f"{verb} a cohort of {plan.n} x {plan.experiment} (seed {plan.seed}) on {where} -> {dest}", markup=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
                  _Rate(), TimeRemainingColumn(), console=console, disable=not progress, transient=True) as bar:
        task = bar.add_task(f"{plan.experiment} cohort", total=plan.n)

        def notify(message: str) -> None:
            bar.console.print(Text.assemble(("warning:", "yellow"), " ", message))

        try:
            res = start(workers=workers, scheduler=scheduler, retries=retries, notify=notify,
                        progress=lambda done, total: bar.update(task, completed=done))
        except ConfigError as err:  # e.g. a scheduler that cannot be reached: nothing ran
            bar.stop()
            raise fail_bad_input(err) from None
        except Exception as exc:
            bar.stop()
            console.print_exception(max_frames=8)
            console.print(Text(f"error: the cohort crashed: {type(exc).__name__}: {exc}"))
            console.print(f"the individuals finished so far are kept; continue with: dopaspike cohort --resume {dest}",
                          markup=False)
            raise typer.Exit(EXIT_CRASHED) from None
    _summary(res)
    if res.status != "complete":
        console.print(f"interrupted; continue with: dopaspike cohort --resume {res.path}", markup=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    if not res.ok:
        if res.failed:
            console.print(f"{len(res.failed)} individual(s) failed for good; `dopaspike cohort --resume {res.path}` "
                          "retries them", markup=False)
        raise typer.Exit(EXIT_CHECK_FAILED)


def _summary(res) -> None:
    m = res.manifest
    stdout.print(Text(f"{res.path}", style="bold") + Text(f"  ({res.status})"))
    rate = m.get("individuals_per_hour")
    stdout.print(f"  individuals complete {m['n_complete']}/{m['n']}, failed {m['n_failed']}, pending {m['n_pending']}; "
                 f"{len(res.table)} table rows; {m['wall_s']:.1f} s wall"
                 + (f"; {rate:,.0f} individuals/h ({m['backend']}, {m['workers']} workers)" if rate else ""), markup=False)
    for i, err in sorted(res.failed.items()):
        stdout.print(Text.assemble(("  FAILED", "red"), f" individual {i}: {err}"))
    for k, c in res.checks.items():
        mark = ("PASS", "green") if c.passed else ("FAIL", "red")
        stdout.print(Text.assemble("  ", mark, f" {k}: {c.value}  (expected: {c.expected})"))
