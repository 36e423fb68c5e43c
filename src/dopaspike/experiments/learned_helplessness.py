"""Learned helplessness: inescapable shock impairs later escape, and dopamine at shock end rescues it.

Maier SF, Seligman MEP (1976) Learned helplessness: theory and evidence. J Exp Psychol Gen 105:3:
animals given inescapable shocks are later slow to escape, or fail to, shocks that a response
would end. Wu M, Minkowicz S, Dumrongprechachan V, Hamilton P, Xiao L, Kozorovitskiy Y (2021) Attenuated
dopamine signaling after aversive learning is restored by ketamine to rescue escape actions.
eLife 10:e64041: VTA dopamine responses at the *end* of a shock fade
with repeated uncontrollable shocks, that loss goes with helplessness, and activating dopamine
neurons restores escape.

Three cohorts with the same circuits and agents (:mod:`dopaspike.experiments.avoidance`):

* ``untreated``: only the escape test (``n_escape_sessions`` of ``escape`` trials: a shock that a
  crossing ends, up to ``shock_max_ms``);
* ``pretreated``: ``n_pretreatment_sessions`` of ``inescapable`` shocks (``fixed_shock_ms``,
  nothing the agent does changes them) before the same test;
* ``restored``: pretreated, with the relief at the end of every shock that ends on its own
  driven ``restored_relief_scale`` times (instead of ``relief_scale`` times) as strongly as an
  escape's safety: dopamine at shock end given back.

In every cohort the end of a shock the agent did not end drives the safety group
(``relief_scale``; relief is rewarding, Navratilova et al. 2012, PNAS 109:20709), and the box is a
context group driven for the whole run (``context_pa``). In the circuit, crossing attempts during
a shock are driven by the aversive input and the threat neurons through plastic synapses read
from the core; during an inescapable shock the core is silenced (its GABA input) and nothing
follows the attempts, so the eligible synapses weaken, while the relief at each shock's end
strengthens them. Shocks of one length make the end predictable: the relief path of
:mod:`dopaspike.circuits.aversive_dopamine` learns its moment and cancels the core's relief
response, the weakening wins, and escape fails. Driven more strongly, the relief outlasts the
prediction and escape survives.

Checks (individuals as the units; latency from shock onset, a failed trial counting as
``shock_max_ms``):

* ``escape_impaired_after_inescapable_shock``: pretreated escape latencies exceed the untreated
  ones (one-sided Mann-Whitney U, p < 0.05);
* ``shock_end_dopamine_blunted``: during pretreatment, the core's response at the end of the
  shock (rate in ``response_window_ms`` after it, minus baseline) is lower in the last
  pretreatment session than in the first (sign test, p < 0.05);
* ``restoring_shock_end_dopamine_restores_escape``: restored escape latencies are below the
  pretreated ones (one-sided Mann-Whitney U, p < 0.05).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..analysis.stats import sign_test_p
from .active_avoidance import photometry_by_condition
from .avoidance import AvoidanceConfig, AvoidanceIndividual, AvoidanceSession, greater_check
from .base import Check, Experiment, Results, register
from .conditioning import nanmean

CITATION = "Maier SF, Seligman MEP (1976) Learned helplessness: theory and evidence. J Exp Psychol Gen 105:3-46"
ALPHA = 0.05
CONDITIONS = ("untreated", "pretreated", "restored")


class LearnedHelplessnessConfig(AvoidanceConfig):
    """The circuit, the agent, the box's timing and the three cohorts."""

    n_pretreatment_sessions: int = Field(2, ge=1, le=1000, description="sessions of inescapable shock before the test")
    n_escape_sessions: int = Field(1, ge=1, le=1000, description="sessions of the escape test")
    shock_max_ms: int = Field(25_000, ge=50, le=600_000, description="longest escapable shock of the test")
    iti_min_ms: int = Field(12_000, ge=50, le=600_000, description="shortest inter-trial interval")
    iti_max_ms: int = Field(20_000, ge=50, le=600_000, description="longest inter-trial interval")
    context_pa: float = Field(3.0, ge=0, le=1000,
                              description="input to a context group (the box itself) for the whole run; 0: no context group")
    relief_scale: float = Field(1.0, ge=0, le=10,
                                description="safety input at the end of a shock that ends on its own, relative to an escape's")
    restored_relief_scale: float = Field(3.0, ge=0, le=10,
                                         description="the same in the restored cohort (the manipulation)")

    @property
    def duration_s(self) -> float:
        per = self.fixed_shock_ms + self.iti_max_ms
        test = self.shock_max_ms + self.iti_max_ms
        return (self.trials_per_session * (self.n_pretreatment_sessions * per + self.n_escape_sessions * test)
                + self.iti_max_ms) / 1000.0


def quick_config() -> LearnedHelplessnessConfig:
    """Three individuals per cohort, two pretreatment sessions and one test of ten trials (three
    individuals are too few for the sign test of the blunting to reach p < 0.05)."""
    return LearnedHelplessnessConfig(n_individuals=3, n_pretreatment_sessions=2, trials_per_session=10,
                                     shock_max_ms=10_000, iti_min_ms=4000, iti_max_ms=6000)


def per_individual(tab: dict, cfg: LearnedHelplessnessConfig) -> list[dict]:
    """Per individual: the escape test's latencies (failures at ``shock_max_ms``) and failure
    rate; the core's shock-end response per pretreatment session."""
    out = []
    for k in np.unique(tab["individual"]) if tab else []:
        mine = tab["individual"] == k
        test = mine & (tab["kind"] == "escape")
        lat = np.where(tab["outcome"][test] == "escaped", tab["shock_off_ms"][test] - tab["shock_on_ms"][test],
                       float(cfg.shock_max_ms))
        row = {"individual": int(k), "condition": str(tab["condition"][mine][0]),
               "escape_latency_ms": float(np.median(lat)) if lat.size else float("nan"),
               "failure_rate": float(np.mean(tab["outcome"][test] == "failed")) if test.any() else float("nan")}
        pre = mine & (tab["kind"] == "inescapable")
        row["core_shock_end"] = [nanmean(tab["core_shock_end_hz"][pre & (tab["session"] == s)]
                                       - tab["core_baseline_hz"][pre & (tab["session"] == s)])
                                 for s in np.unique(tab["session"][pre])]
        row["core_shock_end_test"] = nanmean(tab["core_shock_end_hz"][test] - tab["core_baseline_hz"][test])
        out.append(row)
    return out


def start(cfg: LearnedHelplessnessConfig, seed: int = 0) -> AvoidanceSession:
    pre = ("inescapable",) * cfg.n_pretreatment_sessions
    test = ("escape",) * cfg.n_escape_sessions
    sessions = {"untreated": test, "pretreated": pre + test, "restored": pre + test}
    relief = {"untreated": cfg.relief_scale, "pretreated": cfg.relief_scale, "restored": cfg.restored_relief_scale}
    inds = [AvoidanceIndividual(c, sessions[c], cfg.circuit(), cfg.agent(), shock_end_relief=relief[c])
            for c in CONDITIONS for _ in range(cfg.n_individuals)]
    return AvoidanceSession(cfg, seed, inds, summarise=per_individual)


def checks(res: Results) -> dict[str, Check]:
    rows = res.metrics.get("individuals", [])
    by = {c: [r for r in rows if r["condition"] == c] for c in CONDITIONS}
    out: dict[str, Check] = {}
    lat = {c: [r["escape_latency_ms"] for r in by[c]] for c in CONDITIONS}
    if by["untreated"] and by["pretreated"]:
        out["escape_impaired_after_inescapable_shock"] = greater_check(
            lat["pretreated"], lat["untreated"], "median_latency_ms_pretreated", "median_latency_ms_untreated",
            "escape latencies longer after inescapable shock than without it", ALPHA)
        change = np.array([r["core_shock_end"][-1] - r["core_shock_end"][0] for r in by["pretreated"]
                           if len(r["core_shock_end"]) >= 2], float)
        change = change[np.isfinite(change)]
        p = sign_test_p(-change, 0.0) if change.size else float("nan")
        out["shock_end_dopamine_blunted"] = Check(
            bool(change.size and p < ALPHA), {"n": int(change.size), "change_hz": change.tolist(), "sign_test_p": p},
            f"the core's response at the end of inescapable shocks lower in the last pretreatment session than in the "
            f"first (sign test p < {ALPHA:g}; needs at least two pretreatment sessions)")
    if by["restored"] and by["pretreated"]:
        out["restoring_shock_end_dopamine_restores_escape"] = greater_check(
            lat["pretreated"], lat["restored"], "median_latency_ms_pretreated", "median_latency_ms_restored",
            "escape latencies shorter when dopamine is given at the end of every inescapable shock", ALPHA)
    return out


def escape_figure(res: Results):
    """Each cohort's escape-test latencies (one dot per individual) and failure rates."""
    from matplotlib.figure import Figure

    rows = res.metrics.get("individuals", [])
    fig = Figure(figsize=(7.0, 3.0))
    ax1, ax2 = fig.subplots(1, 2)
    for i, c in enumerate(CONDITIONS):
        mine = [r for r in rows if r["condition"] == c]
        lat = np.array([r["escape_latency_ms"] for r in mine], float) / 1000.0
        fail = np.array([r["failure_rate"] for r in mine], float)
        ax1.scatter(np.full(lat.size, i), lat, color="0.4", s=12)
        ax2.scatter(np.full(fail.size, i), fail, color="0.4", s=12)
        if lat.size:
            ax1.plot([i - 0.25, i + 0.25], [np.median(lat)] * 2, color="k", lw=2)
            ax2.plot([i - 0.25, i + 0.25], [np.mean(fail)] * 2, color="k", lw=2)
    for ax, label in ((ax1, "median escape latency (s)"), (ax2, "escape failures")):
        ax.set_xticks(range(len(CONDITIONS)), CONDITIONS)
        ax.set_ylabel(label)
    fig.tight_layout()
    return fig


def figures(res: Results) -> dict:
    return {"escape": escape_figure(res), **photometry_by_condition(res, CONDITIONS)}


EXPERIMENT = register(Experiment(
    name="learned-helplessness",
    summary="Inescapable shock impairs later escape; dopamine at the end of each shock restores it",
    citation=CITATION,
    config_model=LearnedHelplessnessConfig,
    quick=quick_config,
    default=LearnedHelplessnessConfig,
    start=start,
    figures=figures,
    checks=checks,
))
