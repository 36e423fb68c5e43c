"""What the basal-ganglia choice experiments share: a cohort of individuals choosing in closed loop.

An experiment here runs a cohort of *individuals* at once, each an independent
cortico-basal ganglia-thalamic loop with its own dopamine critic
(:mod:`dopaspike.circuits.basal_ganglia`; its own neurons, connectivity, dopamine region and
noise) facing its own copy of a choice task (:mod:`dopaspike.tasks.choice`, seeded per
individual), all in one network so that one compiled loop advances them together. Individuals
are labelled by condition (a manipulation of the circuit).

A trial, for every individual at the same model time ``t0``:

1. the options on offer drive their cortical populations from ``t0``; the critic's cue (a
   trial-start cue) is shown ``cue_lead_ms`` earlier (0 by default: at the offer), on trials
   with feedback;
2. at ``t0 + decision_ms`` the choice is read out: the offered channel whose thalamic neurons
   fired most since ``t0`` (ties broken at random with the individual's own generator). The
   task is stepped with it. The options not chosen stop driving cortex; the chosen one stays on
   until ``t0 + hold_ms`` (the choice's efference copy, which keeps its channel's corticostriatal
   synapses eligible until the outcome);
3. a reward drives the critic's reward input at ``t0 + outcome_ms``; no reward, nothing (a pause
   of the DA neurons then comes only from what the critic has learned to expect).

The next trial's cue comes ``hold_ms`` plus an inter-trial interval (uniform in
``[iti_min_ms, iti_max_ms]``, the same for every individual) after ``t0``. The choice logic runs
in Python between chunks, at each decision time (a listener that ends a chunk there), so the
session can be checkpointed and resumed like any other.

Measures per trial and individual: the task's record, the thalamic spike counts of the chosen
channel and of the best other one, the mean rates of the chosen channel's D1 and D2 neurons in
the decision window, the DA neurons' rate in the ``response_window_ms`` after the outcome time
and in the 500 ms before the trial's cue, and the mean corticostriatal D1 and D2 weight of every
option at the start of the trial.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..circuits.basal_ganglia import BasalGangliaConfig, add_basal_ganglia
from ..circuits.prediction_error import PredictionCircuitConfig
from ..config import ExperimentConfig
from ..core import rng as rngmod
from ..core.network import Network
from ..core.record import DopamineRecorder
from .base import Results

#: Fields of the two circuits that an experiment's configuration carries (documented once, on
#: the circuits' pages).
ACTOR_FIELDS = tuple(BasalGangliaConfig.model_fields)
CRITIC_FIELDS = tuple(PredictionCircuitConfig.model_fields)
CIRCUIT_FIELDS = ACTOR_FIELDS + CRITIC_FIELDS

#: Trials kept for the rasters around a choice (the last ones of the first individual).
RASTER_TRIALS = 5
BASELINE_MS = 500.0


#: The conditions an experiment can run, each a change of the actor (strengths are config fields).
CONDITIONS = ("control", "da_depleted", "medicated", "d1_antagonist", "d2_antagonist", "d1_lesion", "d2_lesion",
              "indirect_weak", "indirect_strong")


class ChoiceConfig(BasalGangliaConfig, PredictionCircuitConfig, ExperimentConfig):
    """The circuits' fields plus what every choice experiment has.

    The circuit fields apply to every individual (``--set da_depletion=0.5`` depletes them all);
    ``conditions`` adds groups that differ from it by one manipulation each, of the strength
    given by the ``*_level`` fields below.
    """

    n_individuals: int = Field(20, ge=1, le=1000, description="individuals per condition (the cohort)")
    conditions: tuple[Literal[CONDITIONS], ...] = Field(("control",), min_length=1,
                                                        description="groups to run: " + ", ".join(CONDITIONS))
    depleted_level: float = Field(0.8, ge=0, lt=1, description="da_depletion of the da_depleted condition")
    medicated_level: float = Field(1.0, gt=0, le=100, description="tonic_da of the medicated condition (x normal tonic)")
    antagonist_level: float = Field(10.0, gt=1, le=1e4,
                                    description="dose ratio of the d1_antagonist and d2_antagonist conditions")
    indirect_weak_level: float = Field(0.5, ge=0, lt=1, description="indirect_gain of the indirect_weak condition")
    indirect_strong_level: float = Field(1.5, gt=1, le=10, description="indirect_gain of the indirect_strong condition")
    cue_lead_ms: int = Field(0, ge=0, le=1000,
                             description="from the trial-start cue (the critic's cue) to the offer; 0 shows both at once")
    decision_ms: int = Field(300, ge=50, le=2000, description="from the offer to the read-out of the choice")
    outcome_ms: int = Field(800, ge=100, le=1200,
                            description="from the offer to the reward (cue_lead_ms + outcome_ms within the critic's chain)")
    hold_ms: int = Field(900, ge=100, le=5000, description="from the offer to the end of the chosen option's drive")
    iti_min_ms: int = Field(1000, ge=300, le=600_000, description="shortest inter-trial interval (after hold_ms)")
    iti_max_ms: int = Field(1500, ge=300, le=600_000, description="longest inter-trial interval")
    response_window_ms: float = Field(200.0, gt=0, le=2000, description="window after the outcome time for the DA rate")
    chunk_ms: float = Field(1000.0, ge=1, le=60_000, description="longest compiled chunk")

    @model_validator(mode="after")
    def _timing(self):
        if self.iti_max_ms < self.iti_min_ms:
            raise ValueError(f"iti_max_ms={self.iti_max_ms} must be >= iti_min_ms={self.iti_min_ms}")
        if not self.decision_ms < self.outcome_ms <= self.hold_ms:
            raise ValueError(f"need decision_ms < outcome_ms <= hold_ms (got {self.decision_ms}, {self.outcome_ms}, "
                             f"{self.hold_ms})")
        chain_end_ms = self.chain_start_ms + self.chain_groups * self.chain_step_ms
        if self.cue_lead_ms + self.outcome_ms > chain_end_ms:
            raise ValueError(f"cue_lead_ms + outcome_ms = {self.cue_lead_ms + self.outcome_ms} must be <= {chain_end_ms:g} "
                             "(chain_start_ms + chain_groups * chain_step_ms: the critic's chain must span the reward)")
        if self.hold_ms + self.iti_min_ms < self.outcome_ms + self.response_window_ms + BASELINE_MS:
            raise ValueError("hold_ms + iti_min_ms must leave the outcome window and the next trial's "
                             f"{BASELINE_MS:g} ms baseline apart")
        return self

    @property
    def mean_trial_ms(self) -> float:
        return self.cue_lead_ms + self.hold_ms + (self.iti_min_ms + self.iti_max_ms) / 2

    def actor(self, condition: str = "control") -> BasalGangliaConfig:
        """The actor of ``condition``: the configured circuit with that condition's manipulation."""
        changes = {"control": {}, "da_depleted": {"da_depletion": self.depleted_level},
                   "medicated": {"tonic_da": self.medicated_level},
                   "d1_antagonist": {"d1_antagonist": self.antagonist_level},
                   "d2_antagonist": {"d2_antagonist": self.antagonist_level},
                   "d1_lesion": {"lesion": "d1"}, "d2_lesion": {"lesion": "d2"},
                   "indirect_weak": {"indirect_gain": self.indirect_weak_level},
                   "indirect_strong": {"indirect_gain": self.indirect_strong_level}}[condition]
        return BasalGangliaConfig(**({k: getattr(self, k) for k in ACTOR_FIELDS} | changes))

    def cohort(self, task_class: type, task_config) -> list[ChoiceIndividual]:
        """``n_individuals`` individuals per condition, all facing ``task_config``."""
        return [ChoiceIndividual(c, self.actor(c), task_class, task_config) for c in self.conditions
                for _ in range(self.n_individuals)]

    def critic(self) -> PredictionCircuitConfig:
        return PredictionCircuitConfig(**{k: getattr(self, k) for k in CRITIC_FIELDS})


@dataclass(frozen=True)
class ChoiceIndividual:
    """One loop with its task: a condition label, the actor's configuration (with the
    condition's manipulation), and the task (its class and configuration)."""

    label: str
    actor: BasalGangliaConfig
    task_class: type
    task_config: object


def option_names(task) -> tuple[str, ...]:
    """The channel names for a task's options: bandit arms ``arm0..``, stimuli by their letter."""
    offered = task.offered()
    if isinstance(offered[0], (int, np.integer)):
        return tuple(f"arm{i}" for i in range(task.action_space.n))
    from ..tasks.choice import ProbabilisticSelection

    return tuple("ABCDEF") if isinstance(task, ProbabilisticSelection) else ("A", "B")


class ChoiceSession:
    """Individuals, one network, their tasks and the measures (picklable)."""

    def __init__(self, cfg: ChoiceConfig, seed: int, individuals: list[ChoiceIndividual], max_trials: int):
        self.cfg, self.seed, self.individuals = cfg, seed, individuals
        net = Network(dt_ms=1.0)
        self.tasks = []
        self.loops = []
        critic = cfg.critic()
        for k, ind in enumerate(individuals):
            task = ind.task_class(ind.task_config)
            task.reset(seed=rngmod.derive_seed(seed, f"task{k}"))
            self.tasks.append(task)
            self.loops.append(add_basal_ganglia(net, ind.actor, critic, options=option_names(task), prefix=f"i{k}_",
                                                seed=rngmod.derive_seed(seed, f"loop{k}")))
        self.net = net
        self.sim = sim = net.build(seed)
        self.tie_rng = [np.random.default_rng(rngmod.derive_seed(seed, f"ties{k}")) for k in range(len(individuals))]
        self.iti_rng = np.random.default_rng(rngmod.derive_seed(seed, "iti"))
        # neurons whose spikes the session reads: per individual and role, (start id, neurons per channel)
        self.layout = []
        ids = []
        for loop in self.loops:
            c = loop.config
            lay = {}
            for role, per in (("thal", c.n_gp), ("d1", c.n_msn), ("d2", c.n_msn), ("gpi", c.n_gp)):
                p = net.population(loop.pop(role))
                lay[role] = (p.start, per, p.n)
                ids.append(p.ids)
            p = net.population(loop.critic.pop("da"))
            lay["da"] = (p.start, p.n, p.n)
            ids.append(p.ids)
            self.layout.append(lay)
        sim.record_spikes_of(np.concatenate(ids))
        self._buf_steps: list[np.ndarray] = []
        self._buf_ids: list[np.ndarray] = []
        sim.add_listener(self._on_chunk, stop_at=self._stop_at)
        self.dopamine = DopamineRecorder(sim, bin_ms=10.0)
        self.syn = [{(role, o): sim.synapse_ids(f"{loop.prefix}ctx_{o}->{role}") for o in loop.options for role in ("d1", "d2")}
                    for loop in self.loops]
        self.rows: list[dict] = []  # finished trials (outcome measured)
        self.pending: list[dict] = []  # trials whose outcome window has not ended at the last decision
        self.rasters: deque = deque(maxlen=RASTER_TRIALS)
        self.max_trials = max_trials
        self.trial_index = 0
        self.t0 = 1000.0 + cfg.cue_lead_ms  # first cue after a second of settling
        self.done = [False] * len(individuals)
        self._offer(self.t0)
        self.end_ms = self.t0 + max_trials * (cfg.cue_lead_ms + cfg.hold_ms + cfg.iti_max_ms) + cfg.iti_max_ms
        self.chunk_ms = cfg.chunk_ms
        self.wall_s = 0.0

    # -- closed loop -------------------------------------------------------------------------
    def _offer(self, t0: float) -> None:
        """Start trial ``trial_index`` at ``t0`` for every individual whose task is not over."""
        self.trial_start_w = []
        for k, (task, loop) in enumerate(zip(self.tasks, self.loops)):
            if self.done[k]:
                self.trial_start_w.append(None)
                continue
            loop.offer(self.sim, self._offered(k), t0)
            if task.phase != "test":
                loop.critic.schedule_cue(self.sim, "trial", t0 - self.cfg.cue_lead_ms)
            w = {f"{role}_w_{o}": float(self.sim.weights(s)[0].mean()) for (role, o), s in self.syn[k].items()}
            self.trial_start_w.append(w)

    def _offered(self, k: int) -> tuple[str, ...]:
        offered = self.tasks[k].offered()
        return tuple(f"arm{o}" if isinstance(o, (int, np.integer)) else str(o) for o in offered)

    def _stop_at(self, step: int):
        if all(self.done):
            return None
        return int(round(self.t0 + self.cfg.decision_ms))

    def _on_chunk(self, res) -> None:
        self._buf_steps.append(res.spike_steps)
        self._buf_ids.append(res.spike_ids)
        now = res.step0 + res.n_steps
        if all(self.done) or now != int(round(self.t0 + self.cfg.decision_ms)):
            return
        steps = np.concatenate(self._buf_steps)
        ids = np.concatenate(self._buf_ids)
        self._finish_pending(steps, ids)
        t0 = self.t0  # the trial just decided: its baseline and raster windows are still to be read
        self._decide(steps, ids)
        keep = steps >= t0 - self.cfg.cue_lead_ms - BASELINE_MS - 1
        self._buf_steps, self._buf_ids = [steps[keep]], [ids[keep]]

    def _counts(self, steps, ids, k: int, role: str, lo: float, hi: float) -> np.ndarray:
        start, per, n = self.layout[k][role]
        sel = (ids >= start) & (ids < start + n) & (steps >= lo) & (steps < hi)
        return np.bincount((ids[sel] - start) // per, minlength=n // per)

    def _decide(self, steps, ids) -> None:
        cfg, t0 = self.cfg, self.t0
        t_dec = t0 + cfg.decision_ms
        for k, (task, loop) in enumerate(zip(self.tasks, self.loops)):
            if self.done[k]:
                continue
            offered = self._offered(k)
            channels = [loop.options.index(o) for o in offered]
            thal = self._counts(steps, ids, k, "thal", t0, t_dec)[channels]
            best = np.flatnonzero(thal == thal.max())
            action = int(best[0] if best.size == 1 else self.tie_rng[k].choice(best))
            chosen = offered[action]
            phase = task.phase
            _, reward, terminated, _, info = task.step(action)
            self.done[k] = bool(terminated)
            loop.withdraw(self.sim, [o for o in offered if o != chosen], t_dec)
            loop.withdraw(self.sim, [chosen], t0 + cfg.hold_ms)
            if info["feedback"] and reward > 0:
                loop.critic.schedule_reward(self.sim, t0 + cfg.outcome_ms, reward)
            c = loop.options.index(chosen)
            per_msn = loop.config.n_msn
            others = np.delete(thal, action)
            row = {"individual": k, "condition": self.individuals[k].label, "trial": self.trial_index, "phase": phase,
                   "start_ms": t0, "stop_ms": t0 + cfg.hold_ms, "chosen": chosen, "action": action,
                   "reward": float(reward), "feedback": bool(info["feedback"]),
                   "best": str(info["trial"].best) if not isinstance(info["trial"].best, (int, np.integer))
                   else f"arm{info['trial'].best}", "chose_best": bool(info["trial"].chose_best),
                   "thal_chosen": int(thal[action]), "thal_other": int(others.max()) if others.size else 0,
                   "d1_chosen_hz": self._counts(steps, ids, k, "d1", t0, t_dec)[c] * 1000.0 / (per_msn * cfg.decision_ms),
                   "d2_chosen_hz": self._counts(steps, ids, k, "d2", t0, t_dec)[c] * 1000.0 / (per_msn * cfg.decision_ms),
                   **self.trial_start_w[k]}
            for name in ("pair", "left", "right", "n_reversals", "block"):
                if hasattr(info["trial"], name):
                    row[name] = getattr(info["trial"], name)
            self.pending.append(row)
        self.trial_index += 1
        if all(self.done) or self.trial_index >= self.max_trials:
            self.done = [True] * len(self.done)
            self.end_ms = t0 + cfg.hold_ms + cfg.iti_max_ms  # room for the last outcome window
            return
        self.t0 = t0 + cfg.hold_ms + float(self.iti_rng.integers(cfg.iti_min_ms, cfg.iti_max_ms + 1)) + cfg.cue_lead_ms
        self._offer(self.t0)

    def _finish_pending(self, steps, ids) -> None:
        """Outcome-window and baseline DA rates of the trials whose outcome window has ended."""
        cfg = self.cfg
        now = steps.max(initial=0) + 1 if steps.size else self.sim.step
        now = max(now, self.sim.step)
        still = []
        for row in self.pending:
            t0 = row["start_ms"]
            if t0 + cfg.outcome_ms + cfg.response_window_ms > now:
                still.append(row)
                continue
            k = row["individual"]
            n_da = self.layout[k]["da"][2]
            out = self._counts(steps, ids, k, "da", t0 + cfg.outcome_ms, t0 + cfg.outcome_ms + cfg.response_window_ms)
            cue = t0 - cfg.cue_lead_ms
            base = self._counts(steps, ids, k, "da", cue - BASELINE_MS, cue)
            row["da_outcome_hz"] = float(out.sum() * 1000.0 / (n_da * cfg.response_window_ms))
            row["da_baseline_hz"] = float(base.sum() * 1000.0 / (n_da * BASELINE_MS))
            if k == 0:
                self._keep_raster(steps, ids, t0)
            self.rows.append(row)
        self.pending = still

    def _keep_raster(self, steps, ids, t0: float) -> None:
        lay = self.layout[0]
        trial = {}
        for role in ("d1", "d2", "gpi", "thal", "da"):
            start, _, n = lay[role]
            sel = ((ids >= start) & (ids < start + n) & (steps >= t0 - self.cfg.cue_lead_ms - 200)
                   & (steps < t0 + self.cfg.hold_ms + 200))
            trial[role] = (steps[sel] - t0, ids[sel] - start)
        self.rasters.append((t0, trial))

    # -- results ---------------------------------------------------------------------------
    def finish(self) -> None:
        """Measure the outcome windows still open (at the end of the run)."""
        if self.pending and self._buf_steps:
            self._finish_pending(np.concatenate(self._buf_steps), np.concatenate(self._buf_ids))

    def trial_table(self) -> dict[str, np.ndarray]:
        """One row per finished trial per individual, sorted by individual then trial."""
        self.finish()
        rows = sorted(self.rows, key=lambda r: (r["individual"], r["trial"]))
        if not rows:
            return {}
        names = list(dict.fromkeys(n for r in rows for n in r))
        out = {}
        for name in names:
            vals = [r.get(name) for r in rows]
            sample = next(v for v in vals if v is not None)
            if isinstance(sample, str):
                out[name] = np.array(["" if v is None else v for v in vals], dtype=str)
            elif isinstance(sample, (bool, np.bool_)):
                out[name] = np.array([bool(v) for v in vals])
            elif isinstance(sample, (int, np.integer)) and name in ("individual", "trial", "action", "thal_chosen",
                                                                     "thal_other", "n_reversals", "block"):
                out[name] = np.array([-1 if v is None else v for v in vals], np.int64)
            else:
                out[name] = np.array([np.nan if v is None else v for v in vals], float)
        return out

    def base_data(self) -> tuple[dict, dict]:
        """The trial table, DA concentration per region and the rasters of the first individual's
        last trials (D1, D2, GPi, thalamus and DA neurons, times relative to the offer)."""
        data = {f"trials/{k}": v for k, v in self.trial_table().items()}
        data["dopamine/t_ms"] = self.dopamine.t_ms
        data["dopamine/conc"] = self.dopamine.conc
        data["dopamine/regions"] = np.array(self.dopamine.names, dtype=str)
        kinds = {"trials": "trials", "dopamine": "dopamine"}
        for j, (_t0, trial) in enumerate(self.rasters):
            for role, (st, nid) in trial.items():
                data[f"raster_{j}_{role}/t_ms"] = st.astype(float)
                data[f"raster_{j}_{role}/neuron"] = nid
                kinds[f"raster_{j}_{role}"] = "spikes"
        return data, kinds

    def metrics_base(self) -> dict:
        return {"model_s": self.sim.t_ms / 1000.0, "n_individuals": len(self.individuals),
                "wall_s_per_model_s": self.wall_s / max(self.sim.t_ms / 1000.0, 1e-9)}

    def score(self, tab: dict, mine: np.ndarray) -> dict:  # pragma: no cover - each experiment defines its own
        """The per-individual scores of an experiment from the rows ``mine`` of the trial table."""
        raise NotImplementedError

    def results(self, status: str) -> Results:
        """Data, and the metrics: per condition, one :meth:`score` dict per individual with trials."""
        data, kinds = self.base_data()
        tab = {k[len("trials/"):]: v for k, v in data.items() if k.startswith("trials/")}
        per: dict[str, list[dict]] = {c: [] for c in self.cfg.conditions}
        for k, ind in enumerate(self.individuals):
            mine = tab.get("individual", np.zeros(0)) == k
            if mine.any():
                per[ind.label].append(self.score(tab, mine))
        metrics = {"conditions": per, **self.metrics_base()}
        return Results(metrics=metrics, data=data, config=self.cfg, seed=self.seed, status=status, kinds=kinds)
