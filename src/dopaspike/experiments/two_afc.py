"""Individual learning trajectories in a 2-alternative visual decision task (Liebana et al. 2025).

Liebana S, Laffere A, Toschi C, ..., Saxe A, Lak A (2025) Dopamine encodes deep network teaching
signals for individual learning trajectories. Cell 188:3789-3805. Mice learning the task
(:class:`~dopaspike.tasks.two_afc.TwoAFC`) over weeks pass through strategies that last several
sessions: typically one side learned while the other stays at or below chance, then both; which
side comes first differs between mice, and each mouse's early strategy predicts its later one. A
deep network whose dopamine teaching signals are heterogeneous, each updating a subset of the
association weights, captured this; its fixed points explained the plateaus.

Each individual here is a learner of :mod:`dopaspike.models.two_afc_rate` (the rate version,
default) facing its own copy of the task, over ``n_sessions`` sessions of ``trials_per_session``
trials. ``conditions``:

* ``heterogeneous``: deep network, each side's dopamine subpopulation with its own gain, drawn
  per individual (log-normal, ``gain_sd``; ``gain_spread``: each side on its own, or balanced
  around a geometric mean of 1);
* ``uniform``: the same network and the same initial weights, one homogeneous teaching signal
  (every gain 1);
* ``shallow``: no hidden layer, heterogeneous teaching (the control without saddles: Saxe,
  McClelland & Ganguli 2014 show learning plateaus in deep, not in shallow, networks).

Individual ``k`` starts from the same initial weights, bias and task, and draws its choices from
the same random numbers, in every condition (a paired design); only the teaching (and, for
``shallow``, the architecture) differs.

What is measured (every number in ``metrics.json``; the analysis of sessions is
:mod:`dopaspike.analysis.strategy`, the same one ``dopaspike compare two-afc`` applies to mice):

* per condition, the cohort summary: fraction of individuals with a one-sided session and with a
  one-sided phase of at least ``min_phase_sessions`` sessions, sessions to criterion, phase
  durations, the distinct strategy sequences, and the correlation of the early side asymmetry with
  the later one;
* an optogenetic probe: from each ``heterogeneous`` individual's state after session
  ``probe_session``, ``probe_trials`` trials on which only the optogenetic stimulation of one
  dopamine subpopulation at the choice teaches (``opto_amount``), against the same number of
  ordinary rewarded trials; the change of each subpopulation's weights and of the accuracy on
  each side (relative to a probe in which nothing teaches, so the weight decay cancels);
* the fixed points of the mean-field learning dynamics of the first
  ``fixed_point_individuals`` ``heterogeneous`` individuals with a long one-sided phase
  (:mod:`dopaspike.analysis.fixed_points`), started from their states at the end of each
  session; and the distance to the nearest fixed point and the learning speed during one-sided
  plateaus against transitional sessions.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..analysis import fixed_points as fp
from ..analysis import strategy
from ..analysis.stats import sign_test_p
from ..circuits.two_afc_network import TwoAFCNetworkConfig
from ..config import ExperimentConfig
from ..core import rng as rngmod
from ..models.two_afc_rate import RateCohort, RateLearnerConfig, RateParameters, draw_gains
from ..tasks.two_afc import TwoAFC, TwoAFCConfig
from .base import Check, Experiment, Results, register
from .two_afc_spiking import SpikingTwoAFCSession

CITATION = ("Liebana S et al. (2025) Dopamine encodes deep network teaching signals for individual learning "
            "trajectories. Cell 188:3789-3805")

CONDITIONS = ("heterogeneous", "uniform", "shallow")
#: (depth, teaching) of each condition.
CONDITION_MODEL = {"heterogeneous": ("deep", "heterogeneous"), "uniform": ("deep", "uniform"),
                   "shallow": ("shallow", "heterogeneous")}
#: Progress of the run: each trial counts as this much model time (a rate model has no time of its own).
TRIAL_MS = 1000.0
ALPHA = 0.05
#: Fraction of a cohort that counts as "most individuals".
MOST = 0.5
#: A state lies *near* a fixed point when their distance is at most this fraction of the state's norm.
#: Set after the first measurements with it (docs/experiments/two-afc.md): the one-sided sessions
#: that sit at a fixed point measured 0.02-0.23, those that only pass it by 0.3 and more.
NEAR_RELATIVE_DISTANCE = 0.25


#: Fields of the spiking network (documented on its page, docs/circuits/two-afc-network.md).
NETWORK_FIELDS = tuple(TwoAFCNetworkConfig.model_fields)
#: Fields of the rate learners that the spiking network does not read (it draws its gains with
#: ``gain_sd`` and ``gain_spread`` too).
RATE_ONLY_FIELDS = tuple(f for f in RateParameters.model_fields if f not in ("gain_sd", "gain_spread"))


class TwoAFCExperimentConfig(RateParameters, TwoAFCNetworkConfig, ExperimentConfig):
    """The learners (rate, or the spiking network's fields), the cohort, the task and the probes."""

    model: Literal["rate", "spiking"] = Field(
        "rate", description="rate: the rate learners (all measures); spiking: the spiking network (strategies only)")
    conditions: tuple[Literal[CONDITIONS], ...] = Field(CONDITIONS, min_length=1,
                                                        description="groups to run: " + ", ".join(CONDITIONS))
    n_individuals: int = Field(32, ge=1, le=10_000, description="individuals per condition")
    contrasts: tuple[float, ...] = Field((0.5, 0.25), min_length=1, description="non-zero contrasts (either side)")
    zero_contrast: bool = Field(True, description="include zero-contrast trials")
    n_sessions: int = Field(40, ge=2, le=500, description="training sessions per individual")
    trials_per_session: int = Field(200, ge=20, le=5000, description="trials per session")
    min_phase_sessions: int = Field(3, ge=1, le=100,
                                    description="sessions a one-sided phase must last to count as a long one-sided phase")
    probe_session: int = Field(5, ge=1, le=500, description="session after which the optogenetic probe starts")
    probe_trials: int = Field(100, ge=1, le=10_000, description="trials of each arm of the optogenetic probe")
    opto_amount: float = Field(1.0, gt=0, le=100, description="dopamine added by the optogenetic stimulation at a choice")
    fixed_point_individuals: int = Field(4, ge=0, le=100,
                                         description="heterogeneous individuals whose fixed points are analysed")

    @model_validator(mode="after")
    def _consistent(self):
        if self.model == "spiking" and "shallow" in self.conditions:
            raise ValueError("conditions: the spiking network has no shallow variant; use heterogeneous and/or uniform")
        # a field of the other model would be silently ignored: refuse it, naming the field
        unused = RATE_ONLY_FIELDS if self.model == "spiking" else NETWORK_FIELDS
        other = "rate" if self.model == "spiking" else "spiking"
        for name in (n for n in unused if n in self.model_fields_set):  # in field order: the same message every run
            value, default = getattr(self, name), type(self).model_fields[name].default
            if value != default:
                raise ValueError(f"{name}={value!r} is a field of the {other} model, which model={self.model!r} does not "
                                 f"use: leave it at its default ({default!r}) or set model={other}")
        TwoAFCConfig(contrasts=self.contrasts, zero_contrast=self.zero_contrast, n_sessions=self.n_sessions,
                     trials_per_session=self.trials_per_session)  # the task's own checks
        if self.probe_session > self.n_sessions:
            raise ValueError(f"probe_session={self.probe_session} must be <= n_sessions={self.n_sessions}")
        if self.min_phase_sessions > self.n_sessions:
            raise ValueError(f"min_phase_sessions={self.min_phase_sessions} must be <= n_sessions={self.n_sessions}")
        return self

    @property
    def n_trials(self) -> int:
        return self.n_sessions * self.trials_per_session

    @property
    def duration_s(self) -> float:
        """Model time of the run: spiking, the trials' own time; rate, :data:`TRIAL_MS` per trial
        (a rate model has no time of its own), for the progress bar."""
        if self.model == "spiking":
            return (self.hold_ms + self.n_trials * (self.hold_ms + self.iti_max_ms) + self.iti_max_ms) / 1000.0
        return self.n_trials * TRIAL_MS / 1000.0

    def network(self) -> TwoAFCNetworkConfig:
        return TwoAFCNetworkConfig(**{k: getattr(self, k) for k in NETWORK_FIELDS})

    def task(self) -> TwoAFCConfig:
        return TwoAFCConfig(contrasts=self.contrasts, zero_contrast=self.zero_contrast, n_sessions=self.n_sessions,
                            trials_per_session=self.trials_per_session)

    def learner(self, condition: str) -> RateLearnerConfig:
        depth, teaching = CONDITION_MODEL[condition]
        return RateLearnerConfig(**{k: getattr(self, k) for k in RateParameters.model_fields}, depth=depth,
                                 teaching=teaching)


def quick_config() -> TwoAFCExperimentConfig:
    """Eight individuals per condition, 16 sessions of 200 trials; two individuals' fixed points."""
    return TwoAFCExperimentConfig(n_individuals=8, n_sessions=16, probe_session=4, fixed_point_individuals=2)


class TrialClock:
    """The runner's view of a rate session: model time advances :data:`TRIAL_MS` per trial."""

    def __init__(self, session: RateTwoAFCSession):
        self.session = session
        self.t_ms = 0.0

    def run(self, duration_ms: float, chunk_ms: float | None = None, progress=None) -> None:
        chunk_ms = chunk_ms or duration_ms
        end = self.t_ms + duration_ms
        while self.t_ms < end - 1e-9:
            n = max(1, int(round(min(chunk_ms, end - self.t_ms) / TRIAL_MS)))
            for _ in range(n):
                if self.session.trial >= self.session.cfg.n_trials:
                    break
                self.session.step()
            self.t_ms = self.session.trial * TRIAL_MS
            if progress is not None:
                progress(self.t_ms)
            if self.session.trial >= self.session.cfg.n_trials:
                break


class RateTwoAFCSession:
    """Every condition's cohort of rate learners and their tasks, stepped trial by trial (picklable)."""

    def __init__(self, cfg: TwoAFCExperimentConfig, seed: int = 0):
        self.cfg, self.seed = cfg, seed
        n, task_cfg = cfg.n_individuals, cfg.task()
        self.cohorts: dict[str, RateCohort] = {}
        self.tasks: dict[str, list[TwoAFC]] = {}
        self.choice_rng: dict[str, list[np.random.Generator]] = {}
        for cond in cfg.conditions:
            # individual k draws the same initial state, faces the same task and draws its choices from
            # the same numbers in every condition (common random numbers: a paired comparison)
            self.cohorts[cond] = RateCohort.create(cfg.learner(cond), [rngmod.stream(seed, f"individual{k}") for k in range(n)])
            tasks = [TwoAFC(task_cfg) for _ in range(n)]
            for k, t in enumerate(tasks):
                t.reset(seed=rngmod.derive_seed(seed, f"task{k}"))
            self.tasks[cond] = tasks
            self.choice_rng[cond] = [rngmod.stream(seed, f"choice{k}") for k in range(n)]
        T = cfg.n_trials
        self.record = {cond: {"signed_contrast": np.zeros((n, T), np.float32), "choice_right": np.zeros((n, T), np.int8),
                              "reward": np.zeros((n, T), np.int8), "p_right": np.zeros((n, T), np.float32)}
                       for cond in cfg.conditions}
        self.snapshots = {cond: [np.stack([c.params(k) for k in range(n)])] for cond, c in self.cohorts.items()}
        self.associations = {cond: [c.association()] for cond, c in self.cohorts.items()}
        self.probe_state: RateCohort | None = None
        self.trial = 0
        self.sim = TrialClock(self)
        self.end_ms = T * TRIAL_MS
        self.chunk_ms = 200 * TRIAL_MS
        self.wall_s = 0.0

    def step(self) -> None:
        """One trial for every individual of every condition."""
        t, cfg = self.trial, self.cfg
        for cond, coh in self.cohorts.items():
            tasks, rngs, rec = self.tasks[cond], self.choice_rng[cond], self.record[cond]
            s = np.array([task.signed_contrast for task in tasks])
            p = coh.p_right(s)
            a = np.array([int(g.random() < pk) for g, pk in zip(rngs, p)])
            r = np.array([task.step(int(ak))[1] for task, ak in zip(tasks, a)])
            coh.learn(s, a, r)
            rec["signed_contrast"][:, t], rec["choice_right"][:, t] = s, a
            rec["reward"][:, t], rec["p_right"][:, t] = r, p
        self.trial += 1
        if self.trial % cfg.trials_per_session == 0:
            for cond, coh in self.cohorts.items():
                self.snapshots[cond].append(np.stack([coh.params(k) for k in range(coh.n)]))
                self.associations[cond].append(coh.association())
            if self.trial // cfg.trials_per_session == cfg.probe_session and "heterogeneous" in self.cohorts:
                self.probe_state = self.cohorts["heterogeneous"].copy()

    # -- results ---------------------------------------------------------------------------------
    def trial_table(self) -> dict[str, np.ndarray]:
        """Same-length columns, one row per trial run, by condition, individual and trial."""
        cfg, done = self.cfg, self.trial
        cols: dict[str, list] = {k: [] for k in ("condition", "individual", "session", "trial", "signed_contrast",
                                                 "choice_right", "reward", "p_right")}
        trial = np.arange(done)
        for cond in cfg.conditions:
            rec = self.record[cond]
            for k in range(cfg.n_individuals):
                cols["condition"].append(np.full(done, cond))
                cols["individual"].append(np.full(done, k, np.int32))
                cols["session"].append((trial // cfg.trials_per_session + 1).astype(np.int16))
                cols["trial"].append(trial.astype(np.int32))
                for name in ("signed_contrast", "choice_right", "reward", "p_right"):
                    cols[name].append(rec[name][k, :done])
        return {k: np.concatenate(v) if v else np.zeros(0) for k, v in cols.items()}

    def results(self, status: str) -> Results:
        cfg = self.cfg
        tab = self.trial_table()
        data = {f"trials/{k}": (v.astype(str) if k == "condition" else v) for k, v in tab.items()}
        for cond in cfg.conditions:
            data[f"learner_{cond}/params"] = np.stack(self.snapshots[cond], axis=1)  # (n, sessions + 1, P)
            data[f"learner_{cond}/association"] = np.stack(self.associations[cond], axis=1)  # (n, sessions + 1, 2)
            data[f"learner_{cond}/gains"] = self.cohorts[cond].gains
        kinds = {"trials": "trials"}
        metrics: dict = {"n_trials_run": self.trial, "n_sessions_run": self.trial // cfg.trials_per_session,
                         "wall_s_per_model_s": self.wall_s / max(self.sim.t_ms / 1000.0, 1e-9), "conditions": {}}
        table = _frame(tab)
        full_sessions = self.trial // cfg.trials_per_session
        table = table[table["session"] <= full_sessions] if full_sessions >= 1 else table.iloc[0:0]
        analyses = {}
        for cond in cfg.conditions:
            sub = table[table["condition"] == cond]
            if sub.empty:
                continue
            an = strategy.analyse(sub.assign(individual=sub["individual"].astype(str).str.zfill(4)))
            analyses[cond] = an
            metrics["conditions"][cond] = _condition_metrics(an, cfg)
            if cfg.learner(cond).teaching == "heterogeneous":
                metrics["conditions"][cond]["stronger_teacher_side_first"] = _stronger_teacher_first(
                    an, self.cohorts[cond].gains)
        if self.probe_state is not None:
            metrics["opto_probe"] = opto_probe(self.probe_state, cfg, self.seed)
        if "heterogeneous" in analyses and cfg.fixed_point_individuals > 0 and full_sessions >= 2:
            metrics["fixed_points"] = fixed_point_analysis(self.cohorts["heterogeneous"],
                                                           np.stack(self.snapshots["heterogeneous"], axis=1),
                                                           analyses["heterogeneous"], cfg)
        return Results(metrics=metrics, data=data, config=cfg, seed=self.seed, status=status, kinds=kinds)


class SpikingTwoAFCRun(SpikingTwoAFCSession):
    """The spiking network (:mod:`dopaspike.circuits.two_afc_network`): every condition's
    individuals in one network. Individual ``k`` of ``heterogeneous`` draws its two dopamine gains
    (log-normal, ``gain_sd`` and ``gain_spread``; :func:`~dopaspike.models.two_afc_rate.draw_gains`)
    from its own stream; ``uniform`` individuals have gains 1."""

    def __init__(self, cfg: TwoAFCExperimentConfig, seed: int = 0):
        individuals = []
        for cond in cfg.conditions:
            for k in range(cfg.n_individuals):
                g = draw_gains(rngmod.stream(seed, f"gains{k}"), cfg.gain_sd, cfg.gain_spread)
                individuals.append((cond, tuple(g) if cond == "heterogeneous" else (1.0, 1.0)))
        self.experiment_config = cfg
        super().__init__(cfg.network(), seed, individuals, cfg.task())

    def results(self, status: str) -> Results:
        cfg = self.experiment_config
        tab = self.trial_table()
        if tab:
            tab["individual"] = (tab["individual"] % cfg.n_individuals).astype(np.int32)
        data = {f"trials/{k}": v for k, v in tab.items()}
        metrics: dict = {"model": "spiking", "n_trials_run": int(tab["trial"].max() + 1) if tab else 0,
                         "wall_s_per_model_s": self.wall_s / max(self.sim.t_ms / 1000.0, 1e-9),
                         "wall_s_per_trial_per_individual": self.wall_s_per_trial, "conditions": {}}
        if tab:
            table = _frame(tab)
            # sessions every individual has finished (an interrupted run stops inside one)
            done = table.groupby(["condition", "individual", "session"]).size() >= cfg.trials_per_session
            full = int(done.groupby(["condition", "individual"]).sum().min())
            metrics["n_sessions_run"] = full
            table = table[table["session"] <= full]
            for cond in cfg.conditions:
                sub = table[table["condition"] == cond]
                if sub.empty:
                    continue
                an = strategy.analyse(sub.assign(individual=sub["individual"].astype(str).str.zfill(4)))
                metrics["conditions"][cond] = _condition_metrics(an, cfg)
        else:
            metrics["n_sessions_run"] = 0
        return Results(metrics=metrics, data=data, config=cfg, seed=self.seed, status=status, kinds={"trials": "trials"})


def start(cfg: TwoAFCExperimentConfig, seed: int = 0):
    """The session of ``cfg.model``."""
    return SpikingTwoAFCRun(cfg, seed) if cfg.model == "spiking" else RateTwoAFCSession(cfg, seed)


def _frame(tab: dict):
    import pandas as pd

    return pd.DataFrame({k: v for k, v in tab.items()})


def _sequence(labels: list[str]) -> str:
    """A strategy sequence: the labels of the phases in order, transitional (``other``) phases
    left out, e.g. ``"right_only>both"``."""
    out: list[str] = []
    for lab in labels:
        if lab != "other" and (not out or out[-1] != lab):
            out.append(lab)
    return ">".join(out) if out else "other"


def _stronger_teacher_first(an, gains: np.ndarray) -> dict:
    """Across individuals with a one-sided session: is the side of their first one-sided session the
    side of their stronger dopamine subpopulation? Agreement and exact two-sided binomial p."""
    from scipy.stats import binomtest

    ind = an.individuals
    rows = ind[ind["first_one_sided_side"] != ""]
    k_idx = rows["individual"].astype(int).to_numpy()
    stronger = np.where(gains[k_idx, 1] > gains[k_idx, 0], "right", "left")
    agree = int(np.sum(stronger == rows["first_one_sided_side"].to_numpy()))
    n = int(rows.shape[0])
    return {"n": n, "n_agree": agree, "agreement": agree / n if n else float("nan"),
            "p": float(binomtest(agree, n, 0.5).pvalue) if n else float("nan")}


def _condition_metrics(an, cfg: TwoAFCExperimentConfig) -> dict:
    ind, ses = an.individuals, an.sessions
    longest = ind["longest_one_sided"].to_numpy(int)
    seqs = [_sequence(g.sort_values("session")["label"].tolist()) for _, g in ses.groupby("individual")]
    first = ses[ses["session"] == ses["session"].min()]
    last = ses[ses["session"] == ses["session"].max()]
    mean_acc = lambda d: ((d["accuracy_left"] + d["accuracy_right"]) / 2).to_numpy(float)  # noqa: E731
    return {
        "summary": an.summary,
        "long_one_sided": int(np.sum(longest >= cfg.min_phase_sessions)),
        "fraction_long_one_sided": float(np.mean(longest >= cfg.min_phase_sessions)),
        "longest_one_sided": longest.tolist(),
        "sequences": seqs,
        "accuracy_first_session": mean_acc(first).tolist(),
        "accuracy_last_session": mean_acc(last).tolist(),
    }


def opto_probe(state: RateCohort, cfg: TwoAFCExperimentConfig, seed: int) -> dict:
    """From ``state``, ``probe_trials`` trials of each arm: ``none`` (nothing teaches), ``opto_left`` and
    ``opto_right`` (only the stimulation of that subpopulation at the choice teaches), ``reward`` (the
    ordinary task). Each arm faces the same trials. Per arm and individual: the change of each
    subpopulation's weights beyond the ``none`` arm (Euclidean norm) and of the mean-field accuracy
    on each side."""
    levels = np.array(cfg.task().signed_contrasts)
    task_cfg = TwoAFCConfig(contrasts=cfg.contrasts, zero_contrast=cfg.zero_contrast, n_sessions=1,
                            trials_per_session=cfg.probe_trials)
    ends: dict[str, RateCohort] = {}
    for arm in ("none", "opto_left", "opto_right", "reward"):
        coh = state.copy()
        tasks = [TwoAFC(task_cfg) for _ in range(coh.n)]
        for k, t in enumerate(tasks):
            t.reset(seed=rngmod.derive_seed(seed, f"probe_task{k}"))
        rngs = [rngmod.stream(seed, f"probe_choice{k}") for k in range(coh.n)]
        for _ in range(cfg.probe_trials):
            s = np.array([t.signed_contrast for t in tasks])
            p = coh.p_right(s)
            a = np.array([int(g.random() < pk) for g, pk in zip(rngs, p)])
            r = np.array([t.step(int(ak))[1] for t, ak in zip(tasks, a)])
            opto = None
            if arm.startswith("opto"):
                opto = np.zeros((coh.n, 2))
                opto[:, 0 if arm == "opto_left" else 1] = cfg.opto_amount
            coh.learn(s, a, r, opto, from_reward=arm == "reward")
        ends[arm] = coh
    base_w = ends["none"].subset_weights()
    out: dict = {"levels": levels.tolist(), "arms": {}}
    acc0 = _accuracies(ends["none"], levels)
    for arm in ("opto_left", "opto_right", "reward"):
        w = ends[arm].subset_weights()
        acc = _accuracies(ends[arm], levels)
        out["arms"][arm] = {
            **{f"weight_change_{sub}": np.linalg.norm((w[sub] - base_w[sub]).reshape(state.n, -1), axis=1).tolist()
               for sub in ("left", "right", "shared")},
            "accuracy_change_left": (acc[:, 0] - acc0[:, 0]).tolist(),
            "accuracy_change_right": (acc[:, 1] - acc0[:, 1]).tolist(),
        }
    return out


def _association(one: RateCohort, theta: np.ndarray) -> np.ndarray:
    c = one.copy()
    c.set_params(0, theta)
    return c.association()[0]


def _accuracies(coh: RateCohort, levels: np.ndarray) -> np.ndarray:
    """(n, 2) mean P(correct) on left- and right-grating trials."""
    left = np.mean([1.0 - coh.p_right(np.full(coh.n, s)) for s in levels if s < 0], axis=0)
    right = np.mean([coh.p_right(np.full(coh.n, s)) for s in levels if s > 0], axis=0)
    return np.stack([left, right], axis=1)


def fixed_point_analysis(cohort: RateCohort, params: np.ndarray, an, cfg: TwoAFCExperimentConfig) -> dict:
    """Fixed points of the first ``fixed_point_individuals`` individuals with a long one-sided phase
    (else the first ones), from their end-of-session states; per session, the distance to the nearest
    fixed point (relative to the state's norm) and the learning speed; per individual, the median
    of each over its one-sided sessions and over its transitional (``other``) sessions; and the slow
    point (:func:`~dopaspike.analysis.fixed_points.find_slow_point`) reached from the middle of its
    longest one-sided phase."""
    levels = np.array(cfg.task().signed_contrasts)
    ind = an.individuals.copy()
    ind["k"] = ind["individual"].astype(int)
    chosen = ind.loc[ind["longest_one_sided"] >= cfg.min_phase_sessions, "k"].tolist()
    chosen = (chosen + [k for k in ind["k"] if k not in chosen])[:cfg.fixed_point_individuals]
    out = []
    for k in chosen:
        one = cohort.individual(k)
        states = params[k]  # (sessions + 1, P): before session 1, after each session
        points = fp.find_fixed_points(one, states, levels)
        labels = an.sessions[an.sessions["individual"].astype(int) == k].sort_values("session")["label"].tolist()
        dist, spd = [], []
        for j in range(1, states.shape[0]):  # the state at the end of session j
            dist.append(fp.relative_distance(one, points, states[j]))
            spd.append(fp.speed(one, states[j], levels))
        lab = np.array(labels[:len(dist)])
        one_sided = np.isin(lab, strategy.ONE_SIDED)
        other = lab == "other"
        med = lambda x, m: float(np.median(np.asarray(x)[m])) if m.any() else float("nan")  # noqa: E731
        # slow points from the middle of its longest one-sided phase
        slow = []
        runs = an.phases[(an.phases["individual"].astype(int) == k) & an.phases["label"].isin(strategy.ONE_SIDED)]
        if not runs.empty:
            run = runs.loc[runs["n_sessions"].idxmax()]
            mid = int(run["first_session"] + run["n_sessions"] // 2)
            sp = fp.find_slow_point(one, states[mid], levels)
            slow.append({"from_session": mid, "from_label": str(run["label"]), "label": sp.label, "speed": sp.speed,
                         "start_speed": sp.start_speed, "relative_distance": sp.relative_distance,
                         "accuracy_left": sp.accuracy_left, "accuracy_right": sp.accuracy_right,
                         "association": _association(one, sp.theta).tolist()})
        out.append({
            "individual": int(k), "gains": one.gains[0].tolist(), "labels": labels,
            "fixed_points": [{"label": f.label, "kind": f.kind, "n_unstable": f.n_unstable,
                              "association": _association(one, f.theta).tolist(),
                              "accuracy_left": f.accuracy_left, "accuracy_right": f.accuracy_right,
                              "residual": f.residual, "largest_eigenvalue": float(f.eigenvalues[0].real)} for f in points],
            "relative_distance": dist, "speed": spd, "slow_points": slow,
            "median_distance_one_sided": med(dist, one_sided), "median_distance_other": med(dist, other),
            "median_speed_one_sided": med(spd, one_sided), "median_speed_other": med(spd, other),
        })
    result = {"individuals": out}
    if out:
        # the flow on a slice through the first analysed individual's state in the middle of its longest
        # one-sided phase (or at its last session)
        first = out[0]
        slow = first["slow_points"]
        j = slow[0]["from_session"] if slow else params.shape[1] - 1
        flow = fp.association_flow(cohort.individual(first["individual"]), params[first["individual"], j], levels,
                                   np.linspace(-1.0, 2.0, 13))
        result["flow"] = {"individual": first["individual"], "session": int(j), **{k: v.tolist() for k, v in flow.items()}}
    return result


def _fisher_greater(k_a: int, n_a: int, k_b: int, n_b: int) -> float:
    """One-sided Fisher exact p that group a's fraction exceeds group b's."""
    from scipy.stats import fisher_exact

    return float(fisher_exact([[k_a, n_a - k_a], [k_b, n_b - k_b]], alternative="greater").pvalue)


def _median(x) -> float:
    """Median of the finite values (NaN, without a warning, if there are none)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def checks(res: Results) -> dict[str, Check]:
    cfg, m = res.config, res.metrics
    per = m.get("conditions", {})
    out: dict[str, Check] = {}
    het = per.get("heterogeneous")
    if het:
        first, last = np.array(het["accuracy_first_session"]), np.array(het["accuracy_last_session"])
        p = sign_test_p(last - first, 0.0)
        out["learns"] = Check(
            bool(_median(last) >= strategy.BOTH_CRITERION and p < ALPHA),
            {"median_accuracy_first": _median(first), "median_accuracy_last": _median(last),
             "sign_test_p": p},
            f"heterogeneous cohort: median accuracy (mean of the two sides) in the last session >= "
            f"{strategy.BOTH_CRITERION} and above the first session in more individuals than not (sign test p < {ALPHA:g})")
        frac = het["fraction_long_one_sided"]
        out["one_sided_phase_in_most"] = Check(
            bool(frac > MOST),
            {"fraction": frac, "n": het["long_one_sided"], "of": len(het["longest_one_sided"]),
             "longest_one_sided": het["longest_one_sided"]},
            f"heterogeneous cohort: more than {MOST:.0%} of individuals have a one-sided phase (>= "
            f"{strategy.ONE_SIDED_HIGH} correct on one side, < {strategy.ONE_SIDED_LOW} on the other) lasting >= "
            f"{cfg.min_phase_sessions} sessions, as every mouse does (Liebana et al. 2025)")
        for ctrl, why in (("uniform", "one homogeneous teaching signal"), ("shallow", "a shallow network (no saddles)")):
            c = per.get(ctrl)
            if not c:
                continue
            n_h, n_c = len(het["longest_one_sided"]), len(c["longest_one_sided"])
            pf = _fisher_greater(het["long_one_sided"], n_h, c["long_one_sided"], n_c)
            out[f"{ctrl}_lacks_long_one_sided_phases"] = Check(
                bool(pf < ALPHA),
                {"heterogeneous": f"{het['long_one_sided']}/{n_h}", ctrl: f"{c['long_one_sided']}/{n_c}",
                 "fisher_p": pf},
                f"fewer individuals with a long one-sided phase under {why} than under heterogeneous teaching in a deep "
                f"network (one-sided Fisher exact p < {ALPHA:g})")
        seqs = het["sequences"]
        firsts = {s.split(">")[0] for s in seqs}
        el = het["summary"]["early_late"]
        out["diverse_trajectories"] = Check(
            bool(len(set(seqs)) >= 3 and {"left_only", "right_only"} <= firsts),
            {"distinct_sequences": sorted(set(seqs)), "counts": {s: seqs.count(s) for s in sorted(set(seqs))}},
            "heterogeneous cohort: at least 3 distinct strategy sequences, with individuals starting on the left side "
            "and others on the right")
        out["early_strategy_predicts_late"] = Check(
            bool(el["n"] > 0 and el["rho"] > 0 and el["p_greater"] < ALPHA),
            el,
            f"heterogeneous cohort: the side asymmetry of the first {strategy.EARLY_SESSIONS} sessions (accuracy right - "
            f"left) is rank-correlated with that of sessions {strategy.LATE_SESSIONS[0]}-{strategy.LATE_SESSIONS[1]} "
            f"across individuals (Spearman rho > 0, one-sided p < {ALPHA:g}; Liebana et al. 2025)")
    probe = m.get("opto_probe")
    if probe:
        arms = probe["arms"]
        ol, orr, rw = arms["opto_left"], arms["opto_right"], arms["reward"]
        own = [np.min(ol["weight_change_left"]), np.min(orr["weight_change_right"])]
        other = [np.max(ol["weight_change_right"]), np.max(orr["weight_change_left"])]
        out["opto_updates_only_its_associations"] = Check(
            bool(min(own) > 0 and max(other) == 0.0 and np.min(rw["weight_change_left"]) > 0
                 and np.min(rw["weight_change_right"]) > 0),
            {"opto_left_min_change_left": own[0], "opto_left_max_change_right": other[0],
             "opto_right_min_change_right": own[1], "opto_right_max_change_left": other[1],
             "reward_min_change_left": float(np.min(rw["weight_change_left"])),
             "reward_min_change_right": float(np.min(rw["weight_change_right"]))},
            "optogenetic probe, every individual: stimulating one side's dopamine subpopulation changes that side's "
            "stimulus weights and leaves the other side's untouched; ordinary rewarded trials change both")
    fpa = m.get("fixed_points")
    if fpa and fpa["individuals"]:
        rows = fpa["individuals"]
        n_saddle = [sum(f["kind"] == "saddle" for f in r["fixed_points"]) for r in rows]
        pairs = [(r["median_speed_one_sided"], r["median_speed_other"]) for r in rows
                 if np.isfinite(r["median_speed_one_sided"]) and np.isfinite(r["median_speed_other"])]
        slower = sum(a < b for a, b in pairs)
        dist = [r["median_distance_one_sided"] for r in rows if np.isfinite(r["median_distance_one_sided"])]
        near = sum(d <= NEAR_RELATIVE_DISTANCE for d in dist)
        out["plateaus_near_fixed_points"] = Check(
            bool(all(n > 0 for n in n_saddle) and pairs and slower > len(pairs) / 2 and dist and near > len(dist) / 2),
            {"saddles_per_individual": n_saddle, "individuals_compared": len(pairs), "slower_on_plateaus": slower,
             "speed_one_sided_vs_other": pairs, "median_distance_one_sided": dist, "near": near,
             "near_relative_distance": NEAR_RELATIVE_DISTANCE},
            "analysed individuals: each has a saddle among the fixed points found from its trajectory; in most of them "
            "learning is slower during one-sided plateaus than during transitional sessions (Saxe et al. 2014), and the "
            f"one-sided sessions' states lie within {NEAR_RELATIVE_DISTANCE:g} of their norm of a fixed point (median "
            "over those sessions; speed and distance over the learned weights, not the habit's choice history): the "
            "trajectory lingers near the fixed point, not only slows down")
    return out


def figures(res: Results) -> dict:
    """Strategy trajectories and psychometric curves per condition (the analysis of
    :mod:`dopaspike.analysis.strategy`), long one-sided phases per condition, the optogenetic
    probe, and the associations' trajectories with the fixed points found."""
    import pandas as pd

    from .. import plots

    cfg, data, m = res.config, res.data, res.metrics
    tab = pd.DataFrame({k[len("trials/"):]: v for k, v in data.items() if k.startswith("trials/")})
    figs = {}
    if tab.empty:
        return figs
    tab["individual"] = tab["individual"].astype(str).str.zfill(4)
    full = m.get("n_sessions_run", 0)
    tab = tab[tab["session"] <= full]
    for cond in cfg.conditions:
        sub = tab[tab["condition"] == cond]
        if sub.empty:
            continue
        an = strategy.analyse(sub)
        figs[f"trajectories_{cond}"] = strategy.trajectories_figure(an.sessions, title=f"{cond}: strategy per session")
        figs[f"psychometric_{cond}"] = strategy.psychometric_figure(sub, title=f"{cond}: P(right) over learning")
    if m.get("conditions"):
        figs["long_one_sided_phases"] = plots.two_afc_phase_fractions(m["conditions"], cfg.min_phase_sessions)
    if m.get("opto_probe"):
        figs["opto_probe"] = plots.two_afc_opto_probe(m["opto_probe"])
    if m.get("fixed_points") and "learner_heterogeneous/association" in data:
        figs["fixed_points"] = plots.two_afc_fixed_points(data["learner_heterogeneous/association"], m["fixed_points"],
                                                          m["conditions"]["heterogeneous"]["longest_one_sided"])
    return figs


def _cohort_analyses(table) -> dict:
    tab = table.copy()
    tab["individual"] = tab["individual"].astype(str).str.zfill(4)
    if "condition" not in tab.columns:
        tab["condition"] = "heterogeneous"
    return {str(c): strategy.analyse(g) for c, g in tab.groupby("condition", sort=False)}


def cohort_checks(table) -> dict[str, Check]:
    """The checks of :func:`checks` that a cohort's tidy table supports (``dopaspike cohort two-afc``):
    every condition's strategy measures over the whole cohort, with the default
    ``min_phase_sessions``; the optogenetic probe and the fixed points stay per run."""
    analyses = _cohort_analyses(table)
    conditions = tuple(c for c in CONDITIONS if c in analyses)
    cfg = TwoAFCExperimentConfig(conditions=conditions) if conditions else TwoAFCExperimentConfig()
    metrics = {"conditions": {c: _condition_metrics(an, cfg) for c, an in analyses.items()}}
    return checks(Results(metrics=metrics, data={}, config=cfg, seed=0))


def cohort_figures(table) -> dict:
    """Strategy trajectories and psychometric curves per condition, and the long one-sided phases."""
    from .. import plots

    analyses = _cohort_analyses(table)
    figs = {}
    for cond, an in analyses.items():
        figs[f"trajectories_{cond}"] = strategy.trajectories_figure(an.sessions, title=f"{cond}: strategy per session")
        figs[f"psychometric_{cond}"] = strategy.psychometric_figure(an.trials, title=f"{cond}: P(right) over learning")
    cfg = TwoAFCExperimentConfig()
    figs["long_one_sided_phases"] = plots.two_afc_phase_fractions(
        {c: _condition_metrics(an, cfg) for c, an in analyses.items()}, cfg.min_phase_sessions)
    return figs


EXPERIMENT = register(Experiment(
    name="two-afc",
    summary="Individual learning trajectories of a deep network with heterogeneous dopamine teaching signals in a "
            "2-alternative visual decision task (Liebana et al. 2025)",
    citation=CITATION,
    config_model=TwoAFCExperimentConfig,
    quick=quick_config,
    default=TwoAFCExperimentConfig,
    start=start,
    figures=figures,
    checks=checks,
    cohort_figures=cohort_figures,
    cohort_checks=cohort_checks,
))
