"""What the aversive experiments share: a cohort of agents in shuttle boxes, with regional dopamine.

Each individual is a regional dopamine circuit (:mod:`dopaspike.circuits.aversive_dopamine`)
with its agent (:mod:`dopaspike.circuits.avoidance_agent`), facing its own shuttle box
(:class:`~dopaspike.tasks.avoidance.ShuttleBox`, seeded per individual), all in one network so
that one compiled loop advances them together. Individuals are labelled by condition: a
protocol (which sessions the box runs) and, where a condition says so, a change of the circuit.

The loop runs in steps of the box's ``step_ms``. At the end of each step (a listener stops the
compiled loop there, so the run can be checkpointed and resumed like any other), every agent's
``shuttle`` and ``freeze`` spikes of the step give its action (:func:`~dopaspike.circuits.
avoidance_agent.choose`), its box steps with it, and the events the box reports for the next
step become inputs at their exact times: a cue switches its sensory group on (onset pulse, then
the sustained input) and off; a shock drives the aversive input for as long as it lasts; an
avoidance or an escape (the agent crossed out of the cue or the shock) excites the safety
group. Nothing else is handed to the dopamine neurons.

Measures per trial and individual: the box's record (outcome, latency, shock received, freezing),
the crossings made while the cue was on (``cue_shuttles``: an avoidance on avoidable trials, an
attempt that changes nothing on unavoidable ones)
and each subpopulation's rate in ``response_window_ms`` after the cue, after the shock's onset
(trials with a shock) and after reaching safety (avoided or escaped trials), with the rate in
the second before the trial as baseline and the rate in the window before the shock (the level
the shock starts from: the end of the cue on a failed avoidance); and the mean weights of the
learned paths at the trial's start. The dopamine concentration of every region is kept in bins
of ``dopamine_bin_ms`` for the photometry read-out (:mod:`dopaspike.analysis.photometry`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator

from ..analysis.photometry import SENSORS
from ..analysis.stats import mannwhitney_greater_p
from ..circuits.aversive_dopamine import AversiveCircuitConfig, add_aversive_circuit
from ..circuits.avoidance_agent import AvoidanceAgentConfig, add_avoidance_agent, choose
from ..config import ExperimentConfig
from ..core import rng as rngmod
from ..core.network import Network
from ..core.record import DopamineRecorder
from ..tasks.avoidance import SHUTTLE, ShuttleBox, ShuttleBoxConfig
from .base import Check, Results

#: Fields of the circuit and the agent that an experiment's configuration carries (documented
#: once, on the circuits' page).
CIRCUIT_FIELDS = tuple(AversiveCircuitConfig.model_fields)
AGENT_FIELDS = tuple(AvoidanceAgentConfig.model_fields)
BASELINE_MS = 1000.0
#: The session forgets dopamine-neuron spikes no window can need once it holds more than this many.
TRIM_SPIKES = 100_000
#: The learned paths whose mean weight is kept per trial (projection name after the prefix).
PATHS = {"w_threat": "cue_CS->threat", "w_gaba": "cue_CS->gaba", "w_itc": "cue_CS->itc",
         "w_cue_shuttle": "cue_CS->shuttle", "w_escape": "lh->shuttle", "w_flight": "threat->shuttle_learned",
         "w_relief": "relief_chain->relief_strio"}
#: The same for the context group, where there is one.
CONTEXT_PATHS = {"w_context_threat": "cue_context->threat", "w_context_gaba": "cue_context->gaba",
                 "w_context_itc": "cue_context->itc", "w_context_shuttle": "cue_context->shuttle"}


class AvoidanceConfig(AversiveCircuitConfig, AvoidanceAgentConfig, ExperimentConfig):
    """The circuit's and the agent's fields, the box's timing and the cohort."""

    n_individuals: int = Field(8, ge=1, le=1000, description="individuals per condition (the cohort)")
    trials_per_session: int = Field(20, ge=1, le=10_000, description="trials per session")
    step_ms: int = Field(50, ge=1, le=1000, description="decision interval of the agents")
    cue_ms: int = Field(5000, ge=50, le=60_000, description="warning cue (Lopez et al. 2025: 5 s)")
    shock_max_ms: int = Field(10_000, ge=50, le=600_000, description="longest escapable shock")
    fixed_shock_ms: int = Field(2000, ge=50, le=600_000, description="shock of unavoidable and inescapable trials")
    iti_min_ms: int = Field(10_000, ge=50, le=600_000, description="shortest inter-trial interval")
    iti_max_ms: int = Field(20_000, ge=50, le=600_000, description="longest inter-trial interval")
    response_window_ms: float = Field(500.0, gt=0, le=5000, description="window after an event in which a response is counted")
    dopamine_bin_ms: float = Field(10.0, ge=1, le=1000, description="bin of the recorded dopamine concentration")
    sensor: str = Field("dlight1.1", description="photometry sensor of the figures: " + ", ".join(SENSORS))
    context_pa: float = Field(0.0, ge=0, le=1000,
                              description="input to a context group (the box itself) for the whole run; 0: no context group")

    @model_validator(mode="after")
    def _box(self):
        self.box(("avoidable",))  # the box's own checks (multiples of step_ms, ITI order)
        if self.sensor not in SENSORS:
            raise ValueError(f"sensor={self.sensor!r} must be one of {', '.join(SENSORS)}")
        return self

    def box(self, sessions: tuple[str, ...]) -> ShuttleBoxConfig:
        """The shuttle box with this config's timing and the given sessions."""
        return ShuttleBoxConfig(step_ms=self.step_ms, cue_ms=self.cue_ms, shock_max_ms=self.shock_max_ms,
                                fixed_shock_ms=self.fixed_shock_ms, iti_min_ms=self.iti_min_ms, iti_max_ms=self.iti_max_ms,
                                trials_per_session=self.trials_per_session, sessions=tuple(sessions))

    def circuit(self, **changes) -> AversiveCircuitConfig:
        return AversiveCircuitConfig(**({k: getattr(self, k) for k in CIRCUIT_FIELDS} | changes))

    def agent(self, **changes) -> AvoidanceAgentConfig:
        return AvoidanceAgentConfig(**({k: getattr(self, k) for k in AGENT_FIELDS} | changes))


@dataclass(frozen=True)
class AvoidanceIndividual:
    """One individual: its condition label, its box's sessions, its circuit and its agent."""

    label: str
    sessions: tuple[str, ...]
    circuit: AversiveCircuitConfig
    agent: AvoidanceAgentConfig
    #: Drive the safety group also when a shock the agent could not end stops on its own, with
    #: this scale of its pulse (0: not at all). Relief at the end of a shock is rewarding and
    #: releases accumbens dopamine (Navratilova et al. 2012, PNAS 109:20709); VTA dopamine
    #: responses at shock end fade with uncontrollable shock and restoring them rescues escape
    #: (Wu et al. 2021, eLife 10:e64041).
    shock_end_relief: float = 0.0


class AvoidanceSession:
    """Individuals, one network, their boxes and the measures (picklable)."""

    def __init__(self, cfg: AvoidanceConfig, seed: int, individuals: list[AvoidanceIndividual],
                 summarise: Callable[[dict, AvoidanceConfig], list[dict]] | None = None):
        """``summarise(trial_table, cfg)``: the experiment's per-individual summary, kept as the
        ``individuals`` metric (a module-level function, so that the session pickles)."""
        self.cfg, self.seed, self.individuals, self.summarise = cfg, seed, individuals, summarise
        net = Network(dt_ms=1.0)
        self.cues = ("CS", "context") if cfg.context_pa > 0 else ("CS",)
        self.circuits, self.agents, self.boxes = [], [], []
        for k, ind in enumerate(individuals):
            circ = add_aversive_circuit(net, ind.circuit, cues=self.cues, prefix=f"i{k}_",
                                        seed=rngmod.derive_seed(seed, f"circuit{k}"))
            self.circuits.append(circ)
            self.agents.append(add_avoidance_agent(net, ind.agent, circ, seed=rngmod.derive_seed(seed, f"agent{k}")))
            box = ShuttleBox(cfg.box(ind.sessions))
            box.reset(seed=rngmod.derive_seed(seed, f"box{k}"))
            self.boxes.append(box)
        self.net = net
        self.sim = sim = net.build(seed)
        if "context" in self.cues:  # the box's context is there from the start to the end
            for circ in self.circuits:
                sim.set_bias(circ.pop("cue_context"), cfg.context_pa)
        # spike read-out: one group index per (individual, role)
        self.roles = ("da_core", "da_shell", "shuttle", "freeze")
        n = sum(p.n for p in net.populations)
        self._group = np.full(n, -1, np.int64)
        self._size = np.zeros((len(individuals), len(self.roles)), np.int64)  # neurons per (individual, role)
        ids = []
        for k, (circ, agent) in enumerate(zip(self.circuits, self.agents)):
            for j, role in enumerate(self.roles):
                pop = net.population(circ.pop(role) if role.startswith("da_") else agent.pop(role))
                self._group[pop.ids] = k * len(self.roles) + j
                self._size[k, j] = pop.n
                ids.append(pop.ids)
        sim.record_spikes_of(np.concatenate(ids))
        self.step_ms = cfg.step_ms
        self._step_counts = np.zeros(len(individuals) * len(self.roles), np.int64)
        # the last decision windows' step counts, per individual and role (a ring of steps)
        self._n_window = max(1, min(a.config.decision_window_ms for a in self.agents) // cfg.step_ms)
        self._ring = np.zeros((self._n_window, len(individuals), len(self.roles)), np.int64)
        self._ring_at = 0
        # spike history of the DA groups, for the per-trial windows (kept only as long as needed)
        self._da_steps: list[np.ndarray] = []
        self._da_groups: list[np.ndarray] = []
        self.dopamine = DopamineRecorder(sim, bin_ms=cfg.dopamine_bin_ms)
        paths = PATHS | (CONTEXT_PATHS if "context" in self.cues else {})
        self.syn = [{name: sim.synapse_ids(f"{c.prefix}{path}") for name, path in paths.items()} for c in self.circuits]
        self.done = [False] * len(individuals)
        self.rows: list[dict] = []
        self.pending: list[dict] = []  # trials whose response windows are still open
        self.events: list[tuple[int, int, str]] = []  # (individual, t_ms, kind) of every box event
        self._cue_is_on = [False] * len(individuals)
        self._shock_end = [False] * len(individuals)  # a shock ended in this step without an escape
        self._cue_shuttles = [0] * len(individuals)  # crossings during the current trial's cue
        self._open_start: list[float | None] = [None] * len(individuals)  # start of a trial in progress
        self._trial_w = [self._weights(k) for k in range(len(individuals))]
        sim.add_listener(self._on_chunk, stop_at=self._stop_at)
        self._t = 0
        self.end_ms = float(self._horizon())
        self.chunk_ms = float(cfg.step_ms)
        self.wall_s = 0.0

    def _horizon(self) -> int:
        """A model time by which every box has surely ended (each trial at its longest)."""
        cfg = self.cfg
        longest = cfg.cue_ms + max(cfg.shock_max_ms, cfg.fixed_shock_ms) + cfg.iti_max_ms
        return max(box.config.n_trials for box in self.boxes) * longest + cfg.iti_max_ms + 2 * cfg.step_ms

    def _weights(self, k: int) -> dict[str, float]:
        return {name: float(self.sim.weights(ids)[0].mean()) if ids.size else float("nan")
                for name, ids in self.syn[k].items()}

    # -- closed loop -------------------------------------------------------------------------
    def _stop_at(self, step: int):
        if all(self.done):
            return None
        return (step // self.step_ms + 1) * self.step_ms

    def _on_chunk(self, res) -> None:
        g = self._group[res.spike_ids]
        self._step_counts += np.bincount(g[g >= 0], minlength=self._step_counts.size)
        da = (g >= 0) & (g % len(self.roles) < 2)
        self._da_steps.append(res.spike_steps[da])
        self._da_groups.append(g[da])
        now = res.step0 + res.n_steps
        if now % self.step_ms or all(self.done):
            return
        self._ring[self._ring_at % self._n_window] = self._step_counts.reshape(len(self.individuals), len(self.roles))
        self._ring_at += 1
        window_s = min(self._ring_at, self._n_window) * self.step_ms / 1000.0
        counts = self._ring.sum(axis=0)
        for k, (box, circ, agent) in enumerate(zip(self.boxes, self.circuits, self.agents)):
            if self.done[k]:
                continue
            action = choose(counts[k, 2] / (self._size[k, 2] * window_s), counts[k, 3] / (self._size[k, 3] * window_s),
                            agent.config)
            _, _, terminated, _, info = box.step(action)
            if action == SHUTTLE:  # the crossing is made: the accumulators start again
                self._ring[:, k] = 0
            for ev in info["events"]:
                self._apply(k, circ, ev.t_ms, ev.kind)
            if info["trial"] is not None:
                self._finish_trial(k, info["trial"])
            self.done[k] = bool(terminated)
        self._step_counts[:] = 0
        self._measure(now)
        if all(self.done):
            self.end_ms = float(now + BASELINE_MS)

    def _apply(self, k: int, circ, t_ms: int, kind: str) -> None:
        sim, cfg = self.sim, circ.config
        self.events.append((k, int(t_ms), kind))
        if kind == "trial_start":
            self._open_start[k] = float(t_ms)
        if kind == "shuttle" and self._cue_is_on[k]:
            self._cue_shuttles[k] += 1
        if kind == "cue_on":
            self._cue_is_on[k], self._cue_shuttles[k] = True, 0
            sim.set_bias(circ.pop("cue_CS"), cfg.cue_pulse_pa, at_ms=t_ms)
            sim.set_bias(circ.pop("cue_CS"), cfg.cue_sustained_pa, at_ms=t_ms + cfg.cue_pulse_ms)
        elif kind == "cue_off":
            self._cue_is_on[k] = False
            sim.set_bias(circ.pop("cue_CS"), 0.0, at_ms=t_ms)
        elif kind == "shock_on":
            circ.start_shock(sim, t_ms)
        elif kind == "shock_off":
            circ.end_shock(sim, t_ms)
            self._shock_end[k] = True
        elif kind in ("avoidance", "escape"):
            circ.schedule_safety(sim, t_ms)
            self._shock_end[k] = False  # an escape: the safety is its own
        elif kind == "trial_end":
            self._open_start[k] = None
            if self._shock_end[k] and self.individuals[k].shock_end_relief > 0:
                circ.schedule_safety(sim, t_ms, self.individuals[k].shock_end_relief)
            self._shock_end[k] = False

    def _finish_trial(self, k: int, rec) -> None:
        row = {"individual": k, "condition": self.individuals[k].label, "trial": rec.index, "session": rec.session,
               "kind": rec.kind, "outcome": rec.outcome, "start_ms": rec.start_ms, "stop_ms": rec.stop_ms,
               "cue_on_ms": rec.cue_on_ms, "shock_on_ms": rec.shock_on_ms, "shock_off_ms": rec.shock_off_ms,
               "latency_ms": rec.latency_ms, "shock_ms": rec.shock_ms, "freeze_fraction": rec.freeze_fraction,
               "iti_shuttles": rec.iti_shuttles, "cue_shuttles": self._cue_shuttles[k] if np.isfinite(rec.cue_on_ms) else 0,
               "safety_ms": float(rec.stop_ms) if rec.outcome in ("avoided", "escaped") else float("nan"),
               **self._trial_w[k]}
        self._trial_w[k] = self._weights(k)
        self.pending.append(row)

    def _measure(self, now: int) -> None:
        """Response rates of the trials whose windows have all closed by ``now``."""
        if not self.pending:
            self._trim(now)
            return
        w = self.cfg.response_window_ms
        steps, groups = np.concatenate(self._da_steps), np.concatenate(self._da_groups)
        self._da_steps, self._da_groups = [steps], [groups]
        still = []
        for row in self.pending:
            if row["stop_ms"] + w > now:
                still.append(row)
                continue
            k = row["individual"]
            for j, region in enumerate(("core", "shell")):
                mine = steps[groups == k * len(self.roles) + j]
                n = self._size[k, j]

                def rate(t, lo, hi, mine=mine, n=n):
                    if not np.isfinite(t):
                        return float("nan")
                    return float(np.count_nonzero((mine >= t + lo) & (mine < t + hi)) * 1000.0 / (n * (hi - lo)))

                row[f"{region}_baseline_hz"] = rate(float(row["start_ms"]), -BASELINE_MS, 0.0)
                row[f"{region}_cue_hz"] = rate(row["cue_on_ms"], 0.0, w)
                # the shock's window ends where the shock does (an escape brings safety)
                shock_w = min(w, row["shock_off_ms"] - row["shock_on_ms"]) if np.isfinite(row["shock_on_ms"]) else w
                row[f"{region}_shock_hz"] = rate(row["shock_on_ms"], 0.0, shock_w) if shock_w >= 50 else float("nan")
                # the level the shock starts from: the window before it (the end of the cue, if any)
                row[f"{region}_pre_shock_hz"] = rate(row["shock_on_ms"], -w, 0.0)
                row[f"{region}_safety_hz"] = rate(row["safety_ms"], 0.0, w)
                row[f"{region}_shock_end_hz"] = rate(row["shock_off_ms"], 0.0, w)
            self.rows.append(row)
        self.pending = still
        self._trim(now)

    def _trim(self, now: int) -> None:
        """Forget DA spikes no measured-later, running or future trial window can need (a trial's
        baseline is the second before its start, however long the trial lasts)."""
        starts = [r["start_ms"] for r in self.pending] + [t for t in self._open_start if t is not None]
        earliest = min(starts + [now]) - BASELINE_MS - 1
        if self._da_steps and sum(a.size for a in self._da_steps) > TRIM_SPIKES:
            steps, groups = np.concatenate(self._da_steps), np.concatenate(self._da_groups)
            keep = steps >= earliest
            self._da_steps, self._da_groups = [steps[keep]], [groups[keep]]

    # -- results ---------------------------------------------------------------------------
    def trial_table(self) -> dict[str, np.ndarray]:
        """One row per measured trial per individual, sorted by individual then trial."""
        rows = sorted(self.rows, key=lambda r: (r["individual"], r["trial"]))
        if not rows:
            return {}
        out = {}
        for name in rows[0]:
            vals = [r[name] for r in rows]
            if isinstance(vals[0], str):
                out[name] = np.array(vals, dtype=str)
            elif name in ("individual", "trial", "session", "iti_shuttles", "cue_shuttles"):
                out[name] = np.array(vals, np.int64)
            else:
                out[name] = np.array(vals, float)
        return out

    def base_data(self) -> tuple[dict, dict]:
        data = {f"trials/{k}": v for k, v in self.trial_table().items()}
        data["dopamine/t_ms"] = self.dopamine.t_ms
        data["dopamine/conc"] = self.dopamine.conc
        data["dopamine/regions"] = np.array(self.dopamine.names, dtype=str)
        ev = np.array(self.events, dtype=object).reshape(-1, 3)
        data["events/individual"] = ev[:, 0].astype(np.int64)
        data["events/t_ms"] = ev[:, 1].astype(float)
        data["events/kind"] = ev[:, 2].astype(str)
        return data, {"trials": "trials", "dopamine": "dopamine", "events": "events"}

    def metrics_base(self) -> dict:
        return {"model_s": self.sim.t_ms / 1000.0, "n_individuals": len(self.individuals),
                "wall_s_per_model_s": self.wall_s / max(self.sim.t_ms / 1000.0, 1e-9)}

    def results(self, status: str) -> Results:
        data, kinds = self.base_data()
        metrics = self.metrics_base()
        if self.summarise is not None:
            tab = {k[len("trials/"):]: v for k, v in data.items() if k.startswith("trials/")}
            metrics["individuals"] = self.summarise(tab, self.cfg)
        return Results(metrics=metrics, data=data, config=self.cfg, seed=self.seed, status=status, kinds=kinds)


def greater_check(a, b, name_a: str, name_b: str, expected: str, alpha: float = 0.05) -> Check:
    """A check that cohort ``a``'s values tend to exceed cohort ``b``'s (individuals as the units;
    one-sided Mann-Whitney U p < ``alpha``), with both samples as its value under ``name_a`` and
    ``name_b``."""
    p = mannwhitney_greater_p(a, b)
    return Check(bool(p < alpha), {name_a: list(a), name_b: list(b), "mannwhitney_p": p},
                 f"{expected} (one-sided Mann-Whitney p < {alpha:g})")
