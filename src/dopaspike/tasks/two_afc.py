"""The 2-alternative visual decision task of Liebana et al. 2025, as a Gymnasium environment.

Liebana S, Laffere A, Toschi C, ..., Saxe A, Lak A (2025) Dopamine encodes deep network teaching
signals for individual learning trajectories. Cell 188:3789-3805. Mice see a grating on the left
or the right screen (contrast 0.5 or 0.25), or none (contrast 0 on both), and turn a wheel to
choose a side; turning toward the grating is rewarded, and on zero-contrast trials either choice
is rewarded with probability 1/2. Training lasts weeks, at about 200 trials a day (a *session*).

:class:`TwoAFC` is a closed-loop :class:`~dopaspike.tasks.choice.ChoiceTask`: one ``step`` is one
trial's choice, 0 = left, 1 = right. The stimulus of every trial (its signed contrast, right minus
left, drawn uniformly from ``±contrasts`` and 0) and the outcome numbers are drawn at ``reset``,
so the same seed gives the same stimuli and the same luck on zero-contrast trials whatever the
choices. The observation is the pair ``(left contrast, right contrast)``.

Each record (:class:`TwoAFCTrial`) has the columns of the trial tables that
:mod:`dopaspike.analysis.strategy` reads: ``session`` (1-based), ``signed_contrast``,
``reward``, and ``choice`` (1 = right: the tables' ``choice_right``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from gymnasium import spaces
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .base import TrialRecord
from .choice import MAX_TRIALS, ChoiceTask

Contrast = Annotated[float, Field(gt=0, le=1)]


class TwoAFCConfig(BaseModel):
    """The sessions of :class:`TwoAFC` (defaults: Liebana et al. 2025's initial contrast set)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    contrasts: tuple[Contrast, ...] = Field((0.5, 0.25), min_length=1,
                                            description="non-zero contrasts, shown on either side (Liebana et al.: 0.5, 0.25)")
    zero_contrast: bool = Field(True, description="include trials with no grating (rewarded on either side with p = 1/2)")
    n_sessions: int = Field(30, ge=1, le=500, description="training sessions (days)")
    trials_per_session: int = Field(200, ge=1, le=5000, description="trials per session (Liebana et al.: about 200)")

    @model_validator(mode="after")
    def _consistent(self):
        if len(set(self.contrasts)) != len(self.contrasts):
            raise ValueError(f"contrasts={list(self.contrasts)} must be distinct")
        if self.n_sessions * self.trials_per_session > MAX_TRIALS:
            raise ValueError(f"n_sessions * trials_per_session = {self.n_sessions * self.trials_per_session} "
                             f"must be <= {MAX_TRIALS}")
        return self

    @property
    def signed_contrasts(self) -> tuple[float, ...]:
        """The signed contrasts a trial draws from, uniformly: ``-c`` and ``+c`` for each contrast, and 0."""
        cs = sorted(self.contrasts)
        return tuple([-c for c in reversed(cs)] + ([0.0] if self.zero_contrast else []) + cs)

    @property
    def n_trials(self) -> int:
        return self.n_sessions * self.trials_per_session


@dataclass(frozen=True, eq=False)
class TwoAFCTrial(TrialRecord):
    """One trial: the stimulus, the choice (0 left, 1 right) and the outcome."""

    index: int
    phase: str  # always "train"
    session: int  # 1-based
    signed_contrast: float  # right minus left
    choice: int  # 0 left, 1 right (the trial tables' ``choice_right``)
    chosen: str  # "left" or "right"
    best: str  # the side of the grating ("left" on zero-contrast trials, where both pay 1/2)
    chose_best: bool  # a correct choice (True for either side on zero-contrast trials)
    p_chosen: float
    u: float  # the outcome number: rewarded iff u < p_chosen
    reward: float
    feedback: bool  # always True


class TwoAFC(ChoiceTask):
    """Liebana et al. 2025's 2-alternative visual decision task; see the module docstring.

    Observation ``Box(0, 1, (2,))``: the left and right contrasts of the upcoming trial. Action:
    ``Discrete(2)``, 0 = left, 1 = right; :meth:`offered` is ``("left", "right")``. Reset draws
    the outcome numbers, then every trial's signed contrast.
    """

    config_model = TwoAFCConfig
    record_type = TwoAFCTrial
    config: TwoAFCConfig

    def _spaces(self) -> tuple[spaces.Space, spaces.Space]:
        return spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float64), spaces.Discrete(2)

    def _max_trials(self) -> int:
        return self.config.n_trials

    def _draw(self, gen: np.random.Generator) -> None:
        levels = np.array(self.config.signed_contrasts)
        self._contrast = levels[gen.integers(0, levels.size, size=self.config.n_trials)]

    @property
    def signed_contrast(self) -> float:
        """The upcoming trial's signed contrast (right minus left)."""
        self._require_open()
        return float(self._contrast[len(self._trials)])

    def _offered(self) -> tuple[str, str]:
        return ("left", "right")

    def _probabilities(self) -> tuple[float, float]:
        s = self._contrast[len(self._trials)]
        return (0.5, 0.5) if s == 0 else ((0.0, 1.0) if s > 0 else (1.0, 0.0))

    def _observation(self) -> np.ndarray:
        s = float(self._contrast[len(self._trials)])
        return np.array([max(-s, 0.0), max(s, 0.0)]) + 0.0  # + 0.0: no negative zero

    def _fields(self) -> dict[str, Any]:
        i = len(self._trials)
        return {"session": i // self.config.trials_per_session + 1, "signed_contrast": float(self._contrast[i])}

    def _advance(self, record: TrialRecord) -> bool:
        return record.index + 1 >= self.config.n_trials  # type: ignore[attr-defined]
