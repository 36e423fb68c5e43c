"""Izhikevich's classical conditioning: one rewarded stimulus group among many distractors.

Izhikevich EM (2007) Solving the distal reward problem through linkage of STDP and dopamine
signaling. Cereb Cortex 17:2443-2452, the "classical (Pavlovian) conditioning" experiment
(Fig. 5): 100 random groups of 50 neurons, S1...S100, stand for 100 stimuli. A continuous stream
presents one group at a time, chosen at random, with random intervals of 100-300 ms; a
presentation is a 1 ms pulse of strong input to every neuron of the group. Whenever S1 is
presented, dopamine is delivered after a random delay of up to 1 s, so that a few distractors
come between S1 and its reward. After about an hour the network responds to S1 much more
strongly than to the other groups.

The numbers are those of the paper's description and of the public reimplementation in GeNN
(Knight & Nowotny, PyGeNN userproject ``izhikevich_pavlovian``): onset-to-onset intervals
uniform in [100, 300] ms, a 1 ms stimulus, dopamine +0.5 after a delay uniform in [0, 1000) ms,
one hour of model time. Here the intervals and delays are whole milliseconds drawn uniformly
from the closed ranges ``[interval_min_ms, interval_max_ms]`` and
``[reward_delay_min_ms, reward_delay_max_ms]``. Which neurons belong to a group, and how strong
the pulse is, are the network's business: the task only names the groups.

Each presentation of the rewarded group (``rewarded_group``, 0-based: 0 is S1) earns exactly one
reward. With ``control="shuffled"`` the same number of rewards is given, each attached (with the
same delay distribution) to a presentation of some other group drawn without replacement, so the
reward rate is unchanged but rewards carry no information about S1. The stream stops early enough
that every reward falls inside the session (the last onset is more than ``reward_delay_max_ms``
and ``stim_ms`` before its end).

Stimuli (observation order): ``S1`` ... ``S{n_groups}``. The trials table has one row per
presentation. Trial events are named after the group and carry the presentation's index;
``reward`` events are named ``"reward"``. The task takes no action (``Discrete(1)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .base import Event, ScheduledTask, TrialRecord, stimulus_events

MAX_MS = 3_600_000
MAX_PRESENTATIONS = 10_000_000  # bounds the memory a session takes


class StimulusGroupConfig(BaseModel):
    """The stream of :class:`StimulusGroupConditioning`; times are whole milliseconds."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    duration_s: float = Field(3600.0, gt=0, le=1e6, description="model time of the session (a whole number of ms)")
    step_ms: int = Field(10, ge=1, le=MAX_MS, description="model time advanced by one step(); events keep their exact ms")
    n_groups: int = Field(100, ge=1, le=100_000, description="stimulus groups S1..Sn")
    rewarded_group: int = Field(0, ge=0, le=100_000, description="0-based index of the rewarded group (0: S1)")
    interval_min_ms: int = Field(100, ge=1, le=MAX_MS, description="shortest onset-to-onset interval")
    interval_max_ms: int = Field(300, ge=1, le=MAX_MS, description="longest onset-to-onset interval")
    stim_ms: int = Field(1, ge=1, le=MAX_MS, description="duration of one presentation")
    reward_magnitude: float = Field(0.5, gt=0, le=1e6, description="dopamine per reward (Izhikevich 2007: 0.5)")
    reward_delay_min_ms: int = Field(0, ge=0, le=MAX_MS, description="shortest delay from the rewarded onset to the reward")
    reward_delay_max_ms: int = Field(1000, ge=0, le=MAX_MS, description="longest delay (Izhikevich 2007: up to 1 s)")
    control: Literal["none", "shuffled"] = Field("none", description="shuffled: as many rewards, not tied to the rewarded group")

    @model_validator(mode="after")
    def _consistent(self):
        duration_ms = self.duration_s * 1000.0
        if abs(duration_ms - round(duration_ms)) > 1e-6:
            raise ValueError(f"duration_s={self.duration_s} must be a whole number of milliseconds")
        if self.interval_max_ms < self.interval_min_ms:
            raise ValueError(f"interval_max_ms={self.interval_max_ms} must be >= interval_min_ms={self.interval_min_ms}")
        if self.stim_ms > self.interval_min_ms:
            raise ValueError(f"stim_ms={self.stim_ms} must be <= interval_min_ms={self.interval_min_ms} "
                             "(presentations would overlap)")
        if self.reward_delay_max_ms < self.reward_delay_min_ms:
            raise ValueError(f"reward_delay_max_ms={self.reward_delay_max_ms} must be >= "
                             f"reward_delay_min_ms={self.reward_delay_min_ms}")
        if self.rewarded_group >= self.n_groups:
            raise ValueError(f"rewarded_group={self.rewarded_group} must be < n_groups={self.n_groups}")
        if self.control == "shuffled" and self.n_groups < 2:
            raise ValueError(f"control={self.control!r} needs n_groups >= 2 (rewards go to other groups)")
        if duration_ms / self.interval_min_ms > MAX_PRESENTATIONS:
            raise ValueError(f"duration_s={self.duration_s} allows more than {MAX_PRESENTATIONS:,} presentations at "
                             f"interval_min_ms={self.interval_min_ms}; shorten it or lengthen the intervals")
        need_ms = self.interval_max_ms + self.tail_ms
        if round(duration_ms) <= need_ms:
            raise ValueError(f"duration_s={self.duration_s} must exceed {need_ms / 1000:g} s "
                             "(interval_max_ms + the tail that lets the last reward fall inside the session)")
        return self

    @property
    def duration_ms(self) -> int:
        return round(self.duration_s * 1000.0)

    @property
    def tail_ms(self) -> int:
        """An onset must come more than this long before the end, so that its stimulus and reward fit."""
        return max(self.stim_ms, self.reward_delay_max_ms)


@dataclass(frozen=True, eq=False)
class Presentation(TrialRecord):
    """One presentation of a stimulus group. Times are absolute model ms; NaN where there is no reward."""

    index: int
    start_ms: float  # onset
    stop_ms: float  # offset (start_ms + stim_ms)
    group: int  # 0-based group index
    name: str  # "S1" for group 0
    rewarded: bool  # this presentation earned a reward
    reward_ms: float  # when that reward came (NaN: none)
    reward_delay_ms: float  # reward_ms - start_ms (NaN: none)


class StimulusGroupConditioning(ScheduledTask):
    """Izhikevich's (2007) classical conditioning stream as a Gymnasium environment; see the module docstring."""

    config_model = StimulusGroupConfig
    record_type = Presentation
    config: StimulusGroupConfig

    def _stimulus_names(self) -> list[str]:
        return [f"S{k + 1}" for k in range(self.config.n_groups)]

    def _draw(self, gen: np.random.Generator) -> tuple[list[Event], list[Presentation], int]:
        c = self.config
        end_ms = c.duration_ms
        last_onset = end_ms - c.tail_ms - 1  # the latest onset whose stimulus and reward still fit
        n_max = last_onset // c.interval_min_ms + 1
        onsets = np.cumsum(gen.integers(c.interval_min_ms, c.interval_max_ms + 1, size=n_max))
        onsets = onsets[onsets <= last_onset]
        n = onsets.size
        groups = gen.integers(0, c.n_groups, size=n)
        delays = gen.integers(c.reward_delay_min_ms, c.reward_delay_max_ms + 1, size=n)
        target = np.flatnonzero(groups == c.rewarded_group)
        if c.control == "shuffled":
            others = np.flatnonzero(groups != c.rewarded_group)
            if others.size < target.size:  # only in absurdly short sessions with few groups
                raise RuntimeError(f"shuffled control: {target.size} rewards but only {others.size} other presentations; "
                                   "lengthen duration_s")
            target = np.sort(gen.choice(others, size=target.size, replace=False))
        rewarded = np.zeros(n, dtype=bool)
        rewarded[target] = True
        names = self.stimulus_names
        events: list[Event] = []
        trials: list[Presentation] = []
        for i in range(n):
            on, g = int(onsets[i]), int(groups[i])
            events += stimulus_events(names[g], on, c.stim_ms)
            events += [Event(on, "trial_start", names[g], float(i)), Event(on + c.stim_ms, "trial_end", names[g], float(i))]
            reward_ms = delay = math.nan
            if rewarded[i]:
                delay = float(delays[i])
                reward_ms = float(on + delays[i])
                events.append(Event(int(reward_ms), "reward", "reward", float(c.reward_magnitude)))
            trials.append(Presentation(index=i, start_ms=float(on), stop_ms=float(on + c.stim_ms), group=g, name=names[g],
                                       rewarded=bool(rewarded[i]), reward_ms=reward_ms, reward_delay_ms=delay))
        return events, trials, end_ms
