"""Mice learning a 2-alternative visual decision task, from Liebana et al. 2025 (Cell 188:3789,
"Dopamine encodes deep network teaching signals for individual learning trajectories").

A grating appears on the left or on the right (contrast 0.5 or 0.25), or on neither side
(contrast 0 on both); turning the wheel toward the stimulus is rewarded. The mice learn over
weeks, passing through strategies that last several sessions (see
:mod:`dopaspike.analysis.strategy`).

Where the data come from: the behaviour of 19 mice shared by the paper's first author in the
repository SamuelLiebana/psytrax (folder ``data/``), converted to one CSV file per mouse
(``DAPxxx.csv``). The folder holding them has a ``README.md`` saying what was converted and how
the author cleaned the trials. The data are not part of this package; pass their folder to
:func:`load_mice`.

Columns of each file:

- ``session``: training day, 1-based;
- ``signed_contrast``: right contrast minus left contrast, one of -0.5, -0.25, 0, 0.25, 0.5;
- ``choice_right``: 1 if the mouse chose right, 0 if left;
- ``response_time_s``: choice completion minus stimulus onset, the author's fitted non-decision
  time subtracted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import ConfigError

#: Columns every file must have.
COLUMNS = ("session", "signed_contrast", "choice_right", "response_time_s")
#: The signed contrasts of the task (right minus left).
CONTRASTS = (-0.5, -0.25, 0.0, 0.25, 0.5)


def load_mice(folder: str | Path, *, field: str = "folder") -> pd.DataFrame:
    """Every ``*.csv`` of ``folder`` as one trial table: the columns of the files plus
    ``individual`` (the file's stem, e.g. ``"DAP007"``) and ``trial`` (0-based within each
    mouse), ordered by mouse, session and trial.

    Raises :class:`~dopaspike.core.errors.ConfigError` (naming ``field``, the file and column
    where it applies) when the folder does not exist or holds no CSV file, or when a file cannot
    be read, lacks a column, or holds a value outside the allowed set.
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "this is a file" if folder.exists() else "there is no such folder"
        raise ConfigError(field, str(folder), f"a folder holding the mice's CSV files, e.g. DAP007.csv ({what})")
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise ConfigError(field, str(folder), "a folder holding the mice's CSV files, e.g. DAP007.csv (it holds no *.csv)")
    return pd.concat([_read_mouse(path, field) for path in files], ignore_index=True)


def _read_mouse(path: Path, field: str) -> pd.DataFrame:
    name = f"{field} {path.name}"
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise ConfigError(name, str(path), f"a readable CSV file ({err})") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ConfigError(f"{name}: columns", list(df.columns),
                          f"the columns {', '.join(COLUMNS)} (missing: {', '.join(missing)})")
    if df.empty:
        raise ConfigError(f"{name}: rows", 0, "at least one trial")
    session = pd.to_numeric(df["session"], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(session) & (session >= 1) & (session == np.round(session)))
    _check(bad, df["session"], f"{name}: session", "integers >= 1")
    contrast = pd.to_numeric(df["signed_contrast"], errors="coerce").to_numpy(float)
    bad = ~np.isin(np.round(contrast, 6), CONTRASTS)
    _check(bad, df["signed_contrast"], f"{name}: signed_contrast", "one of " + ", ".join(f"{c:g}" for c in CONTRASTS))
    choice = pd.to_numeric(df["choice_right"], errors="coerce").to_numpy(float)
    _check(~np.isin(choice, (0.0, 1.0)), df["choice_right"], f"{name}: choice_right", "0 (left) or 1 (right)")
    rt = pd.to_numeric(df["response_time_s"], errors="coerce")
    _check(rt.isna().to_numpy() & df["response_time_s"].notna().to_numpy(), df["response_time_s"],
           f"{name}: response_time_s", "numbers (seconds) or empty")
    out = df.copy()
    out.insert(0, "individual", path.stem)
    out["session"] = session.astype(int)
    out["signed_contrast"] = np.round(contrast, 6)
    out["choice_right"] = choice.astype(int)
    out["response_time_s"] = rt.astype(float)
    out = out.sort_values("session", kind="stable").reset_index(drop=True)
    out["trial"] = np.arange(len(out))
    return out


def _check(bad: np.ndarray, values: pd.Series, field: str, allowed: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ConfigError(f"{field} (row {row + 2} of the file)", values.iloc[row], allowed)
