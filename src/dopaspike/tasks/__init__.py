"""Tasks as Gymnasium environments: what a spiking network is shown, and when it is rewarded.

A task knows nothing about networks. It tells a network driver, to the millisecond, when each
stimulus starts and stops and when each reward arrives; the driver decides what that means for
neurons (which ones a stimulus excites, how much dopamine a reward releases).

The interface (:class:`~dopaspike.tasks.base.ScheduledTask`, a ``gymnasium.Env``):

* ``reset(seed=...)`` draws the whole session from gymnasium's ``np_random``: same seed, same
  session. Model time restarts at 0 ms.
* ``step(action)`` advances model time by ``step_ms`` (a config field, default 10 ms) and returns
  ``(observation, reward, terminated, truncated, info)``. ``info["events"]`` holds every
  :class:`~dopaspike.tasks.base.Event` ``(t_ms, kind, name, value)`` of the step's span
  ``[t_ms - step_ms, t_ms)``, in time order, with its exact ms of absolute model time, whatever
  ``step_ms`` is: ``stimulus_on``, ``stimulus_off``, ``reward``, ``trial_start``, ``trial_end``.
  ``reward`` is the step's summed reward, ``observation`` which stimuli are on in its last
  millisecond (``MultiBinary``, order ``env.stimulus_names``), ``info["trial"]`` the record of the
  latest trial begun, ``info["t_ms"]`` the model time at the end of the step. ``terminated``
  comes with the step that reaches ``env.end_ms``, after the session's last event.
* The session is fixed at reset, so it can also be read without stepping:
  ``env.events(start_ms, stop_ms)``, ``env.spans(start_ms, stop_ms)`` (stimulus presentations as
  ``(name, on_ms, off_ms, value)``, clipped to the span), ``env.trials`` (one dataclass per trial),
  ``env.trial_table()`` (same-length numpy columns, ``start_ms`` and ``stop_ms`` first: data.h5's
  ``trials/`` group) and ``env.event_table()``.
* The tasks here are Pavlovian: they take no action (``action_space = Discrete(1)``, pass 0).
  Stepping and reading ahead are equivalent; stepping in chunks of ``step_ms`` is the natural
  fit for a simulation that runs in chunks and records between them.

A driver steps the task and the network in lockstep (``sim`` a built
:class:`~dopaspike.core.simulation.Simulation` at the same model time as the task)::

    env = PavlovianConditioning(n_trials=50, reward_probability=0.75)   # step_ms = 10
    env.reset(seed=1)
    done = False
    while not done:
        t0 = env.t_ms
        obs, reward, done, _, info = env.step(0)              # everything in [t0, t0 + 10 ms)
        for name, on_ms, off_ms, value in env.spans(t0, env.t_ms):
            for t in range(on_ms, off_ms):                    # e.g. the CS and US input neurons
                sim.stimulate(inputs[name], 20.0 * value, at_ms=t)
        for ev in info["events"]:
            if ev.kind == "reward":                           # or let the US input drive the DA neurons
                sim.deliver_dopamine("striatum", ev.value, at_ms=ev.t_ms)
        sim.run(env.step_ms)

Tasks: :class:`~dopaspike.tasks.pavlovian.PavlovianConditioning` (Schultz, Dayan & Montague 1997;
Fiorillo, Tobler & Schultz 2003) and
:class:`~dopaspike.tasks.classical_conditioning.StimulusGroupConditioning` (Izhikevich 2007).
Both are registered with Gymnasium as ``dopaspike/PavlovianConditioning-v0`` and
``dopaspike/StimulusGroupConditioning-v0`` (``gymnasium.make(id, **config_fields)``).

Choice tasks (:mod:`dopaspike.tasks.choice`, :class:`~dopaspike.tasks.choice.ChoiceTask`) are
closed-loop instead: one ``step(action)`` is one trial's choice (the index of the chosen option
in ``env.offered()``), the reward is 0 or 1, ``info["trial"]`` is the trial's record and
``info["feedback"]`` whether it had an outcome; the driver does the millisecond timing.
:class:`~dopaspike.tasks.choice.Bandit` (k-armed, optionally restless),
:class:`~dopaspike.tasks.choice.Reversal` (probabilistic reversal learning, Cools et al. 2002) and
:class:`~dopaspike.tasks.choice.ProbabilisticSelection` (Frank, Seeberger & O'Reilly 2004), registered as
``dopaspike/Bandit-v0``, ``dopaspike/Reversal-v0`` and ``dopaspike/ProbabilisticSelection-v0``; and
:class:`~dopaspike.tasks.two_afc.TwoAFC`, the 2-alternative visual decision task of Liebana et al. 2025
(``dopaspike/TwoAFC-v0``).

:class:`~dopaspike.tasks.avoidance.ShuttleBox` (signalled active avoidance, its unavoidable and
extinction controls, and learned helplessness; Lopez et al. 2025, Maier & Seligman 1976) is
closed-loop in model time: one ``step(action)`` is one decision interval of ``step_ms``, the
action stay, freeze or shuttle, and the reward minus the seconds of footshock in the step
(``dopaspike/ShuttleBox-v0``).
"""

from __future__ import annotations

import gymnasium

from .avoidance import AVOIDANCE_EVENT_KINDS, AvoidanceEvent, AvoidanceTrial, ShuttleBox, ShuttleBoxConfig
from .base import EVENT_KINDS, Event, ScheduledTask, Span, TrialRecord
from .choice import (
    Bandit,
    BanditConfig,
    BanditTrial,
    ChoiceTask,
    ProbabilisticSelection,
    ProbabilisticSelectionConfig,
    Reversal,
    ReversalConfig,
    ReversalTrial,
    SelectionTrial,
)
from .classical_conditioning import Presentation, StimulusGroupConditioning, StimulusGroupConfig
from .pavlovian import TRIAL_TYPES, PavlovianConditioning, PavlovianConfig, PavlovianTrial
from .two_afc import TwoAFC, TwoAFCConfig, TwoAFCTrial

__all__ = [
    "AVOIDANCE_EVENT_KINDS", "EVENT_KINDS", "TRIAL_TYPES", "AvoidanceEvent", "AvoidanceTrial", "Bandit", "BanditConfig",
    "BanditTrial", "ChoiceTask", "Event", "PavlovianConditioning", "PavlovianConfig", "PavlovianTrial", "Presentation",
    "ProbabilisticSelection", "ProbabilisticSelectionConfig", "Reversal", "ReversalConfig", "ReversalTrial", "ScheduledTask",
    "SelectionTrial", "ShuttleBox", "ShuttleBoxConfig", "Span", "StimulusGroupConditioning", "StimulusGroupConfig",
    "TrialRecord", "TwoAFC", "TwoAFCConfig", "TwoAFCTrial",
]

ENV_IDS = {
    "dopaspike/PavlovianConditioning-v0": "dopaspike.tasks.pavlovian:PavlovianConditioning",
    "dopaspike/StimulusGroupConditioning-v0": "dopaspike.tasks.classical_conditioning:StimulusGroupConditioning",
    "dopaspike/Bandit-v0": "dopaspike.tasks.choice:Bandit",
    "dopaspike/Reversal-v0": "dopaspike.tasks.choice:Reversal",
    "dopaspike/ProbabilisticSelection-v0": "dopaspike.tasks.choice:ProbabilisticSelection",
    "dopaspike/TwoAFC-v0": "dopaspike.tasks.two_afc:TwoAFC",
    "dopaspike/ShuttleBox-v0": "dopaspike.tasks.avoidance:ShuttleBox",
}
for _id, _entry in ENV_IDS.items():
    if _id not in gymnasium.registry:  # importing twice must not re-register (gymnasium would warn)
        gymnasium.register(id=_id, entry_point=_entry)
