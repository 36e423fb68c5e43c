"""Signalled active avoidance in a two-chamber shuttle box, and learned helplessness, as a Gymnasium environment.

Lopez GC, Van Camp LD, Kovaleski RF, Schaid MD, Sandon VK, Lerner TN (2025) Region-specific nucleus
accumbens dopamine signals encode distinct aspects of avoidance learning. Curr Biol 35:2433-2443:
mice in a two-chamber shuttle box learn to avoid a footshock by crossing to the other chamber
during a 5-s warning cue; crossing once the shock has started ends it (an escape). Controls: an
unavoidable (Pavlovian) condition in which the shock follows the cue whatever the mouse does, and
extinction (the cue, never a shock). Learned helplessness (Maier SF, Seligman MEP (1976) Learned
helplessness: theory and evidence. J Exp Psychol Gen 105:3-46): after inescapable shocks
(a typical protocol: 2-s shocks at intervals of about 16 s), animals are slow to learn to escape
shocks that a shuttle ends (shuttle-escape trials of at most 25 s).

:class:`ShuttleBox` is closed-loop in model time: one ``step(action)`` is one decision interval of
``step_ms``, ``action`` one of :data:`STAY`, :data:`FREEZE`, :data:`SHUTTLE`. A protocol is a
sequence of sessions (:data:`SESSION_KINDS`, one kind per session) of ``trials_per_session``
trials, each trial preceded by an inter-trial interval (ITI); it ends one ITI after the last
trial. Every duration is a whole number of steps, so every event falls on a step boundary; a
step spans ``[t0, t1)``, the action holds throughout it, and a shuttle takes effect at ``t1``,
the step's end (a cue or shock it ends goes off at ``t1``). The observation returned by a step is
the state from ``t1`` on, and ``info["events"]`` lists the events ``t0 < t_ms <= t1`` that led
to it, in order, each reported once. Reset draws every ITI of the protocol from ``np_random``
(uniform over the multiples of ``step_ms`` in ``[iti_min_ms, iti_max_ms]``) and nothing else,
so the schedule never depends on the actions: two agents run with the same seed wait the same
ITIs (common random numbers), while when each trial starts depends on how the earlier ones went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..config import build_config
from ..core.errors import ConfigError
from .base import TrialRecord, table, task_config
from .choice import MAX_TRIALS

STAY, FREEZE, SHUTTLE = 0, 1, 2
"""The actions: stay put, freeze (recorded, no effect on the task), cross to the other chamber."""

SessionKind = Literal["avoidable", "unavoidable", "extinction", "inescapable", "escape"]
SESSION_KINDS: tuple[str, ...] = ("avoidable", "unavoidable", "extinction", "inescapable", "escape")
"""The kinds of session, see :class:`ShuttleBox`."""

AVOIDANCE_EVENT_KINDS: tuple[str, ...] = ("trial_start", "cue_on", "cue_off", "shock_on", "shock_off", "shuttle",
                                          "avoidance", "escape", "failure", "trial_end")
"""The kinds of :class:`AvoidanceEvent`."""

OUTCOMES: tuple[str, ...] = ("avoided", "escaped", "failed", "shocked", "no_response")
"""Trial outcomes: ``avoided`` (a shuttle during the cue, avoidable or extinction), ``escaped`` (a
shuttle during an escapable shock), ``failed`` (no shuttle before ``shock_max_ms``), ``shocked``
(unavoidable and inescapable trials), ``no_response`` (extinction, no shuttle during the cue)."""

_MAX_MS = 3_600_000  # one hour: the longest duration a config accepts
_CUED = ("avoidable", "unavoidable", "extinction")


class ShuttleBoxConfig(BaseModel):
    """The protocol of :class:`ShuttleBox`. Durations are multiples of ``step_ms``.

    Defaults: a 5-s cue (Lopez et al. 2025), shocks of at most 10 s when they can be escaped and of
    2 s when they cannot, ITIs of 15-25 s (mean 20 s, long next to a trial), five sessions of 30
    avoidable trials. The classmethods :meth:`active_avoidance`, :meth:`unavoidable` and
    :meth:`learned_helplessness` build the usual protocols.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    step_ms: int = Field(50, ge=1, le=1000, description="decision interval: one step advances model time by this many ms")
    cue_ms: int = Field(5000, ge=1, le=_MAX_MS, description="warning cue duration (Lopez et al. 2025: 5 s)")
    shock_max_ms: int = Field(10_000, ge=1, le=_MAX_MS,
                              description="longest shock on avoidable and escape trials, if no shuttle ends it (escape limit)")
    fixed_shock_ms: int = Field(2000, ge=1, le=_MAX_MS, description="shock duration on unavoidable and inescapable trials")
    iti_min_ms: int = Field(15_000, ge=1, le=_MAX_MS, description="shortest inter-trial interval")
    iti_max_ms: int = Field(25_000, ge=1, le=_MAX_MS, description="longest inter-trial interval (drawn uniformly in between)")
    trials_per_session: int = Field(30, ge=1, le=10_000, description="trials per session")
    sessions: tuple[SessionKind, ...] = Field(("avoidable",) * 5, min_length=1, max_length=10_000,
                                              description="the kind of each session, in order: " + ", ".join(SESSION_KINDS))

    @model_validator(mode="after")
    def _consistent(self):
        for name in ("cue_ms", "shock_max_ms", "fixed_shock_ms", "iti_min_ms", "iti_max_ms"):
            value = getattr(self, name)
            if value % self.step_ms:
                raise ValueError(f"{name}={value} must be a multiple of step_ms={self.step_ms} (every event on a step boundary)")
        if self.iti_min_ms > self.iti_max_ms:
            raise ValueError(f"iti_min_ms={self.iti_min_ms} must be <= iti_max_ms={self.iti_max_ms}")
        if self.n_trials > MAX_TRIALS:
            raise ValueError(f"trials_per_session={self.trials_per_session} times {len(self.sessions)} sessions = "
                             f"{self.n_trials} trials, must be <= {MAX_TRIALS}")
        return self

    @property
    def n_trials(self) -> int:
        return self.trials_per_session * len(self.sessions)

    @classmethod
    def active_avoidance(cls, n_sessions: int = 5, **fields: Any) -> ShuttleBoxConfig:
        """``n_sessions`` sessions of avoidable trials (Lopez et al. 2025), other fields as given."""
        return build_config(cls, None, {"sessions": ("avoidable",) * _count("n_sessions", n_sessions, 1)} | fields)

    @classmethod
    def unavoidable(cls, n_sessions: int = 5, **fields: Any) -> ShuttleBoxConfig:
        """``n_sessions`` sessions of unavoidable trials: the yoked, Pavlovian control of active avoidance."""
        return build_config(cls, None, {"sessions": ("unavoidable",) * _count("n_sessions", n_sessions, 1)} | fields)

    @classmethod
    def learned_helplessness(cls, n_pretreatment_sessions: int = 1, n_escape_sessions: int = 1,
                             **fields: Any) -> ShuttleBoxConfig:
        """Inescapable-shock pretreatment, then shuttle-escape test sessions (Maier & Seligman 1976).

        Defaults of a typical protocol: 2-s inescapable shocks, escape trials of at most 25 s,
        ITIs of 12-20 s (mean 16 s); ``n_pretreatment_sessions=0`` is the untreated control."""
        kinds = (("inescapable",) * _count("n_pretreatment_sessions", n_pretreatment_sessions, 0)
                 + ("escape",) * _count("n_escape_sessions", n_escape_sessions, 0))
        base = {"fixed_shock_ms": 2000, "shock_max_ms": 25_000, "iti_min_ms": 12_000, "iti_max_ms": 20_000}
        return build_config(cls, None, base | {"sessions": kinds} | fields)


def _count(field: str, n: Any, low: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not low <= n <= 10_000:
        raise ConfigError(field, n, f"an integer in [{low}, 10000]")
    return int(n)


@dataclass(frozen=True)
class AvoidanceEvent:
    """Something that happens at one exact millisecond of model time (from the reset).

    ``kind`` is one of :data:`AVOIDANCE_EVENT_KINDS`; ``trial`` is the index of the trial in
    progress, or during an ITI of the trial that follows it (-1 in the ITI after the last trial).
    """

    t_ms: int
    kind: str
    trial: int

    def __post_init__(self) -> None:
        if self.kind not in AVOIDANCE_EVENT_KINDS:
            raise ConfigError("AvoidanceEvent.kind", self.kind, "one of " + ", ".join(AVOIDANCE_EVENT_KINDS))


@dataclass(frozen=True, eq=False)
class AvoidanceTrial(TrialRecord):
    """One shuttle-box trial; times in ms from the reset, NaN where there was no such event."""

    index: int
    session: int  # 1-based
    kind: str  # the session's kind
    outcome: str  # one of OUTCOMES
    start_ms: int  # trial onset: the cue's, or the shock's on uncued trials
    stop_ms: int  # trial end: the shuttle that ended it, or the end of the cue or shock
    cue_on_ms: float
    cue_off_ms: float
    shock_on_ms: float
    shock_off_ms: float
    latency_ms: float  # from start_ms to the shuttle that ended the trial
    shock_ms: int  # shock received
    freeze_fraction: float  # of the steps with the cue on, those spent freezing; NaN without a cue
    iti_ms: int  # the ITI before the trial
    iti_shuttles: int  # shuttles during that ITI


class ShuttleBox(gym.Env):
    """A two-chamber shuttle box with a warning cue and footshocks; see the module docstring.

    Kinds of session (trials of the same kind throughout a session):

    * ``avoidable``: the cue, for ``cue_ms``. A shuttle during it ends cue and trial, no shock
      (``avoided``, an ``avoidance`` event); else a shock follows the cue, and a shuttle during
      it ends it (``escaped``, an ``escape`` event); after ``shock_max_ms`` without one the shock
      ends (``failed``, a ``failure`` event). A shuttle in the last step of the cue still avoids.
    * ``unavoidable``: the cue for ``cue_ms``, then a shock of ``fixed_shock_ms``, whatever the agent
      does (``shocked``); shuttles change the chamber and nothing else.
    * ``extinction``: the cue, never a shock; a shuttle during it ends it (``avoided``), else the
      trial ends with the cue (``no_response``).
    * ``inescapable``: no cue; a shock of ``fixed_shock_ms`` that no action changes (``shocked``).
    * ``escape``: no cue; a shock that a shuttle ends (``escaped``), at most ``shock_max_ms`` (``failed``).

    Observation ``MultiBinary(3)``: ``(cue_on, shock_on, chamber)``, the state from the end of
    the step on (chamber 0 or 1; the agent starts in chamber 0). Action ``Discrete(3)``:
    :data:`STAY`, :data:`FREEZE`, :data:`SHUTTLE`. Reward: minus the seconds of shock within the
    step, ``-step_ms / 1000`` on a step the shock is on throughout and 0 otherwise, so a
    protocol's return is minus its total shock in seconds. ``info["events"]``: the step's
    :class:`AvoidanceEvent` s; ``info["trial"]``: the :class:`AvoidanceTrial` of a trial that
    ended in the step, else None; ``info["t_ms"]``: model time at the step's end. ``terminated``
    comes with the step that ends the ITI after the last trial; ``truncated`` is always False.
    Shuttles during that last ITI are events, counted in no record.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}
    config: ShuttleBoxConfig

    def __init__(self, config: ShuttleBoxConfig | None = None, render_mode: str | None = None, **overrides: Any) -> None:
        self.render_mode = None
        self.config = task_config(ShuttleBoxConfig, config, render_mode, overrides)  # type: ignore[assignment]
        self.step_ms: int = self.config.step_ms
        self.observation_space = spaces.MultiBinary(3)
        self.action_space = spaces.Discrete(3)
        self._itis: np.ndarray | None = None  # None before the first reset
        self._done = False

    # ------------------------------------------------------------------ gymnasium
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new protocol; its ITIs are drawn from ``np_random`` (seeded by ``seed``)."""
        if options:
            raise ConfigError("options", options, "None or {} (the protocol comes from the config)")
        super().reset(seed=seed)
        c = self.config
        lo, hi = c.iti_min_ms // c.step_ms, c.iti_max_ms // c.step_ms
        self._itis = self.np_random.integers(lo, hi + 1, size=c.n_trials + 1) * c.step_ms
        self._kinds = [kind for kind in c.sessions for _ in range(c.trials_per_session)]
        self._t = 0
        self._chamber = 0
        self._phase, self._phase_end = "iti", int(self._itis[0])
        self._trial = 0  # the trial in progress, or the next one during an ITI
        self._iti_shuttles = 0
        self._records: list[AvoidanceTrial] = []
        self._events: list[AvoidanceEvent] = []
        self._done = False
        return self._observation(), {"events": [], "trial": None, "t_ms": 0}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Act for one step of ``step_ms``; see the class docstring for what comes back."""
        self._require_reset()
        if self._done:
            raise RuntimeError(f"ShuttleBox: the protocol ended at {self._t} ms; call reset() for a new one")
        if not self.action_space.contains(action):
            raise ConfigError("action", action, f"an element of {self.action_space}: 0 stay, 1 freeze, 2 shuttle")
        action = int(action)
        t1 = self._t + self.step_ms
        reward = -self.step_ms / 1000.0 if self._phase == "shock" else 0.0
        self._step_events: list[AvoidanceEvent] = []
        record = None
        if self._phase == "cue":
            self._cue_steps += 1
            self._freeze_steps += action == FREEZE
        if action == SHUTTLE:
            self._chamber = 1 - self._chamber
            self._emit(t1, "shuttle")
            if self._phase == "iti":
                self._iti_shuttles += 1
            elif self._phase in ("cue", "shock") and self._ends_trial():
                record = self._shuttle_ends(t1)
        if record is None and t1 == self._phase_end:
            record = self._scheduled(t1)
        self._t = t1
        self._events.extend(self._step_events)
        info = {"events": self._step_events, "trial": record, "t_ms": t1}
        return self._observation(), reward, self._done, False, info

    # ------------------------------------------------------------------ the protocol
    def _ends_trial(self) -> bool:
        """Whether a shuttle now ends the trial (avoidance or escape)."""
        kind = self._kinds[self._trial]
        return kind in ("avoidable", "extinction") if self._phase == "cue" else kind in ("avoidable", "escape")

    def _shuttle_ends(self, t: int) -> AvoidanceTrial:
        if self._phase == "cue":
            self._cue_off = self._emit(t, "cue_off")
            self._emit(t, "avoidance")
            return self._end_trial(t, "avoided", latency_ms=t - self._start)
        self._shock_off = self._emit(t, "shock_off")
        self._emit(t, "escape")
        return self._end_trial(t, "escaped", latency_ms=t - self._start)

    def _scheduled(self, t: int) -> AvoidanceTrial | None:
        """What the schedule does at ``t``, the end of the current phase."""
        c = self.config
        if self._phase == "iti":
            if self._trial == c.n_trials:
                self._done = True
                return None
            self._start_trial(t)
            return None
        kind = self._kinds[self._trial]
        if self._phase == "cue":
            self._cue_off = self._emit(t, "cue_off")
            if kind == "extinction":
                return self._end_trial(t, "no_response")
            self._shock(t, c.shock_max_ms if kind == "avoidable" else c.fixed_shock_ms)
            return None
        self._shock_off = self._emit(t, "shock_off")
        if kind in ("avoidable", "escape"):
            self._emit(t, "failure")
            return self._end_trial(t, "failed")
        return self._end_trial(t, "shocked")

    def _start_trial(self, t: int) -> None:
        kind = self._kinds[self._trial]
        self._start = t
        self._cue_on = self._cue_off = self._shock_on = self._shock_off = np.nan
        self._cue_steps = self._freeze_steps = 0
        self._emit(t, "trial_start")
        if kind in _CUED:
            self._cue_on = self._emit(t, "cue_on")
            self._phase, self._phase_end = "cue", t + self.config.cue_ms
        else:
            self._shock(t, self.config.fixed_shock_ms if kind == "inescapable" else self.config.shock_max_ms)

    def _shock(self, t: int, duration_ms: int) -> None:
        self._shock_on = self._emit(t, "shock_on")
        self._phase, self._phase_end = "shock", t + duration_ms

    def _end_trial(self, t: int, outcome: str, latency_ms: float = np.nan) -> AvoidanceTrial:
        i = self._trial
        self._emit(t, "trial_end")
        shock_ms = 0 if np.isnan(self._shock_on) else int(self._shock_off - self._shock_on)
        record = AvoidanceTrial(
            index=i, session=i // self.config.trials_per_session + 1, kind=self._kinds[i], outcome=outcome,
            start_ms=self._start, stop_ms=t, cue_on_ms=self._cue_on, cue_off_ms=self._cue_off, shock_on_ms=self._shock_on,
            shock_off_ms=self._shock_off, latency_ms=float(latency_ms), shock_ms=shock_ms,
            freeze_fraction=self._freeze_steps / self._cue_steps if self._cue_steps else np.nan,
            iti_ms=int(self._itis[i]), iti_shuttles=self._iti_shuttles)  # type: ignore[index]
        self._records.append(record)
        self._trial += 1
        self._iti_shuttles = 0
        self._phase, self._phase_end = "iti", t + int(self._itis[self._trial])  # type: ignore[index]
        return record

    def _emit(self, t: int, kind: str) -> float:
        trial = self._trial if self._trial < self.config.n_trials else -1
        self._step_events.append(AvoidanceEvent(int(t), kind, trial))
        return float(t)

    def _observation(self) -> np.ndarray:
        return np.array([self._phase == "cue", self._phase == "shock", self._chamber], dtype=np.int8)

    def _require_reset(self) -> None:
        if self._itis is None:
            raise RuntimeError("ShuttleBox: no protocol yet; call reset() first")

    # ------------------------------------------------------------------ what happened so far
    @property
    def t_ms(self) -> int:
        """Model time reached by the steps so far."""
        self._require_reset()
        return self._t

    @property
    def chamber(self) -> int:
        """The chamber the agent is in (0 or 1)."""
        self._require_reset()
        return self._chamber

    @property
    def itis_ms(self) -> np.ndarray:
        """Every ITI of the protocol, drawn at reset: one before each trial, and the last one after the last trial."""
        self._require_reset()
        return self._itis.copy()  # type: ignore[union-attr]

    @property
    def trials(self) -> tuple[AvoidanceTrial, ...]:
        """The records of the trials completed so far, in order."""
        self._require_reset()
        return tuple(self._records)

    @property
    def events(self) -> tuple[AvoidanceEvent, ...]:
        """Every event so far, in order."""
        self._require_reset()
        return tuple(self._events)

    def trial_table(self) -> dict[str, np.ndarray]:
        """The trials so far as same-length columns, ``start_ms`` and ``stop_ms`` first (see
        :func:`dopaspike.tasks.base.table`): data.h5's ``trials/`` group."""
        self._require_reset()
        return table(self._records, AvoidanceTrial)

    def event_table(self) -> dict[str, np.ndarray]:
        """The events so far as columns ``t_ms``, ``kind``, ``trial``."""
        self._require_reset()
        evs = self._events
        return {"t_ms": np.array([e.t_ms for e in evs], dtype=np.int64), "kind": np.array([e.kind for e in evs], dtype=str),
                "trial": np.array([e.trial for e in evs], dtype=np.int64)}
