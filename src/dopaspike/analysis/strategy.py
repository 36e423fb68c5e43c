"""Strategies of individuals learning a 2-alternative visual decision task, session by session,
as in Liebana et al. 2025 (Cell 188:3789, "Dopamine encodes deep network teaching signals for
individual learning trajectories").

In that task a stimulus appears on the left or on the right (or at contrast 0 on both sides) and
turning toward it is rewarded. Mice do not learn both sides at once: they pass through
strategies lasting several sessions (biased to one side; one side learned while the other stays
at or below chance; both sides learned), and each mouse's early strategy predicts its later one.
This module measures that in any *trial table* (mice: :func:`dopaspike.datasets.liebana2025.load_mice`;
simulated cohorts: :func:`read_trial_table`), so that simulated and real cohorts are measured alike.

A trial table is a :class:`pandas.DataFrame` with at least the columns ``individual`` (str),
``session`` (int, 1-based), ``signed_contrast`` (right minus left contrast) and ``choice_right``
(0/1); other columns (``trial``, ``reward``, ``condition``, ...) are kept and ignored.

Steps, each a function:

1. :func:`session_table`: per individual and session, the accuracy on left- and right-stimulus
   trials, P(right) at zero contrast, a psychometric fit (:func:`fit_psychometric`) and the
   session's strategy label (:func:`label_session`).
2. :func:`phase_table`: runs of consecutive sessions with the same label.
3. :func:`individual_table`: per individual, whether it had a one-sided phase, the longest one,
   the sessions to criterion, and the early and later side asymmetry (:func:`early_late`).
4. :func:`cohort_summary` and :func:`compare_cohorts`: numbers for a cohort, and tests between two.

The labels (:data:`LABELS`):

==============  ============================================================================
label           what it means
==============  ============================================================================
``both``        accuracy >= :data:`BOTH_CRITERION` (0.7) on both sides
``left_only``   accuracy >= :data:`ONE_SIDED_HIGH` (0.8) on left-stimulus trials and
                < :data:`ONE_SIDED_LOW` (0.5) on right-stimulus trials
``right_only``  the same with the sides exchanged
``other``       neither (also a session with fewer than :data:`MIN_SIDE_TRIALS` trials on a side)
==============  ============================================================================

The thresholds are those of the README that comes with the mice's data (it states, for all 25
mice of the source, that every mouse passes through a phase with >= 0.8 correct on one side
while < 0.5 on the other, and 14 of 25 reach >= 0.7 correct on both sides within one session).
A one-sided session can come from a learned side or from a bias toward it; the flags
``learned_left`` and ``learned_right`` of the session table tell them apart: the side's
sensitivity in the psychometric fit is positive and significant (:data:`ALPHA`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ConfigError

#: Accuracy on both sides that marks a session ``both`` (the README's criterion, >= 0.7 on each side).
BOTH_CRITERION = 0.7
#: Accuracy on the strong side of a one-sided session (the README's one-sided criterion, >= 0.8).
ONE_SIDED_HIGH = 0.8
#: Accuracy below which the other side of a one-sided session is (the README's: < 0.5, chance or below).
ONE_SIDED_LOW = 0.5
#: Fewest trials on a side for its accuracy to be taken (fewer: NaN, and the session is ``other``).
#: With 10 trials an accuracy of 0.8 differs from chance at p ~ 0.05 (one-sided binomial).
MIN_SIDE_TRIALS = 10
#: Significance level of the likelihood-ratio tests of the sensitivities.
ALPHA = 0.05
#: Standard deviation of the Gaussian prior (an L2 penalty ``theta**2 / (2 * PRIOR_SD**2)``) on each
#: parameter of the psychometric fit: weak (a sensitivity of 10 per unit contrast moves the
#: log-odds by 5 at contrast 0.5), and it keeps perfectly separated sessions finite.
PRIOR_SD = 10.0
#: Sessions that make up the "early" window of :func:`early_late` (the first three days).
EARLY_SESSIONS = 3
#: First and last session of the "later" window of :func:`early_late`: the second and third week
#: of training ("weeks later"; the mice trained for a median of 24 sessions).
LATE_SESSIONS = (8, 21)
#: The strategy labels, in the order of the legends.
LABELS = ("both", "left_only", "right_only", "other")
#: The one-sided labels.
ONE_SIDED = ("left_only", "right_only")
#: Colour of each label in the figures.
LABEL_COLOURS = {"both": "#2ca02c", "left_only": "#1f77b4", "right_only": "#d62728", "other": "#d9d9d9"}
#: The columns every trial table has.
REQUIRED = ("individual", "session", "signed_contrast", "choice_right")


# ---------------------------------------------------------------------------------------------
# tables in


def check_trial_table(table: pd.DataFrame, *, field: str = "table") -> pd.DataFrame:
    """A copy of ``table`` with the required columns checked and typed (``individual`` as str,
    ``session`` and ``choice_right`` as int, ``signed_contrast`` as float), rows ordered by
    individual and session (stable, so trials keep their order).

    Raises :class:`~dopaspike.core.errors.ConfigError` naming ``field`` and the column when a
    column is missing or holds a value outside what is allowed.
    """
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(field, type(table).__name__, "a pandas DataFrame (a trial table)")
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ConfigError(f"{field}: columns", list(map(str, table.columns)),
                          f"a trial table with the columns {', '.join(REQUIRED)} (missing: {', '.join(missing)})")
    if table.empty:
        raise ConfigError(f"{field}: rows", 0, "at least one trial")
    out = table.copy()
    out["individual"] = [v.decode() if isinstance(v, bytes) else str(v) for v in out["individual"]]
    session = pd.to_numeric(out["session"], errors="coerce").to_numpy(float)
    _check(~(np.isfinite(session) & (session >= 1) & (session == np.round(session))), out["session"],
           f"{field}: session", "integers >= 1 (1-based)")
    contrast = pd.to_numeric(out["signed_contrast"], errors="coerce").to_numpy(float)
    _check(~(np.isfinite(contrast) & (np.abs(contrast) <= 1)), out["signed_contrast"],
           f"{field}: signed_contrast", "numbers in [-1, 1] (right minus left contrast)")
    choice = pd.to_numeric(out["choice_right"], errors="coerce").to_numpy(float)
    _check(~np.isin(choice, (0.0, 1.0)), out["choice_right"], f"{field}: choice_right", "0 (left) or 1 (right)")
    out["session"] = session.astype(int)
    out["signed_contrast"] = contrast
    out["choice_right"] = choice.astype(int)
    return out.sort_values(["individual", "session"], kind="stable").reset_index(drop=True)


def _check(bad: np.ndarray, values: pd.Series, field: str, allowed: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ConfigError(f"{field} (row {row})", values.iloc[row], allowed)


def read_trial_table(path: str | Path, *, field: str = "path") -> pd.DataFrame:
    """The trial table of a simulated cohort: ``path`` is a cohort folder holding ``table.csv``,
    a run folder holding ``data.h5`` with a group ``trials/`` (one same-length dataset per
    column; byte strings decoded), or one of those two files itself. Checked with
    :func:`check_trial_table`.
    """
    path = Path(path)
    allowed = "a cohort folder holding table.csv, or a run folder holding data.h5 with a trials/ group"
    if path.is_dir():
        if (path / "table.csv").is_file():
            path = path / "table.csv"
        elif (path / "data.h5").is_file():
            path = path / "data.h5"
        else:
            raise ConfigError(field, str(path), f"{allowed} (it holds neither)")
    elif not path.exists():
        raise ConfigError(field, str(path), f"{allowed} (there is no such path)")
    if path.suffix == ".csv":
        try:
            table = pd.read_csv(path)
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
            raise ConfigError(field, str(path), f"a readable CSV file ({err})") from None
    elif path.suffix == ".h5":
        table = _read_h5_trials(path, field, allowed)
    else:
        raise ConfigError(field, str(path), allowed)
    return check_trial_table(table, field=f"{field} {path.name}")


def _read_h5_trials(path: Path, field: str, allowed: str) -> pd.DataFrame:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            group = f.get("trials")
            if not isinstance(group, h5py.Group):
                raise ConfigError(field, str(path), f"{allowed} (data.h5 has no trials/ group)")
            columns: dict[str, np.ndarray] = {}
            for key, ds in group.items():
                if isinstance(ds, h5py.Dataset) and ds.ndim == 1:
                    values = ds[()]
                    if values.dtype.kind in "OS":
                        values = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in values], dtype=object)
                    columns[key] = values
    except OSError as err:
        raise ConfigError(field, str(path), f"a readable HDF5 file ({err})") from None
    n = len(columns.get("choice_right", ()))
    return pd.DataFrame({k: v for k, v in columns.items() if len(v) == n})


# ---------------------------------------------------------------------------------------------
# one session


def fit_psychometric(signed_contrast, choice_right) -> dict[str, float]:
    """Fit ``p(right) = sigmoid(bias + sensitivity_right * c_R - sensitivity_left * c_L)``, with
    ``c_R = max(s, 0)`` and ``c_L = max(-s, 0)`` for the signed contrast ``s``, to one session's
    choices by penalised maximum likelihood (Newton trust region, exact gradient and Hessian; a Gaussian prior of SD
    :data:`PRIOR_SD` on each parameter keeps perfectly separated sessions finite). Positive
    sensitivities mean choices toward the stimulus: the correct direction.

    Each sensitivity is tested with a likelihood-ratio test against the model refitted without
    it (statistic ``2 * (LL_full - LL_reduced)`` on the unpenalised log-likelihoods, chi-square
    with 1 degree of freedom). Returns ``bias``, ``sensitivity_left``, ``sensitivity_right``,
    ``p_sensitivity_left``, ``p_sensitivity_right`` and ``log_likelihood``. A side without
    trials has sensitivity 0 and p = 1.
    """
    from scipy.stats import chi2

    s = np.asarray(signed_contrast, float)
    y = np.asarray(choice_right, float)
    x = np.column_stack([np.ones_like(s), np.maximum(s, 0.0), -np.maximum(-s, 0.0)])
    full, ll_full = _fit(x, y)
    p = {}
    for name, col in (("right", 1), ("left", 2)):
        if not np.any(x[:, col]):
            p[name] = 1.0
            continue
        _, ll_red = _fit(np.delete(x, col, axis=1), y)
        p[name] = float(chi2.sf(max(2.0 * (ll_full - ll_red), 0.0), 1))
    return {"bias": float(full[0]), "sensitivity_left": float(full[2]), "sensitivity_right": float(full[1]),
            "p_sensitivity_left": p["left"], "p_sensitivity_right": p["right"], "log_likelihood": float(ll_full)}


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Penalised logistic regression (Newton trust region with the exact Hessian: a handful of
    iterations for three parameters); the estimate and its unpenalised log-likelihood."""
    from scipy.optimize import minimize
    from scipy.special import expit

    ridge = 1.0 / PRIOR_SD**2
    eye = np.eye(x.shape[1])

    def objective(theta):
        z = x @ theta
        ll = float(np.sum(y * z - np.logaddexp(0.0, z)))
        return -ll + 0.5 * ridge * float(theta @ theta), -(x.T @ (y - expit(z))) + ridge * theta

    def hessian(theta):
        q = expit(x @ theta)
        return (x * (q * (1.0 - q))[:, None]).T @ x + ridge * eye

    res = minimize(objective, np.zeros(x.shape[1]), jac=True, hess=hessian, method="trust-exact")
    z = x @ res.x
    return res.x, float(np.sum(y * z - np.logaddexp(0.0, z)))


def label_session(accuracy_left: float, accuracy_right: float) -> str:
    """The strategy label of a session from its accuracies on left- and right-stimulus trials
    (NaN where a side had too few trials): one of :data:`LABELS`, by the thresholds of the module."""
    left, right = float(accuracy_left), float(accuracy_right)
    if math.isnan(left) or math.isnan(right):
        return "other"
    if left >= BOTH_CRITERION and right >= BOTH_CRITERION:
        return "both"
    if left >= ONE_SIDED_HIGH and right < ONE_SIDED_LOW:
        return "left_only"
    if right >= ONE_SIDED_HIGH and left < ONE_SIDED_LOW:
        return "right_only"
    return "other"


# ---------------------------------------------------------------------------------------------
# tables out


def session_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per individual and session: ``n_trials``, ``n_left`` and ``n_right`` (trials with
    the stimulus on that side), ``accuracy_left`` (fraction of left-stimulus trials, signed
    contrast < 0, with a left choice) and ``accuracy_right`` (NaN with fewer than
    :data:`MIN_SIDE_TRIALS` trials), ``p_right_zero`` (P(right) on zero-contrast trials, NaN
    without any), the fit of :func:`fit_psychometric`, ``learned_left`` / ``learned_right``
    (that side's sensitivity > 0 with p < :data:`ALPHA`), and ``label`` (:func:`label_session`).
    ``condition`` is carried over where the table has it.
    """
    table = check_trial_table(table)
    rows = []
    has_condition = "condition" in table.columns
    for (ind, ses), g in table.groupby(["individual", "session"], sort=True):
        s = g["signed_contrast"].to_numpy(float)
        c = g["choice_right"].to_numpy(int)
        left, right, zero = s < 0, s > 0, s == 0
        n_left, n_right = int(left.sum()), int(right.sum())
        acc_left = float(np.mean(c[left] == 0)) if n_left >= MIN_SIDE_TRIALS else math.nan
        acc_right = float(np.mean(c[right] == 1)) if n_right >= MIN_SIDE_TRIALS else math.nan
        fit = fit_psychometric(s, c)
        row: dict[str, Any] = {"individual": ind, "session": int(ses)}
        if has_condition:
            row["condition"] = str(g["condition"].iloc[0])
        row.update({
            "n_trials": int(s.size), "n_left": n_left, "n_right": n_right,
            "accuracy_left": acc_left, "accuracy_right": acc_right,
            "p_right_zero": float(np.mean(c[zero])) if zero.any() else math.nan,
            **fit,
            "learned_left": bool(fit["sensitivity_left"] > 0 and fit["p_sensitivity_left"] < ALPHA),
            "learned_right": bool(fit["sensitivity_right"] > 0 and fit["p_sensitivity_right"] < ALPHA),
            "label": label_session(acc_left, acc_right),
        })
        rows.append(row)
    return pd.DataFrame(rows)


def phase_table(sessions: pd.DataFrame) -> pd.DataFrame:
    """Runs of consecutive sessions (in session order, per individual) with the same label:
    ``individual``, ``label``, ``first_session``, ``n_sessions`` and ``n_learned`` (for a
    one-sided phase, how many of its sessions have the strong side's ``learned_*`` flag; 0
    otherwise). A missing session number does not break a run."""
    rows = []
    for ind, g in sessions.sort_values(["individual", "session"]).groupby("individual", sort=True):
        labels = g["label"].to_list()
        ses = g["session"].to_list()
        learned = {"left_only": g["learned_left"].to_list(), "right_only": g["learned_right"].to_list()}
        start = 0
        for i in range(1, len(labels) + 1):
            if i == len(labels) or labels[i] != labels[start]:
                lab = labels[start]
                n_learned = int(sum(learned[lab][start:i])) if lab in learned else 0
                rows.append({"individual": ind, "label": lab, "first_session": int(ses[start]),
                             "n_sessions": i - start, "n_learned": n_learned})
                start = i
    return pd.DataFrame(rows, columns=["individual", "label", "first_session", "n_sessions", "n_learned"])


def early_late(sessions: pd.DataFrame, *, early_sessions: int = EARLY_SESSIONS,
               late_sessions: tuple[int, int] = LATE_SESSIONS) -> pd.DataFrame:
    """Per individual, its early and its later strategy as one signed number each, for the question
    "does the early strategy predict the later one?" (Liebana et al. 2025: each mouse's early
    strategy determined its strategy weeks later; small early differences grow into large later
    ones).

    The strategy of a window of sessions is its side asymmetry: the mean over its sessions of
    ``accuracy_right - accuracy_left`` (> 0: the right side is the better learned, or the choices
    lean right; a one-sided session scores about +-0.5 or more, a ``both`` session about 0).
    ``early_asymmetry`` is that over the first ``early_sessions`` sessions; ``late_asymmetry`` over
    sessions ``late_sessions`` (first and last session number, inclusive: the second and third
    week of training). Either is NaN where the window has no session with both accuracies.
    """
    lo, hi = late_sessions
    rows = []
    for ind, g in sessions.sort_values(["individual", "session"]).groupby("individual", sort=True):
        asym = (g["accuracy_right"] - g["accuracy_left"]).to_numpy(float)
        ses = g["session"].to_numpy(int)
        rows.append({"individual": ind, "early_asymmetry": _finite_mean(asym[:early_sessions]),
                     "late_asymmetry": _finite_mean(asym[(ses >= lo) & (ses <= hi)])})
    return pd.DataFrame(rows, columns=["individual", "early_asymmetry", "late_asymmetry"])


def _finite_mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def early_late_statistic(sides: pd.DataFrame) -> dict[str, Any]:
    """Across individuals with both asymmetries defined (:func:`early_late`): ``n``, Spearman's
    rank correlation ``rho`` between the early and the late asymmetry, its two-sided p-value ``p``
    and the one-sided ``p_greater`` (the early strategy predicts a later strategy on the same side:
    rho > 0); NaN with fewer than 4 individuals or a constant column."""
    from scipy.stats import spearmanr

    valid = sides[np.isfinite(sides["early_asymmetry"]) & np.isfinite(sides["late_asymmetry"])]
    n = len(valid)
    e, late = valid["early_asymmetry"].to_numpy(float), valid["late_asymmetry"].to_numpy(float)
    if n < 4 or np.ptp(e) == 0 or np.ptp(late) == 0:
        return {"n": n, "rho": math.nan, "p": math.nan, "p_greater": math.nan}
    two = spearmanr(e, late)
    return {"n": n, "rho": float(two.statistic), "p": float(two.pvalue),
            "p_greater": float(spearmanr(e, late, alternative="greater").pvalue)}


def compare_correlations(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    """Two cohorts' early-late correlations (:func:`early_late_statistic`) compared: the difference
    of their Fisher z-transformed rhos over its standard error, with the variance ``1.06 / (n - 3)``
    of a transformed Spearman rho (Fieller, Hartley & Pearson 1957, Biometrika 44:470), and the
    two-sided normal p-value ``p``."""
    from scipy.stats import norm

    out = {"rho_a": a["rho"], "rho_b": b["rho"], "n_a": int(a["n"]), "n_b": int(b["n"]), "z": math.nan, "p": math.nan}
    if a["n"] > 3 and b["n"] > 3 and np.isfinite(a["rho"]) and np.isfinite(b["rho"]):
        clip = lambda r: min(max(r, -0.999999), 0.999999)  # noqa: E731
        z = (math.atanh(clip(a["rho"])) - math.atanh(clip(b["rho"]))) / math.sqrt(1.06 / (a["n"] - 3) + 1.06 / (b["n"] - 3))
        out.update(z=float(z), p=float(2 * norm.sf(abs(z))))
    return out


def individual_table(sessions: pd.DataFrame, phases: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per individual: ``n_sessions``; ``has_one_sided`` (any ``left_only`` or
    ``right_only`` session); ``first_one_sided_side``; ``longest_one_sided`` (sessions in its
    longest one-sided phase, 0 if none); ``n_one_sided`` (one-sided sessions in all);
    ``reached_both`` and ``sessions_to_criterion`` (the session number of its first ``both``
    session, NaN if never); and the columns of :func:`early_late`. ``condition`` is carried over
    where the session table has it."""
    phases = phase_table(sessions) if phases is None else phases
    sides = early_late(sessions).set_index("individual")
    rows = []
    for ind, g in sessions.sort_values(["individual", "session"]).groupby("individual", sort=True):
        one = g[g["label"].isin(ONE_SIDED)]
        ph = phases[(phases["individual"] == ind) & phases["label"].isin(ONE_SIDED)]
        both = g.loc[g["label"] == "both", "session"]
        row: dict[str, Any] = {"individual": ind}
        if "condition" in g.columns:
            row["condition"] = g["condition"].iloc[0]
        row.update({
            "n_sessions": len(g), "has_one_sided": not one.empty,
            "first_one_sided_side": "" if one.empty else one["label"].iloc[0].split("_")[0],
            "longest_one_sided": int(ph["n_sessions"].max()) if not ph.empty else 0,
            "n_one_sided": len(one), "reached_both": not both.empty,
            "sessions_to_criterion": float(both.iloc[0]) if not both.empty else math.nan,
            **sides.loc[ind].to_dict(),
        })
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Analysis:
    """Everything measured on one trial table (:func:`analyse`)."""

    trials: pd.DataFrame
    sessions: pd.DataFrame
    phases: pd.DataFrame
    individuals: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def analyse(table: pd.DataFrame) -> Analysis:
    """Check ``table`` and measure it: session, phase and individual tables and the cohort summary."""
    trials = check_trial_table(table)
    sessions = session_table(trials)
    phases = phase_table(sessions)
    individuals = individual_table(sessions, phases)
    return Analysis(trials, sessions, phases, individuals, _summary(sessions, phases, individuals))


def cohort_summary(table: pd.DataFrame) -> dict[str, Any]:
    """The cohort's numbers, from a trial table:

    ``n_individuals``; ``median_sessions`` (sessions per individual); ``n_one_sided`` and
    ``fraction_one_sided`` (individuals with a one-sided session); ``n_both`` and
    ``fraction_both`` (individuals reaching ``both``); ``median_sessions_to_criterion`` (over
    those that reach it) and ``sessions_to_criterion`` (all, NaN never);
    ``km_median_sessions_to_criterion`` (:func:`km_median`: counting the individuals whose
    training ended first, NaN if half never reach it); ``one_sided_durations``
    (the length of every one-sided phase) with its ``median_one_sided_duration``;
    ``longest_one_sided`` per individual and its median; ``label_fractions`` (fraction of all
    sessions with each label); ``early_late`` (:func:`early_late_statistic`).
    """
    return analyse(table).summary


def _summary(sessions: pd.DataFrame, phases: pd.DataFrame, individuals: pd.DataFrame) -> dict[str, Any]:
    n = len(individuals)
    stc = individuals["sessions_to_criterion"].to_numpy(float)
    durations = phases.loc[phases["label"].isin(ONE_SIDED), "n_sessions"].to_numpy(int)
    longest = individuals["longest_one_sided"].to_numpy(int)
    labels = sessions["label"].value_counts(normalize=True)
    reached = stc[np.isfinite(stc)]
    return {
        "n_individuals": n,
        "n_sessions_total": len(sessions),
        "median_sessions": float(individuals["n_sessions"].median()),
        "n_one_sided": int(individuals["has_one_sided"].sum()),
        "fraction_one_sided": float(individuals["has_one_sided"].mean()),
        "n_both": int(individuals["reached_both"].sum()),
        "fraction_both": float(individuals["reached_both"].mean()),
        "median_sessions_to_criterion": float(np.median(reached)) if reached.size else math.nan,
        "sessions_to_criterion": stc.tolist(),
        "km_median_sessions_to_criterion": km_median(criterion_survival(individuals)) if n else math.nan,
        "median_one_sided_duration": float(np.median(durations)) if durations.size else math.nan,
        "one_sided_durations": sorted(durations.tolist()),
        "median_longest_one_sided": float(np.median(longest)) if n else math.nan,
        "longest_one_sided": longest.tolist(),
        "label_fractions": {lab: float(labels.get(lab, 0.0)) for lab in LABELS},
        "early_late": early_late_statistic(individuals),
        "thresholds": {"both_criterion": BOTH_CRITERION, "one_sided_high": ONE_SIDED_HIGH, "one_sided_low": ONE_SIDED_LOW,
                       "min_side_trials": MIN_SIDE_TRIALS, "alpha": ALPHA, "early_sessions": EARLY_SESSIONS,
                       "late_sessions": list(LATE_SESSIONS)},
    }


def compare_cohorts(a: Analysis, b: Analysis) -> dict[str, Any]:
    """Tests between two analysed cohorts (e.g. simulated vs mice); individuals are the units.

    - ``longest_one_sided`` (per individual, 0 without a one-sided phase) and
      ``sessions_to_criterion`` (individuals that reach ``both`` only; whether they reach it is
      compared as a fraction): two-sided Mann-Whitney U (location) and two-sample
      Kolmogorov-Smirnov (shape) tests, with each cohort's median and n.
    - ``one_sided_durations`` (every one-sided phase; phases of one individual are not
      independent, so read its p-values as descriptive): the same tests.
    - ``fraction_one_sided`` and ``fraction_both``: each cohort's fraction and count and Fisher's
      exact test (two-sided) on the 2x2 table.
    - ``time_to_criterion``: sessions to criterion with the individuals that never reached it
      censored at their last session (:func:`compare_survival`: Kaplan-Meier medians, log-rank
      test). Unlike the two above, it does not depend on how long each individual was trained.
    - ``early_late``: the two cohorts' early-late correlations (:func:`compare_correlations`).
    """
    def samples(x, y):
        x, y = np.asarray(x, float), np.asarray(y, float)
        return _two_sample(x[np.isfinite(x)], y[np.isfinite(y)])

    out = {
        "longest_one_sided": samples(a.individuals["longest_one_sided"], b.individuals["longest_one_sided"]),
        "sessions_to_criterion": samples(a.individuals["sessions_to_criterion"], b.individuals["sessions_to_criterion"]),
        "one_sided_durations": samples(a.summary["one_sided_durations"], b.summary["one_sided_durations"]),
    }
    sa, sb = a.summary, b.summary
    out["fraction_one_sided"] = _fisher(sa["n_one_sided"], sa["n_individuals"], sb["n_one_sided"], sb["n_individuals"])
    out["fraction_both"] = _fisher(sa["n_both"], sa["n_individuals"], sb["n_both"], sb["n_individuals"])
    out["time_to_criterion"] = compare_survival(criterion_survival(a.individuals), criterion_survival(b.individuals))
    out["early_late"] = compare_correlations(sa["early_late"], sb["early_late"])
    return out


def criterion_survival(individuals: pd.DataFrame):
    """Sessions to criterion as right-censored data (:class:`scipy.stats.CensoredData`): the
    session of the first ``both`` where an individual reached it, else the number of sessions it
    was trained (it had not reached criterion by then, and might have later). Mice are trained for
    different numbers of sessions (16 to 53 in the Liebana et al. data), so "reached criterion or
    not" and the median over those that reached it both depend on how long each was trained;
    survival analysis counts every individual for as long as it was observed (Kaplan & Meier 1958,
    J Am Stat Assoc 53:457)."""
    from scipy.stats import CensoredData

    t = individuals["sessions_to_criterion"].to_numpy(float)
    reached = np.isfinite(t)
    return CensoredData(uncensored=t[reached], right=individuals["n_sessions"].to_numpy(float)[~reached])


def km_median(data) -> float:
    """The Kaplan-Meier median of right-censored ``data`` (:func:`criterion_survival`): the first
    session by which an estimated half of the cohort has reached criterion; NaN if the estimate
    never reaches one half."""
    from scipy.stats import ecdf

    if len(data) == 0:
        return math.nan
    cdf = ecdf(data).cdf
    hit = np.nonzero(cdf.probabilities >= 0.5 - 1e-12)[0]
    return float(cdf.quantiles[hit[0]]) if hit.size else math.nan


def compare_survival(a, b) -> dict[str, float]:
    """Two cohorts' sessions to criterion as censored data (:func:`criterion_survival`): each
    one's Kaplan-Meier median and the two-sided log-rank test (Mantel 1966), which compares the
    rate of reaching criterion session by session among the individuals still in training."""
    from scipy.stats import logrank

    res = {"km_median_a": km_median(a), "km_median_b": km_median(b), "n_a": len(a), "n_b": len(b),
           "n_reached_a": len(a) - a.num_censored(), "n_reached_b": len(b) - b.num_censored(),
           "logrank_statistic": math.nan, "logrank_p": math.nan}
    if len(a) and len(b) and res["n_reached_a"] + res["n_reached_b"]:
        with np.errstate(invalid="ignore", divide="ignore"):  # no variance (e.g. every event at once): NaN
            lr = logrank(a, b, alternative="two-sided")
        res.update(logrank_statistic=float(lr.statistic), logrank_p=float(lr.pvalue))
    return res


def _two_sample(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from scipy.stats import ks_2samp, mannwhitneyu

    res = {"median_a": float(np.median(x)) if x.size else math.nan, "median_b": float(np.median(y)) if y.size else math.nan,
           "n_a": int(x.size), "n_b": int(y.size), "mannwhitney_u": math.nan, "mannwhitney_p": math.nan,
           "ks_statistic": math.nan, "ks_p": math.nan}
    if x.size and y.size:
        mw = mannwhitneyu(x, y, alternative="two-sided")
        ks = ks_2samp(x, y)
        res.update(mannwhitney_u=float(mw.statistic), mannwhitney_p=float(mw.pvalue),
                   ks_statistic=float(ks.statistic), ks_p=float(ks.pvalue))
    return res


def _fisher(k_a: int, n_a: int, k_b: int, n_b: int) -> dict[str, float]:
    from scipy.stats import fisher_exact

    p = float(fisher_exact([[k_a, n_a - k_a], [k_b, n_b - k_b]]).pvalue) if n_a and n_b else math.nan
    return {"fraction_a": k_a / n_a if n_a else math.nan, "fraction_b": k_b / n_b if n_b else math.nan,
            "k_a": int(k_a), "n_a": int(n_a), "k_b": int(k_b), "n_b": int(n_b), "fisher_p": p}


# ---------------------------------------------------------------------------------------------
# figures (matplotlib Figure objects, no pyplot state: they need no backend and no closing)

_STYLE = {"axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 110, "font.size": 8}


def _new_figure(size):
    import matplotlib as mpl
    from matplotlib.figure import Figure

    with mpl.rc_context(_STYLE):
        return Figure(figsize=size, layout="constrained")


def trajectories_figure(sessions: pd.DataFrame, *, max_individuals: int = 40, title: str = ""):
    """Strategy trajectories in the style of Liebana et al. 2025: one row per individual (the
    first ``max_individuals``), sessions on x; the background of each session is coloured by
    its label (:data:`LABEL_COLOURS`), with the accuracy on left-stimulus (blue) and
    right-stimulus (red) trials per session as lines (0 to 1, dotted line at 0.5)."""
    import matplotlib as mpl
    from matplotlib.patches import Patch

    names = sorted(sessions["individual"].unique(), key=_natural)[:max_individuals]
    n = max(len(names), 1)
    fig = _new_figure((7.0, 0.9 + 0.42 * n))
    with mpl.rc_context(_STYLE):
        axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
        last = int(sessions["session"].max()) if len(sessions) else 1
        for ax, name in zip(axes, names):
            g = sessions[sessions["individual"] == name].sort_values("session")
            for ses, lab in zip(g["session"], g["label"]):
                ax.axvspan(ses - 0.5, ses + 0.5, color=LABEL_COLOURS.get(lab, "white"), alpha=0.45, lw=0)
            ax.plot(g["session"], g["accuracy_left"], color=LABEL_COLOURS["left_only"], lw=1)
            ax.plot(g["session"], g["accuracy_right"], color=LABEL_COLOURS["right_only"], lw=1)
            ax.axhline(0.5, color="0.4", lw=0.5, ls=":")
            ax.set_ylim(0, 1)
            ax.set_yticks([])
            ax.set_ylabel(str(name), rotation=0, ha="right", va="center", fontsize=7)
            ax.spines[["left", "top", "right"]].set_visible(False)
        axes[-1].set_xlim(0.5, last + 0.5)
        axes[-1].set_xlabel("session")
        handles = [Patch(color=LABEL_COLOURS[lab], alpha=0.45, label=lab) for lab in LABELS]
        handles += [mpl.lines.Line2D([], [], color=LABEL_COLOURS["left_only"], label="accuracy, left stimulus"),
                    mpl.lines.Line2D([], [], color=LABEL_COLOURS["right_only"], label="accuracy, right stimulus")]
        fig.legend(handles=handles, loc="outside lower center", ncol=6, frameon=False, fontsize=7)
        if title:
            fig.suptitle(title)
    return fig


def _natural(name) -> list:
    """Sort key putting "sim2" before "sim10"."""
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(name))]


def learning_stages(sessions: pd.DataFrame, n_stages: int = 3) -> pd.Series:
    """Each session's learning stage, 1 .. ``n_stages``: its individual's sessions split into
    ``n_stages`` equal parts in order (tertiles for 3), so that stages compare individuals that
    learn at different speeds."""
    rank = sessions.groupby("individual")["session"].rank(method="first") - 1
    count = sessions.groupby("individual")["session"].transform("count")
    return (np.floor(rank / count * n_stages) + 1).astype(int)


def psychometric_figure(table: pd.DataFrame, *, n_stages: int = 3, title: str = ""):
    """Cohort psychometric curves over learning: P(right) against signed contrast, one curve per
    learning stage (:func:`learning_stages`), the mean over individuals of each individual's
    P(right) (error bars: standard error over individuals)."""
    import matplotlib as mpl

    trials = check_trial_table(table)
    sessions = trials[["individual", "session"]].drop_duplicates()
    sessions = sessions.assign(stage=learning_stages(sessions, n_stages).to_numpy())
    trials = trials.merge(sessions, on=["individual", "session"])
    per = trials.groupby(["stage", "individual", "signed_contrast"])["choice_right"].mean().reset_index()
    fig = _new_figure((4.2, 3.4))
    with mpl.rc_context(_STYLE):
        ax = fig.subplots()
        cmap = mpl.colormaps["viridis"]
        for stage, g in per.groupby("stage"):
            stats = g.groupby("signed_contrast")["choice_right"].agg(["mean", "sem"]).reset_index()
            colour = cmap((stage - 1) / max(n_stages - 1, 1) * 0.85)
            ax.errorbar(stats["signed_contrast"], stats["mean"], yerr=stats["sem"].fillna(0), color=colour, marker="o",
                        ms=3, lw=1.2, capsize=2, label=f"stage {stage} of {n_stages}")
        ax.axhline(0.5, color="0.6", lw=0.5, ls=":")
        ax.axvline(0.0, color="0.6", lw=0.5, ls=":")
        ax.set(xlabel="signed contrast (right - left)", ylabel="P(right choice)", ylim=(0, 1))
        ax.legend(frameon=False, fontsize=7)
        if title:
            ax.set_title(title)
    return fig


def distributions_figure(a: Analysis, b: Analysis | None = None, *, labels=("mice", "simulated")):
    """Side by side for one or two cohorts: the longest one-sided phase per individual, and the
    sessions to criterion (first ``both`` session) of the individuals that reach it; each
    individual a dot, the median a bar."""
    import matplotlib as mpl

    cohorts = [(labels[0], a)] + ([(labels[1], b)] if b is not None else [])
    fig = _new_figure((6.4, 3.0))
    gen = np.random.default_rng(0)
    with mpl.rc_context(_STYLE):
        axes = fig.subplots(1, 2)
        for ax, column, ylabel in ((axes[0], "longest_one_sided", "longest one-sided phase (sessions)"),
                                   (axes[1], "sessions_to_criterion", "sessions to criterion (first 'both')")):
            for i, (_, an) in enumerate(cohorts):
                v = an.individuals[column].to_numpy(float)
                v = v[np.isfinite(v)]
                ax.scatter(i + gen.uniform(-0.15, 0.15, v.size), v, s=12, color=f"C{i}", alpha=0.7)
                if v.size:
                    ax.hlines(np.median(v), i - 0.3, i + 0.3, color="k", lw=1.5)
            counts = [int(np.isfinite(an.individuals[column].to_numpy(float)).sum()) for _, an in cohorts]
            ax.set_xticks(range(len(cohorts)), [f"{name}\n(n={n})" for (name, _), n in zip(cohorts, counts)])
            ax.set_xlim(-0.6, len(cohorts) - 0.4)
            ax.set_ylabel(ylabel)
    return fig


# ---------------------------------------------------------------------------------------------
# the whole comparison, as `dopaspike compare two-afc` writes it


def compare_folder(out: str | Path, mice: pd.DataFrame, sim: pd.DataFrame | None = None, *,
                   sources: dict[str, str] | None = None) -> dict[str, Any]:
    """Analyse the mice (and a simulated cohort), and write the folder ``out`` atomically (into
    a hidden temporary folder next to it, renamed into place when complete):

    - ``summary.json``: ``mice`` and ``sim`` (:func:`cohort_summary`; ``sim_by_condition`` too
      where the simulated table has several conditions), ``comparison``
      (:func:`compare_cohorts`, ``a`` = simulated, ``b`` = mice), ``sources``;
    - ``mice_sessions.csv``, ``mice_individuals.csv``, ``mice_phases.csv`` (and ``sim_*.csv``);
    - ``trajectories_mice.png`` (and ``_sim``), ``psychometric_mice.png`` (and ``_sim``),
      ``distributions.png``.

    Returns the summary written. ``out`` must be a new or empty folder.
    """
    import json

    from .. import store

    out = Path(out)
    store.check_destination(out)
    results = {"mice": analyse(mice)}
    if sim is not None:
        results["sim"] = analyse(sim)
    summary: dict[str, Any] = {name: an.summary for name, an in results.items()}
    if sim is not None:
        conditions = results["sim"].trials.get("condition")
        if conditions is not None and conditions.nunique() > 1:
            summary["sim_by_condition"] = {str(c): cohort_summary(g) for c, g in results["sim"].trials.groupby("condition")}
        summary["comparison"] = compare_cohorts(results["sim"], results["mice"])
    summary["sources"] = dict(sources or {})
    figures = {}
    for name, an in results.items():
        figures[f"trajectories_{name}"] = trajectories_figure(an.sessions, title=name)
        figures[f"psychometric_{name}"] = psychometric_figure(an.trials, title=name)
    figures["distributions"] = distributions_figure(results["mice"], results.get("sim"))
    with store.assembling(out) as tmp:
        (tmp / "summary.json").write_text(json.dumps(store.jsonable(summary), indent=2, allow_nan=False))
        for name, an in results.items():
            an.sessions.to_csv(tmp / f"{name}_sessions.csv", index=False)
            an.individuals.to_csv(tmp / f"{name}_individuals.csv", index=False)
            an.phases.to_csv(tmp / f"{name}_phases.csv", index=False)
        for name, fig in figures.items():
            fig.savefig(tmp / f"{name}.png")
    return summary
