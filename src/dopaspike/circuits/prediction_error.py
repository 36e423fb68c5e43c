"""A dopamine system that learns to predict reward: spiking DA neurons whose prediction errors emerge.

No temporal-difference formula is written anywhere: the dopamine neurons are Izhikevich neurons
firing tonically, and what they do at a cue or a reward follows from three paths into them, two
of which learn by dopamine-modulated STDP (:class:`~dopaspike.core.models.DaStdp`) read from the
dopamine the group itself releases. The layout is that of Brown, Bullock & Grossberg (1999,
J Neurosci 19:10502) and of its spiking version by Chorley & Seth (2011, Front Comput Neurosci
5:21):

* **Primary reward (US)**: a ``us`` population (lateral hypothalamus / PPTg-like) excites the DA
  neurons when a reward arrives, so an unpredicted reward makes them burst.
* **Fast excitatory cue path (learned value)**: each cue drives a sensory ``cue_<name>`` group,
  which projects with plastic synapses onto a ``value`` population (ventral pallidum-like;
  Tindell et al. 2009, J Neurosci 29:12220), which excites the DA neurons. The cue-to-value
  synapses grow when dopamine rises while they are eligible; their eligibility lasts about a
  second (``value_tau_c_ms``), long enough to span the cue-reward interval (Izhikevich 2007,
  Cereb Cortex 17:2443).
* **Slow, timed inhibitory path (learned expectation)**: each cue also starts a sequence in a
  cortical population ``ctx``: a chain of neuron groups, each firing one volley ``chain_step_ms``
  after the previous one (a synfire chain; Abeles 1991), so that each group marks one moment
  after the cue. Every group projects with plastic synapses onto striosome-like inhibitory
  neurons ``strio``, which inhibit the DA neurons. The eligibility of these synapses is short
  (``strio_tau_c_ms``), so only the groups active at the moment of a reward are strengthened:
  the inhibition comes at the time the reward is expected and cancels the reward's excitation;
  when the reward is withheld the same inhibition makes a pause.

Timing therefore comes from the network (the chain's delays), not from a clock handed to the
DA neurons. Both learned paths read the dopamine region into which the DA neurons release
(``da_release`` per spike, decaying with ``da_tau_ms``); weights change with
``lr * c * (DA - da_reference)``, where the reference is the concentration that tonic firing at
``tonic_reference_hz`` maintains (with the circuit's own release and baseline): a burst
potentiates eligible synapses, a pause depresses them. A sustained change of the tonic level (a
depletion, a drug) moves the reference with it, so only phasic deviations teach, as in Frank
(2005, J Cogn Neurosci 17:51), where learning compares the phasic signal with the tonic one.

A **motivational state** (incentive salience; Zhang, Berridge, Tindell, Smith & Aldridge 2009,
PLoS Comput Biol 5:e1000437) is a gain on the synaptic input of the value neurons,
``1 + motivation_gain_per_level * level`` (see
:meth:`~dopaspike.core.simulation.Simulation.set_input_gain`): it scales the drive a learned cue
delivers, as Zhang et al.'s factor kappa scales a learned value, so the cue drives the value
neurons, and so the DA neurons, more (or less) the moment the level changes, with no weight
changing and little change at rest, where the value neurons get almost no synaptic input.

Every population, region and projection name carries ``prefix`` so that several independent
individuals can live in one network (see :class:`PredictionCircuit`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..core.connect import AllToAll, Explicit, onto_group, synfire_links
from ..core.models import DaStdp, DopamineRegion, Izhikevich
from ..core.network import Network


class PredictionCircuitConfig(BaseModel):
    """Parameters of :func:`add_prediction_circuit`. Currents in pA, times in ms."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # dopamine neurons and their region
    n_da: int = Field(40, ge=1, le=100_000, description="dopamine neurons (regular-spiking Izhikevich)")
    da_bias_pa: float = Field(3.6, ge=-100, le=100, description="tonic drive of the DA neurons (sets pacemaking near 4-5 Hz)")
    da_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into DA neurons each ms")
    da_tau_syn_ms: float = Field(20.0, ge=0, le=1000, description="synaptic current decay of DA neurons (smooths inhibition)")
    da_release: float = Field(0.005, ge=0, le=10, description="dopamine concentration added per DA spike")
    da_tau_ms: float = Field(200.0, gt=0, le=10_000, description="decay of phasic dopamine in the region")
    tonic_reference_hz: float = Field(4.5, ge=0, le=100,
                                      description="tonic rate whose steady concentration is the plasticity reference")
    da_release_blocked: bool = Field(False, description="control: DA spikes release nothing (no teaching signal)")
    da_release_scale: float = Field(1.0, ge=0, le=10,
                                    description="fraction of the normal release per spike (below 1: dopamine depletion); "
                                                "the plasticity reference scales with it")
    da_baseline: float = Field(0.0, ge=0, le=1e3,
                               description="constant concentration added to the region (e.g. a drug raising tonic dopamine); "
                                           "added to the plasticity reference")
    plastic: bool = Field(True, description="control: False freezes both learned paths")
    # cues
    n_cue: int = Field(40, ge=1, le=100_000, description="sensory neurons per cue")
    cue_pulse_pa: float = Field(20.0, ge=0, le=1000, description="input to a cue's sensory neurons at its onset")
    cue_pulse_ms: int = Field(30, ge=1, le=10_000, description="duration of the onset input")
    # timed path: chain -> striosome -> DA
    chain_groups: int = Field(20, ge=1, le=10_000, description="groups in each cue's chain (moments marked after the cue)")
    chain_group_size: int = Field(10, ge=1, le=10_000, description="neurons per chain group")
    chain_step_ms: float = Field(50.0, ge=1, le=1000, description="delay from one chain group to the next")
    chain_start_ms: float = Field(300.0, ge=1, le=1000, description="delay from the cue to the first chain group")
    chain_weight_pa: float = Field(4.0, ge=0, le=1000, description="weight of chain links (one volley fires the next group)")
    n_strio: int = Field(20, ge=1, le=100_000, description="striosome-like inhibitory neurons (fast-spiking)")
    strio_bias_pa: float = Field(2.0, ge=-100, le=100, description="tonic drive of the striosome neurons")
    strio_noise_pa: float = Field(8.0, ge=0, le=100, description="uniform noise amplitude into striosome neurons")
    strio_tau_syn_ms: float = Field(20.0, ge=0, le=1000, description="synaptic current decay of striosome neurons")
    strio_w_init: float = Field(0.02, ge=0, le=100, description="initial chain -> striosome weight")
    strio_w_max: float = Field(3.0, gt=0, le=100, description="largest chain -> striosome weight")
    strio_lr_per_ms: float = Field(0.05, ge=0, le=10, description="learning rate of chain -> striosome synapses")
    strio_a_minus: float = Field(0.02, ge=0, le=10, description="STDP depression amplitude of chain -> striosome synapses")
    strio_tau_c_ms: float = Field(150.0, gt=0, le=100_000, description="eligibility decay of chain -> striosome synapses")
    strio_da_weight_pa: float = Field(-3.0, ge=-1000, le=0, description="striosome -> DA weight (inhibitory)")
    # fast path: cue -> value -> DA
    n_value: int = Field(40, ge=1, le=100_000, description="value (ventral pallidum-like) neurons")
    value_bias_pa: float = Field(0.0, ge=-100, le=100, description="tonic drive of value neurons")
    value_noise_pa: float = Field(12.0, ge=0, le=100, description="uniform noise amplitude into value neurons")
    value_tau_syn_ms: float = Field(10.0, ge=0, le=1000, description="synaptic current decay of value neurons")
    cue_value_p: float = Field(0.3, gt=0, le=1, description="connection probability cue -> value")
    value_w_init: float = Field(0.1, ge=0, le=100, description="mean initial cue -> value weight (uniform in [0, 2x])")
    value_w_max: float = Field(3.0, gt=0, le=100, description="largest cue -> value weight")
    value_lr_per_ms: float = Field(0.04, ge=0, le=10, description="learning rate of cue -> value synapses")
    value_a_plus: float = Field(0.1, ge=0, le=10, description="STDP potentiation amplitude of cue -> value synapses")
    value_a_minus: float = Field(0.1, ge=0, le=10, description="STDP depression amplitude of cue -> value synapses")
    value_a_pre: float = Field(0.0, ge=0, le=10,
                               description="eligibility added by each cue spike alone (a stimulus trace; see `DaStdp.a_pre`)")
    value_tau_c_ms: float = Field(1000.0, gt=0, le=100_000, description="eligibility decay of cue -> value synapses")
    value_tau_c_rise_ms: float = Field(0.0, ge=0, le=10_000,
                                       description="eligibility rise time of cue -> value synapses (0: none)")
    value_da_weight_pa: float = Field(0.25, ge=0, le=1000, description="value -> DA weight (all to all)")
    motivation_gain_per_level: float = Field(0.5, ge=0, le=100,
                                             description="change of the value neurons' input gain per unit of motivational level")
    # reward
    n_us: int = Field(20, ge=1, le=100_000, description="reward-input (US) neurons")
    us_pulse_pa: float = Field(20.0, ge=0, le=1000, description="input to US neurons per unit of reward magnitude")
    us_pulse_ms: int = Field(30, ge=1, le=10_000, description="duration of the US input")
    us_da_weight_pa: float = Field(2.0, ge=0, le=1000, description="US -> DA weight")

    @property
    def normal_tonic(self) -> float:
        """Concentration maintained by ``n_da`` neurons firing at ``tonic_reference_hz`` with the
        normal release (no depletion, no added baseline): the unit of tonic dopamine."""
        return self.n_da * self.tonic_reference_hz * self.da_release * self.da_tau_ms / 1000.0

    @property
    def da_reference(self) -> float:
        """The plasticity reference: the tonic concentration of this circuit, ``da_baseline`` plus
        the normal tonic concentration scaled by ``da_release_scale`` (the level the synapses have
        adapted to)."""
        return self.da_baseline + self.da_release_scale * self.normal_tonic


@dataclass
class PredictionCircuit:
    """Names of one individual's circuit in a network, and how to drive it. Plain data (picklable)."""

    prefix: str
    cues: tuple[str, ...]
    config: PredictionCircuitConfig
    region: str
    populations: dict[str, str] = field(default_factory=dict)  # role -> population name

    def pop(self, role: str) -> str:
        return self.populations[role]

    def schedule_cue(self, sim, cue: str, at_ms: float) -> None:
        """The onset input of ``cue`` at ``at_ms``."""
        cfg = self.config
        name = self.populations[f"cue_{cue}"]
        sim.set_bias(name, cfg.cue_pulse_pa, at_ms=at_ms)
        sim.set_bias(name, 0.0, at_ms=at_ms + cfg.cue_pulse_ms)

    def schedule_reward(self, sim, at_ms: float, magnitude: float = 1.0) -> None:
        """A reward of ``magnitude`` at ``at_ms``: the US neurons are driven for ``us_pulse_ms``."""
        cfg = self.config
        sim.set_bias(self.populations["us"], cfg.us_pulse_pa * magnitude, at_ms=at_ms)
        sim.set_bias(self.populations["us"], 0.0, at_ms=at_ms + cfg.us_pulse_ms)

    def schedule_motivation(self, sim, level: float, at_ms: float | None = None) -> None:
        """Set the motivational level (0 neutral, >0 deprived, <0 sated) from ``at_ms`` on: the
        value neurons' input gain becomes ``1 + motivation_gain_per_level * level`` (at least 0)."""
        gain = max(0.0, 1.0 + self.config.motivation_gain_per_level * level)
        sim.set_input_gain(self.populations["value"], gain, at_ms=at_ms)


def add_prediction_circuit(net: Network, config: PredictionCircuitConfig, *, cues=("CS1",), prefix: str = "",
                           seed: int = 0) -> PredictionCircuit:
    """Add one dopamine prediction circuit to ``net`` (see the module docstring).

    ``cues`` names the cues it can be shown; ``seed`` draws its cue -> value connectivity and
    initial weights (the rest of the randomness is the simulation's).
    """
    cfg = config
    rs, fs = Izhikevich.regular_spiking(), Izhikevich.fast_spiking()
    region = f"{prefix}vta"
    net.add_region(DopamineRegion(region, tau_ms=cfg.da_tau_ms, baseline=cfg.da_baseline))
    release = 0.0 if cfg.da_release_blocked else cfg.da_release * cfg.da_release_scale
    lr_scale = 1.0 if cfg.plastic else 0.0
    circuit = PredictionCircuit(prefix, tuple(cues), cfg, region)
    pops = circuit.populations

    def add(role, n, model, **kw):
        pops[role] = f"{prefix}{role}"
        return net.add_population(pops[role], n, model, **kw)

    da = add("da", cfg.n_da, rs, bias_pa=cfg.da_bias_pa, noise_uniform_pa=cfg.da_noise_pa,
             tau_syn_ms=cfg.da_tau_syn_ms, da_region=region, da_release=release)
    us = add("us", cfg.n_us, rs, noise_uniform_pa=4.0)
    strio = add("strio", cfg.n_strio, fs, bias_pa=cfg.strio_bias_pa, noise_uniform_pa=cfg.strio_noise_pa,
                tau_syn_ms=cfg.strio_tau_syn_ms)
    value = add("value", cfg.n_value, rs, bias_pa=cfg.value_bias_pa, noise_uniform_pa=cfg.value_noise_pa,
                tau_syn_ms=cfg.value_tau_syn_ms)
    k, g = cfg.chain_groups, cfg.chain_group_size
    ctx = add("ctx", len(cues) * k * g, rs, noise_uniform_pa=4.0)

    ref = cfg.da_reference
    strio_rule = DaStdp(tau_c_ms=cfg.strio_tau_c_ms, w_max=cfg.strio_w_max, lr_per_ms=cfg.strio_lr_per_ms * lr_scale,
                        a_minus=cfg.strio_a_minus, da_reference=ref)
    value_rule = DaStdp(tau_c_ms=cfg.value_tau_c_ms, w_max=cfg.value_w_max, lr_per_ms=cfg.value_lr_per_ms * lr_scale,
                        a_plus=cfg.value_a_plus, a_minus=cfg.value_a_minus, a_pre=cfg.value_a_pre, da_reference=ref,
                        tau_c_rise_ms=cfg.value_tau_c_rise_ms)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    chain_pre, chain_post = [], []
    for ci, cue in enumerate(cues):
        cue_pop = add(f"cue_{cue}", cfg.n_cue, rs, noise_uniform_pa=4.0)
        first = ci * k * g
        # every sensory neuron of the cue starts the first group of its chain
        net.connect(cue_pop, ctx, onto_group(cfg.n_cue, first, g), weight=1.0, delay_ms=cfg.chain_start_ms,
                    name=f"{prefix}cue_{cue}->ctx")
        pre, post = synfire_links(k, g, first)
        chain_pre.extend(pre.tolist())
        chain_post.extend(post.tolist())
        conn = rng.random((cfg.n_cue, cfg.n_value)) < cfg.cue_value_p
        pre, post = np.nonzero(conn)
        w0 = rng.uniform(0.0, min(2 * cfg.value_w_init, cfg.value_w_max), size=pre.size)
        net.connect(cue_pop, value, Explicit(tuple(pre.tolist()), tuple(post.tolist())), weight=w0, rule=value_rule,
                    region=region, name=f"{prefix}cue_{cue}->value")
    if chain_pre:
        net.connect(ctx, ctx, Explicit(tuple(chain_pre), tuple(chain_post)), weight=cfg.chain_weight_pa,
                    delay_ms=cfg.chain_step_ms, name=f"{prefix}chain")
    net.connect(ctx, strio, AllToAll(), weight=cfg.strio_w_init, rule=strio_rule, region=region,
                name=f"{prefix}ctx->strio")
    net.connect(strio, da, AllToAll(), weight=cfg.strio_da_weight_pa, name=f"{prefix}strio->da")
    net.connect(us, da, AllToAll(), weight=cfg.us_da_weight_pa, name=f"{prefix}us->da")
    net.connect(value, da, AllToAll(), weight=cfg.value_da_weight_pa, name=f"{prefix}value->da")
    return circuit
