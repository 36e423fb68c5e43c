"""A spiking agent that learns to avoid: shuttle and freeze populations taught by NAc core dopamine.

The minimal action read-out of issue 5, built on :mod:`dopaspike.circuits.aversive_dopamine`
(whose populations it reads). Two populations of regular-spiking neurons stand for the
candidate actions of the shuttle box:

* ``shuttle``: crossing to the other chamber. Spontaneous firing makes the agent cross now and
  then (exploration); the aversive input drives it (an innate escape response to shock:
  flight), and so does the learned threat (fear motivates flight; Mowrer 1947's two-factor
  theory: the warning cue becomes feared, and crossing, which ends it, is reinforced). The cue's,
  the shock's and part of the threat neurons' synapses onto it are plastic: dopamine-modulated
  STDP read from the *core* region, so a crossing followed by the core's rise at safety
  strengthens the inputs that drove it, and crossing attempts during a shock that does not end
  (the core silenced) weaken them (Oleson et al. 2012, J Neurosci 32:14804, and Lopez et al.
  2025, Curr Biol 35:2433: core dopamine rises at successful avoidance; stimulating core
  dopamine terminals promotes avoidance, Wenzel et al. 2015, Curr Biol 25:2392). The rest of
  ``threat -> shuttle`` is fixed (``threat_shuttle_weight_pa``): innate flight, which alone
  does not make a prompt escape.
* ``freeze``: the Pavlovian defensive response to a feared cue (driven by the threat neurons),
  which inhibits ``shuttle``: freezing competes with avoiding, as in rodents (Bolles 1970,
  Psychol Rev 77:32), and animals in which the Pavlovian fear prevails avoid poorly (Choi, Cain
  & LeDoux 2010, Learn Mem 17:139; Lazaro-Munoz, LeDoux & Cain 2010, Biol Psychiatry 67:1120).
  The shock itself inhibits it (``lh_freeze_weight_pa``): a shock drives the threat neurons
  but brings on a burst of activity, not freezing (Fanselow 1982, Anim Learn Behav 10:448), so
  freezing holds the crossing back during the cue, not the escape.

Every decision interval, the driver takes each population's mean rate over the last
``decision_window_ms`` (a leaky-free integration, as accumulators of evidence for an action do;
a brief volley does not make a crossing, sustained drive does): the agent shuttles when
``shuttle`` fired at ``shuttle_threshold_hz`` or more (and faster than ``freeze``), freezes when
``freeze`` fired at ``freeze_threshold_hz`` or more, and otherwise stays (:func:`choose`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..core.connect import AllToAll, Explicit
from ..core.models import DaStdp, Izhikevich
from ..core.network import Network
from ..tasks.avoidance import FREEZE, SHUTTLE, STAY
from .aversive_dopamine import AversiveCircuit


class AvoidanceAgentConfig(BaseModel):
    """Parameters of :func:`add_avoidance_agent`. Currents in pA, times in ms."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    n_shuttle: int = Field(30, ge=1, le=100_000, description="neurons of the shuttle (cross) population")
    shuttle_bias_pa: float = Field(0.0, ge=-100, le=100, description="tonic drive of the shuttle neurons")
    shuttle_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into the shuttle neurons")
    decision_window_ms: int = Field(500, ge=1, le=10_000,
                                    description="the read-out integrates each population's spikes over this last stretch")
    shuttle_threshold_hz: float = Field(8.0, gt=0, le=1000,
                                        description="mean rate of the shuttle neurons over the window that makes a crossing")
    cue_shuttle_p: float = Field(0.3, gt=0, le=1, description="connection probability cue -> shuttle")
    cue_shuttle_w_init: float = Field(0.2, ge=0, le=100, description="mean initial cue -> shuttle weight (uniform in [0, 2x])")
    cue_shuttle_w_max: float = Field(1.5, gt=0, le=100, description="largest cue -> shuttle weight")
    escape_w_init: float = Field(0.15, ge=0, le=100, description="initial aversive input -> shuttle weight (innate escape)")
    escape_w_max: float = Field(0.35, gt=0, le=100, description="largest aversive input -> shuttle weight")
    actor_lr_per_ms: float = Field(0.005, ge=0, le=10, description="learning rate of the plastic inputs of the shuttle neurons")
    actor_a_minus: float = Field(0.1, ge=0, le=10, description="STDP depression amplitude of those inputs")
    actor_tau_c_ms: float = Field(1000.0, gt=0, le=100_000, description="eligibility decay of those inputs")
    threat_shuttle_weight_pa: float = Field(0.25, ge=0, le=1000,
                                            description="fixed threat -> shuttle weight (innate flight: fear drives it)")
    flight_w_init: float = Field(0.15, ge=0, le=1000, description="initial learned threat -> shuttle weight")
    flight_w_max: float = Field(0.4, gt=0, le=1000, description="largest learned threat -> shuttle weight")
    n_freeze: int = Field(30, ge=1, le=100_000, description="neurons of the freeze population")
    freeze_noise_pa: float = Field(4.0, ge=0, le=100, description="uniform noise amplitude into the freeze neurons")
    freeze_threshold_hz: float = Field(8.0, gt=0, le=1000,
                                       description="mean rate of the freeze neurons over the window that makes freezing")
    threat_freeze_weight_pa: float = Field(0.4, ge=0, le=1000, description="threat -> freeze weight (Pavlovian freezing)")
    lh_freeze_weight_pa: float = Field(-1.0, ge=-1000, le=0,
                                       description="aversive input -> freeze weight (a shock brings activity, not freezing)")
    freeze_shuttle_weight_pa: float = Field(-0.5, ge=-1000, le=0,
                                            description="freeze -> shuttle weight (freezing blocks crossing)")
    actor_plastic: bool = Field(True, description="control: False freezes the shuttle population's plastic inputs")


@dataclass
class AvoidanceAgent:
    """Names of one individual's agent in a network. Plain data (picklable)."""

    prefix: str
    config: AvoidanceAgentConfig
    populations: dict[str, str] = field(default_factory=dict)  # role -> population name

    def pop(self, role: str) -> str:
        return self.populations[role]


def choose(shuttle_hz: float, freeze_hz: float, config: AvoidanceAgentConfig) -> int:
    """The action of one decision interval from the two populations' mean rates over the window."""
    if shuttle_hz >= config.shuttle_threshold_hz and shuttle_hz > freeze_hz:
        return SHUTTLE
    if freeze_hz >= config.freeze_threshold_hz:
        return FREEZE
    return STAY


def add_avoidance_agent(net: Network, config: AvoidanceAgentConfig, circuit: AversiveCircuit, *, seed: int = 0
                        ) -> AvoidanceAgent:
    """Add the agent of one individual, reading ``circuit``'s populations and its core region."""
    cfg, prefix = config, circuit.prefix
    rs = Izhikevich.regular_spiking()
    agent = AvoidanceAgent(prefix, cfg)

    def add(role, n, **kw):
        agent.populations[role] = f"{prefix}{role}"
        return net.add_population(agent.populations[role], n, rs, **kw)

    shuttle = add("shuttle", cfg.n_shuttle, bias_pa=cfg.shuttle_bias_pa, noise_uniform_pa=cfg.shuttle_noise_pa,
                  tau_syn_ms=10.0)
    freeze = add("freeze", cfg.n_freeze, noise_uniform_pa=cfg.freeze_noise_pa, tau_syn_ms=10.0)
    core = circuit.regions["core"]
    lr = cfg.actor_lr_per_ms if cfg.actor_plastic else 0.0
    tonic = circuit.config.tonic["core"]
    cue_rule = DaStdp(tau_c_ms=cfg.actor_tau_c_ms, w_max=cfg.cue_shuttle_w_max, lr_per_ms=lr, a_minus=cfg.actor_a_minus,
                      da_reference=tonic)
    escape_rule = DaStdp(tau_c_ms=cfg.actor_tau_c_ms, w_max=cfg.escape_w_max, lr_per_ms=lr, a_minus=cfg.actor_a_minus,
                         da_reference=tonic)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xAC7]))
    n_cue = circuit.config.n_cue
    for cue in circuit.cues:
        conn = rng.random((n_cue, cfg.n_shuttle)) < cfg.cue_shuttle_p
        pre, post = np.nonzero(conn)
        w0 = rng.uniform(0.0, min(2 * cfg.cue_shuttle_w_init, cfg.cue_shuttle_w_max), size=pre.size)
        net.connect(net.population(circuit.pop(f"cue_{cue}")), shuttle, Explicit(tuple(pre.tolist()), tuple(post.tolist())),
                    weight=w0, rule=cue_rule, region=core, name=f"{prefix}cue_{cue}->shuttle")
    net.connect(net.population(circuit.pop("lh")), shuttle, AllToAll(), weight=cfg.escape_w_init, rule=escape_rule,
                region=core, name=f"{prefix}lh->shuttle")
    threat = net.population(circuit.pop("threat"))
    net.connect(threat, shuttle, AllToAll(), weight=cfg.threat_shuttle_weight_pa, name=f"{prefix}threat->shuttle")
    flight_rule = DaStdp(tau_c_ms=cfg.actor_tau_c_ms, w_max=cfg.flight_w_max, lr_per_ms=lr, a_minus=cfg.actor_a_minus,
                         da_reference=tonic)
    net.connect(threat, shuttle, AllToAll(), weight=min(cfg.flight_w_init, cfg.flight_w_max), rule=flight_rule, region=core,
                name=f"{prefix}threat->shuttle_learned")
    net.connect(threat, freeze, AllToAll(), weight=cfg.threat_freeze_weight_pa, name=f"{prefix}threat->freeze")
    if cfg.lh_freeze_weight_pa:
        net.connect(net.population(circuit.pop("lh")), freeze, AllToAll(), weight=cfg.lh_freeze_weight_pa,
                    name=f"{prefix}lh->freeze")
    net.connect(freeze, shuttle, AllToAll(), weight=cfg.freeze_shuttle_weight_pa, name=f"{prefix}freeze->shuttle")
    return agent
