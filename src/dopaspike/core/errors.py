"""Errors raised before any simulation work starts.

Every invalid value is reported with the field that holds it, the value given and the range
that is allowed, so that a user can fix a configuration without reading the source.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


class ConfigError(ValueError):
    """An invalid parameter, naming the field, the value and what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}={value!r} is invalid: allowed {allowed}")


def check_range(
    field: str,
    value: float,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise :class:`ConfigError` unless ``low <= value <= high`` (open ends where asked)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ConfigError(field, value, "a number") from None
    if math.isnan(x):
        raise ConfigError(field, value, "a number, not NaN")
    lo_ok = low is None or (x > low if low_open else x >= low)
    hi_ok = high is None or (x < high if high_open else x <= high)
    if not (lo_ok and hi_ok):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ConfigError(
            field, value, f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"
        )


def check_choice(field: str, value: Any, choices: Iterable[Any]) -> None:
    """Raise :class:`ConfigError` unless ``value`` is one of ``choices``."""
    options = list(choices)
    if value not in options:
        raise ConfigError(field, value, "one of " + ", ".join(repr(c) for c in options))
