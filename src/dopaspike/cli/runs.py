"""``dopaspike runs``: list and filter past runs from the run index."""

from __future__ import annotations

import difflib
import json
import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from .. import runindex
from ..core.errors import ConfigError
from .app import app, console, fail_bad_input
from .app import out as stdout

DEFAULT_METRIC_COLUMNS = 3  # at most, when --metric is not given
FOLDER_MIN_WIDTH = 24  # what the folder column keeps before metric columns are dropped


@app.command("runs")
def runs(
    experiment: Annotated[str | None, typer.Option(help="only runs of this experiment")] = None,
    status: Annotated[str | None, typer.Option(help="only runs with this status: complete or interrupted")] = None,
    passed: Annotated[bool | None, typer.Option("--passed/--failed", help="only runs whose checks all passed / "
                                                "with a failed check")] = None,
    where: Annotated[list[str] | None, typer.Option(help="metric condition KEY OP NUMBER, OP one of > >= < <= = != "
                                                    "(repeatable; all must hold)")] = None,
    metric: Annotated[list[str] | None, typer.Option(help="metric to show as a column (repeatable; default: a few "
                                                     "metrics every shown run has)")] = None,
    sort: Annotated[str | None, typer.Option(help="order by a metric key or run column (finished, wall_s, seed, ...); "
                                             "'-KEY' for descending (default: newest first)")] = None,
    limit: Annotated[str, typer.Option(metavar="N", help="show at most N runs (0: all)")] = "50",
    root: Annotated[Path | None, typer.Option(help="run store root (default: $DOPASPIKE_RUNS, else ./runs)")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="rescan the run folders and rebuild the index first")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the runs as JSON on stdout (all their metrics)")] = False,
) -> None:
    """List past runs, newest first, from the run index (ROOT/index.sqlite).

    Every run adds itself to the index; the index is rebuilt from the run folders when it is missing, or on --rebuild.

    Examples:

      dopaspike runs

      dopaspike runs --experiment distal-reward --passed --limit 10

      dopaspike runs --where "target_weight_final>3" --where "exc_weight_mean_final<=1" --metric n_rewards

      dopaspike runs --sort=-target_weight_final --json
    """
    try:
        if status is not None:
            runindex.check_status(status, "--status")
        conditions = [runindex.parse_where(w, "--where") for w in where or []]
        n = _parse_limit(limit)
        sort_key = sort[1:] if sort and sort[0] in "+-" else sort
        if sort is not None and not sort_key:
            raise ConfigError("--sort", sort, "a metric key or run column, '-KEY' for descending")
        base = _check_root(root)
    except ConfigError as err:
        raise fail_bad_input(err) from None
    if base is None:  # the default root, and nothing has been run yet
        console.print(f"no runs yet: {runindex.default_root()} does not exist")
        if as_json:
            typer.echo("[]")
        return

    if rebuild or not runindex.index_path(base).is_file():
        _rebuild(base)
    filters = dict(experiment=experiment, status=status, passed=passed, where=conditions, sort=sort,
                   limit=None if n == 0 else n + 1)  # one more than shown tells whether there are more
    try:
        records = runindex.query(base, **filters)
    except sqlite3.DatabaseError as err:  # a damaged index: the folders are the truth
        console.print(f"[yellow]the run index could not be read ({err}); rebuilding it[/yellow]")
        _rebuild(base, fresh=True)
        records = runindex.query(base, **filters)
    more = n != 0 and len(records) > n
    records = records[:n] if n else records
    _note_unknown_keys(base, [c.key for c in conditions] + list(metric or []) + ([sort_key] if sort_key else []))

    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in records], indent=2))
    else:
        _table(base, records, metric or None)
    if more:
        console.print(f"showing the first {n} matching run{'s' if n != 1 else ''}; --limit N (0: all) shows more")


def _parse_limit(limit: str) -> int:
    try:
        n = int(limit)
    except ValueError:
        n = -1
    if n < 0:
        raise ConfigError("--limit", limit, "an integer >= 0 (0: all runs)")
    return n


def _check_root(root: Path | None) -> Path | None:
    """The root to read; ``None`` when the default root does not exist yet."""
    base = root if root is not None else runindex.default_root()
    if base.exists() and not base.is_dir():
        raise ConfigError("--root", str(base), "a folder of runs (this is a file)")
    if not base.exists():
        if root is None:
            return None
        raise ConfigError("--root", str(base), "an existing folder of runs (this one does not exist)")
    return base


def _rebuild(base: Path, fresh: bool = False) -> None:
    if fresh:
        runindex.remove_index(base)
    n = runindex.rebuild(base)
    console.print(f"indexed {n} run{'s' if n != 1 else ''} under {base}")


def _note_unknown_keys(base: Path, keys: list[str]) -> None:
    """Tell (on stderr) about metric keys no indexed run has: most likely a typo."""
    wanted = [k for k in keys if k and k not in runindex.RUN_COLUMNS]
    if not wanted:
        return
    known = runindex.metric_keys(base)
    for key in wanted:
        if key not in known:
            near = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            console.print(f"[yellow]note:[/yellow] no indexed run has a metric {key!r}{hint}")


def _common_metrics(records: list[runindex.RunRecord]) -> list[str]:
    """Metric keys every shown run has, in the experiment's own order."""
    if not records:
        return []
    common = set(records[0].metrics).intersection(*(r.metrics for r in records[1:]))
    return [k for k in records[0].metrics if k in common]


def _table(base: Path, records: list[runindex.RunRecord], metrics: list[str] | None) -> None:
    """Print the runs; ``metrics=None``: as many common metrics (1 to 3) as fit the terminal."""
    if not records:
        console.print("no runs match")
        return
    if metrics is not None:
        stdout.print(_build(base, records, metrics))
        return
    common = _common_metrics(records)
    for k in range(min(DEFAULT_METRIC_COLUMNS, len(common)), 0, -1):
        table = _build(base, records, common[:k], folder_width=FOLDER_MIN_WIDTH)
        if Measurement.get(stdout, stdout.options.update_width(10_000), table).maximum <= stdout.width:
            break
    stdout.print(_build(base, records, common[:max(k, 1)] if common else []))


def _build(base: Path, records: list[runindex.RunRecord], metrics: list[str], folder_width: int | None = None) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("experiment", "folder", "seed", "status", "checks", "wall", *metrics):
        if name in ("seed", "status", "checks", "wall"):  # short: never wrapped
            table.add_column(name, justify="left" if name == "status" else "right", no_wrap=True)
        elif name == "experiment":  # names stay whole
            table.add_column(name, overflow="fold", min_width=min(24, max(len(r.experiment) for r in records)))
        elif name == "folder":
            table.add_column(name, overflow="fold", max_width=folder_width)
        else:  # a metric: the name folds, the numbers keep their width
            table.add_column(name, justify="right", overflow="fold", min_width=8)
    root = base.resolve()
    for r in records:
        table.add_row(
            escape(r.experiment), escape(_folder(Path(r.path), root)), "-" if r.seed is None else str(r.seed),
            _status(r.status), _checks(r), _wall(r.wall_s), *(_number(r.metrics.get(k)) for k in metrics),
        )
    return table


def _folder(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _status(status: str) -> str:
    color = {"complete": "green", "interrupted": "yellow"}.get(status, "red")
    return f"[{color}]{escape(status)}[/{color}]"


def _checks(r: runindex.RunRecord) -> str:
    if r.n_checks == 0:
        return "-"
    text = f"{r.n_checks - r.n_failed}/{r.n_checks}"
    return f"[green]{text}[/green]" if r.passed else f"[red]{text}[/red]"


def _wall(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, s = divmod(round(seconds), 60)
    return f"{minutes} min {s:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.4g}"
