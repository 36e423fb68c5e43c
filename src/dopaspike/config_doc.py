"""What a configuration model accepts, for people: one row per field, and a commented TOML file.

The rows come from the pydantic model itself (annotation, ``gt``/``ge``/``lt``/``le``
constraints, ``Literal`` choices, description), so they cannot drift from what
:func:`dopaspike.config.build_config` enforces. :func:`to_toml` writes a file that
:func:`dopaspike.config.load_toml` reads back to the same configuration.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel


@dataclass(frozen=True)
class FieldRow:
    """One configuration field as shown to a user."""

    name: str
    type: str
    value: Any
    allowed: str
    description: str


def _type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is Literal:
        return "choice"
    if isinstance(annotation, type):
        return annotation.__name__
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    return str(annotation).replace("typing.", "")


def _allowed(info) -> str:
    if typing.get_origin(info.annotation) is Literal:
        return ", ".join(repr(c) for c in typing.get_args(info.annotation))
    parts = []
    for meta in info.metadata:  # annotated_types.Gt(gt=0), Le(le=10), ...
        for attr, sign in (("gt", "> "), ("ge", ">= "), ("lt", "< "), ("le", "<= ")):
            bound = getattr(meta, attr, None)
            if bound is not None:
                parts.append(f"{sign}{bound:.12g}" if isinstance(bound, (int, float)) else f"{sign}{bound}")
    return ", ".join(parts) or "any"


def field_rows(config: BaseModel) -> list[FieldRow]:
    """The fields of ``config``'s model with ``config``'s values, in declaration order."""
    model = type(config)
    return [FieldRow(name, _type_name(info.annotation), getattr(config, name), _allowed(info), info.description or "")
            for name, info in model.model_fields.items()]


def to_toml(config: BaseModel, *, experiment: str, title: str = "") -> str:
    """A complete TOML file of ``config`` (``experiment = ...`` first, one commented key per field)."""
    lines = [f"# {line}" if line else "#" for line in title.splitlines()] if title else []
    lines += [tomli_w.dumps({"experiment": experiment}).rstrip()]
    lines += ["# seed = 0  # optional; --seed on the command line takes precedence", ""]
    for row in field_rows(config):
        about = "; ".join(x for x in (row.description, f"allowed: {row.allowed}") if x).replace("\n", " ")
        if row.value is None:  # TOML has no null: leave the key out to keep the default
            lines += [f"# {about}", f"# {row.name} is not set", ""]
        else:
            lines += [f"# {about}", tomli_w.dumps({row.name: row.value}).rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"
