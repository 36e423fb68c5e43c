"""Reward prediction errors emerge: the DA burst moves from the reward to the cue that predicts it.

Schultz W, Dayan P, Montague PR (1997) A neural substrate of prediction and reward. Science
275:1593-1599 (Fig. 1): before learning, dopamine neurons burst at an unpredicted reward; after
learning that a cue (CS) predicts the reward (US) 1 s later, they burst at the cue, barely
respond to the predicted reward, pause when it is withheld, and still burst at a reward that
comes with no cue. With an earlier cue (CS2) that predicts CS1, the burst moves to CS2 (Schultz,
Apicella & Ljungberg 1993, J Neurosci 13:900; Izhikevich 2007, Cereb Cortex 17:2443).

Here the prediction errors are not computed: they are the spikes of the DA neurons of
:mod:`dopaspike.circuits.prediction_error`, whose cue path and timed inhibition learn from the
dopamine those neurons release. The session (per individual): CS1 -> US trials; from
``probe_from_trial`` on, omission probes (the US withheld) and unexpected rewards (a US with no
cue); from ``cs2_from_trial`` on, CS2 precedes CS1 by ``cs2_lead_ms``.

Controls (``control=...``) in which nothing may be learned: ``no_plasticity`` (both learned
paths frozen) and ``da_blocked`` (DA spikes release nothing, so no teaching signal reaches the
synapses).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..analysis.responses import burst_onset_duration, pause, psth
from ..tasks.pavlovian import PavlovianConfig
from .base import Check, Experiment, Results, register
from .conditioning import ConditioningConfig, ConditioningSession, Individual, nanmean

CITATION = ("Schultz W, Dayan P, Montague PR (1997) A neural substrate of prediction and reward. "
            "Science 275:1593-1599")

#: Share of individuals in which a per-individual check must hold for it to pass.
QUORUM = 0.8


class PavlovianRpeConfig(ConditioningConfig):
    """The circuit (see :mod:`dopaspike.circuits.prediction_error`), the session and the control."""

    n_trials: int = Field(240, ge=20, le=100_000, description="trials per individual")
    probe_from_trial: int = Field(80, ge=10, le=100_000, description="first trial that may be a probe")
    omission_probability: float = Field(0.1, ge=0, le=0.5, description="P(omission probe) per trial after probe_from_trial")
    unexpected_reward_probability: float = Field(0.1, ge=0, le=0.5,
                                                 description="P(unexpected-reward probe) per trial after probe_from_trial")
    cs2_from_trial: int = Field(150, ge=10, le=100_000, description="first trial with CS2 before CS1")
    cs2_lead_ms: int = Field(1000, ge=100, le=1200, description="CS2 onset before CS1 onset")
    early_trials: int = Field(10, ge=1, le=1000, description="CS-US trials at the start that count as 'before training'")
    late_trials: int = Field(20, ge=1, le=1000, description="CS-US trials before CS2 that count as 'after training'")
    cs2_trials: int = Field(20, ge=1, le=1000, description="last CS-US trials of the CS2 phase that are measured")
    control: Literal["none", "no_plasticity", "da_blocked"] = Field("none", description="control condition (see the page)")

    @model_validator(mode="after")
    def _consistent(self):
        if not self.probe_from_trial < self.cs2_from_trial < self.n_trials:
            raise ValueError(f"cs2_from_trial={self.cs2_from_trial} must lie between probe_from_trial="
                             f"{self.probe_from_trial} and n_trials={self.n_trials}")
        return self

    @property
    def duration_s(self) -> float:
        """Expected model time of a session (the inter-trial intervals are drawn at random)."""
        cs2_ms = self.cs2_lead_ms * (self.n_trials - self.cs2_from_trial)
        return (self.n_trials * self.mean_trial_ms + cs2_ms + (self.iti_min_ms + self.iti_max_ms) / 2) / 1000.0

    def task(self) -> PavlovianConfig:
        return self.session(self.n_trials, probe_from_trial=self.probe_from_trial,
                            omission_probability=self.omission_probability,
                            unexpected_reward_probability=self.unexpected_reward_probability,
                            cs2_lead_ms=self.cs2_lead_ms, cs2_ms=self.cs2_lead_ms, cs2_from_trial=self.cs2_from_trial)


def quick_config() -> PavlovianRpeConfig:
    """Three individuals, 170 trials (about 14 min of model time each)."""
    return PavlovianRpeConfig(n_individuals=3, n_trials=170, probe_from_trial=60, cs2_from_trial=110, cs2_trials=15,
                              late_trials=15)


class PavlovianRpeSession(ConditioningSession):
    def __init__(self, cfg: PavlovianRpeConfig, seed: int = 0):
        circuit = cfg.circuit(plastic=cfg.control != "no_plasticity", da_release_blocked=cfg.control == "da_blocked")
        task = cfg.task()
        super().__init__(cfg, seed, [Individual(cfg.control, circuit, task) for _ in range(cfg.n_individuals)])

    def results(self, status: str) -> Results:
        cfg = self.cfg
        data, kinds = self.base_data()
        tab = {k[len("trials/"):]: v for k, v in data.items() if k.startswith("trials/")}
        stages = stage_masks(tab, cfg)
        for stage, mask in stages.items():
            data[f"stages/{stage}"] = mask
        kinds["stages"] = "trials"
        per = {}
        for k in range(cfg.n_individuals):
            mine = tab["individual"] == k
            row = {}
            for stage, mask in stages.items():
                sel = mask & mine
                row[stage] = {col: nanmean(tab[col][sel]) for col in ("baseline_hz", "cs1_hz", "cs2_hz", "us_hz",
                                                                         "expected_us_hz", "value_w_cs1", "value_w_cs2",
                                                                         "strio_w")}
                row[stage]["n"] = int(sel.sum())
            per[str(k)] = row
        # PSTHs pooled over individuals, per stage and alignment
        windows = {"cs1_on_ms": (-1200.0, 1500.0), "us_on_ms": (-500.0, 700.0), "expected_us_ms": (-1200.0, 700.0),
                   "cs2_on_ms": (-500.0, 2500.0)}
        bursts, pauses = {}, {}
        for stage, mask in stages.items():
            for align, (a, b) in windows.items():
                rates = []
                for k in range(cfg.n_individuals):
                    sel = mask & (tab["individual"] == k)
                    times = tab[align][sel]
                    if np.isfinite(times).any():
                        c, r = psth(self.spikes_of(k), times, a, b, cfg.psth_bin_ms, self.individuals[k].circuit.n_da)
                        rates.append(r)
                if rates:
                    data[f"psth/{stage}/{align}"] = np.nanmean(rates, axis=0)
                    data[f"psth/{stage}/{align}_t_ms"] = c
                    base = per_stage_baseline(tab, mask)
                    if align == "us_on_ms":
                        bursts[stage] = [burst_onset_duration(c, r, base, 2.0 * base) for r in rates]
                    if align == "expected_us_ms":
                        pauses[stage] = [pause(c, r, base, -300.0, 500.0) for r in rates]
        kinds["psth"] = "timeseries"
        metrics = {
            "individuals": per,
            "burst_before_training": [dict(zip(("onset_ms", "duration_ms", "peak_hz"), b)) for b in bursts.get("early", [])],
            "omission_pause": [dict(zip(("min_hz", "centre_ms"), p)) for p in pauses.get("omission", [])],
            "model_s": self.sim.t_ms / 1000.0,
            "wall_s_per_model_s": self.wall_s / max(self.sim.t_ms / 1000.0 * cfg.n_individuals, 1e-9),
        }
        return Results(metrics=metrics, data=data, config=cfg, seed=self.seed, status=status, kinds=kinds)


def per_stage_baseline(tab: dict, mask: np.ndarray) -> float:
    return nanmean(tab["baseline_hz"][mask])


def stage_masks(tab: dict, cfg: PavlovianRpeConfig) -> dict[str, np.ndarray]:
    """Trial-table rows of each stage (per individual, by trial index)."""
    tr, ty = tab["trial"], tab["type"]
    cs_us = ty == "cs_us"
    before_cs2 = tr < cfg.cs2_from_trial
    out = {"early": np.zeros(tr.size, bool), "mid": np.zeros(tr.size, bool), "late": np.zeros(tr.size, bool),
           "cs2": np.zeros(tr.size, bool)}
    for k in np.unique(tab["individual"]):
        mine = tab["individual"] == k
        idx = np.flatnonzero(mine & cs_us & before_cs2)
        out["early"][idx[:cfg.early_trials]] = True
        centre = idx.size // 2  # the middle of training before CS2
        out["mid"][idx[max(0, centre - cfg.early_trials // 2):centre + (cfg.early_trials + 1) // 2]] = True
        out["late"][idx[-cfg.late_trials:]] = True
        idx2 = np.flatnonzero(mine & cs_us & ~before_cs2)
        out["cs2"][idx2[-cfg.cs2_trials:]] = True
    out["omission"] = (ty == "omission") & before_cs2
    out["unexpected"] = (ty == "unexpected_reward") & before_cs2
    return out


def _quorum(flags: list[bool]) -> bool:
    return len(flags) > 0 and np.mean(flags) >= QUORUM


def checks(res: Results) -> dict[str, Check]:
    """Named outcomes per individual; each passes when it holds in at least 80 % of them."""
    cfg, m = res.config, res.metrics
    per = m["individuals"]
    ind = [per[k] for k in sorted(per, key=int)]
    get = lambda stage, col: [r[stage][col] for r in ind]  # noqa: E731
    base = get("late", "baseline_hz")
    out: dict[str, Check] = {}
    if cfg.control == "none":
        bursts = m["burst_before_training"]
        ok = [b["onset_ms"] < 100 and b["duration_ms"] < 200 and b["peak_hz"] >= 3 * bl
              for b, bl in zip(bursts, get("early", "baseline_hz"))]
        out["reward_burst_before_training"] = Check(
            _quorum(ok), {"per_individual": bursts, "baseline_hz": get("early", "baseline_hz")},
            "onset < 100 ms, duration < 200 ms, peak >= 3x tonic rate, in >= 80% of individuals")
        cs_early, cs_late = get("early", "cs1_hz"), get("late", "cs1_hz")
        ok = [late >= 2 * b and late >= early + 3 for late, early, b in zip(cs_late, cs_early, base)]
        out["cs_burst_after_training"] = Check(
            _quorum(ok), {"cs1_hz_early": cs_early, "cs1_hz_late": cs_late, "baseline_hz": base},
            "CS1 response after training >= 2x tonic and >= 3 Hz above its start")
        us_early, us_late = get("early", "us_hz"), get("late", "us_hz")
        ok = [late <= 0.5 * early for late, early in zip(us_late, us_early)]
        out["predicted_reward_response_reduced"] = Check(_quorum(ok), {"us_hz_early": us_early, "us_hz_late": us_late},
                                                         "response to the predicted US <= half its size before training")
        pauses = m["omission_pause"]
        ok = [p["min_hz"] < 0.5 * b and abs(p["centre_ms"]) <= 150.0 for p, b in zip(pauses, get("omission", "baseline_hz"))]
        out["omission_pause"] = Check(_quorum(ok) and len(pauses) == len(ind), {"per_individual": pauses,
                                                                                "baseline_hz": get("omission", "baseline_hz")},
                                      "on omission probes the rate falls below half the tonic rate, and the pause is centred "
                                      "within 150 ms of the expected US time")
        unexp = get("unexpected", "us_hz")
        ok = [u >= 3 * b for u, b in zip(unexp, base)]
        out["unexpected_reward_still_bursts"] = Check(_quorum(ok), {"us_hz_unexpected": unexp, "baseline_hz": base},
                                                      "after training, a reward with no cue still evokes >= 3x the tonic rate")
        cs2, cs1_cs2 = get("cs2", "cs2_hz"), get("cs2", "cs1_hz")
        ok = [c2 >= 2 * b and c1 < late for c2, c1, late, b in zip(cs2, cs1_cs2, cs_late, base)]
        out["burst_moves_to_cs2"] = Check(
            _quorum(ok), {"cs2_hz": cs2, "cs1_hz_with_cs2": cs1_cs2, "cs1_hz_before_cs2": cs_late, "baseline_hz": base},
            "with CS2 before CS1: CS2 response >= 2x tonic and CS1 response below its level before CS2")
    else:
        cs_early, cs_late = get("early", "cs1_hz"), get("late", "cs1_hz")
        us_early, us_late = get("early", "us_hz"), get("late", "us_hz")
        ok = [cl <= max(1.3 * ce, ce + 2) and ul >= 0.8 * ue for cl, ce, ul, ue in zip(cs_late, cs_early, us_late, us_early)]
        out["no_transfer"] = Check(_quorum(ok), {"cs1_hz_early": cs_early, "cs1_hz_late": cs_late, "us_hz_early": us_early,
                                                 "us_hz_late": us_late},
                                   f"control {cfg.control!r}: the CS1 response does not grow (<= 1.3x or +2 Hz) and the US "
                                   "response stays >= 0.8x its start")
    return out


def figures(res: Results) -> dict:
    from .. import plots

    return {
        "schultz": plots.schultz_panels(res.data, res.config.cs_us_interval_ms),
        "learning_curves": plots.response_learning_curves(res.data),
        "dopamine_trace": plots.dopamine_trace(res.data),
    }


EXPERIMENT = register(Experiment(
    name="pavlovian-rpe",
    summary="Spiking DA neurons learn: the burst moves from the reward to the cue, with a pause at omission (Schultz 1997)",
    citation=CITATION,
    config_model=PavlovianRpeConfig,
    quick=quick_config,
    default=PavlovianRpeConfig,
    start=PavlovianRpeSession,
    figures=figures,
    checks=checks,
))
