"""Dopamine responses to cues that predict reward with different probabilities.

Fiorillo CD, Tobler PN, Schultz W (2003) Discrete coding of reward probability and uncertainty by
dopamine neurons. Science 299:1898-1902 (Figs. 2-3): with a cue followed by reward with
probability p = 0, .25, .5, .75 or 1, after training the DA response to the cue rises with p,
the response to the reward falls with p, and the pause when the reward does not come deepens
with p. A sustained rise between cue and reward that peaks at p = .5 (uncertainty) was also
reported; it is measured here and reported, not checked.

Each probability is a condition with ``n_individuals`` independent circuits
(:mod:`dopaspike.circuits.prediction_error`), all trained in one network. Responses are
measured over the last ``measured_trials`` trials of each individual.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator, model_validator

from ..analysis.responses import window_rates
from ..tasks.pavlovian import PavlovianConfig
from .base import Check, Experiment, Results, register
from .conditioning import ConditioningConfig, ConditioningSession, Individual, nanmean

CITATION = ("Fiorillo CD, Tobler PN, Schultz W (2003) Discrete coding of reward probability and uncertainty by "
            "dopamine neurons. Science 299:1898-1902")

#: Noise allowance for "rises"/"falls" between neighbouring probabilities, set before measuring:
#: about the standard error of one condition's mean response over 3-5 individuals.
STEP_TOLERANCE_HZ = 1.0


class PavlovianProbabilityConfig(ConditioningConfig):
    """The circuit, the probabilities and the session (the same for every probability)."""

    reward_probabilities: tuple[float, ...] = Field((0.0, 0.25, 0.5, 0.75, 1.0), min_length=2, max_length=20,
                                                    description="one condition per probability, increasing")
    n_trials: int = Field(200, ge=20, le=100_000, description="trials per individual")
    measured_trials: int = Field(40, ge=5, le=100_000, description="last trials over which responses are measured")
    iti_min_ms: int = Field(2000, ge=1000, le=600_000, description="shortest inter-trial interval")
    iti_max_ms: int = Field(4000, ge=1000, le=600_000, description="longest inter-trial interval")
    sustained_start_ms: float = Field(300.0, ge=0, le=5000,
                                      description="start (after CS onset) of the sustained-activity window, which ends at the US")

    @field_validator("reward_probabilities")
    @classmethod
    def _probabilities(cls, v):
        if any(not 0.0 <= p <= 1.0 for p in v):
            raise ValueError(f"reward_probabilities={v} must all lie in [0, 1]")
        if any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError(f"reward_probabilities={v} must be increasing")
        return tuple(float(p) for p in v)

    @model_validator(mode="after")
    def _consistent(self):
        if self.measured_trials > self.n_trials:
            raise ValueError(f"measured_trials={self.measured_trials} must be <= n_trials={self.n_trials}")
        if self.sustained_start_ms >= self.cs_us_interval_ms:
            raise ValueError(f"sustained_start_ms={self.sustained_start_ms} must be < cs_us_interval_ms={self.cs_us_interval_ms}")
        return self

    @property
    def duration_s(self) -> float:
        """Expected model time of a session (the inter-trial intervals are drawn at random)."""
        return self.n_trials * self.mean_trial_ms / 1000.0

    def task(self, p: float) -> PavlovianConfig:
        return self.session(self.n_trials, reward_probability=p)


def quick_config() -> PavlovianProbabilityConfig:
    """Two individuals per probability, 160 trials each."""
    return PavlovianProbabilityConfig(n_individuals=2, n_trials=160)


def label(p: float) -> str:
    return f"p{p:g}"


class PavlovianProbabilitySession(ConditioningSession):
    def __init__(self, cfg: PavlovianProbabilityConfig, seed: int = 0):
        circuit = cfg.circuit()
        inds = [Individual(label(p), circuit, cfg.task(p)) for p in cfg.reward_probabilities for _ in range(cfg.n_individuals)]
        super().__init__(cfg, seed, inds, cues=("CS1",))

    def results(self, status: str) -> Results:
        cfg = self.cfg
        data, kinds = self.base_data()
        tab = {k[len("trials/"):]: v for k, v in data.items() if k.startswith("trials/")}
        per: dict[str, list[dict]] = {label(p): [] for p in cfg.reward_probabilities}
        for k, ind in enumerate(self.individuals):
            mine = tab["individual"] == k
            if not mine.any():
                continue
            last = mine & (tab["trial"] >= cfg.n_trials - cfg.measured_trials)
            rewarded, unrewarded = last & (tab["type"] == "cs_us"), last & (tab["type"] == "cs_only")
            times = self.spikes_of(k)
            n = ind.circuit.n_da
            cs_on = tab["cs1_on_ms"][last]
            sustained = window_rates(times, cs_on, cfg.sustained_start_ms, float(cfg.cs_us_interval_ms), n)
            base = nanmean(tab["baseline_hz"][last])
            per[ind.label].append({
                "baseline_hz": base,
                "cs_hz": nanmean(tab["cs1_hz"][last]),
                "us_hz": nanmean(tab["us_hz"][rewarded]),
                "omitted_us_hz": nanmean(tab["expected_us_hz"][unrewarded]),
                "pause_depth": 1.0 - nanmean(tab["expected_us_hz"][unrewarded]) / base if base > 0 else float("nan"),
                "sustained_minus_baseline_hz": nanmean(sustained) - base,
                "value_w": nanmean(tab["value_w_cs1"][last]),
                "strio_w": nanmean(tab["strio_w"][last]),
                "n_rewarded": int(rewarded.sum()), "n_unrewarded": int(unrewarded.sum()),
            })
        means = {lab: {key: nanmean([r[key] for r in rows]) for key in rows[0]} for lab, rows in per.items() if rows}
        # PSTHs per probability, pooled over individuals, aligned to CS onset
        for p in cfg.reward_probabilities:
            for kind, types in (("rewarded", ("cs_us",)), ("unrewarded", ("cs_only",))):
                rates = []
                for k, ind in enumerate(self.individuals):
                    if ind.label != label(p):
                        continue
                    trials = [t for t in self.trials[k] if t.type in types and t.index >= cfg.n_trials - cfg.measured_trials
                              and t.stop_ms + cfg.response_window_ms <= self.sim.t_ms]
                    if trials:
                        c, r = self.psths(k, "cs1_on_ms", trials, -500.0, 1700.0)
                        rates.append(r)
                if rates:
                    data[f"psth/{label(p)}_{kind}"] = np.nanmean(rates, axis=0)
                    data[f"psth/{label(p)}_{kind}_t_ms"] = c
        kinds["psth"] = "timeseries"
        metrics = {"by_probability": means, "individuals": per, "probabilities": list(cfg.reward_probabilities),
                   "model_s": self.sim.t_ms / 1000.0,
                   "wall_s_per_model_s": self.wall_s / max(self.sim.t_ms / 1000.0 * len(self.individuals), 1e-9)}
        return Results(metrics=metrics, data=data, config=cfg, seed=self.seed, status=status, kinds=kinds)


def _steps(values: list[float], direction: int, tolerance: float) -> bool:
    """Every step between neighbours goes in ``direction`` (+1 rises, -1 falls), allowing
    ``tolerance`` the other way."""
    v = [x for x in values if np.isfinite(x)]
    return len(v) >= 2 and all(direction * (b - a) >= -tolerance for a, b in zip(v, v[1:]))


def checks(res: Results) -> dict[str, Check]:
    """Fiorillo et al. (2003) Figs. 2-3, on the means over individuals per probability."""
    m = res.metrics
    ps = m["probabilities"]
    by = m["by_probability"]
    col = lambda key, sel=lambda p: True: [(p, by[label(p)][key]) for p in ps if label(p) in by and sel(p)]  # noqa: E731
    out: dict[str, Check] = {}
    cs = col("cs_hz")
    v = [x for _, x in cs]
    out["cs_response_rises_with_p"] = Check(
        _steps(v, +1, STEP_TOLERANCE_HZ) and v[-1] - v[0] >= 5.0, dict(cs),
        f"CS response non-decreasing in p (each step >= -{STEP_TOLERANCE_HZ:g} Hz) and highest p - lowest p >= 5 Hz")
    us = col("us_hz", lambda p: p > 0)
    v = [x for _, x in us]
    out["us_response_falls_with_p"] = Check(
        len(v) >= 2 and _steps(v, -1, STEP_TOLERANCE_HZ) and v[0] - v[-1] >= 5.0, dict(us),
        f"US response non-increasing in p > 0 (each step <= +{STEP_TOLERANCE_HZ:g} Hz) and lowest p - highest p >= 5 Hz")
    named = dict(cs)
    mid = [p for p in ps if 0 < p < 1 and p in named]
    lo, hi = named.get(ps[0], np.nan), named.get(ps[-1], np.nan)
    graded = len(mid) >= 1 and all(lo + STEP_TOLERANCE_HZ < named[p] < hi - STEP_TOLERANCE_HZ for p in mid) and \
        _steps([named[p] for p in mid], +1, 0.0)
    out["cs_response_graded"] = Check(
        graded, dict(cs),
        f"graded, as in Fiorillo et al. (2003): every intermediate p gives a response more than {STEP_TOLERANCE_HZ:g} Hz "
        "above the lowest p's and below the highest p's, increasing with p")
    depth = col("pause_depth", lambda p: p < 1)
    v = [x for _, x in depth]
    out["omission_pause_deepens_with_p"] = Check(
        len(v) >= 2 and _steps(v, +1, 0.1) and v[-1] - v[0] >= 0.5, dict(depth),
        "depth of the pause at the expected US on unrewarded trials (1 - rate / tonic rate) non-decreasing in p < 1 "
        "(each step >= -0.1) and highest p - lowest p >= 0.5")
    return out


def figures(res: Results) -> dict:
    from .. import plots

    return {"probability": plots.probability_responses(res.metrics), "psth_by_probability": plots.probability_psths(res.data)}


EXPERIMENT = register(Experiment(
    name="pavlovian-probability",
    summary="DA responses to cue and reward as the reward probability varies from 0 to 1 (Fiorillo 2003)",
    citation=CITATION,
    config_model=PavlovianProbabilityConfig,
    quick=quick_config,
    default=PavlovianProbabilityConfig,
    start=PavlovianProbabilitySession,
    figures=figures,
    checks=checks,
))
