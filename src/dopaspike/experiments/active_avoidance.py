"""Signalled active avoidance with regional dopamine: NAc core as safety prediction error, shell as salience.

Lopez GC, Van Camp LD, Kovaleski RF, Schaid MD, Sandon VK, Lerner TN (2025) Region-specific nucleus
accumbens dopamine signals encode distinct aspects of avoidance learning. Curr Biol 35:2433. Mice
learned to cross a shuttle box during a 5-s warning cue to avoid a footshock. Dopamine in the NAc
core fell at the warning cue, more so as avoidance was learned, fell less at the shock on failed
trials, and rose when the mouse crossed to safety; dopamine in the ventromedial shell rose at
the shock and, early in learning, at the cue, a cue response that faded at expert performance
(Lopez & Lerner 2025, review, seed 000, Table 1). Oleson et al. (2012, J Neurosci 32:14804):
dopamine rises on successful avoidance; Stelly et al. (2019, PNAS 116:13641): some individuals
learn, others do not.

Each individual is a regional dopamine circuit with an agent (:mod:`dopaspike.experiments.
avoidance`) in its own shuttle box, ``n_sessions`` sessions of avoidable trials, then
``n_extinction_sessions`` sessions of extinction (the cue, never a shock; none by default). The
checks judge the avoidable sessions (each over the cohort, individuals as the units; sign tests
against no change):

* ``avoidance_rises``: the avoidance rate of the last session exceeds the first's, and the
  cohort's mean in the last session is a majority (> 0.5);
* ``escape_latency_falls``: the time from the shock's onset to the escape is shorter in the last
  session with escapes than in the first;
* ``core_cue_dip_deepens``: the core's rate in ``response_window_ms`` after the cue, minus its
  baseline, is lower in the last session than in the first (trials whose crossing came later
  than the window, so safety is not in it);
* ``core_shock_dip_lessens``: on failed-avoidance trials, the change the shock makes in the
  core's rate (its rate at the shock minus its rate in the window before, the end of the cue:
  an evoked response, measured from the level the event finds, as peri-event photometry is)
  is less negative in the last session with such trials than in the first. The change against
  the trial's baseline is reported beside it;
* ``core_rises_at_safety``: the core's rate after an avoidance exceeds its baseline;
* ``shell_rises_at_shock``: the shell's rate at the shock exceeds twice its baseline;
* ``shell_cue_rise_grows_then_fades``: the shell's cue response (minus baseline) peaks before
  the last session and is lower in the last session than at its peak;
* ``learners_and_non_learners``: under the same parameters, some individuals reach
  ``learner_criterion`` in the last session and some stay at or below ``non_learner_criterion``.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from ..analysis import photometry
from ..analysis.stats import sign_test_p
from .avoidance import AvoidanceConfig, AvoidanceIndividual, AvoidanceSession
from .base import Check, Experiment, Results, register
from .conditioning import nanmean

CITATION = ("Lopez GC et al. (2025) Region-specific nucleus accumbens dopamine signals encode distinct aspects of "
            "avoidance learning. Curr Biol 35:2433-2443")
ALPHA = 0.05
REGIONS = ("core", "shell")


class ActiveAvoidanceConfig(AvoidanceConfig):
    """The circuit, the agent, the box's timing and the cohort, with avoidable sessions."""

    n_individuals: int = Field(12, ge=1, le=1000, description="individuals (the cohort)")
    n_sessions: int = Field(5, ge=2, le=1000, description="sessions of avoidable trials")
    n_extinction_sessions: int = Field(0, ge=0, le=1000,
                                       description="sessions of extinction after them (the cue, never a shock)")
    learner_criterion: float = Field(0.6, gt=0, le=1, description="last-session avoidance rate of a learner")
    non_learner_criterion: float = Field(0.3, ge=0, lt=1, description="last-session avoidance rate of a non-learner")

    @model_validator(mode="after")
    def _criteria(self):
        if self.non_learner_criterion >= self.learner_criterion:
            raise ValueError(f"non_learner_criterion={self.non_learner_criterion} must be < "
                             f"learner_criterion={self.learner_criterion}")
        return self

    @property
    def duration_s(self) -> float:
        """Longest model time of the run (each trial at its longest), for the progress bar."""
        trial = self.cue_ms + self.shock_max_ms + self.iti_max_ms
        extinction = self.n_extinction_sessions * self.trials_per_session * (self.cue_ms + self.iti_max_ms)
        return (self.n_sessions * self.trials_per_session * trial + extinction + self.iti_max_ms) / 1000.0


def quick_config() -> ActiveAvoidanceConfig:
    """Three individuals, two sessions of ten trials, short intervals."""
    return ActiveAvoidanceConfig(n_individuals=3, n_sessions=2, trials_per_session=10, iti_min_ms=5000, iti_max_ms=8000)


def start(cfg: ActiveAvoidanceConfig, seed: int = 0) -> AvoidanceSession:
    sessions = ("avoidable",) * cfg.n_sessions + ("extinction",) * cfg.n_extinction_sessions
    inds = [AvoidanceIndividual("avoidable", sessions, cfg.circuit(), cfg.agent())
            for _ in range(cfg.n_individuals)]
    return AvoidanceSession(cfg, seed, inds, summarise=per_individual)


def per_individual(tab: dict, cfg: AvoidanceConfig) -> list[dict]:
    """Per individual and session: avoidance rate, escape latency from the shock, and each
    region's responses minus its baseline (cue: trials whose crossing came after the window);
    ``<region>_shock_evoked`` is the rate at the shock minus the rate in the window before it
    (the change the shock itself makes, from wherever the cue left the region)."""
    out = []
    if not tab:
        return out
    for k in np.unique(tab["individual"]):
        mine = tab["individual"] == k
        sessions = np.unique(tab["session"][mine])
        row: dict = {"individual": int(k), "sessions": sessions.tolist()}
        cols: dict[str, list[float]] = {}
        for s in sessions:
            m = mine & (tab["session"] == s)
            avoided = tab["outcome"][m] == "avoided"
            escaped = m & (tab["outcome"] == "escaped")
            clean = m & ~(tab["latency_ms"] < cfg.response_window_ms)
            shocked = m & np.isfinite(tab["shock_on_ms"])
            safe = m & (tab["outcome"] == "avoided")
            vals = {
                "avoidance": float(avoided.mean()),
                "escape_latency_ms": nanmean(tab["shock_off_ms"][escaped] - tab["shock_on_ms"][escaped]),
            }
            for r in REGIONS:
                base = tab[f"{r}_baseline_hz"]
                vals[f"{r}_cue"] = nanmean(tab[f"{r}_cue_hz"][clean] - base[clean])
                vals[f"{r}_shock"] = nanmean(tab[f"{r}_shock_hz"][shocked] - base[shocked])
                vals[f"{r}_shock_evoked"] = nanmean(tab[f"{r}_shock_hz"][shocked] - tab[f"{r}_pre_shock_hz"][shocked])
                vals[f"{r}_safety"] = nanmean(tab[f"{r}_safety_hz"][safe] - base[safe])
                vals[f"{r}_baseline"] = nanmean(base[m])
            for name, v in vals.items():
                cols.setdefault(name, []).append(v)
        row.update(cols)
        out.append(row)
    return out


def _first_last(values: list[float]) -> tuple[float, float]:
    """The first and last finite values of a per-session series (NaN, NaN if fewer than two)."""
    v = [x for x in values if np.isfinite(x)]
    return (v[0], v[-1]) if len(v) >= 2 else (float("nan"), float("nan"))


def _change(rows: list[dict], key: str) -> np.ndarray:
    d = np.array([np.subtract(*_first_last(r[key])[::-1]) for r in rows], float)
    return d[np.isfinite(d)]


def _avoidable_sessions(row: dict, n_sessions: int) -> dict:
    """An individual's summary cut to its avoidable sessions (the first ``n_sessions``; any
    extinction sessions come after them)."""
    return {k: v[:n_sessions] if isinstance(v, list) else v for k, v in row.items()}


def checks(res: Results) -> dict[str, Check]:
    """The checks, over the avoidable sessions only (extinction sessions, if any, are reported in
    the per-session lists of ``individuals`` but judged by none of them)."""
    cfg = res.config
    rows = [_avoidable_sessions(r, cfg.n_sessions) for r in res.metrics.get("individuals", [])]
    out: dict[str, Check] = {}
    if not rows:
        return out
    first = np.array([r["avoidance"][0] for r in rows])
    last = np.array([r["avoidance"][-1] for r in rows])
    p = sign_test_p(last - first, 0.0)
    out["avoidance_rises"] = Check(
        bool(p < ALPHA and last.mean() > 0.5),
        {"first_session_mean": float(first.mean()), "last_session_mean": float(last.mean()), "sign_test_p": p,
         "last_session": last.tolist()},
        f"avoidance rate higher in the last session than in the first (sign test p < {ALPHA:g}) and a majority (> 0.5) "
        "in the last session, on average over the cohort")
    for name, key, direction, expected in (
            ("escape_latency_falls", "escape_latency_ms", -1, "time from shock onset to escape shorter in the last "
                                                             "session with escapes than in the first"),
            ("core_cue_dip_deepens", "core_cue", -1, "core rate after the cue (minus baseline) lower in the last session "
                                                    "than in the first"),
            ("core_shock_dip_lessens", "core_shock_evoked", +1, "core's change at the shock (rate at the shock minus "
                                                               "the rate before it) less negative in the last session "
                                                               "with shocks than in the first")):
        d = _change(rows, key)
        p = sign_test_p(direction * d, 0.0) if d.size else float("nan")
        out[name] = Check(bool(d.size and p < ALPHA), {"n": int(d.size), "median_change": float(np.median(d)) if d.size
                                                       else float("nan"), "sign_test_p": p},
                          f"{expected} (sign test p < {ALPHA:g} over individuals)")
    # the same against the trial's baseline: at the shock the core is near silent at every stage
    d = _change(rows, "core_shock")
    out["core_shock_dip_lessens"].value["against_trial_baseline_median_change"] = (
        float(np.median(d)) if d.size else float("nan"))
    safety = np.array([nanmean(r["core_safety"]) for r in rows])
    safety = safety[np.isfinite(safety)]
    p = sign_test_p(safety, 0.0) if safety.size else float("nan")
    out["core_rises_at_safety"] = Check(
        bool(safety.size and p < ALPHA), {"n": int(safety.size), "median_rise_hz": float(np.median(safety)) if safety.size
                                          else float("nan"), "sign_test_p": p},
        f"core rate after an avoidance above its baseline (sign test p < {ALPHA:g} over individuals with avoidances)")
    ratio = np.array([(nanmean(r["shell_shock"]) + nanmean(r["shell_baseline"])) / nanmean(r["shell_baseline"]) for r in rows])
    out["shell_rises_at_shock"] = Check(bool(np.all(ratio > 2.0)), {"shock_over_baseline": ratio.tolist()},
                                        "shell rate at the shock more than twice its baseline in every individual")
    fade = []
    for r in rows:
        v = np.array(r["shell_cue"], float)
        if np.isfinite(v).sum() >= 3:
            peak = int(np.nanargmax(v))
            fade.append((peak < len(v) - 1, float(v[peak] - v[np.isfinite(v)][-1])))
    n_fade = sum(1 for early, drop in fade if early and drop > 0)
    p = sign_test_p(np.array([drop if early else -abs(drop) for early, drop in fade]), 0.0) if fade else float("nan")
    out["shell_cue_rise_grows_then_fades"] = Check(
        bool(fade and p < ALPHA), {"n": len(fade), "peak_before_last_and_lower_last": n_fade, "sign_test_p": p},
        f"shell cue response peaks before the last session and is lower in the last (sign test p < {ALPHA:g})")
    learners = [r["individual"] for r in rows if r["avoidance"][-1] >= cfg.learner_criterion]
    non = [r["individual"] for r in rows if r["avoidance"][-1] <= cfg.non_learner_criterion]
    out["learners_and_non_learners"] = Check(
        bool(learners and non), {"learners": learners, "non_learners": non},
        f"some individuals reach {cfg.learner_criterion:g} avoidance in the last session and some stay at or below "
        f"{cfg.non_learner_criterion:g}, under the same parameters")
    return out


# -- figures --------------------------------------------------------------------------------


def _trials(res: Results) -> dict:
    return {k[len("trials/"):]: v for k, v in res.data.items() if k.startswith("trials/")}


def learning_figure(res: Results):
    """Avoidance rate and escape latency per session: each individual and the cohort mean (a
    dotted line before the extinction sessions, if any)."""
    from matplotlib.figure import Figure

    rows = res.metrics.get("individuals", [])
    fig = Figure(figsize=(7.5, 3.0))
    ax1, ax2 = fig.subplots(1, 2)
    for r in rows:
        ax1.plot(r["sessions"], r["avoidance"], color="0.75", lw=0.8)
        ax2.plot(r["sessions"], np.array(r["escape_latency_ms"]) / 1000.0, color="0.75", lw=0.8)
    if rows:
        sessions = rows[0]["sessions"]
        ax1.plot(sessions, np.nanmean([r["avoidance"] for r in rows], axis=0), color="k", lw=2, label="mean")
        lat = np.array([r["escape_latency_ms"] for r in rows], float) / 1000.0
        with np.errstate(all="ignore"):
            mean_lat = [nanmean(col) for col in lat.T]
        ax2.plot(sessions, mean_lat, color="k", lw=2)
    if res.config.n_extinction_sessions and rows:
        for ax in (ax1, ax2):
            ax.axvline(res.config.n_sessions + 0.5, color="0.4", ls=":", lw=1)
        ax1.text(res.config.n_sessions + 0.6, 0.02, "extinction", fontsize=8, color="0.3")
    ax1.set(xlabel="session", ylabel="avoidance rate", ylim=(-0.02, 1.02), title="avoidance")
    ax2.set(xlabel="session", ylabel="escape latency from shock (s)", title="escape")
    fig.tight_layout()
    return fig


def photometry_figure(res: Results, individuals=None, title: str = ""):
    """Peri-event dopamine of each region through the configured sensor (cue, shock, safety after an
    avoidance), by learning stage (sessions in thirds), pooled over ``individuals`` (default all):
    each individual's trace is filtered on its own, then the traces are laid end to end so that
    every event is aligned on its own individual's signal."""
    import pandas as pd

    cfg, tab = res.config, _trials(res)
    if not tab:
        return None
    conc, names = res.data["dopamine/conc"], list(res.data["dopamine/regions"])
    dt, t0 = float(cfg.dopamine_bin_ms), float(res.data["dopamine/t_ms"][0]) - float(cfg.dopamine_bin_ms) / 2
    ks = np.unique(tab["individual"]) if individuals is None else np.asarray(individuals)
    # learning stages over the sessions of learning; extinction trials are a stage of their own
    learning = tab["kind"] != "extinction"
    stage = np.full(tab["session"].size, "extinction", dtype=object)
    if learning.any():
        sessions = tab["session"][learning]
        stage[learning] = photometry.learning_stages(sessions, n_stages=min(3, len(np.unique(sessions))))
    signals = {r: np.concatenate([photometry.sensor_signal(conc[:, names.index(f"i{k}_{r}")], dt, cfg.sensor) for k in ks])
               for r in REGIONS}
    rows = []
    for j, k in enumerate(ks):
        offset = j * conc.shape[0] * dt - t0
        mine = tab["individual"] == k
        for event, col in (("cue", "cue_on_ms"), ("shock", "shock_on_ms"), ("safety", "stop_ms")):
            m = mine & np.isfinite(tab[col]) & ((tab["outcome"] == "avoided") if event == "safety" else True)
            rows += [{"t_ms": float(t) + offset, "event": event, "stage": str(st)} for t, st in zip(tab[col][m], stage[m])]
    if not rows:
        return None
    summary = photometry.peri_event_table(signals, dt, pd.DataFrame(rows), (-2000.0, 5000.0), (-1000.0, 0.0))
    return photometry.photometry_figure(summary, title=title)


def photometry_by_condition(res: Results, conditions) -> dict:
    """One photometry figure per condition (``photometry_<condition>``), of its individuals."""
    out = {}
    for c in conditions:
        ks = [r["individual"] for r in res.metrics.get("individuals", []) if r.get("condition") == c]
        fig = photometry_figure(res, ks, title=f"{c}: dopamine ({res.config.sensor}) by learning stage") if ks else None
        if fig is not None:
            out[f"photometry_{c}"] = fig
    return out


def figures(res: Results) -> dict:
    out = {"learning": learning_figure(res)}
    fig = photometry_figure(res, title=f"dopamine ({res.config.sensor}) by learning stage")
    if fig is not None:
        out["photometry"] = fig
    cfg = res.config
    # learners and non-learners as the checks call them: by the last avoidable session
    rows = [_avoidable_sessions(r, cfg.n_sessions) for r in res.metrics.get("individuals", [])]
    for group, pick in (("learners", lambda r: r["avoidance"][-1] >= cfg.learner_criterion),
                        ("non_learners", lambda r: r["avoidance"][-1] <= cfg.non_learner_criterion)):
        ks = [r["individual"] for r in rows if pick(r)]
        if ks:
            fig = photometry_figure(res, ks, title=f"{group.replace('_', '-')} ({len(ks)})")
            if fig is not None:
                out[f"photometry_{group}"] = fig
    return out


EXPERIMENT = register(Experiment(
    name="active-avoidance",
    summary="Signalled active avoidance in a shuttle box, learnt from regional dopamine (NAc core and shell)",
    citation=CITATION,
    config_model=ActiveAvoidanceConfig,
    quick=quick_config,
    default=ActiveAvoidanceConfig,
    start=start,
    figures=figures,
    checks=checks,
))
