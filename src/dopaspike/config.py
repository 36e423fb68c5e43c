"""Experiment configurations: typed (pydantic), validated before any work, overridable.

Overrides come as ``key=value`` strings (``--set duration_s=60``); values are parsed as JSON
where possible (numbers, booleans, lists) and as plain strings otherwise. Invalid values raise
:class:`~dopaspike.core.errors.ConfigError` naming the field, the value and what is allowed;
unknown keys are refused with the nearest valid key suggested.
"""

from __future__ import annotations

import difflib
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class ExperimentConfig(BaseModel):
    """Base of every experiment's configuration: frozen, unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``; a malformed pair raises ConfigError."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError("--set", pair, "key=value")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key] = value
    return out


def build_config(model: type[M], base: M | None = None, overrides: dict[str, Any] | None = None) -> M:
    """Validate ``base`` updated with ``overrides`` into a new ``model`` instance."""
    data = (base.model_dump() if base is not None else {}) | (overrides or {})
    fields = list(model.model_fields)
    for key in overrides or {}:
        if key not in fields:
            near = difflib.get_close_matches(key, fields, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(key, overrides[key], f"a known key{hint}; keys: {', '.join(fields)}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or model.__name__
        raise ConfigError(field, err.get("input"), _allowed(err)) from None


def _allowed(err: dict) -> str:
    ctx = err.get("ctx") or {}
    kind = err["type"]
    bounds = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}", "less_than": "< {lt}",
              "less_than_equal": "<= {le}"}
    if kind in bounds:
        return bounds[kind].format(**ctx)
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    return err["msg"]
