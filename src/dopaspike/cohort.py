"""Cohorts: many individuals of one experiment, each with its own seed and parameters.

A cohort of ``n`` individuals with cohort seed ``S`` is ``n`` independent runs of one
experiment (``dopaspike cohort NAME --n 64``):

- **Seeds.** Individual ``i`` (``0 <= i < n``) runs with seed
  ``derive_seed(S, f"individual{i}")`` (:func:`individual_seed`; :mod:`dopaspike.core.rng`).
- **Variability.** Each ``--vary`` spec (:func:`parse_vary`: ``key=normal(mu,sd)``,
  ``lognormal(mu,sigma)`` of the log, ``uniform(lo,hi)``, ``intuniform(lo,hi)`` with both ends
  included, ``choice(a,b,...)``) draws one value per individual from the random stream
  ``individual{i}/vary/{key}`` of ``S``, so a draw depends only on ``(S, i, key)``: never on the
  worker count, the order in which individuals run, or the other ``--vary`` specs. Continuous
  draws for an integer field are rounded to the nearest integer.
- **Configuration.** Individual ``i`` runs the base configuration (the experiment's defaults
  or quick variant < ``--config`` file < ``--set``) updated with its draws. An experiment whose
  configuration has ``n_individuals`` (the choice experiments, which run several loops in one
  network) runs with ``n_individuals=1``: one individual per seed. Every individual's
  configuration is validated before any work starts (:func:`plan_cohort`); a draw outside its
  field's range is a :class:`~dopaspike.core.errors.ConfigError` naming the individual, the
  field, the value and the allowed range.

The tidy table (``table.csv``) has one row per trial (or session) of each individual: the
leading columns ``individual`` (0..n-1), ``seed`` (the individual's run seed) and one per varied
key, then the run's own columns: the experiment's :attr:`~dopaspike.experiments.base.Experiment.table`
if it has one, else :func:`default_table` (the run's ``trials/`` data; without it, one row of
its scalar metrics and ``check_NAME`` columns). A run column named ``individual`` (the loop
index of a choice experiment) is dropped when it is constant and renamed ``loop`` otherwise; a
run column that clashes with another leading column gets the suffix ``_run``.

**Backends** (:func:`run_cohort`): in this process (``workers=1``); a local pool of ``workers``
processes (:class:`concurrent.futures.ProcessPoolExecutor`, spawned; the default, one per
core); or a Dask cluster (``scheduler="tcp://HOST:PORT"``, or ``"local"`` for a
:class:`distributed.LocalCluster` of ``workers`` processes; ``pip install 'dopaspike[cluster]'``).
Every backend runs the same function (:func:`run_individual`) on the same jobs, and the table is
always assembled from the per-individual files in order of ``individual``, so the same cohort
gives a byte-identical ``table.csv`` whichever backend and worker count ran it.

**Folder** (default ``ROOT/cohorts/NAME/TIME-seedS``, ROOT from
:func:`dopaspike.runindex.default_root`)::

    COHORT/cohort.json          experiment, n, seed, base config, vary specs, status, backend,
                                workers, wall time, individuals per hour, cohort checks, and per
                                individual: seed, varied values, status, attempts, wall_s, error
    COHORT/table.csv            the tidy table
    COHORT/figures/*.png, *.svg the experiment's cohort figures, else generic ones
    COHORT/individuals/NNNN.csv one individual's rows, written (atomically) as soon as it finishes
    COHORT/individuals/NNNN.json its status, attempts, wall_s, metrics and checks (or its error)

While it runs, the folder is ``.NAME.partial`` beside its destination and is renamed when
the cohort ends. An individual that raises is retried (``retries`` times) and, if it still
fails, recorded as ``failed`` with its error, never dropped silently. Ctrl-C stops
submitting, keeps every finished individual and writes the folder marked ``interrupted``;
:func:`resume_cohort` continues an interrupted or crashed cohort (and retries failed
individuals), skipping the individuals already written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import logging
import math
import os
import re
import shutil
import socket
import time
import typing
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .core import rng as rngmod
from .core.errors import ConfigError

log = logging.getLogger(__name__)

#: The forms a ``--vary`` spec may take.
VARY_FORM = "KEY=normal(mu,sd), lognormal(mu,sigma), uniform(lo,hi), intuniform(lo,hi) or choice(a,b,...)"
DISTRIBUTIONS = ("normal", "lognormal", "uniform", "intuniform", "choice")
MAX_INDIVIDUALS = 100_000
MANIFEST = "cohort.json"
TABLE = "table.csv"
#: Metric names holding one of these measure the machine, not the individual: never in a table.
TIMING_METRICS = ("wall_s",)
#: Columns a generic learning curve plots, in order of preference, when the table has ``trial``.
LEARNING_MEASURES = ("chose_best", "correct", "reward")


# ---------------------------------------------------------------- seeds and --vary


def individual_seed(seed: int, index: int) -> int:
    """The run seed of individual ``index`` of a cohort with seed ``seed``."""
    return rngmod.derive_seed(seed, f"individual{index}")


@dataclass(frozen=True)
class Vary:
    """One parsed ``--vary`` spec: ``key=dist(args)``."""

    key: str
    dist: str
    args: tuple
    spec: str  # as given (normalised: no spaces)

    def draw(self, seed: int, index: int, integer: bool = False) -> Any:
        """Individual ``index``'s value under cohort seed ``seed`` (rounded if ``integer``)."""
        g = rngmod.stream(seed, f"individual{index}/vary/{self.key}")
        a = self.args
        if self.dist == "choice":
            return a[int(g.integers(len(a)))]
        if self.dist == "intuniform":
            return int(g.integers(a[0], a[1] + 1))
        x = {"normal": lambda: g.normal(a[0], a[1]), "lognormal": lambda: g.lognormal(a[0], a[1]),
             "uniform": lambda: g.uniform(a[0], a[1])}[self.dist]()
        return int(round(float(x))) if integer else float(x)


def _split_args(text: str) -> list[str]:
    """``"1, [2,3], 'a'"`` -> ``["1", "[2,3]", "'a'"]``: commas inside brackets or quotes do not split."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def _choice_value(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_vary(spec: str) -> Vary:
    """Parse ``key=dist(args)`` strictly; a malformed spec raises :class:`ConfigError`.

    ``normal(mu,sd)`` and ``lognormal(mu,sigma)`` need a spread >= 0, ``uniform(lo,hi)``
    ``lo <= hi``, ``intuniform(lo,hi)`` integers ``lo <= hi``, ``choice(a,b,...)`` at least one
    value (each read as JSON where possible, else as text).
    """
    m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([A-Za-z_]+)\s*\((.*)\)\s*", spec, re.S)
    if not m:
        raise ConfigError("--vary", spec, VARY_FORM)
    key, dist, body = m.group(1), m.group(2).lower(), m.group(3)
    if dist not in DISTRIBUTIONS:
        raise ConfigError(f"--vary {key}", spec, f"a distribution among {', '.join(DISTRIBUTIONS)} ({VARY_FORM})")
    raw = _split_args(body) if body.strip() else []
    if dist == "choice":
        if not raw or any(not r for r in raw):
            raise ConfigError(f"--vary {key}", spec, "choice(a,b,...) with at least one value and no empty one")
        args = tuple(_choice_value(r) for r in raw)
    else:
        form = {"normal": "normal(mu,sd)", "lognormal": "lognormal(mu,sigma)", "uniform": "uniform(lo,hi)",
                "intuniform": "intuniform(lo,hi)"}[dist]
        if len(raw) != 2:
            raise ConfigError(f"--vary {key}", spec, f"{form}: two numbers")
        try:
            args = tuple(int(r) if dist == "intuniform" else float(r) for r in raw)
        except ValueError:
            raise ConfigError(f"--vary {key}", spec, f"{form}: two {'integers' if dist == 'intuniform' else 'numbers'}") from None
        if not all(math.isfinite(a) for a in args):
            raise ConfigError(f"--vary {key}", spec, f"{form}: finite numbers")
        if dist in ("normal", "lognormal") and args[1] < 0:
            raise ConfigError(f"--vary {key}", spec, f"{form} with a spread >= 0")
        if dist in ("uniform", "intuniform") and args[0] > args[1]:
            raise ConfigError(f"--vary {key}", spec, f"{form} with lo <= hi")
    text = f"{key}={dist}({','.join(raw)})"
    return Vary(key=key, dist=dist, args=args, spec=text)


def _is_int_field(model: type, key: str) -> bool:
    ann = model.model_fields[key].annotation
    kinds = set(typing.get_args(ann)) | {ann}
    return int in kinds and float not in kinds and bool not in kinds


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Individual:
    """One member of a cohort: its index, run seed, varied values and validated configuration."""

    index: int
    seed: int
    values: dict[str, Any]
    config: Any


@dataclass
class CohortPlan:
    """A validated cohort: what would run, before anything runs (:func:`plan_cohort`)."""

    experiment: str
    n: int
    seed: int
    quick: bool
    base: Any  # the base configuration (n_individuals already 1 where it exists)
    vary: tuple[Vary, ...]
    individuals: list[Individual]

    def describe(self) -> dict:
        """The plan as JSON-able data (what ``--dry-run`` prints and ``cohort.json`` starts with)."""
        from .store import jsonable

        return jsonable({
            "experiment": self.experiment, "n": self.n, "seed": self.seed, "quick": self.quick,
            "config": self.base.model_dump(mode="json"), "vary": [v.spec for v in self.vary],
            "seed_rule": "individual i runs with seed derive_seed(seed, 'individual{i}'); its --vary draw of KEY comes "
                         "from the stream 'individual{i}/vary/KEY' of seed",
            "per_individual": {"n_individuals": 1} if "n_individuals" in type(self.base).model_fields else {},
        })


def plan_cohort(experiment: str, n: int, *, seed: int | None = None, quick: bool = False, base: Any = None,
                toml: str | Path | None = None, overrides: Sequence[str] | None = None,
                vary: Sequence[str | Vary] = ()) -> CohortPlan:
    """Validate a cohort: ``n`` individuals of ``experiment`` (a registered name).

    The base configuration is ``base`` (default: the experiment's defaults, or its quick variant
    with ``quick``) < the TOML file ``toml`` < ``overrides`` (``key=value`` strings); the seed is
    ``seed``, else the file's, else 0 (as :func:`dopaspike.config.resolve_config`). Every
    individual's configuration is built and validated here, so a bad spec or a draw out of range
    raises :class:`ConfigError` before any work starts.
    """
    from .config import build_config, check_keys, resolve_config
    from .experiments import get

    exp = get(experiment)
    model = exp.config_model
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_INDIVIDUALS:
        raise ConfigError("--n", n, f"an integer in [1, {MAX_INDIVIDUALS}] (the number of individuals)")
    start = base if base is not None else exp.quick() if quick else exp.default()
    cfg, seed = resolve_config(model, start, experiment=experiment, toml=toml, overrides=list(overrides or []), seed=seed)
    if "n_individuals" in model.model_fields:
        cfg = build_config(model, cfg, {"n_individuals": 1})
    specs = tuple(v if isinstance(v, Vary) else parse_vary(v) for v in vary)
    seen: set[str] = set()
    for v in specs:
        check_keys(model, {v.key: v.spec}, source="--vary")
        if v.key == "n_individuals":
            raise ConfigError("--vary n_individuals", v.spec, "another key: a cohort runs one individual per seed (use --n)")
        if v.key in seen:
            raise ConfigError(f"--vary {v.key}", v.spec, "one --vary per key")
        seen.add(v.key)
    ints = {v.key: _is_int_field(model, v.key) for v in specs}
    people = []
    for i in range(int(n)):
        values = {v.key: v.draw(seed, i, ints[v.key]) for v in specs}
        conf = build_config(model, cfg, values, source=f"--vary, individual {i}") if values else cfg
        people.append(Individual(index=i, seed=individual_seed(seed, i), values=values, config=conf))
    return CohortPlan(experiment=experiment, n=int(n), seed=int(seed), quick=bool(quick), base=cfg, vary=specs,
                      individuals=people)


# ---------------------------------------------------------------- one individual (runs in workers)


def _decode(arr: Any) -> np.ndarray:
    a = np.asarray(arr)
    if a.dtype.kind == "S":
        return np.char.decode(a, "utf-8")
    if a.dtype == object and a.size and isinstance(a.flat[0], bytes):
        return np.array([x.decode() if isinstance(x, bytes) else x for x in a.ravel()], dtype=object).reshape(a.shape)
    return a


def _scalars(metrics: dict, prefix: str = "") -> dict[str, Any]:
    """Numbers and booleans of ``metrics`` (nested dicts flattened with dots), timing metrics left out."""
    out: dict[str, Any] = {}
    for k, v in metrics.items():
        key = f"{prefix}{k}"
        if any(t in str(k) for t in TIMING_METRICS):
            continue
        if isinstance(v, dict):
            out.update(_scalars(v, key + "."))
        elif isinstance(v, (bool, np.bool_)):
            out[key] = bool(v)
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out[key] = v.item() if isinstance(v, np.generic) else v
    return out


def default_table(res: Any, checks: dict | None = None) -> dict[str, np.ndarray]:
    """A run's tidy columns when its experiment defines no ``table``: the ``trials/`` entries of
    ``res.data`` (same-length 1-D arrays, bytes decoded) if any, else one row of the scalar
    metrics (numbers and booleans; nested dicts flattened as ``a.b``; timing metrics such as
    ``wall_s_per_model_s`` left out) and each check's ``passed`` as ``check_NAME``."""
    trials = {k[len("trials/"):]: _decode(v) for k, v in res.data.items() if k.startswith("trials/")}
    if trials:
        return trials
    row = {k: np.array([v]) for k, v in _scalars(res.metrics).items()}
    for name, c in (checks or {}).items():
        row[f"check_{name}"] = np.array([bool(c.passed)])
    return row


def _cell(v: Any) -> Any:
    return v if isinstance(v, (bool, int, float, str)) else json.dumps(v)


def individual_table(columns: dict[str, Any], index: int, seed: int, values: dict[str, Any]) -> pd.DataFrame:
    """One run's columns as a DataFrame with the leading columns ``individual``, ``seed`` and the
    varied keys (see the module's notes for ``loop`` and ``_run``)."""
    cols = {}
    length = None
    for k, v in columns.items():
        a = _decode(v)
        if a.ndim != 1:
            raise ValueError(f"table column {k!r} has shape {a.shape}: columns must be 1-D")
        if length is not None and a.shape[0] != length:
            raise ValueError(f"table column {k!r} has {a.shape[0]} rows, others {length}")
        length = a.shape[0]
        cols[k] = a
    df = pd.DataFrame(cols)
    if "individual" in df.columns:
        if df["individual"].nunique(dropna=False) <= 1:
            df = df.drop(columns="individual")
        else:
            df = df.rename(columns={"individual": "loop"})
    lead = {"individual": index, "seed": seed, **{k: _cell(v) for k, v in values.items()}}
    df = df.rename(columns={c: f"{c}_run" for c in df.columns if c in lead})
    for pos, (k, v) in enumerate(lead.items()):
        df.insert(pos, k, pd.Series([v] * len(df), dtype=object if isinstance(v, str) else None))
    return df


def _experiment(name: str, module: str | None):
    from .experiments import get

    try:
        return get(name)
    except ConfigError:
        if not module:
            raise
        importlib.import_module(module)  # an experiment registered outside dopaspike.experiments
        return get(name)


def run_individual(job: dict) -> dict:
    """Run one individual and return its table and summary (the function every backend runs).

    ``job``: ``experiment`` (name), ``module`` (where it registers, imported if the name is
    unknown here), ``config`` (a dict), ``seed``, ``index`` and ``values`` (its varied values).
    Returns ``status`` ("complete" or, after Ctrl-C in this process, "interrupted"), ``table``
    (a DataFrame), ``metrics``, ``checks``, ``wall_s``, ``cpu_s`` (CPU time of its process
    meanwhile: below ``wall_s`` when other work shared the core), ``host`` and ``pid``.
    """
    from .store import jsonable

    exp = _experiment(job["experiment"], job.get("module"))
    cfg = exp.config_model.model_validate(job["config"])
    t0, c0 = time.perf_counter(), time.process_time()
    res = exp.run(cfg, int(job["seed"]))
    out = {"index": job["index"], "seed": job["seed"], "status": res.status, "host": socket.gethostname(),
           "pid": os.getpid()}
    if res.status != "complete":
        return out
    checks = exp.checks(res)
    columns = exp.table(res) if exp.table is not None else default_table(res, checks)
    out.update(table=individual_table(columns, job["index"], job["seed"], job.get("values", {})),
               metrics=jsonable(res.metrics), checks={k: jsonable(c.as_dict()) for k, c in checks.items()},
               wall_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0)
    return out


def _job(plan: CohortPlan, ind: Individual, module: str) -> dict:
    return {"experiment": plan.experiment, "module": module, "config": ind.config.model_dump(), "seed": ind.seed,
            "index": ind.index, "values": ind.values}


# ---------------------------------------------------------------- backends


def _ignore_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


class _InProcess:
    kind = "in-process"

    def __init__(self) -> None:
        self.workers = 1

    def submit(self, job: dict):
        from concurrent.futures import Future

        fut: Future = Future()
        try:
            fut.set_result(run_individual(job))
        except Exception as exc:  # reported and retried by the caller, like a worker's
            fut.set_exception(exc)
        return fut

    def wait_any(self, futures: list) -> list:
        return [f for f in futures if f.done()]

    def close(self, interrupted: bool = False) -> None:
        pass


class _Pool:
    kind = "process-pool"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._new()

    def _new(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.ex = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_ignore_sigint)

    def submit(self, job: dict):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.ex.submit(run_individual, job)
        except BrokenProcessPool:  # a worker died (killed, out of memory): its jobs failed; start again
            self.ex.shutdown(wait=False, cancel_futures=True)
            self._new()
            return self.ex.submit(run_individual, job)

    def wait_any(self, futures: list) -> list:
        from concurrent.futures import FIRST_COMPLETED, wait

        return list(wait(futures, return_when=FIRST_COMPLETED).done)

    def close(self, interrupted: bool = False) -> None:
        if not interrupted:
            self.ex.shutdown(wait=True)
            return
        procs = list((getattr(self.ex, "_processes", None) or {}).values())
        self.ex.shutdown(wait=False, cancel_futures=True)
        for p in procs:  # the individuals still running are given up (they are not written)
            with contextlib.suppress(Exception):
                p.terminate()


class _Dask:
    kind = "dask"

    def __init__(self, scheduler: str, workers: int) -> None:
        try:
            import distributed
        except ImportError:
            raise ConfigError("--scheduler", scheduler, "Dask installed (pip install 'dopaspike[cluster]')") from None
        self.scheduler = scheduler
        self.cluster = None
        try:
            if scheduler == "local":
                self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                        dashboard_address=None, silence_logs=logging.ERROR)
                self.client = distributed.Client(self.cluster)
            else:
                self.client = distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as err:
            if self.cluster is not None:
                self.cluster.close()
            raise ConfigError("--scheduler", scheduler, f"a reachable Dask scheduler, or 'local' ({err})") from None
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.running: list = []

    def submit(self, job: dict):
        fut = self.client.submit(run_individual, job, pure=False)
        self.running.append(fut)
        return fut

    def wait_any(self, futures: list) -> list:
        from distributed import wait

        done = list(wait(futures, return_when="FIRST_COMPLETED").done)
        self.running = [f for f in self.running if f not in done]
        return done

    def close(self, interrupted: bool = False) -> None:
        with contextlib.suppress(Exception):
            if interrupted and self.running:
                self.client.cancel(self.running, force=True)
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


def check_scheduler(scheduler: str | None) -> None:
    """Refuse, before any work, a ``--scheduler`` that is neither ``local`` nor an address, or Dask missing."""
    if scheduler is None:
        return
    if scheduler != "local" and not re.fullmatch(r"(tcp|tls|ws|wss|inproc|ucx)://\S+|[\w.\-]+:\d+", scheduler):
        raise ConfigError("--scheduler", scheduler, "'local' or a Dask scheduler address such as tcp://HOST:8786")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ConfigError("--scheduler", scheduler, "Dask installed (pip install 'dopaspike[cluster]')") from None


def _backend(workers: int | None, scheduler: str | None, todo: int):
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise ConfigError("--workers", workers, "an integer >= 1")
    w = int(workers) if workers is not None else (os.cpu_count() or 1)
    check_scheduler(scheduler)
    if scheduler is not None:
        return _Dask(scheduler, w)
    w = max(1, min(w, todo))
    return _InProcess() if w == 1 else _Pool(w)


# ---------------------------------------------------------------- folder and files


def default_cohort_dir(root: Path, experiment: str, seed: int) -> Path:
    """``ROOT/cohorts/NAME/TIME-seedS``."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return Path(root) / "cohorts" / experiment / f"{stamp}-seed{seed}"


def partial_path(dest: Path) -> Path:
    """Where a cohort is assembled while it runs: ``.NAME.partial`` beside its destination."""
    dest = Path(dest)
    return dest.parent / f".{dest.name}.partial"


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_json(path: Path, data: dict) -> None:
    from .store import jsonable

    _write_atomic(path, lambda p: p.write_text(json.dumps(jsonable(data), indent=2, allow_nan=False)))


def _read_csv(path: Path) -> pd.DataFrame:
    # floats read back exactly as written (pandas >= 3 always does; before, only when asked)
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    return pd.read_csv(path, **exact)


def read_cohort(folder: Path | str) -> tuple[dict, pd.DataFrame]:
    """``(cohort.json, table.csv)`` of a cohort folder."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    table = _read_csv(folder / TABLE) if (folder / TABLE).stat().st_size else pd.DataFrame()
    return manifest, table


@dataclass
class CohortResult:
    """What :func:`run_cohort` did: the folder, the tidy table, the manifest and the checks."""

    path: Path
    status: str  # "complete" (every individual ran, some may have failed for good) or "interrupted"
    table: pd.DataFrame
    manifest: dict
    checks: dict = field(default_factory=dict)  # name -> Check (cohort_checks), complete cohorts only
    failed: dict[int, str] = field(default_factory=dict)  # individual -> error, after every retry

    @property
    def ok(self) -> bool:
        """Complete, no individual failed, every cohort check passed."""
        return self.status == "complete" and not self.failed and all(c.passed for c in self.checks.values())


# ---------------------------------------------------------------- running a cohort


def run_cohort(plan: CohortPlan, out: Path | str | None = None, *, workers: int | None = None,
               scheduler: str | None = None, retries: int = 1, progress: Callable[[int, int], None] | None = None,
               notify: Callable[[str], None] | None = None) -> CohortResult:
    """Run every individual of ``plan`` and write the cohort folder ``out`` (default
    ``ROOT/cohorts/NAME/TIME-seedS``); return what was done.

    ``workers``: processes of the local pool (default: one per core; 1 runs in this process) or
    of the local Dask cluster. ``scheduler``: a Dask scheduler address, or ``"local"``.
    ``retries``: further attempts of an individual that raised. ``progress(done, total)`` is
    called as individuals finish (failed ones included); ``notify(message)`` reports failures
    and retries. Ctrl-C returns a result with status ``"interrupted"``.
    """
    from . import store
    from .runindex import default_root

    dest = Path(out) if out is not None else default_cohort_dir(default_root(), plan.experiment, plan.seed)
    store.check_destination(dest)
    if partial_path(dest).exists():
        raise ConfigError("--out", str(dest), f"a destination without an unfinished cohort beside it ({partial_path(dest)} "
                                               f"exists: continue it with `dopaspike cohort --resume {dest}`, or delete it)")
    return _execute(plan, dest, workers=workers, scheduler=scheduler, retries=retries, progress=progress, notify=notify,
                    resumed=False)


def plan_from_manifest(folder: Path | str) -> tuple[CohortPlan, Path, Path]:
    """The plan of the cohort at ``folder`` (an interrupted or finished cohort folder, or the
    destination of a crashed one, whose ``.NAME.partial`` is beside it): ``(plan, dest, where)``
    with ``where`` the folder holding its files now."""
    from .experiments import get

    dest = Path(folder)
    where = dest if (dest / MANIFEST).is_file() else partial_path(dest)
    if not (where / MANIFEST).is_file():
        raise ConfigError("--resume", str(dest), f"a cohort folder holding {MANIFEST}, or the destination of an unfinished "
                                                 f"cohort (with {partial_path(dest).name} beside it)")
    try:
        head = json.loads((where / MANIFEST).read_text())
        exp = get(head["experiment"])
        base = exp.config_model.model_validate(head["config"])
        plan = plan_cohort(head["experiment"], head["n"], seed=head["seed"], quick=bool(head.get("quick")), base=base,
                           vary=head.get("vary", []))
    except (ValueError, KeyError, TypeError) as err:
        if isinstance(err, ConfigError):
            raise
        raise ConfigError("--resume", str(dest), f"a readable {MANIFEST} of this version ({type(err).__name__}: {err})") from None
    return plan, dest, where


def resume_cohort(folder: Path | str, *, workers: int | None = None, scheduler: str | None = None, retries: int = 1,
                  progress: Callable[[int, int], None] | None = None,
                  notify: Callable[[str], None] | None = None) -> CohortResult:
    """Continue the cohort at ``folder`` (interrupted, crashed, or with failed individuals):
    individuals already written are kept, the others run; the result is the cohort an
    uninterrupted run gives."""
    plan, dest, where = plan_from_manifest(folder)
    if where == dest and partial_path(dest).exists():
        raise ConfigError("--resume", str(dest), f"one unfinished copy of the cohort ({partial_path(dest)} exists too; "
                                                 "delete one)")
    return _execute(plan, dest, workers=workers, scheduler=scheduler, retries=retries, progress=progress, notify=notify,
                    resumed=True, move_from=where if where == dest else None)


def _done_individuals(work: Path, plan: CohortPlan) -> dict[int, dict]:
    """Individuals whose files are complete in ``work`` (and belong to this plan)."""
    done = {}
    folder = work / "individuals"
    for ind in plan.individuals:
        j, c = folder / f"{ind.index:04d}.json", folder / f"{ind.index:04d}.csv"
        if not (j.is_file() and c.is_file()):
            continue
        try:
            rec = json.loads(j.read_text())
        except ValueError:
            continue
        if rec.get("status") == "complete" and rec.get("seed") == ind.seed:
            done[ind.index] = rec
    return done


def _execute(plan: CohortPlan, dest: Path, *, workers, scheduler, retries: int, progress, notify, resumed: bool,
             move_from: Path | None = None) -> CohortResult:
    from .experiments import get

    if isinstance(retries, bool) or int(retries) < 0:
        raise ConfigError("--retries", retries, "an integer >= 0")
    exp = get(plan.experiment)
    module = getattr(exp.start, "__module__", None) or ""
    work = partial_path(dest)
    source = move_from if move_from is not None else work  # a finished or interrupted folder is moved back to work
    indiv = work / "individuals"
    records: dict[int, dict] = _done_individuals(source, plan) if source.exists() else {}
    previous = {}
    if (source / MANIFEST).is_file():
        with contextlib.suppress(ValueError):
            previous = json.loads((source / MANIFEST).read_text())
    todo = [ind for ind in plan.individuals if ind.index not in records]
    backend = _backend(workers, scheduler, len(todo))  # connects to a cluster: may refuse before anything is written
    say = notify or (lambda msg: log.warning("%s", msg))
    try:
        if move_from is not None:
            os.replace(move_from, work)
        indiv.mkdir(parents=True, exist_ok=True)
        session = {"started": dt.datetime.now().isoformat(timespec="seconds"), "backend": backend.kind,
                   "workers": backend.workers, "scheduler": scheduler, "resumed": resumed,
                   "skipped": len(records)}
        sessions = [*previous.get("sessions", []), session]
        head = {**plan.describe(), "status": "running", "sessions": sessions}
        _write_json(work / MANIFEST, head)
    except BaseException:
        backend.close(interrupted=True)
        raise
    total = plan.n
    failed: dict[int, str] = {}
    attempts = {ind.index: 0 for ind in todo}
    errors: dict[int, list[str]] = {ind.index: [] for ind in todo}
    done_count = len(records)
    if progress is not None:
        progress(done_count, total)
    pending = deque(todo)
    running: dict[Any, Individual] = {}
    window = 1 if backend.kind == "in-process" else 2 * backend.workers
    status, completed_now = "complete", 0
    t0 = time.perf_counter()
    try:
        while pending or running:
            while pending and len(running) < window:
                ind = pending.popleft()
                attempts[ind.index] += 1
                running[backend.submit(_job(plan, ind, module))] = ind
            for fut in backend.wait_any(list(running)):
                ind = running.pop(fut)
                try:
                    got = fut.result()
                except Exception as exc:  # the individual raised (or its worker died)
                    err = f"{type(exc).__name__}: {exc}"
                    errors[ind.index].append(err)
                    n_try = attempts[ind.index]
                    if n_try <= retries:
                        say(f"individual {ind.index} (seed {ind.seed}) failed on attempt {n_try} of {retries + 1}: {err}; "
                            "retrying")
                        pending.appendleft(ind)
                        continue
                    say(f"individual {ind.index} (seed {ind.seed}) failed for good after {n_try} attempt"
                        f"{'s' if n_try != 1 else ''}: {err}")
                    failed[ind.index] = err
                    rec = {"index": ind.index, "seed": ind.seed, "values": ind.values, "status": "failed",
                           "attempts": n_try, "error": err, "errors": errors[ind.index]}
                    _write_json(indiv / f"{ind.index:04d}.json", rec)
                    records[ind.index] = rec
                    done_count += 1
                    if progress is not None:
                        progress(done_count, total)
                    continue
                if got["status"] != "complete":  # Ctrl-C inside an in-process run
                    raise KeyboardInterrupt
                table: pd.DataFrame = got["table"]
                _write_atomic(indiv / f"{ind.index:04d}.csv", lambda p, t=table: t.to_csv(p, index=False))
                rec = {"index": ind.index, "seed": ind.seed, "values": ind.values, "status": "complete",
                       "attempts": attempts[ind.index], "errors": errors[ind.index], "wall_s": got["wall_s"],
                       "cpu_s": got.get("cpu_s"),
                       "host": got["host"], "pid": got["pid"], "rows": len(table), "metrics": got["metrics"],
                       "checks": got["checks"]}
                _write_json(indiv / f"{ind.index:04d}.json", rec)
                records[ind.index] = rec
                done_count += 1
                completed_now += 1
                if progress is not None:
                    progress(done_count, total)
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        backend.close(interrupted=status == "interrupted" or bool(running))
    wall = time.perf_counter() - t0
    session.update(wall_s=wall, completed=completed_now, failed=len(failed),
                   individuals_per_hour=completed_now / wall * 3600.0 if wall > 0 else None)
    return _finish(plan, exp, dest, work, head, records, failed, status, session)


def _finish(plan, exp, dest: Path, work: Path, head: dict, records: dict, failed: dict, status: str,
            session: dict) -> CohortResult:
    from . import store
    from .experiments.base import Check

    frames = [_read_csv(work / "individuals" / f"{i:04d}.csv") for i in sorted(records)
              if records[i].get("status") == "complete"]
    rows = [f for f in frames if len(f)]
    table = pd.concat(rows, ignore_index=True) if rows else frames[0] if frames else pd.DataFrame()
    _write_atomic(work / TABLE, lambda p: table.to_csv(p, index=False))
    figures = _figures(exp, plan, table, work) if len(table) else []
    checks: dict[str, Check] = {}
    if status == "complete" and exp.cohort_checks is not None and len(table):
        checks = exp.cohort_checks(table)
    per = []
    for ind in plan.individuals:
        rec = records.get(ind.index)
        row = {"index": ind.index, "seed": ind.seed, "values": ind.values,
               "status": rec["status"] if rec else ("interrupted" if status == "interrupted" else "pending")}
        if rec:
            row.update({k: rec[k] for k in ("attempts", "wall_s", "error", "host") if k in rec})
        per.append(row)
    sessions = head["sessions"]
    wall_total = sum(s.get("wall_s") or 0.0 for s in sessions)
    n_complete = sum(1 for r in records.values() if r.get("status") == "complete")
    manifest = {**head, "status": status, "n_complete": n_complete, "n_failed": len(failed),
                "n_pending": plan.n - len(records), "backend": session["backend"], "workers": session["workers"],
                "scheduler": session["scheduler"], "wall_s": wall_total,
                "individuals_per_hour": session.get("individuals_per_hour"),
                "checks": {k: c.as_dict() for k, c in checks.items()}, "figures": figures,
                "columns": list(table.columns), "individuals": per,
                "provenance": store.provenance(plan.seed, wall_total)}
    _write_json(work / MANIFEST, manifest)
    if dest.exists() and dest.is_dir() and not any(dest.iterdir()):
        dest.rmdir()
    os.replace(work, dest)
    return CohortResult(path=dest, status=status, table=table, manifest=manifest, checks=checks, failed=dict(failed))


# ---------------------------------------------------------------- figures


def _figures(exp, plan: CohortPlan, table: pd.DataFrame, work: Path) -> list[str]:
    """Write the cohort figures into ``work/figures``; a failure is logged, never raised."""
    import matplotlib.pyplot as plt

    folder = work / "figures"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    figs: dict = {}
    try:
        figs = exp.cohort_figures(table) if exp.cohort_figures is not None else cohort_figures(table, [v.key for v in plan.vary])
        for name, fig in figs.items():
            fig.savefig(folder / f"{name}.png")
            fig.savefig(folder / f"{name}.svg")
    except Exception as err:  # the table is what counts
        log.warning("cohort figures not written (%s: %s)", type(err).__name__, err)
        return []
    finally:
        for fig in figs.values():
            plt.close(fig)
    return sorted(figs)


def cohort_figures(table: pd.DataFrame, varied: Sequence[str] = ()) -> dict:
    """Generic cohort figures. With a ``trial`` column: one learning curve per measure among
    ``chose_best``, ``correct``, ``reward`` (else the first numeric column), each individual's
    running mean (thin) with the cohort's mean and 25th-75th percentile; without: histograms of
    the numeric columns (one row per individual)."""
    lead = {"individual", "seed", "loop", "trial", *varied}
    numeric = [c for c in table.columns if c not in lead and pd.api.types.is_numeric_dtype(table[c])]
    if "trial" in table.columns:
        measures = [m for m in LEARNING_MEASURES if m in table.columns] or numeric[:1]
        return {f"learning_{m}": _learning_curve(table, m) for m in measures}
    return {"metrics": _histograms(table, numeric[:12])}


def _learning_curve(table: pd.DataFrame, measure: str):
    from .plots import _figure

    fig, ax = _figure()
    per = table.assign(_v=table[measure].astype(float)).groupby(["individual", "trial"])["_v"].mean().unstack("trial")
    window = max(1, min(20, per.shape[1] // 10))
    smooth = per.T.rolling(window, min_periods=1).mean().T  # each individual's running mean over trials
    x = smooth.columns.to_numpy(dtype=float)
    for _, row in smooth.iterrows():
        ax.plot(x, row.to_numpy(), color="0.6", lw=0.5, alpha=0.5)
    vals = smooth.to_numpy()
    with np.errstate(all="ignore"), contextlib.suppress(Exception):
        ax.fill_between(x, np.nanpercentile(vals, 25, axis=0), np.nanpercentile(vals, 75, axis=0), color="C0", alpha=0.2,
                        label="25th-75th percentile")
    ax.plot(x, np.nanmean(vals, axis=0), color="C0", lw=2, label=f"cohort mean (n={per.shape[0]})")
    ax.set(xlabel="trial", ylabel=f"{measure} (running mean of {window} trial{'s' if window != 1 else ''})")
    ax.legend(frameon=False, fontsize=7)
    return fig


def _histograms(table: pd.DataFrame, columns: list[str]):
    from .plots import _figure

    cols = max(1, min(4, len(columns)))
    rows = max(1, math.ceil(len(columns) / cols))
    fig, axes = _figure(rows, cols, size=(2.6 * cols, 2.2 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), columns):
        vals = table[name].astype(float).to_numpy()
        vals = vals[np.isfinite(vals)]
        ax.hist(vals, bins=min(20, max(5, vals.size // 3)) if vals.size else 1, color="C0")
        ax.set_title(name, fontsize=7)
    for ax in axes.ravel()[len(columns):]:
        ax.set_visible(False)
    return fig
