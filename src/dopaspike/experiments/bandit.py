"""A k-armed bandit learnt by the basal-ganglia loop, and what the indirect pathway does to exploration.

Each individual of the cohort (:mod:`dopaspike.experiments.choice`) chooses among ``k`` arms
(:class:`~dopaspike.tasks.choice.Bandit`, stationary by default, a restless bandit with
``drift_sd > 0``; Daw et al. 2006, Nature 441:876). Every arm has its own channel; learning is
the corticostriatal plasticity of D1 (Go) and D2 (NoGo) neurons taught by the network's own
dopamine neurons (Frank 2005, J Cogn Neurosci 17:51).

Default conditions: ``control``, ``indirect_weak`` and ``indirect_strong`` (the D2 -> GPe
weight scaled by ``indirect_weak_level`` and ``indirect_strong_level``). The indirect pathway
sets how strongly NoGo activity holds back the other channels, and so how deterministic the
choice is: Humphries, Khamassi & Gurney (2012, Front Neurosci 6:9) show that striatal
modulation of the pathways moves the basal ganglia's output between exploration and
exploitation. The issue that asks for this experiment does not give a direction, so the check is
two-sided and the direction measured is reported.

After learning, the chosen arm's D1 (Go) neurons should fire more in the decision window than
the chosen arm's D1 neurons did before learning, and its D2 (NoGo) neurons less: bursts after
rewards potentiate the chosen channel's corticostriatal D1 synapses and depress its D2 synapses
(Frank 2005; Shen et al. 2008, Science 321:848), so the two populations change in opposite
directions. The control cohort's rates in the first and in the last ``score_trials`` trials are
compared per individual.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..analysis.choice import choice_entropy
from ..analysis.stats import permutation_p, sign_test_p
from ..tasks.choice import Bandit, BanditConfig
from .base import Check, Experiment, Results, register
from .choice import CONDITIONS, ChoiceConfig, ChoiceSession

CITATION = "Frank MJ (2005) Dynamic dopamine modulation in the basal ganglia. J Cogn Neurosci 17:51-72"

#: Smallest mean P(best arm) over the scored trials that counts as "well above chance" for two
#: arms, and the significance level of the one-sided sign test across the cohort.
MIN_P_BEST = 0.65
ALPHA = 0.05


class BanditExperimentConfig(ChoiceConfig):
    """The circuits, the cohort and the bandit."""

    conditions: tuple[Literal[CONDITIONS], ...] = Field(("control", "indirect_weak", "indirect_strong"), min_length=1,
                              description="groups to run (see the choice experiments' conditions)")
    k: int = Field(2, ge=2, le=8, description="arms")
    reward_probabilities: tuple[float, ...] = Field((0.8, 0.2), min_length=2, max_length=8,
                                                    description="P(reward) of each arm")
    drift_sd: float = Field(0.0, ge=0, le=1, description="restless bandit: SD of each arm's Gaussian step per trial")
    n_trials: int = Field(200, ge=10, le=100_000, description="trials per individual")
    score_trials: int = Field(50, ge=5, le=100_000, description="last trials over which learning is scored")

    @model_validator(mode="after")
    def _consistent(self):
        if len(self.reward_probabilities) != self.k:
            raise ValueError(f"reward_probabilities has {len(self.reward_probabilities)} values; k={self.k} needs {self.k}")
        if self.score_trials > self.n_trials:
            raise ValueError(f"score_trials={self.score_trials} must be <= n_trials={self.n_trials}")
        return self

    @property
    def duration_s(self) -> float:
        return (1000.0 + self.n_trials * self.mean_trial_ms) / 1000.0

    def task(self) -> BanditConfig:
        return BanditConfig(k=self.k, reward_probabilities=self.reward_probabilities, n_trials=self.n_trials,
                            drift_sd=self.drift_sd)


def quick_config() -> BanditExperimentConfig:
    """Six individuals per condition, 150 trials."""
    return BanditExperimentConfig(n_individuals=6, n_trials=150)


class BanditSession(ChoiceSession):
    def __init__(self, cfg: BanditExperimentConfig, seed: int = 0):
        super().__init__(cfg, seed, cfg.cohort(Bandit, cfg.task()), max_trials=cfg.n_trials)

    def score(self, tab: dict, mine: np.ndarray) -> dict:
        cfg = self.cfg
        trial = tab["trial"][mine]
        scored = trial >= cfg.n_trials - cfg.score_trials
        actions = tab["action"][mine]
        first = trial < cfg.score_trials
        rate = {f"{role}_chosen_hz_{part}": float(np.nanmean(tab[f"{role}_chosen_hz"][mine][sel])) if sel.any()
                else float("nan") for role in ("d1", "d2") for part, sel in (("first", first), ("scored", scored))}
        return {**rate,
            "p_best_scored": float(np.mean(tab["chose_best"][mine][scored])) if scored.any() else float("nan"),
            "p_best_first": float(np.mean(tab["chose_best"][mine][first])) if first.any() else float("nan"),
            "entropy_bits_scored": float(choice_entropy(actions[scored], cfg.k)) if scored.any() else float("nan"),
            "reward_rate": float(np.mean(tab["reward"][mine])),
            "n_trials": int(mine.sum()),
        }


def checks(res: Results) -> dict[str, Check]:
    cfg = res.config
    per = res.metrics["conditions"]
    out = {}
    chance = 1.0 / cfg.k
    for cond in cfg.conditions:
        if cond != "control":
            continue
        p = [r["p_best_scored"] for r in per.get(cond, [])]
        first = [r["p_best_first"] for r in per.get(cond, [])]
        mean = float(np.mean(p)) if p else float("nan")
        p_sign = sign_test_p(p, chance) if p else float("nan")
        threshold = max(MIN_P_BEST, chance + 0.15)
        out["learns_best_arm"] = Check(
            bool(p and mean >= threshold and p_sign < ALPHA),
            {"p_best_scored": p, "mean": mean, "p_best_first_trials": first, "sign_test_p": p_sign},
            f"control cohort: mean P(best arm) over the last {cfg.score_trials} trials >= {threshold:.2f} "
            f"(chance {chance:.2f}), more individuals above chance than not (one-sided sign test p < {ALPHA:g})")
    if per.get("control"):
        d1 = [r["d1_chosen_hz_scored"] - r["d1_chosen_hz_first"] for r in per["control"]]
        d2 = [r["d2_chosen_hz_scored"] - r["d2_chosen_hz_first"] for r in per["control"]]
        p1, p2 = sign_test_p(d1, 0.0), sign_test_p([-x for x in d2], 0.0)
        out["d1_d2_opposite_activity_change"] = Check(
            bool(np.nanmean(d1) > 0 and np.nanmean(d2) < 0 and p1 < ALPHA and p2 < ALPHA),
            {"d1_change_hz": d1, "d2_change_hz": d2, "mean_d1_change_hz": float(np.nanmean(d1)),
             "mean_d2_change_hz": float(np.nanmean(d2)), "sign_test_p_d1_up": p1, "sign_test_p_d2_down": p2},
            f"control cohort: the chosen arm's D1 rate in the decision window rises and its D2 rate falls from the "
            f"first to the last {cfg.score_trials} trials (one-sided sign tests over individuals, each p < {ALPHA:g}; "
            "Frank 2005)")
    if "indirect_weak" in per and "indirect_strong" in per and per["indirect_weak"] and per["indirect_strong"]:
        weak = [r["entropy_bits_scored"] for r in per["indirect_weak"]]
        strong = [r["entropy_bits_scored"] for r in per["indirect_strong"]]
        diff = float(np.mean(strong) - np.mean(weak))
        p = min(1.0, 2 * min(permutation_p(strong, weak, +1), permutation_p(strong, weak, -1)))
        out["indirect_pathway_changes_exploration"] = Check(
            bool(p < ALPHA),
            {"entropy_weak_bits": weak, "entropy_strong_bits": strong, "strong_minus_weak_bits": diff, "p_value": p,
             "direction": "more exploration with a stronger indirect pathway" if diff > 0 else
             "less exploration with a stronger indirect pathway"},
            f"choice entropy over the last {cfg.score_trials} trials differs between the weak and the strong indirect "
            f"pathway (two-sided permutation test p < {ALPHA:g})")
    return out


def figures(res: Results) -> dict:
    from .. import plots

    return {"learning": plots.choice_learning_curves(res.data, res.config.conditions, window=20),
            "weights": plots.d1_d2_weights(res.data, "control" if "control" in res.config.conditions
                                           else res.config.conditions[0]),
            "choice_raster": plots.choice_raster(res.data)}


EXPERIMENT = register(Experiment(
    name="bandit",
    summary="A basal-ganglia loop with D1/D2 pathways and its own dopamine critic learns a k-armed bandit (Frank 2005)",
    citation=CITATION,
    config_model=BanditExperimentConfig,
    quick=quick_config,
    default=BanditExperimentConfig,
    start=BanditSession,
    figures=figures,
    checks=checks,
))
