"""Unavoidable shock: the yoked, Pavlovian control of active avoidance.

Lopez et al. (2025, Curr Biol 35:2433) and the review of Lopez & Lerner (2025, seed 000): when the
shock follows the warning cue whatever the animal does, no avoidance develops, and the
ventromedial shell's dopamine response to the cue, which fades at expert avoidance, stays: in
Pavlovian aversive conditioning the cue remains a salient predictor of the shock (de Jong et al.
2019, Neuron 101:133). Here two cohorts with the same circuits and agents
(:mod:`dopaspike.experiments.avoidance`) face the same boxes: ``avoidable`` (crossing during the
cue avoids the shock) and ``unavoidable`` (the cue runs its full length and a
``fixed_shock_ms`` shock follows; crossings change nothing).

Checks (individuals as the units):

* ``no_avoidance_when_unavoidable``: the fraction of trials with a crossing during the cue in the
  last session is lower in the unavoidable cohort than in the avoidable one (one-sided
  Mann-Whitney U, p < 0.05), and does not rise from the first session to the last (sign test
  for a rise, p >= 0.05);
* ``shell_cue_response_persists_when_unavoidable``: the shell's cue response (minus baseline) in
  the last session is higher in the unavoidable cohort (one-sided Mann-Whitney U, p < 0.05);
* ``shell_cue_fades_only_when_avoidable``: its drop from each individual's peak session to the
  last is larger in the avoidable cohort (one-sided Mann-Whitney U, p < 0.05).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..analysis.stats import mannwhitney_greater_p, sign_test_p
from .active_avoidance import CITATION, REGIONS, photometry_by_condition
from .avoidance import AvoidanceConfig, AvoidanceIndividual, AvoidanceSession, greater_check
from .base import Check, Experiment, Results, register
from .conditioning import nanmean

ALPHA = 0.05
CONDITIONS = ("avoidable", "unavoidable")


class UnavoidableShockConfig(AvoidanceConfig):
    """The circuit, the agent, the box's timing and the two cohorts."""

    n_sessions: int = Field(5, ge=2, le=1000, description="sessions per cohort")

    @property
    def duration_s(self) -> float:
        trial = self.cue_ms + max(self.shock_max_ms, self.fixed_shock_ms) + self.iti_max_ms
        return (self.n_sessions * self.trials_per_session * trial + self.iti_max_ms) / 1000.0


def quick_config() -> UnavoidableShockConfig:
    """Three individuals per cohort, two sessions of ten trials, short intervals."""
    return UnavoidableShockConfig(n_individuals=3, n_sessions=2, trials_per_session=10, iti_min_ms=5000, iti_max_ms=8000)


def per_individual(tab: dict, cfg: AvoidanceConfig) -> list[dict]:
    """Per individual and session: the fraction of trials with a crossing during the cue, and each
    region's cue and shock responses minus baseline (cue: trials whose first crossing, if any,
    came after ``response_window_ms``; unavoidable trials never end early, so all of them)."""
    out = []
    if not tab:
        return out
    for k in np.unique(tab["individual"]):
        mine = tab["individual"] == k
        row: dict = {"individual": int(k), "condition": str(tab["condition"][mine][0]),
                     "sessions": np.unique(tab["session"][mine]).tolist()}
        for s in row["sessions"]:
            m = mine & (tab["session"] == s)
            clean = m & ~(tab["latency_ms"] < cfg.response_window_ms)
            row.setdefault("cue_crossing", []).append(float(np.mean(tab["cue_shuttles"][m] > 0)))
            for r in REGIONS:
                base = tab[f"{r}_baseline_hz"]
                row.setdefault(f"{r}_cue", []).append(nanmean(tab[f"{r}_cue_hz"][clean] - base[clean]))
                shocked = m & np.isfinite(tab["shock_on_ms"])
                row.setdefault(f"{r}_shock", []).append(nanmean(tab[f"{r}_shock_hz"][shocked] - base[shocked]))
        out.append(row)
    return out


def start(cfg: UnavoidableShockConfig, seed: int = 0) -> AvoidanceSession:
    inds = [AvoidanceIndividual(c, (c,) * cfg.n_sessions, cfg.circuit(), cfg.agent())
            for c in CONDITIONS for _ in range(cfg.n_individuals)]
    return AvoidanceSession(cfg, seed, inds, summarise=per_individual)


def _fade(series) -> float:
    v = np.asarray(series, float)
    if np.isfinite(v).sum() < 2:
        return float("nan")
    return float(np.nanmax(v) - v[np.isfinite(v)][-1])


def checks(res: Results) -> dict[str, Check]:
    rows = res.metrics.get("individuals", [])
    by = {c: [r for r in rows if r["condition"] == c] for c in CONDITIONS}
    out: dict[str, Check] = {}
    if not by["avoidable"] or not by["unavoidable"]:
        return out
    last = {c: [r["cue_crossing"][-1] for r in by[c]] for c in CONDITIONS}
    rise = np.array([r["cue_crossing"][-1] - r["cue_crossing"][0] for r in by["unavoidable"]])
    p_lower, p_rise = mannwhitney_greater_p(last["avoidable"], last["unavoidable"]), sign_test_p(rise, 0.0)
    out["no_avoidance_when_unavoidable"] = Check(
        bool(p_lower < ALPHA and p_rise >= ALPHA),
        {"last_session_crossing_avoidable": last["avoidable"], "last_session_crossing_unavoidable": last["unavoidable"],
         "mannwhitney_p": p_lower, "unavoidable_rise_sign_test_p": p_rise},
        f"fewer trials with a crossing during the cue in the last session when the shock is unavoidable (one-sided "
        f"Mann-Whitney p < {ALPHA:g}), and no rise over sessions in that cohort (sign test p >= {ALPHA:g})")
    shell_last = {c: [r["shell_cue"][-1] for r in by[c]] for c in CONDITIONS}
    out["shell_cue_response_persists_when_unavoidable"] = greater_check(
        shell_last["unavoidable"], shell_last["avoidable"], "last_session_shell_cue_unavoidable",
        "last_session_shell_cue_avoidable",
        "the shell's cue response (minus baseline) in the last session higher when the shock is unavoidable", ALPHA)
    fades = {c: [_fade(r["shell_cue"]) for r in by[c]] for c in CONDITIONS}
    out["shell_cue_fades_only_when_avoidable"] = greater_check(
        fades["avoidable"], fades["unavoidable"], "drop_from_peak_avoidable", "drop_from_peak_unavoidable",
        "the shell's cue response falls more from its peak session to the last when avoidable", ALPHA)
    return out


def comparison_figure(res: Results):
    """Per session, each cohort's crossing rate during the cue and the two regions' cue responses."""
    from matplotlib.figure import Figure

    rows = res.metrics.get("individuals", [])
    fig = Figure(figsize=(10.0, 3.0))
    axes = fig.subplots(1, 3)
    colours = {"avoidable": "#1f77b4", "unavoidable": "#d62728"}
    for ax, key, label in zip(axes, ("cue_crossing", "core_cue", "shell_cue"),
                              ("trials with a crossing during the cue", "core at the cue (Hz - baseline)",
                               "shell at the cue (Hz - baseline)")):
        for c in CONDITIONS:
            mine = [r for r in rows if r["condition"] == c]
            if not mine:
                continue
            vals = np.array([r[key] for r in mine], float)
            for v in vals:
                ax.plot(mine[0]["sessions"], v, color=colours[c], alpha=0.25, lw=0.8)
            with np.errstate(all="ignore"):
                ax.plot(mine[0]["sessions"], [nanmean(col) for col in vals.T], color=colours[c], lw=2, label=c)
        ax.set(xlabel="session", ylabel=label)
    axes[0].legend(frameon=False)
    fig.tight_layout()
    return fig


def figures(res: Results) -> dict:
    return {"comparison": comparison_figure(res), **photometry_by_condition(res, CONDITIONS)}


EXPERIMENT = register(Experiment(
    name="unavoidable-shock",
    summary="The yoked, Pavlovian control of active avoidance: no avoidance, and the shell's cue response stays",
    citation=CITATION,
    config_model=UnavoidableShockConfig,
    quick=quick_config,
    default=UnavoidableShockConfig,
    start=start,
    figures=figures,
    checks=checks,
))
