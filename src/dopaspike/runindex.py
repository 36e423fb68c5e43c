"""The run index: one SQLite file that lists every finished run, so listing and filtering runs
never has to open thousands of run folders.

The run store root is ``$DOPASPIKE_RUNS`` if set, else ``runs/`` in the current directory
(:func:`default_root`); its index is ``ROOT/index.sqlite``. The run folders are the truth and
the index is a cache of their ``config.json`` and ``metrics.json``: :func:`rebuild` recreates it
from the folders at any time. Tables::

    runs(path, experiment, seed, status, quick, started, finished, wall_s, git_commit,
         dopaspike_version, n_checks, n_failed, passed)     one row per run, keyed by absolute path
    metrics(run, key, value, ord)                          every numeric metric; nested dicts are
                                                            flattened with dots ("a.b.c")

The database runs in WAL mode with a busy timeout, and every write is one ``BEGIN IMMEDIATE``
transaction, so many processes may add runs at once while others read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .core.errors import ConfigError

INDEX_NAME = "index.sqlite"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 60.0
STATUSES = ("complete", "interrupted")  # a crashed run writes no folder, only a checkpoint
OPERATORS = (">=", "<=", "!=", ">", "<", "=")  # longest first, for parsing
WHERE_FORM = "KEY OP NUMBER with OP one of > >= < <= = != (e.g. target_weight_final>3)"
RUN_COLUMNS = ("path", "experiment", "seed", "status", "quick", "started", "finished", "wall_s", "git_commit",
               "dopaspike_version", "n_checks", "n_failed", "passed")
_NOT_METRICS = ("status", "checks", "provenance")  # metrics.json entries that are not metrics

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    path TEXT PRIMARY KEY,
    experiment TEXT NOT NULL,
    seed INTEGER,
    status TEXT NOT NULL,
    quick INTEGER,
    started TEXT,
    finished TEXT,
    wall_s REAL,
    git_commit TEXT,
    dopaspike_version TEXT,
    n_checks INTEGER NOT NULL,
    n_failed INTEGER NOT NULL,
    passed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
    run TEXT NOT NULL REFERENCES runs(path) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value REAL NOT NULL,
    ord INTEGER NOT NULL,
    PRIMARY KEY (run, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS metrics_key_value ON metrics(key, value);
CREATE INDEX IF NOT EXISTS runs_finished ON runs(finished);
CREATE INDEX IF NOT EXISTS runs_experiment ON runs(experiment);
"""


@dataclass
class RunRecord:
    """One indexed run: the ``runs`` row and its numeric metrics."""

    path: str
    experiment: str
    seed: int | None
    status: str
    quick: bool | None
    started: str | None
    finished: str | None
    wall_s: float | None
    git_commit: str | None
    dopaspike_version: str | None
    n_checks: int
    n_failed: int
    passed: bool
    metrics: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Condition:
    """A parsed ``--where`` expression: ``metric OP value``."""

    key: str
    op: str
    value: float


def default_root() -> Path:
    """The run store root: ``$DOPASPIKE_RUNS`` if set (and not empty), else ``runs``."""
    env = os.environ.get("DOPASPIKE_RUNS", "").strip()
    return Path(env).expanduser() if env else Path("runs")


def index_path(root: Path | str | None = None) -> Path:
    return Path(default_root() if root is None else root) / INDEX_NAME


# ---------------------------------------------------------------- reading a run folder


def is_run_folder(path: Path) -> bool:
    return (path / "metrics.json").is_file() and (path / "config.json").is_file()


def flatten_metrics(metrics: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    """Every finite number in ``metrics`` as ``(dotted.key, value)``; bools count as 0/1."""
    for k, v in metrics.items():
        key = f"{prefix}{k}"
        if not prefix and k in _NOT_METRICS:
            continue
        if isinstance(v, dict):
            yield from flatten_metrics(v, key + ".")
        elif isinstance(v, (bool, int, float)) and math.isfinite(float(v)):
            yield key, float(v)


def read_run(run_dir: Path | str) -> RunRecord:
    """Read a finished run folder into a record (``ValueError`` if it is not one)."""
    run = Path(run_dir).resolve()
    try:
        config = json.loads((run / "config.json").read_text())
        metrics = json.loads((run / "metrics.json").read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{run} is not a readable run folder: {err}") from None
    if not isinstance(config, dict) or not isinstance(metrics, dict):
        raise ValueError(f"{run} is not a run folder: config.json and metrics.json must hold objects")
    prov = metrics.get("provenance") if isinstance(metrics.get("provenance"), dict) else {}
    checks = metrics.get("checks") if isinstance(metrics.get("checks"), dict) else {}
    n_failed = sum(1 for c in checks.values() if not (isinstance(c, dict) and c.get("passed") is True))
    wall = prov.get("wall_s")
    wall = float(wall) if isinstance(wall, (int, float)) else None
    finished = prov.get("finished") or dt.datetime.fromtimestamp((run / "metrics.json").stat().st_mtime).isoformat(
        timespec="seconds")
    started = prov.get("started") or _started(finished, wall)
    seed = config.get("seed", prov.get("seed"))
    quick = config.get("quick")
    return RunRecord(
        path=str(run), experiment=str(config.get("experiment", "?")), seed=seed if isinstance(seed, int) else None,
        status=str(metrics.get("status", "complete")), quick=bool(quick) if quick is not None else None,
        started=started, finished=finished, wall_s=wall, git_commit=prov.get("git_commit"),
        dopaspike_version=prov.get("dopaspike_version"), n_checks=len(checks), n_failed=n_failed,
        passed=n_failed == 0, metrics=dict(flatten_metrics(metrics)),
    )


def _started(finished: str, wall_s: float | None) -> str | None:
    try:
        end = dt.datetime.fromisoformat(finished)
    except (TypeError, ValueError):
        return None
    return (end - dt.timedelta(seconds=wall_s or 0.0)).isoformat(timespec="seconds")


def find_runs(root: Path | str) -> Iterator[Path]:
    """Run folders under ``root`` (recursively), skipping hidden folders such as unfinished
    ``.NAME.partial-PID`` temporaries."""
    for here, dirs, _files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if is_run_folder(Path(here)):
            dirs[:] = []  # a run folder holds no runs
            yield Path(here).resolve()


# ---------------------------------------------------------------- the database


@contextlib.contextmanager
def connect(root: Path | str | None = None, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """An open connection to ``ROOT/index.sqlite`` (created with its schema if ``create``)."""
    path = index_path(root)
    if not create and not path.is_file():
        raise FileNotFoundError(f"no run index at {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys=ON")
        if con.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            _init(con)
        yield con
    finally:
        con.close()


def _init(con: sqlite3.Connection) -> None:
    con.execute("PRAGMA journal_mode=WAL")
    with _write(con):
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:  # another process got there first
            return
        if version != 0:  # an older layout: the folders are the truth, so start again
            con.execute("DROP TABLE IF EXISTS metrics")
            con.execute("DROP TABLE IF EXISTS runs")
        for stmt in _SCHEMA.split(";"):
            if stmt.strip():
                con.execute(stmt)
        con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


@contextlib.contextmanager
def _write(con: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken up front so that concurrent writers queue on the busy timeout."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _store(con: sqlite3.Connection, rec: RunRecord) -> None:
    row = {k: v for k, v in asdict(rec).items() if k != "metrics"}
    con.execute("DELETE FROM metrics WHERE run = ?", (rec.path,))
    con.execute(f"INSERT OR REPLACE INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})",
                [row[c] for c in RUN_COLUMNS])
    con.executemany("INSERT INTO metrics (run, key, value, ord) VALUES (?, ?, ?, ?)",
                    [(rec.path, k, v, i) for i, (k, v) in enumerate(rec.metrics.items())])


def add_run(run_dir: Path | str, root: Path | str | None = None) -> RunRecord:
    """Add (or update) a finished run folder in the index of ``root`` (default: :func:`default_root`)."""
    rec = read_run(run_dir)
    with connect(root) as con, _write(con):
        _store(con, rec)
    return rec


def rebuild(root: Path | str | None = None) -> int:
    """Recreate the index from the folders: every run folder under ``root``, plus runs indexed
    before that live elsewhere (``--out``) and still exist. Rows whose folder is gone are dropped.
    Returns the number of runs indexed."""
    root = Path(default_root() if root is None else root)
    if not root.is_dir():
        raise ConfigError("root", str(root), "an existing folder of runs")
    known: list[Path] = []
    try:
        with connect(root, create=False) as con:
            known = [Path(p) for (p,) in con.execute("SELECT path FROM runs")]
    except (FileNotFoundError, sqlite3.DatabaseError):
        remove_index(root)  # missing or unreadable: start from nothing
    folders = dict.fromkeys([*find_runs(root), *(p for p in known if is_run_folder(p))])
    records = []
    for folder in folders:
        with contextlib.suppress(ValueError):  # a broken folder is left out, not fatal
            records.append(read_run(folder))
    with connect(root) as con, _write(con):
        con.execute("DELETE FROM metrics")
        con.execute("DELETE FROM runs")
        for rec in records:
            _store(con, rec)
    return len(records)


def remove_index(root: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            (root / (INDEX_NAME + suffix)).unlink()


# ---------------------------------------------------------------- queries


def parse_where(expr: str, field: str = "where") -> Condition:
    """``"target_weight_final>3"`` -> ``Condition("target_weight_final", ">", 3.0)``."""
    m = re.fullmatch(r"\s*([A-Za-z_][\w.\-/]*)\s*(>=|<=|!=|>|<|=)\s*(\S+)\s*", expr or "")
    if m is None:
        raise ConfigError(field, expr, WHERE_FORM)
    key, op, raw = m.groups()
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(field, expr, WHERE_FORM) from None
    if not math.isfinite(value):
        raise ConfigError(field, expr, WHERE_FORM + "; the number must be finite")
    return Condition(key, op, value)


def check_status(status: str, field: str = "status") -> str:
    if status not in STATUSES:
        raise ConfigError(field, status, "one of " + ", ".join(STATUSES))
    return status


def query(root: Path | str | None = None, experiment: str | None = None, status: str | None = None,
          passed: bool | None = None, where: Iterable[str | Condition] = (), sort: str | None = None,
          limit: int | None = None) -> list[RunRecord]:
    """Indexed runs matching every filter, newest first unless ``sort`` says otherwise.

    ``where``: conditions on metric keys (``"key>3"`` or :class:`Condition`); a run without the
    metric does not match. ``sort``: a run column (``finished``, ``wall_s``, ``seed``, ...) or a
    metric key, ascending, or descending with a leading ``-``; runs lacking a sort metric come
    last. ``limit``: at most this many runs (``None``: all). Reads the index only.
    """
    conds = [w if isinstance(w, Condition) else parse_where(w) for w in where]
    if status is not None:
        check_status(status)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ConfigError("limit", limit, "an integer >= 0, or None for all")
    clauses, params = [], []
    for column, value in (("experiment", experiment), ("status", status)):
        if value is not None:
            clauses.append(f"r.{column} = ?")
            params.append(value)
    if passed is not None:
        clauses.append("r.passed = ?")
        params.append(int(bool(passed)))
    for c in conds:
        clauses.append(f"EXISTS (SELECT 1 FROM metrics m WHERE m.run = r.path AND m.key = ? AND m.value {c.op} ?)")
        params += [c.key, c.value]
    order, sort_params = _order_by(sort)
    sql = (f"SELECT {', '.join('r.' + c for c in RUN_COLUMNS)} FROM runs r"
           + (" WHERE " + " AND ".join(clauses) if clauses else "")
           + f" ORDER BY {order}" + (" LIMIT ?" if limit is not None else ""))
    args = [*params, *sort_params, *([limit] if limit is not None else [])]  # in the order of the ?s
    with connect(root) as con:
        con.execute("BEGIN")  # one snapshot for both reads
        rows = con.execute(sql, args).fetchall()
        records = [_record(row) for row in rows]
        by_path = {r.path: r for r in records}
        if records:
            for run, key, value in con.execute(
                    f"SELECT m.run, m.key, m.value FROM metrics m JOIN ({sql}) s ON m.run = s.path ORDER BY m.run, m.ord",
                    args):
                by_path[run].metrics[key] = value
        con.execute("COMMIT")
    return records


def _order_by(sort: str | None) -> tuple[str, list]:
    sort = sort or "-finished"
    desc = sort.startswith("-")
    key = sort[1:] if sort[0] in "+-" else sort
    if not key:
        raise ConfigError("sort", sort, "a run column or metric key, with a leading '-' for descending")
    direction = "DESC" if desc else "ASC"
    tie = f"r.path {direction}"
    if key in RUN_COLUMNS:
        return f"r.{key} IS NULL, r.{key} {direction}, {tie}", []
    value = "(SELECT m.value FROM metrics m WHERE m.run = r.path AND m.key = ?)"
    # the key appears twice in the ORDER BY, so it is bound twice
    return f"{value} IS NULL, {value} {direction}, {tie}", [key, key]


def _record(row: tuple) -> RunRecord:
    d = dict(zip(RUN_COLUMNS, row))
    d["quick"] = None if d["quick"] is None else bool(d["quick"])
    d["passed"] = bool(d["passed"])
    return RunRecord(**d)


def metric_keys(root: Path | str | None = None) -> set[str]:
    """Every metric key present in the index."""
    with connect(root) as con:
        return {k for (k,) in con.execute("SELECT DISTINCT key FROM metrics")}
