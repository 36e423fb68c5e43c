"""Izhikevich (2007) experiment 1: solving the distal reward problem for a single synapse.

Protocol (daspnet.m, ModelDB 84167; Cereb Cortex 17:2443, Fig. 1): in the 1000-neuron daspnet
network one excitatory synapse n1 -> n2 starts at weight 0. Whenever n2 fires within 20 ms after
n1, dopamine (+0.5) is delivered 1-3 s later. Every excitatory synapse sees the same dopamine,
and random pre-post coincidences happen all the time, yet only the rewarded synapse grows to the
maximum (4) within the hour, because only its eligibility trace is reliably non-zero when the
delayed dopamine arrives.

Controls (``control=...``), in which the synapse must *not* grow: ``no_reward``; ``shuffled``
(each pairing still earns one reward, but at a uniformly random time 1 s to
``shuffle_window_s`` later, so the count is similar and the timing carries no information);
``short_eligibility`` (``tau_c_ms`` set to ``short_tau_c_ms``, far below the 1-3 s delay).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..config import ExperimentConfig
from ..core import rng
from ..core.models import DaStdp, DopamineRegion
from ..core.record import DopamineRecorder, RateRecorder, SpikeRecorder, SynapseRecorder, WeightStatsRecorder
from ..models.daspnet import DaspnetParams, daspnet_network
from .base import Check, Experiment, Results, register

CITATION = ("Izhikevich EM (2007) Solving the distal reward problem through linkage of STDP and dopamine signaling. "
            "Cereb Cortex 17:2443-2452")


class DistalRewardConfig(ExperimentConfig):
    """Parameters of the distal-reward experiment (defaults: daspnet.m)."""

    duration_s: float = Field(3600.0, gt=0, le=1e6, description="model time")
    n_exc: int = Field(800, ge=2, le=2_000_000)
    n_inh: int = Field(200, ge=0, le=2_000_000)
    n_targets: int = Field(100, ge=1, le=10_000)
    reward_window_ms: float = Field(20.0, gt=0, le=1000, description="n2 must fire this soon after n1")
    reward_delay_min_ms: float = Field(1000.0, ge=1, le=60_000)
    reward_delay_max_ms: float = Field(3000.0, ge=1, le=60_000)
    reward_da: float = Field(0.5, ge=0, le=100, description="dopamine added per reward")
    control: Literal["none", "no_reward", "shuffled", "short_eligibility"] = "none"
    shuffle_window_s: float = Field(60.0, gt=1, le=3600)
    short_tau_c_ms: float = Field(50.0, gt=0, le=1e5)
    tau_c_ms: float = Field(DaStdp().tau_c_ms, gt=0, le=1e6, description="eligibility time constant")
    tau_da_ms: float = Field(DopamineRegion("x").tau_ms, gt=0, le=1e6)
    da_baseline: float = Field(0.002, ge=0, le=10)
    w_max: float = Field(4.0, gt=0, le=100)
    plasticity: Literal["exact", "sweep"] = "exact"
    snapshot_every_s: float = Field(10.0, gt=0, le=3600)
    track_every_ms: float = Field(100.0, ge=1, le=60_000)
    raster_window_s: float = Field(2.0, ge=0, le=60)
    chunk_ms: float = Field(500.0, ge=1, le=60_000, description="Python-side reward logic runs between chunks")

    @model_validator(mode="after")
    def _consistent(self):
        if self.reward_delay_max_ms < self.reward_delay_min_ms:
            raise ValueError(f"reward_delay_max_ms={self.reward_delay_max_ms} must be >= "
                             f"reward_delay_min_ms={self.reward_delay_min_ms}")
        if self.chunk_ms > self.reward_delay_min_ms:
            raise ValueError(f"chunk_ms={self.chunk_ms} must be <= reward_delay_min_ms={self.reward_delay_min_ms} "
                             "(rewards are scheduled after each chunk)")
        if self.n_targets > self.n_exc - 1:
            raise ValueError(f"n_targets={self.n_targets} must be <= n_exc - 1 = {self.n_exc - 1}")
        return self


def quick_config() -> DistalRewardConfig:
    """Twenty minutes of model time: the rewarded synapse reaches the top of the distribution."""
    return DistalRewardConfig(duration_s=1200.0)


class RewardRule:
    """Listener that finds n1 -> n2 pairings and schedules the delayed dopamine."""

    def __init__(self, sim, n1: int, n2: int, cfg: DistalRewardConfig, gen: np.random.Generator):
        self.sim, self.n1, self.n2, self.cfg, self.gen = sim, n1, n2, cfg, gen
        self.window = sim.steps_for(cfg.reward_window_ms)
        self.last_n1 = -(1 << 40)
        self.pairing_steps: list[int] = []
        self.rewarded_pairing_steps: list[int] = []
        self.reward_steps: list[int] = []  # aligned with rewarded_pairing_steps
        sim.record_spikes_of([n1, n2])
        sim.add_listener(self)

    def __call__(self, res) -> None:
        for step, nid in zip(res.spike_steps.tolist(), res.spike_ids.tolist()):
            if nid == self.n1:
                self.last_n1 = step
            elif nid == self.n2 and 0 < step - self.last_n1 < self.window:
                self._pairing(step)

    def _pairing(self, step: int) -> None:
        cfg = self.cfg
        self.pairing_steps.append(step)
        if cfg.control == "no_reward":
            return
        self.rewarded_pairing_steps.append(step)
        if cfg.control == "shuffled":
            delay_ms = 1000.0 + self.gen.random() * (cfg.shuffle_window_s * 1000.0 - 1000.0)
        else:  # daspnet.m: 1000 + ceil(2000 * rand) ms
            span = cfg.reward_delay_max_ms - cfg.reward_delay_min_ms
            delay_ms = cfg.reward_delay_min_ms + np.ceil(span * self.gen.random())
        at = step + self.sim.steps_for(delay_ms)
        self.reward_steps.append(at)
        self.sim.deliver_dopamine("cortex", cfg.reward_da, at_ms=at * self.sim.dt_ms)


def _params(cfg: DistalRewardConfig) -> DaspnetParams:
    tau_c = cfg.short_tau_c_ms if cfg.control == "short_eligibility" else cfg.tau_c_ms
    rule = DaStdp(tau_c_ms=tau_c, w_max=cfg.w_max, mode=cfg.plasticity)
    region = DopamineRegion("cortex", tau_ms=cfg.tau_da_ms, baseline=cfg.da_baseline)
    return DaspnetParams(n_exc=cfg.n_exc, n_inh=cfg.n_inh, n_targets=cfg.n_targets, rule=rule, region=region)


def pick_target(sim, n_exc: int, gen: np.random.Generator) -> tuple[int, int, int]:
    """A random excitatory -> excitatory synapse (id, n1, n2); daspnet.m takes n1's first."""
    syn = sim.compiled.synapses
    ids = sim.synapse_ids("exc")
    candidates = ids[syn.target[ids] < n_exc]
    s = int(candidates[gen.integers(candidates.size)])
    n1 = int(np.searchsorted(syn.seg[:, 0], s, side="right") - 1)
    return s, n1, int(syn.target[s])


class DistalRewardSession:
    """One run in progress: the network, the reward rule and the recorders (picklable)."""

    def __init__(self, cfg: DistalRewardConfig, seed: int = 0):
        self.cfg, self.seed = cfg, seed
        self.sim = sim = daspnet_network(_params(cfg)).build(seed)
        task = rng.stream(seed, "task")
        self.target, self.n1, self.n2 = pick_target(sim, cfg.n_exc, task)
        sim.compiled.synapses.weight[self.target] = 0.0
        exc_ids = sim.synapse_ids("exc")
        self.exc_exc = exc_ids[sim.compiled.synapses.target[exc_ids] < cfg.n_exc]
        self.w_start = sim.weights(self.exc_exc)[0]
        self.rule = RewardRule(sim, self.n1, self.n2, cfg, task)
        self.track = SynapseRecorder(sim, [self.target], every_ms=cfg.track_every_ms)
        self.stats = WeightStatsRecorder(sim, self.exc_exc, every_ms=cfg.snapshot_every_s * 1000.0)
        self.rates = RateRecorder(sim, bin_ms=1000.0)
        self.dopamine = DopamineRecorder(sim, bin_ms=10.0)
        win = cfg.raster_window_s * 1000.0
        self.end_ms = cfg.duration_s * 1000.0
        self.raster = SpikeRecorder(sim, windows_ms=[(0.0, win), (max(0.0, self.end_ms - win), self.end_ms)])
        self.chunk_ms = cfg.chunk_ms
        self.wall_s = 0.0

    def results(self, status: str) -> Results:
        """Metrics and data as of now (reads the network, changes nothing)."""
        cfg, sim, rule, track, stats = self.cfg, self.sim, self.rule, self.track, self.stats
        target = self.target
        w_end = sim.weights(self.exc_exc)[0]
        w_target = float(sim.weights([target])[0][0])
        model_s = sim.t_ms / 1000.0
        spikes = self.rates.total_spikes()
        sizes = np.array([p.n for p in sim.net.populations])
        tw = track.weight[:, 0]
        reward_steps = np.array(rule.reward_steps, float)
        order = np.argsort(reward_steps, kind="stable")  # delivery order (shuffled delays reorder them)
        metrics = {
            "target_weight_final": w_target,
            "target_weight_initial": 0.0,
            "exc_weight_mean_initial": float(self.w_start.mean()),
            "exc_weight_mean_final": float(w_end.mean()),
            "exc_weight_p99_final": float(np.percentile(w_end, 99)),
            "exc_weight_p50_final": float(np.percentile(w_end, 50)),
            "exc_weight_fraction_above_target": float(np.mean(w_end > w_target)),
            "exc_weight_fraction_at_max": float(np.mean(w_end >= 0.99 * cfg.w_max)),
            "n_rewards": int(sum(1 for s in rule.reward_steps if s < sim.step)),
            "n_pairings": len(rule.pairing_steps),
            "rate_hz": float(spikes.sum() / sizes.sum() / max(model_s, 1e-9)),
            "rate_exc_hz": float(spikes[0] / sizes[0] / max(model_s, 1e-9)),
            "wall_s_per_model_s": self.wall_s / max(model_s, 1e-9),
            "model_s": model_s,
            "target_synapse": {"id": target, "n1": self.n1, "n2": self.n2},
            "target_weight_at_min": {str(m): float(np.interp(m * 60000.0, track.t_ms, tw))
                                     for m in (10, 20, 30, 60) if m * 60.0 <= model_s},
        }
        data = {
            "target/t_ms": track.t_ms, "target/weight": tw, "target/eligibility": track.eligibility[:, 0],
            "weights/t_ms": stats.t_ms, "weights/mean": stats.mean, "weights/p1": stats.pct[:, 0],
            "weights/p50": stats.pct[:, 1], "weights/p99": stats.pct[:, 2], "weights/final_exc_exc": w_end,
            "rewards/t_ms": reward_steps[order] * sim.dt_ms,
            "rewards/delay_ms": (reward_steps - rule.rewarded_pairing_steps)[order] * sim.dt_ms,
            "pairings/t_ms": np.array(rule.pairing_steps, float) * sim.dt_ms,
            "rates/t_ms": self.rates.t_ms, "rates/hz": self.rates.rates_hz,
            "dopamine/t_ms": self.dopamine.t_ms, "dopamine/conc": self.dopamine.conc[:, 0],
            "raster/t_ms": self.raster.times_ms, "raster/ids": self.raster.ids,
        }
        kinds = {"target": "timeseries", "weights": "timeseries", "rewards": "events", "pairings": "events",
                 "rates": "timeseries", "dopamine": "dopamine", "raster": "spikes"}
        return Results(metrics=metrics, data=data, config=cfg, seed=self.seed, status=status, kinds=kinds)


def run(cfg: DistalRewardConfig, seed: int = 0, progress=None) -> Results:
    """Build the network, run the protocol, return metrics and data (``progress(model_ms)``)."""
    return EXPERIMENT.run(cfg, seed, progress=progress)


def checks(res: Results) -> dict[str, Check]:
    """Named outcomes; the expected direction is Izhikevich (2007) Fig. 1."""
    m, cfg = res.metrics, res.config
    tw, p99 = m["target_weight_final"], m["exc_weight_p99_final"]
    out: dict[str, Check] = {}
    above = m["exc_weight_fraction_above_target"]
    full = m["model_s"] >= 3600.0
    if cfg.control == "none":
        if full:  # after an hour ~1% of other E->E synapses also saturate, so compare with the bound
            out["target_near_max"] = Check(tw >= 0.9 * cfg.w_max, tw, f">= 0.9 * w_max = {0.9 * cfg.w_max:g} after 1 h")
        else:
            out["target_in_top_percent"] = Check(above < 0.01, {"fraction_above": above, "target": tw, "p99": p99},
                                                 "fewer than 1% of E->E weights end above the rewarded synapse")
        out["exc_mean_not_grown"] = Check(m["exc_weight_mean_final"] <= m["exc_weight_mean_initial"] * 1.05,
                                          {"initial": m["exc_weight_mean_initial"], "final": m["exc_weight_mean_final"]},
                                          "mean E->E weight stays near or below its start (<= 1.05 x)")
    else:
        out["target_not_reinforced"] = Check(
            above >= 0.01 and tw < 0.5 * cfg.w_max, {"fraction_above": above, "target": tw, "p99": p99},
            f"control {cfg.control!r}: stays below 0.5 * w_max and out of the top 1% of E->E weights")
    return out


def figures(res: Results) -> dict:
    from .. import plots

    d = res.data
    return {
        "weight_trajectory": plots.weight_trajectory(d["target/t_ms"], d["target/weight"], d["weights/t_ms"],
                                                     d["weights/mean"], d["weights/p1"], d["weights/p99"],
                                                     d["rewards/t_ms"], res.config.w_max),
        "weight_histogram": plots.weight_histogram(d["weights/final_exc_exc"], res.metrics["target_weight_final"],
                                                   res.config.w_max),
        "raster_dopamine": plots.raster_dopamine(d["raster/t_ms"], d["raster/ids"], d["dopamine/t_ms"],
                                                 d["dopamine/conc"], res.config.n_exc, res.config.raster_window_s * 1000.0),
    }


EXPERIMENT = register(Experiment(
    name="distal-reward",
    summary="One synapse, rewarded 1-3 s after it acts, grows to the maximum among 80,000 (Izhikevich 2007, Fig. 1)",
    citation=CITATION,
    config_model=DistalRewardConfig,
    quick=quick_config,
    default=DistalRewardConfig,
    start=DistalRewardSession,
    figures=figures,
    checks=checks,
))
