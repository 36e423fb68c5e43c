"""The shape every experiment shares, and the registry that names them.

An experiment is a module with a config model, ``run(config, seed, progress) -> Results``,
``figures(results) -> {name: Figure}`` and ``checks(results) -> {name: Check}``; it registers
itself with :func:`register`. The CLI (and anything else) finds it by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.errors import ConfigError


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


@dataclass(frozen=True)
class Experiment:
    """A registered experiment."""

    name: str
    summary: str
    citation: str
    config_model: type
    quick: Callable[[], Any]
    default: Callable[[], Any]
    run: Callable[..., Results]
    figures: Callable[[Results], dict]
    checks: Callable[[Results], dict[str, Check]]


_REGISTRY: dict[str, Experiment] = {}


def register(exp: Experiment) -> Experiment:
    _REGISTRY[exp.name] = exp
    return exp


def get(name: str) -> Experiment:
    from . import distal_reward  # noqa: F401  (registers itself)

    if name not in _REGISTRY:
        import difflib

        near = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ConfigError("experiment", name, f"one of {', '.join(sorted(_REGISTRY))}{hint}")
    return _REGISTRY[name]


def all_experiments() -> list[Experiment]:
    from . import distal_reward  # noqa: F401

    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
