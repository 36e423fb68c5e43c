"""Experiment configurations: typed (pydantic), validated before any work, overridable.

Overrides come as ``key=value`` strings (``--set duration_s=60``); values are parsed as JSON
where possible (numbers, booleans, lists) and as plain strings otherwise. Invalid values raise
:class:`~dopaspike.core.errors.ConfigError` naming the field, the value and what is allowed;
unknown keys are refused with the nearest valid key suggested.

Configurations may also come from a TOML file (:func:`load_toml`): the config fields at top
level, plus optionally ``experiment = "NAME"`` (must name the experiment being run) and
``seed = N``. :func:`resolve_config` applies the precedence the command line uses: the
experiment's defaults (or quick variant) < the TOML file < ``--set``; the seed is ``--seed``,
else the file's ``seed``, else 0.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .core.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

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
        except (ValueError, RecursionError):  # not JSON, an integer too long, or nested too deep
            value = raw
        out[key] = value
    return out


def build_config(model: type[M], base: M | None = None, overrides: dict[str, Any] | None = None, *,
                 source: str | None = None) -> M:
    """Validate ``base`` updated with ``overrides`` into a new ``model`` instance.

    ``source`` (e.g. a file name) prefixes the field in errors, to say where the value came from.
    """
    data = (base.model_dump() if base is not None else {}) | (overrides or {})
    prefix = f"{source}: " if source else ""
    check_keys(model, overrides or {}, source=source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        value = err.get("input")
        if not field:  # a check across fields: name the first field its message names
            named = sorted((m.start(), f) for f in model.model_fields if (m := re.search(rf"\b{re.escape(f)}\b", err["msg"])))
            field = named[0][1] if named else model.__name__
            value = data.get(field, value)
        raise ConfigError(prefix + field, value, _allowed(err)) from None


def check_keys(model: type[BaseModel], data: dict[str, Any], *, source: str | None = None,
               extra: tuple[str, ...] = ()) -> None:
    """Refuse keys of ``data`` that are not fields of ``model`` (nor in ``extra``), suggesting the
    nearest valid key."""
    fields = list(model.model_fields)
    prefix = f"{source}: " if source else ""
    for key, value in data.items():
        if key in extra:
            continue
        if key not in fields:
            near = difflib.get_close_matches(key, [*fields, *extra], n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(prefix + key, value, f"a known key{hint}; keys: {', '.join([*fields, *extra])}")


TOML_EXTRA_KEYS = ("experiment", "seed")  # allowed in a TOML file besides the config fields


def load_toml(path: str | Path, model: type[BaseModel] | None = None) -> dict[str, Any]:
    """Read a TOML configuration file into a dict.

    Fields sit at top level; ``experiment`` (a name) and ``seed`` (an integer >= 0) are allowed
    besides. Missing or unreadable files, non-UTF-8 text and TOML syntax errors (with line and
    column) raise :class:`ConfigError`; with ``model``, so do unknown keys (nearest valid key
    suggested) and tables where fields are expected. Field values are validated by
    :func:`build_config`.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError("--config", str(path), "an existing TOML file (there is no such file)") from None
    except IsADirectoryError:
        raise ConfigError("--config", str(path), "a TOML file (this is a folder)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError("--config", str(path), f"a UTF-8 text file (byte {exc.start} is not UTF-8)") from None
    except (OSError, ValueError) as exc:  # permissions, a name too long, a NUL in the name...
        raise ConfigError("--config", str(path), f"a readable TOML file ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # the message gives line and column
        raise ConfigError("--config", str(path), f"valid TOML; {exc}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer too long to convert
        raise ConfigError("--config", str(path), f"valid TOML; {type(exc).__name__}: {str(exc)[:200]}") from None
    if "experiment" in data and not isinstance(data["experiment"], str):
        raise ConfigError(f"{path}: experiment", data["experiment"], "an experiment name (a string)")
    if "seed" in data and (isinstance(data["seed"], bool) or not isinstance(data["seed"], int) or data["seed"] < 0):
        raise ConfigError(f"{path}: seed", data["seed"], "an integer >= 0")
    for key, value in data.items():
        if isinstance(value, dict):
            raise ConfigError(f"{path}: [{key}]", value, "config fields at the top level of the file, not in a [table]")
    if model is not None:
        check_keys(model, data, source=str(path), extra=TOML_EXTRA_KEYS)
    return data


def resolve_config(model: type[M], base: M, *, experiment: str, toml: str | Path | None = None,
                   overrides: list[str] | None = None, seed: int | None = None) -> tuple[M, int]:
    """The configuration and seed of a run: ``base`` < the TOML file ``toml`` < ``overrides``
    (``key=value`` strings); the seed is ``seed``, else the file's ``seed``, else 0."""
    cfg, file_seed = base, None
    if toml is not None:
        data = load_toml(toml, model)
        named = data.pop("experiment", experiment)
        if named != experiment:
            raise ConfigError(f"{toml}: experiment", named, f"{experiment!r}, the experiment named on the command line")
        file_seed = data.pop("seed", None)
        cfg = build_config(model, base, data, source=str(toml))
    cfg = build_config(model, cfg, parse_overrides(overrides or []))
    return cfg, seed if seed is not None else file_seed if file_seed is not None else 0


def _allowed(err: dict) -> str:
    ctx = err.get("ctx") or {}
    kind = err["type"]
    bounds = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}", "less_than": "< {lt}",
              "less_than_equal": "<= {le}"}
    if kind in bounds:
        return bounds[kind].format(**ctx)
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    return err["msg"].removeprefix("Value error, ")
