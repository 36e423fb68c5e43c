"""What the dopamine-prediction experiments share: individuals, their sessions, and the measures.

An experiment here runs several *individuals* at once: each is an independent copy of the
prediction circuit (:mod:`dopaspike.circuits.prediction_error`; its own neurons, connectivity,
dopamine region and noise) with its own Pavlovian session
(:class:`~dopaspike.tasks.pavlovian.PavlovianConditioning`), all in one network so that one
compiled loop advances them together. Individuals may differ in their session (a reward
probability, say) or in their circuit (a control), and are labelled by condition.

The task's events become inputs: the onset of CS1 or CS2 drives that cue's sensory neurons for
``cue_pulse_ms``; the onset of a US drives the reward neurons for ``us_pulse_ms`` in proportion to
its magnitude. Everything is scheduled at the start (the session is fixed at reset), so nothing
runs in Python between chunks except the recorders.

Measures per trial and individual (:mod:`dopaspike.analysis.responses`): the DA population's mean
rate in the second before the trial (baseline), in ``response_window_ms`` after CS1 and CS2
onset, after the US, and after the time the US was due (on every CS trial, whether or not it
came); and the mean weights of the two learned paths at the start of the trial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator

from ..analysis.responses import psth, window_rates
from ..circuits.prediction_error import PredictionCircuitConfig, add_prediction_circuit
from ..config import ExperimentConfig
from ..core import rng as rngmod
from ..core.network import Network
from ..core.record import DopamineRecorder, SpikeRecorder
from ..tasks.pavlovian import PavlovianConditioning, PavlovianConfig
from .base import Results

#: Fields of the circuit that an experiment's configuration carries (documented once, on the
#: circuit's page).
CIRCUIT_FIELDS = tuple(PredictionCircuitConfig.model_fields)


def nanmean(x) -> float:
    """Mean of the finite values of ``x``; NaN when there are none (no warning)."""
    x = np.asarray(x, float)
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")


class ConditioningConfig(PredictionCircuitConfig, ExperimentConfig):
    """The circuit's fields plus what every conditioning experiment has."""

    n_individuals: int = Field(5, ge=1, le=1000, description="independent circuits per condition")
    response_window_ms: float = Field(200.0, gt=0, le=5000, description="window after an event in which a response is counted")
    baseline_window_ms: float = Field(1000.0, gt=0, le=60_000, description="window before a trial that sets the baseline rate")
    psth_bin_ms: float = Field(20.0, gt=0, le=1000, description="bin of the PSTHs")
    chunk_ms: float = Field(1000.0, ge=1, le=60_000, description="longest compiled chunk")
    cs_us_interval_ms: int = Field(1000, ge=100, le=1200, description="CS onset to US onset (Schultz 1997: ~1 s)")
    iti_min_ms: int = Field(3000, ge=1000, le=600_000, description="shortest inter-trial interval")
    iti_max_ms: int = Field(6000, ge=1000, le=600_000, description="longest inter-trial interval")

    @model_validator(mode="after")
    def _iti_order(self):
        if self.iti_max_ms < self.iti_min_ms:
            raise ValueError(f"iti_max_ms={self.iti_max_ms} must be >= iti_min_ms={self.iti_min_ms}")
        return self

    @property
    def mean_trial_ms(self) -> float:
        """Expected length of one CS -> US trial with the interval before it."""
        return (self.iti_min_ms + self.iti_max_ms) / 2 + self.cs_us_interval_ms + 100

    def session(self, n_trials: int, **changes) -> PavlovianConfig:
        """A Pavlovian session with this configuration's timing (the CS lasts until the US)."""
        return PavlovianConfig(n_trials=n_trials, cs_ms=self.cs_us_interval_ms, cs_us_interval_ms=self.cs_us_interval_ms,
                               iti_min_ms=self.iti_min_ms, iti_max_ms=self.iti_max_ms, **changes)

    def circuit(self, **changes) -> PredictionCircuitConfig:
        """The circuit part of this configuration, with ``changes``."""
        return PredictionCircuitConfig(**({k: getattr(self, k) for k in CIRCUIT_FIELDS} | changes))


@dataclass(frozen=True)
class Individual:
    """One circuit with its session: a condition label, its circuit and task configuration, and
    motivational levels to set (``(trial index, level)``: from 500 ms before that trial on)."""

    label: str
    circuit: PredictionCircuitConfig
    task: PavlovianConfig
    motivation: tuple[tuple[int, float], ...] = ()


class _TrialWeights:
    """Listener: mean weight of each individual's learned paths at the start of every trial."""

    def __init__(self, sim, steps: np.ndarray, groups: list[tuple[np.ndarray, ...]]):
        self.sim, self.steps, self.groups = sim, np.asarray(steps, np.int64), groups
        order = np.argsort(self.steps, kind="stable")
        self.order = order
        self.values = np.full((len(groups), self.steps.size, len(groups[0]) if groups else 0), np.nan)
        self._next = 0
        sim.add_listener(self, stop_at=self.stop_at)

    def stop_at(self, step: int):
        while self._next < self.order.size and self.steps[self.order[self._next]] < step:
            self._next += 1  # passed (only at the start, when attached mid-run)
        return int(self.steps[self.order[self._next]]) if self._next < self.order.size else None

    def __call__(self, res) -> None:
        now = res.step0 + res.n_steps
        while self._next < self.order.size and self.steps[self.order[self._next]] <= now:
            k = self.order[self._next]
            if self.steps[k] == now:
                for i, group in enumerate(self.groups):
                    w, _ = self.sim.weights(np.concatenate(group))
                    sizes = np.cumsum([0] + [g.size for g in group])
                    self.values[i, k] = [w[a:b].mean() if b > a else np.nan for a, b in zip(sizes[:-1], sizes[1:])]
            self._next += 1


class ConditioningSession:
    """Individuals, one network, their sessions and the recorders (picklable)."""

    weight_names = ("value_w_cs1", "value_w_cs2", "strio_w")

    def __init__(self, cfg: ConditioningConfig, seed: int, individuals: list[Individual], cues=("CS1", "CS2")):
        self.cfg, self.seed, self.individuals, self.cues = cfg, seed, individuals, tuple(cues)
        net = Network(dt_ms=1.0)
        self.circuits = [add_prediction_circuit(net, ind.circuit, cues=self.cues, prefix=f"i{k}_",
                                                seed=rngmod.derive_seed(seed, f"circuit{k}"))
                         for k, ind in enumerate(individuals)]
        self.sim = sim = net.build(seed)
        self.tasks = []
        self.trials = []
        steps = []
        switch_steps = []
        for k, (ind, circ) in enumerate(zip(individuals, self.circuits)):
            task = PavlovianConditioning(ind.task)
            task.reset(seed=rngmod.derive_seed(seed, f"task{k}"))
            for ev in task.events(0, task.end_ms + 1):
                if ev.kind == "stimulus_on" and ev.name in ("CS1", "CS2"):
                    circ.schedule_cue(sim, ev.name, ev.t_ms)
                elif ev.kind == "stimulus_on" and ev.name == "US":
                    circ.schedule_reward(sim, ev.t_ms, ev.value)
            trials = task.trials
            switch_steps.append([])
            for index, level in ind.motivation:
                at_ms = max(0.0, trials[index].start_ms - 500.0)
                circ.schedule_motivation(sim, level, at_ms=at_ms)
                switch_steps[-1].append(sim.steps_for(at_ms))
            self.tasks.append(task)
            self.trials.append(trials)
            steps.append([sim.steps_for(t.start_ms) for t in trials])
        self.da_ids = [net.population(c.pop("da")).ids for c in self.circuits]
        self.spikes = SpikeRecorder(sim, ids=np.concatenate(self.da_ids))
        self.dopamine = DopamineRecorder(sim, bin_ms=10.0)
        groups = []
        for c in self.circuits:
            g = [sim.synapse_ids(f"{c.prefix}cue_{cue}->value") if cue in self.cues else np.zeros(0, np.int64)
                 for cue in ("CS1", "CS2")]
            groups.append((*g, sim.synapse_ids(f"{c.prefix}ctx->strio")))
        n_max = max(len(t) for t in self.trials)
        grid = np.full((len(individuals), n_max), -1, np.int64)
        for k, s in enumerate(steps):
            grid[k, :len(s)] = s
        # one listener per distinct trial-start step set; weights read per individual
        self._weights = [_TrialWeights(sim, grid[k, :len(steps[k])], [groups[k]]) for k in range(len(individuals))]
        # and at each change of motivational state (the weights the new state meets)
        self._switch_weights = [_TrialWeights(sim, switch_steps[k], [groups[k]]) for k in range(len(individuals))]
        self.end_ms = float(max(t.end_ms for t in self.tasks))
        self.chunk_ms = cfg.chunk_ms
        self.wall_s = 0.0

    # -- measures --------------------------------------------------------------------------
    def spikes_of(self, k: int) -> np.ndarray:
        """Sorted spike times (ms) of individual ``k``'s DA neurons."""
        ids = self.spikes.ids
        lo, hi = self.da_ids[k][0], self.da_ids[k][-1]
        t = self.spikes.times_ms[(ids >= lo) & (ids <= hi)]
        return np.sort(t, kind="stable")

    def trial_table(self) -> dict[str, np.ndarray]:
        """One row per trial per individual (trials that have not ended are left out)."""
        cfg, win = self.cfg, self.cfg.response_window_ms
        cols: dict[str, list] = {k: [] for k in (
            "individual", "condition", "trial", "type", "start_ms", "cs1_on_ms", "cs2_on_ms", "us_on_ms", "expected_us_ms",
            "baseline_hz", "cs1_hz", "cs2_hz", "us_hz", "expected_us_hz", *self.weight_names)}
        for k, (ind, trials) in enumerate(zip(self.individuals, self.trials)):
            done = [t for t in trials if t.stop_ms + win <= self.sim.t_ms]
            if not done:
                continue
            t = self.spikes_of(k)
            n = ind.circuit.n_da
            col = {name: np.array([getattr(tr, name) for tr in done], float)
                   for name in ("start_ms", "cs1_on_ms", "cs2_on_ms", "us_on_ms", "expected_us_ms")}
            cols["individual"] += [k] * len(done)
            cols["condition"] += [ind.label] * len(done)
            cols["trial"] += [tr.index for tr in done]
            cols["type"] += [tr.type for tr in done]
            for name, v in col.items():
                cols[name] += v.tolist()
            cols["baseline_hz"] += window_rates(t, col["start_ms"], -cfg.baseline_window_ms, 0.0, n).tolist()
            cols["cs1_hz"] += window_rates(t, col["cs1_on_ms"], 0.0, win, n).tolist()
            cols["cs2_hz"] += window_rates(t, col["cs2_on_ms"], 0.0, win, n).tolist()
            cols["us_hz"] += window_rates(t, col["us_on_ms"], 0.0, win, n).tolist()
            cols["expected_us_hz"] += window_rates(t, col["expected_us_ms"], 0.0, win, n).tolist()
            w = self._weights[k].values[0, :len(done)]
            for j, name in enumerate(self.weight_names):
                cols[name] += w[:, j].tolist()
        out = {}
        for name, v in cols.items():
            if name in ("condition", "type"):
                out[name] = np.array(v, dtype=str)
            elif name in ("individual", "trial"):
                out[name] = np.array(v, np.int64)
            else:
                out[name] = np.array(v, float)
        return out

    def switch_weights(self, k: int) -> np.ndarray:
        """(n_switches, 3) mean weights (:attr:`weight_names`) of individual ``k`` at each change
        of its motivational state; NaN for changes not reached yet."""
        return self._switch_weights[k].values[0]

    def psths(self, k: int, align: str, trials, start_ms: float, stop_ms: float) -> tuple[np.ndarray, np.ndarray]:
        """PSTH of individual ``k``'s DA neurons aligned to field ``align`` of ``trials``."""
        times = np.array([getattr(t, align) for t in trials], float)
        return psth(self.spikes_of(k), times, start_ms, stop_ms, self.cfg.psth_bin_ms, self.individuals[k].circuit.n_da)

    def base_data(self) -> tuple[dict, dict]:
        """Data every conditioning experiment writes: the trial table, DA concentration per
        region, and the DA spikes of the first individual of each condition."""
        data = {f"trials/{k}": v for k, v in self.trial_table().items()}
        data["dopamine/t_ms"] = self.dopamine.t_ms
        data["dopamine/conc"] = self.dopamine.conc
        data["dopamine/regions"] = np.array(self.dopamine.names, dtype=str)
        firsts = {}
        for k, ind in enumerate(self.individuals):
            firsts.setdefault(ind.label, k)
        for label, k in firsts.items():
            ids = self.spikes.ids
            sel = (ids >= self.da_ids[k][0]) & (ids <= self.da_ids[k][-1])
            data[f"raster_{label}/t_ms"] = self.spikes.times_ms[sel]
            data[f"raster_{label}/neuron"] = ids[sel] - self.da_ids[k][0]
        kinds = {"trials": "trials", "dopamine": "dopamine", **{f"raster_{label}": "spikes" for label in firsts}}
        return data, kinds

    def results(self, status: str) -> Results:  # pragma: no cover - each experiment defines its own
        raise NotImplementedError
