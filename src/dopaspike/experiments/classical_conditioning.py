"""Izhikevich (2007) classical (Pavlovian) conditioning: one rewarded stimulus among 100.

Protocol (Cereb Cortex 17:2443, Fig. 5; network as daspnet.m, ModelDB 84167): the 1000-neuron
daspnet network, with DA-STDP on its excitatory synapses, sees a stream of stimuli. Each stimulus
S1..S100 is a fixed random group of 50 neurons; one group at a time, chosen at random every
100-300 ms, gets a 1 ms pulse of strong current (``stim_pa``). Whenever S1 is presented,
dopamine is delivered after a random delay of up to 1 s, so that a few distractors come between
S1 and its reward. The stream and its rewards come from the task
:class:`~dopaspike.tasks.classical_conditioning.StimulusGroupConditioning`.

After training (an hour in the paper) the network responds to S1 much more strongly than to any
other group:
the synapses out of S1's neurons are the ones whose eligibility traces are reliably non-zero when
the dopamine comes, so they grow, and S1 recruits more of the network.

The response to a presentation is the number of spikes of the excitatory neurons *outside* the
group in the ``response_window_ms`` after its onset, minus their pre-stimulus baseline (the
spikes of the ``baseline_window_ms`` before the onset, scaled to the response window's length).
The group's own neurons are left out: they fire because they are stimulated, whatever they
learned. Control ``shuffled``: as many rewards, each attached to a presentation of another group,
so that the reward rate is unchanged but no stimulus predicts it.

The Python side (scheduling the next chunk's pulses and rewards, counting responses) runs between
compiled chunks of at most ``chunk_ms``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from ..config import ExperimentConfig
from ..core import rng
from ..core.models import DaStdp, DopamineRegion
from ..core.record import DopamineRecorder, NextMultiple, RateRecorder
from ..models.daspnet import DaspnetParams, daspnet_network
from ..tasks.classical_conditioning import StimulusGroupConditioning, StimulusGroupConfig
from .base import Check, Experiment, Results, register

CITATION = ("Izhikevich EM (2007) Solving the distal reward problem through linkage of STDP and dopamine signaling. "
            "Cereb Cortex 17:2443-2452")

REGION = "cortex"
MAX_DURATION_S = 36_000.0  # ten times the protocol; the session's stream is held in memory (~1 kB per presentation)
MAX_GROUP_NEURONS = 10_000_000  # n_groups * group_size: the group table is held in memory


class ClassicalConditioningConfig(ExperimentConfig):
    """Parameters of the classical-conditioning experiment (defaults: Izhikevich 2007 and daspnet.m)."""

    duration_s: float = Field(3600.0, gt=0, le=MAX_DURATION_S, description="model time, s (a whole number of ms)")
    control: Literal["none", "shuffled"] = Field(
        "none", description="shuffled: as many rewards, each after a presentation of another group (S1 predicts nothing)")
    n_exc: int = Field(800, ge=2, le=100_000, description="excitatory (regular-spiking) neurons")
    n_inh: int = Field(200, ge=0, le=100_000, description="inhibitory (fast-spiking) neurons")
    n_targets: int = Field(100, ge=1, le=10_000, description="random targets per neuron (at most n_exc - 1)")
    n_groups: int = Field(100, ge=2, le=10_000, description="stimulus groups S1..Sn; S1 is the rewarded one")
    group_size: int = Field(50, ge=1, le=200_000, description="neurons per group, drawn at random from all neurons")
    stim_pa: float = Field(40.0, gt=0, le=10_000, description="pulse current into every neuron of the group, pA")
    stim_ms: int = Field(1, ge=1, le=100, description="pulse duration, ms")
    interval_min_ms: int = Field(100, ge=1, le=60_000, description="shortest onset-to-onset interval, ms")
    interval_max_ms: int = Field(300, ge=1, le=60_000, description="longest onset-to-onset interval, ms")
    reward_da: float = Field(0.5, gt=0, le=100, description="dopamine added per reward")
    reward_delay_min_ms: int = Field(0, ge=0, le=60_000, description="shortest delay from an S1 onset to its reward, ms")
    reward_delay_max_ms: int = Field(1000, ge=0, le=60_000, description="longest delay from an S1 onset to its reward, ms")
    tau_c_ms: float = Field(DaStdp().tau_c_ms, gt=0, le=1e6, description="eligibility time constant, ms")
    tau_da_ms: float = Field(DopamineRegion("x").tau_ms, gt=0, le=1e6, description="decay of phasic dopamine, ms")
    da_baseline: float = Field(0.002, ge=0, le=10, description="tonic dopamine")
    w_max: float = Field(4.0, gt=0, le=100, description="upper bound of the excitatory weights")
    plasticity: Literal["exact", "sweep"] = Field(
        "exact", description="exact: event-driven closed form; sweep: daspnet.m's 10 ms sweep")
    response_window_ms: int = Field(20, ge=1, le=10_000, description="spikes counted this long after each onset, ms")
    baseline_window_ms: int = Field(50, ge=1, le=10_000, description="pre-stimulus baseline counted this long before "
                                                                      "each onset, ms")
    assess_window_s: float = Field(600.0, gt=0, le=1e6, description="the checks compare the first and the last this "
                                                                     "many seconds of the session, s")
    curve_bin_s: float = Field(60.0, gt=0, le=1e6, description="bin of the learning curves, s")
    snapshot_every_s: float = Field(10.0, gt=0, le=3600, description="how often the groups' outgoing weights are "
                                                                      "recorded, s")
    chunk_ms: float = Field(500.0, ge=1, le=60_000, description="longest compiled chunk; stimuli and rewards are "
                                                                 "scheduled between chunks, ms")

    @model_validator(mode="after")
    def _consistent(self):
        try:
            task_config(self)
        except ValidationError as exc:  # the stream's own constraints (their messages name the fields)
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            raise ValueError(f"{_TASK_FIELDS.get(loc, loc)}: {msg}" if loc else msg) from None
        if self.n_targets > self.n_exc - 1:
            raise ValueError(f"n_targets={self.n_targets} must be <= n_exc - 1 = {self.n_exc - 1}")
        if self.n_groups * self.group_size > MAX_GROUP_NEURONS:
            raise ValueError(f"n_groups * group_size = {self.n_groups * self.group_size:,} must be <= "
                             f"{MAX_GROUP_NEURONS:,}")
        if self.group_size > self.n_exc + self.n_inh:
            raise ValueError(f"group_size={self.group_size} must be <= n_exc + n_inh = {self.n_exc + self.n_inh}")
        if self.response_window_ms + self.baseline_window_ms > self.interval_min_ms:
            raise ValueError(f"response_window_ms + baseline_window_ms = "
                             f"{self.response_window_ms + self.baseline_window_ms} must be <= interval_min_ms="
                             f"{self.interval_min_ms} (a window would take in the response to another presentation)")
        if self.assess_window_s * 2 > self.duration_s:
            raise ValueError(f"assess_window_s={self.assess_window_s} must be <= duration_s / 2 = {self.duration_s / 2:g} "
                             "(the first and the last window must not overlap)")
        return self


_TASK_FIELDS = {"reward_magnitude": "reward_da"}  # task field -> config field, where the names differ


def task_config(cfg: ClassicalConditioningConfig) -> StimulusGroupConfig:
    """The task's stream for this configuration (S1, group 0, is the rewarded one)."""
    return StimulusGroupConfig(duration_s=cfg.duration_s, n_groups=cfg.n_groups,
                               rewarded_group=0, interval_min_ms=cfg.interval_min_ms,
                               interval_max_ms=cfg.interval_max_ms, stim_ms=cfg.stim_ms,
                               reward_magnitude=cfg.reward_da, reward_delay_min_ms=cfg.reward_delay_min_ms,
                               reward_delay_max_ms=cfg.reward_delay_max_ms, control=cfg.control)


def quick_config() -> ClassicalConditioningConfig:
    """Thirty minutes of model time, the first and the last five minutes compared."""
    return ClassicalConditioningConfig(duration_s=1800.0, assess_window_s=300.0)


def _params(cfg: ClassicalConditioningConfig) -> DaspnetParams:
    rule = DaStdp(tau_c_ms=cfg.tau_c_ms, w_max=cfg.w_max, mode=cfg.plasticity)
    region = DopamineRegion(REGION, tau_ms=cfg.tau_da_ms, baseline=cfg.da_baseline)
    return DaspnetParams(n_exc=cfg.n_exc, n_inh=cfg.n_inh, n_targets=cfg.n_targets, rule=rule, region=region)


class StimulusDriver:
    """Listener that turns the task's next chunk of presentations and rewards into pulses and dopamine.

    After every chunk it schedules everything up to ``chunk_ms`` beyond the current time; its
    ``stop_at`` keeps any chunk from running past what has been scheduled.
    """

    def __init__(self, sim, task: StimulusGroupConditioning, groups: np.ndarray, stim_pa: float, horizon_ms: float):
        self.sim, self.task, self.groups, self.stim_pa = sim, task, groups, float(stim_pa)
        self.horizon_ms = float(horizon_ms)
        self.index = {name: i for i, name in enumerate(task.stimulus_names)}
        self.scheduled_to_ms = 0
        self._schedule()
        sim.add_listener(self, stop_at=self.stop_at)

    def _schedule(self) -> None:
        a = self.scheduled_to_ms
        b = min(int(self.task.end_ms), int(np.ceil(self.sim.t_ms + self.horizon_ms)))
        if b <= a:
            return
        for sp in self.task.spans(a, b):
            members = self.groups[self.index[sp.name]]
            for t in range(sp.on_ms, sp.off_ms):
                self.sim.stimulate(members, self.stim_pa * sp.value, at_ms=t)
        for ev in self.task.events(a, b):
            if ev.kind == "reward":
                self.sim.deliver_dopamine(REGION, ev.value, at_ms=ev.t_ms)
        self.scheduled_to_ms = b

    def __call__(self, res) -> None:
        self._schedule()

    def stop_at(self, step: int) -> int | None:
        end = self.sim.steps_for(self.scheduled_to_ms)
        return end if end > step else None


class ResponseMeter:
    """Listener that counts, for every presentation, the excitatory spikes outside the group after
    its onset (``evoked``), the same neurons' spikes before it (``baseline``) and the group's own
    excitatory spikes after it (``direct``). Keeps only the spikes still needed."""

    def __init__(self, sim, onsets_ms: np.ndarray, groups_of: np.ndarray, members: np.ndarray, n_exc: int,
                 window_ms: int, baseline_ms: int):
        n = sim.compiled.neurons.model.shape[0]
        self.exc = np.zeros(n, bool)
        self.exc[:n_exc] = True
        sim.record_spikes_of(np.arange(n_exc))
        self.members = members  # (n_groups, group_size), each row sorted
        self.onset = np.asarray(onsets_ms, np.int64)  # dt = 1 ms: steps are ms
        self.group = np.asarray(groups_of, np.int64)
        self.window, self.baseline_len = int(window_ms), int(baseline_ms)
        p = self.onset.size
        self.evoked = np.full(p, -1, np.int64)
        self.baseline = np.full(p, -1, np.int64)
        self.direct = np.full(p, -1, np.int64)
        self.next = 0
        self._steps = np.zeros(0, np.int64)
        self._ids = np.zeros(0, np.int64)
        sim.add_listener(self)

    def __call__(self, res) -> None:
        keep = self.exc[res.spike_ids]
        self._steps = np.concatenate([self._steps, res.spike_steps[keep]])
        self._ids = np.concatenate([self._ids, res.spike_ids[keep]])
        end = res.step0 + res.n_steps
        steps, ids = self._steps, self._ids
        while self.next < self.onset.size and self.onset[self.next] + self.window <= end:
            i, on = self.next, int(self.onset[self.next])
            lo, mid, hi = np.searchsorted(steps, [on - self.baseline_len, on, on + self.window])
            group = self.members[self.group[i]]
            self.direct[i] = int(np.isin(ids[mid:hi], group).sum())
            self.evoked[i] = int(hi - mid - self.direct[i])
            self.baseline[i] = int(np.count_nonzero(~np.isin(ids[lo:mid], group)))
            self.next += 1
        first_needed = self.onset[self.next] - self.baseline_len if self.next < self.onset.size else end
        cut = np.searchsorted(steps, first_needed)
        self._steps, self._ids = steps[cut:], ids[cut:]

    def responses(self) -> np.ndarray:
        """Evoked minus scaled baseline per presentation (NaN where not measured yet)."""
        done = self.evoked >= 0
        out = np.full(self.onset.size, np.nan)
        out[done] = self.evoked[done] - self.baseline[done] * (self.window / self.baseline_len)
        return out


class GroupWeightRecorder:
    """Mean weight of the excitatory synapses out of each group's excitatory neurons, every ``every_ms``."""

    def __init__(self, sim, members: np.ndarray, n_exc: int, every_ms: float):
        self.sim = sim
        self.syn = sim.synapse_ids("exc")
        seg = sim.compiled.synapses.seg
        self.pre = (np.searchsorted(seg[:, 0], self.syn, side="right") - 1).astype(np.int64)
        self.n = sim.compiled.neurons.model.shape[0]
        self.members = members
        self.is_exc = members < n_exc  # inhibitory members have no plastic outgoing synapses
        self.n_out = self._per_group(np.bincount(self.pre, minlength=self.n).astype(float))
        self.initial = self.now()
        self._rows: list[tuple[float, np.ndarray]] = [(0.0, self.initial)]
        self._every = sim.steps_for(every_ms)
        sim.add_listener(self, stop_at=NextMultiple(self._every))

    def _per_group(self, per_neuron: np.ndarray) -> np.ndarray:
        return np.where(self.is_exc, per_neuron[self.members], 0.0).sum(axis=1)

    def now(self) -> np.ndarray:
        """Each group's mean outgoing excitatory weight as of the last completed step (NaN: no such synapse)."""
        w, _ = self.sim.weights(self.syn)
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._per_group(np.bincount(self.pre, weights=w, minlength=self.n)) / self.n_out

    def __call__(self, res) -> None:
        end = res.step0 + res.n_steps
        if end % self._every == 0:
            self._rows.append((end * self.sim.dt_ms, self.now()))

    @property
    def t_ms(self) -> np.ndarray:
        return np.array([r[0] for r in self._rows])

    @property
    def weights(self) -> np.ndarray:
        """(n_samples, n_groups)."""
        return np.array([r[1] for r in self._rows]).reshape(len(self._rows), self.members.shape[0])


class ClassicalConditioningSession:
    """One run in progress: network, task, stimulus driver and recorders (picklable)."""

    def __init__(self, cfg: ClassicalConditioningConfig, seed: int = 0):
        self.cfg, self.seed = cfg, seed
        self.sim = sim = daspnet_network(_params(cfg)).build(seed)
        gen = rng.stream(seed, "task")
        n = cfg.n_exc + cfg.n_inh
        self.members = np.array([np.sort(gen.choice(n, cfg.group_size, replace=False)) for _ in range(cfg.n_groups)])
        self.task = StimulusGroupConditioning(task_config(cfg))
        self.task.reset(seed=int(gen.integers(2**63 - 1)))
        trials = self.task.trial_table()
        self.driver = StimulusDriver(sim, self.task, self.members, cfg.stim_pa, cfg.chunk_ms)
        self.meter = ResponseMeter(sim, trials["start_ms"].astype(np.int64), trials["group"], self.members, cfg.n_exc,
                                   cfg.response_window_ms, cfg.baseline_window_ms)
        self.out_weights = GroupWeightRecorder(sim, self.members, cfg.n_exc, cfg.snapshot_every_s * 1000.0)
        self.rates = RateRecorder(sim, bin_ms=1000.0)
        self.dopamine = DopamineRecorder(sim, bin_ms=10.0)
        self.end_ms = float(self.task.end_ms)
        self.chunk_ms = cfg.chunk_ms
        self.wall_s = 0.0

    def results(self, status: str) -> Results:
        """Metrics and data as of now (reads the network, changes nothing)."""
        cfg, sim, meter = self.cfg, self.sim, self.meter
        model_s = sim.t_ms / 1000.0
        trials = self.task.trial_table()
        begun = trials["start_ms"] < sim.t_ms
        table = {k: v[begun] for k, v in trials.items()}
        resp = meter.responses()[begun]
        table.update(response=resp, evoked_spikes=meter.evoked[begun], baseline_spikes=meter.baseline[begun],
                     direct_spikes=meter.direct[begun])
        measured = np.isfinite(resp)
        onset, group = table["start_ms"], table["group"]
        win = cfg.assess_window_s * 1000.0
        final_from = max(win, sim.t_ms - win)  # a run stopped early: what it has after the first window
        first_sel = measured & (onset < win)
        final_sel = measured & (onset >= final_from)
        r_first = _group_means(resp, group, first_sel, cfg.n_groups)
        r_final = _group_means(resp, group, final_sel, cfg.n_groups)
        growth = r_final - r_first
        w = self.out_weights
        w_now = w.now()
        rewards = table["rewarded"] & (table["reward_ms"] < sim.t_ms)
        spikes = self.rates.total_spikes()
        sizes = np.array([p.n for p in sim.net.populations])
        metrics = {
            "response_s1_initial": _f(r_first[0]),
            "response_s1_final": _f(r_final[0]),
            **_distractor_stats("initial", r_first),
            **_distractor_stats("final", r_final),
            "s1_rank_final": int(np.sum(r_final[1:] >= r_final[0])) + 1 if np.isfinite(r_final[0]) else None,
            "growth_s1": _f(growth[0]),
            **_growth_stats(growth),
            "out_weight_s1_initial": _f(w.initial[0]),
            "out_weight_s1_final": _f(w_now[0]),
            "out_weight_distractors_mean_final": _f(np.nanmean(w_now[1:])),
            "out_weight_distractors_p95_final": _f(np.nanpercentile(w_now[1:], 95)),
            "n_presentations": int(measured.sum()),
            "n_presentations_s1": int(np.sum(measured & (group == 0))),
            "n_rewards": int(rewards.sum()),
            "direct_spikes_mean": _f(np.mean(table["direct_spikes"][measured])) if measured.any() else None,
            "rate_hz": float(spikes.sum() / sizes.sum() / max(model_s, 1e-9)),
            "rate_exc_hz": float(spikes[0] / sizes[0] / max(model_s, 1e-9)),
            "wall_s_per_model_s": self.wall_s / max(model_s, 1e-9),
            "model_s": model_s,
            "assess_windows_s": {"initial": [0.0, win / 1000.0], "final": [final_from / 1000.0, model_s]},
        }
        curve = _learning_curve(resp, onset, group, measured, cfg.curve_bin_s * 1000.0, model_s * 1000.0)
        ws = w.weights
        d = ws[:, 1:]
        data = {
            **{f"trials/{k}": v for k, v in table.items()},
            **{f"curve/{k}": v for k, v in curve.items()},
            "rewards/t_ms": table["reward_ms"][rewards], "rewards/delay_ms": table["reward_delay_ms"][rewards],
            "rewards/group": table["group"][rewards],
            "out_weights/t_ms": w.t_ms, "out_weights/s1": ws[:, 0], "out_weights/distractors_mean": np.nanmean(d, axis=1),
            "out_weights/distractors_p5": np.nanpercentile(d, 5, axis=1),
            "out_weights/distractors_p95": np.nanpercentile(d, 95, axis=1),
            "groups/members": self.members, "groups/response_initial": r_first, "groups/response_final": r_final,
            "groups/out_weight_initial": w.initial, "groups/out_weight_final": w_now,
            "rates/t_ms": self.rates.t_ms, "rates/hz": self.rates.rates_hz,
            "dopamine/t_ms": self.dopamine.t_ms, "dopamine/conc": self.dopamine.conc[:, 0],
        }
        kinds = {"trials": "trials", "curve": "timeseries", "rewards": "events", "out_weights": "timeseries",
                 "groups": "misc", "rates": "timeseries", "dopamine": "dopamine"}
        return Results(metrics=metrics, data=data, config=cfg, seed=self.seed, status=status, kinds=kinds)


def _f(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _group_means(resp: np.ndarray, group: np.ndarray, sel: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean response per group over the selected presentations (NaN for a group never presented)."""
    total = np.bincount(group[sel], weights=resp[sel], minlength=n_groups)
    count = np.bincount(group[sel], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _distractor_stats(which: str, r: np.ndarray) -> dict:
    d = r[1:][np.isfinite(r[1:])]
    if not d.size:
        return {f"distractors_{k}_{which}": None for k in ("mean", "p50", "p95", "max")}
    return {f"distractors_mean_{which}": float(d.mean()), f"distractors_p50_{which}": float(np.percentile(d, 50)),
            f"distractors_p95_{which}": float(np.percentile(d, 95)), f"distractors_max_{which}": float(d.max())}


def _growth_stats(g: np.ndarray) -> dict:
    d = g[1:][np.isfinite(g[1:])]
    return {"growth_distractors_p95": float(np.percentile(d, 95)) if d.size else None,
            "growth_distractors_max": float(d.max()) if d.size else None}


def _learning_curve(resp, onset, group, measured, bin_ms: float, end_ms: float) -> dict[str, np.ndarray]:
    """Per time bin: S1's mean response; the distractor groups' mean response per presentation, and
    the 5th and 95th percentiles of the distractor groups' mean responses in the bin."""
    n_bins = max(1, int(np.ceil(end_ms / bin_ms)))
    b = np.minimum((onset // bin_ms).astype(np.int64), n_bins - 1)
    out = {k: np.full(n_bins, np.nan) for k in ("s1", "distractors_mean", "distractors_p5", "distractors_p95")}
    for k in range(n_bins):
        sel = measured & (b == k)
        s1 = sel & (group == 0)
        dis = sel & (group != 0)
        if s1.any():
            out["s1"][k] = resp[s1].mean()
        if dis.any():
            out["distractors_mean"][k] = resp[dis].mean()
            per_group = _group_means(resp, group, dis, int(group.max(initial=0)) + 1)
            per_group = per_group[np.isfinite(per_group)]
            out["distractors_p5"][k], out["distractors_p95"][k] = np.percentile(per_group, [5, 95])
    return {"t_ms": (np.arange(n_bins) + 0.5) * bin_ms, **out}


def run(cfg: ClassicalConditioningConfig, seed: int = 0, progress=None) -> Results:
    """Build the network, run the protocol, return metrics and data (``progress(model_ms)``)."""
    return EXPERIMENT.run(cfg, seed, progress=progress)


def checks(res: Results) -> dict[str, Check]:
    """Named outcomes; the expected direction is Izhikevich (2007) Fig. 5.

    With ``control="none"`` S1's mean response over the last ``assess_window_s`` must exceed every
    distractor group's, and its growth since the first ``assess_window_s`` must exceed every
    distractor's growth. With ``control="shuffled"`` S1 must not exceed every distractor. Without
    learning S1 is one of ``n_groups`` exchangeable groups, so it comes first by chance with
    probability ``1 / n_groups`` (1 % by default): the rate at which ``rewarded_not_singled_out``
    fails, and ``rewarded_response_above_distractors`` passes, for nothing.
    """
    m, cfg = res.metrics, res.config
    s1, top = m["response_s1_final"], m["distractors_max_final"]
    nums = {"s1": s1, "distractors_max": top, "distractors_p95": m["distractors_p95_final"],
            "distractors_mean": m["distractors_mean_final"], "s1_rank": m["s1_rank_final"]}
    if s1 is None or top is None:
        return {"responses_measured": Check(False, nums, "S1 and the distractors presented in the last assess_window_s")}
    out: dict[str, Check] = {}
    if cfg.control == "none":
        out["rewarded_response_above_distractors"] = Check(
            s1 > top, nums, "S1's mean response over the last assess_window_s above every distractor group's")
        grow, grow_top = m["growth_s1"], m["growth_distractors_max"]
        out["rewarded_response_grew"] = Check(
            grow is not None and grow_top is not None and grow > grow_top,
            {"s1": grow, "distractors_max": grow_top, "distractors_p95": m["growth_distractors_p95"]},
            "S1's mean response grew from the first to the last assess_window_s by more than any distractor group's")
    else:
        out["rewarded_not_singled_out"] = Check(
            s1 <= top, nums, f"control {cfg.control!r}: S1's mean response over the last assess_window_s not above "
                             "every distractor group's")
    return out


def figures(res: Results) -> dict:
    from .. import plots

    d, cfg = res.data, res.config
    return {
        "learning_curve": plots.group_learning_curve(d["curve/t_ms"], d["curve/s1"], d["curve/distractors_mean"],
                                                     d["curve/distractors_p5"], d["curve/distractors_p95"],
                                                     d["trials/start_ms"], d["trials/group"], d["trials/response"]),
        "response_histogram": plots.group_response_histogram(d["groups/response_final"], cfg.assess_window_s),
        "outgoing_weights": plots.group_outgoing_weights(d["out_weights/t_ms"], d["out_weights/s1"],
                                                         d["out_weights/distractors_mean"], d["out_weights/distractors_p5"],
                                                         d["out_weights/distractors_p95"], d["rewards/t_ms"]),
    }


EXPERIMENT = register(Experiment(
    name="classical-conditioning",
    summary="The network learns to respond to the one stimulus among 100 that predicts a delayed reward "
            "(Izhikevich 2007, Fig. 5)",
    citation=CITATION,
    config_model=ClassicalConditioningConfig,
    quick=quick_config,
    default=ClassicalConditioningConfig,
    start=ClassicalConditioningSession,
    figures=figures,
    checks=checks,
))
