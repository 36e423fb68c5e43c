"""The shape every experiment shares, and the registry that names them.

An experiment is a module with a config model, ``start(config, seed) -> Session``,
``figures(results) -> {name: Figure}`` and ``checks(results) -> {name: Check}``; it registers
itself with :func:`register`. The CLI (and anything else) finds it by name.

A session holds everything a run has: the simulation, the task and the recorders. The runner
(:mod:`.runner`) advances it to ``end_ms`` and may pickle it between chunks as a checkpoint,
so a session must be picklable (no lambdas or open files among its attributes) and must keep
all run state in itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..core.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class Check:
    """A named, checkable outcome: did it hold, the number behind it, what was expected."""

    passed: bool
    value: Any
    expected: str

    def as_dict(self) -> dict[str, Any]:
        return {"passed": bool(self.passed), "value": self.value, "expected": self.expected}


@dataclass
class Results:
    """What a run produced: scalar metrics, arrays for the data file, and run status."""

    metrics: dict[str, Any]
    data: dict[str, Any]
    config: Any
    seed: int
    status: str = "complete"  # or "interrupted"
    wall_s: float = 0.0  # wall time spent simulating, over every resume (set by the runner)
    kinds: dict[str, str] = field(default_factory=dict)  # data group -> kind (see dopaspike.export.layout)


class Session(Protocol):
    """A run in progress: built by ``Experiment.start``, advanced by the runner."""

    sim: Any  # the Simulation
    end_ms: float  # model time at which the run is complete
    chunk_ms: float  # longest chunk; Python-side task logic runs between chunks
    wall_s: float  # wall time spent simulating so far (kept across resumes)

    def results(self, status: str) -> Results: ...


@dataclass(frozen=True)
class Experiment:
    """A registered experiment."""

    name: str
    summary: str
    citation: str
    config_model: type
    quick: Callable[[], Any]
    default: Callable[[], Any]
    start: Callable[[Any, int], Session]
    figures: Callable[[Results], dict]
    checks: Callable[[Results], dict[str, Check]]
    #: Cohorts (:mod:`dopaspike.cohort`): one run's tidy per-trial columns (same-length 1-D
    #: arrays). None: the run's ``trials/`` data, else one row of its scalar metrics and checks.
    table: Callable[[Results], dict[str, np.ndarray]] | None = None
    #: Figures of a whole cohort from its tidy table (None: a generic learning curve or histograms).
    cohort_figures: Callable[[pd.DataFrame], dict] | None = None
    #: Checks of a whole cohort from its tidy table, recorded in the cohort's ``cohort.json``.
    cohort_checks: Callable[[pd.DataFrame], dict[str, Check]] | None = None

    def run(self, config: Any, seed: int = 0, progress: Callable[[float], None] | None = None) -> Results:
        """Run to the end (or to Ctrl-C) in this process; ``progress(model_ms_reached)``."""
        from .runner import execute

        return execute(self, config, seed, progress=progress)


_REGISTRY: dict[str, Experiment] = {}


def register(exp: Experiment) -> Experiment:
    _REGISTRY[exp.name] = exp
    return exp


#: Modules of :mod:`dopaspike.experiments` that register an experiment when imported.
EXPERIMENT_MODULES = (
    "distal_reward",
    "pavlovian_rpe",
    "pavlovian_probability",
    "incentive_salience",
    "classical_conditioning",
    "bandit",
    "reversal",
    "probabilistic_selection",
    "two_afc",
    "active_avoidance",
    "unavoidable_shock",
    "learned_helplessness",
)


def _load_all() -> None:
    import importlib

    for mod in EXPERIMENT_MODULES:
        importlib.import_module(f"{__package__}.{mod}")


def get(name: str) -> Experiment:
    _load_all()
    if name not in _REGISTRY:
        import difflib

        near = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ConfigError("experiment", name, f"one of {', '.join(sorted(_REGISTRY))}{hint}")
    return _REGISTRY[name]


def all_experiments() -> list[Experiment]:
    _load_all()

    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
