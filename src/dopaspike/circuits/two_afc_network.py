"""A spiking deep network for the 2-alternative visual task, taught by heterogeneous dopamine.

Liebana et al. (2025, Cell 188:3789) model mice learning a 2-alternative visual decision task as a
*deep* network (stimulus -> hidden -> choice) whose association weights are updated by several
dopamine (DA) teaching signals, each reaching only a subset of the weights; in dorsolateral
striatum the DA signal was a partial, stimulus-based prediction error that drove learning only
for the stimulus used in the decision. This module builds one individual of a spiking version
from the engine's parts (:class:`~dopaspike.core.network.Network`):

* **stimulus** ``stim_left`` and ``stim_right`` (visual-cortex-like): each neuron fires in a
  fraction ``contrast * stim_rate_hz * dt`` of the steps while its side's grating is on (a
  Bernoulli process, Poisson in the limit of small steps): the rate is proportional to the
  contrast. They are threshold units (LIF with a membrane time constant far below the step, so
  the potential is the input of the step alone) driven by the engine's counter-based uniform
  noise; the constant input set at the onset fixes the fraction of steps in which the noise
  crosses threshold, which is linear in that input;
* **hidden** (striatum-like spiny units): ``n_hidden_groups`` groups of ``n_hidden_per_group`` neurons;
  every hidden neuron receives *both* stimulus populations through plastic synapses of the same
  initial mean (``stim_hidden_w_init``, spread ``stim_hidden_w_noise``), so the two stimuli start
  with overlapping representations, as in Liebana et al.'s network;
* **choice** ``out_left`` and ``out_right``: every hidden neuron projects to both through plastic
  synapses (``hidden_out_w_init``); the two inhibit each other (``out_lateral_weight_pa``), so
  one wins. The choice is the population with more spikes in the decision window. The chosen
  population is then driven until the end of the hold (``efference_pa``: the choice's efference
  copy, as in :mod:`dopaspike.experiments.choice`);
* **top-down feedback** (fixed): each choice population excites its own half of the hidden groups
  (``feedback_weight_pa``; groups 0, 2, ... belong to ``out_left``, 1, 3, ... to ``out_right``)
  and inhibits the other half (``feedback_inhibition_pa``). After a choice, the hidden groups of
  the chosen side keep firing with the stimulus and the others fall silent, so only the chosen
  side's groups have eligible synapses when the outcome comes. This is how the hidden layer gets
  signed credit in a spiking network: the rate model's backpropagated factor ``W2^T (a - p)``
  is replaced by a fixed feedback matrix of both signs, as in feedback alignment (Lillicrap et
  al. 2016, Nat Commun 7:13276), and the chosen channel is marked as by the thalamostriatal
  feedback of the basal-ganglia loop (:mod:`dopaspike.circuits.basal_ganglia`). Without the
  inhibitory half (measured while building this), a rewarded side's stimulus potentiated its
  synapses onto *every* hidden group, and individuals locked into choosing one side;
* **dopamine** subpopulations ``da_left`` and ``da_right``: LIF neurons pacemaking irregularly
  near ``da_tonic_hz`` (``da_bias_pa``, ``da_noise_pa``), each made of two projection-defined
  halves of ``n_da`` neurons. One half releases into the side's own region (``left`` or
  ``right``), which the synapses of that stimulus onto the hidden layer read
  (``stim_left -> hidden``, ``stim_right -> hidden``); the other half releases into region
  ``shared``, which the ``hidden -> out`` synapses read. Each subpopulation therefore updates a
  subset of the association weights: its own stimulus's first-layer weights and, with the other
  subpopulation, the second layer. (An engine neuron releases into one region, hence the halves;
  DA neurons are indeed organised by projection target, Lammel et al. 2008, Neuron 57:760.)
  LIF rather than Izhikevich neurons: regular-spiking Izhikevich neurons, tried first, rebounded
  in synchrony after a pause and gave back about half of it.

**Teaching signal** (:meth:`TwoAFCNetwork.schedule_outcome`). At the outcome the DA subpopulation
of the side shown (both on a zero-contrast trial) gets the prediction error ``delta = r - V`` of
that stimulus, scaled by its gain ``g_s`` (``da_gains``): ``delta > 0`` is an excitatory input of
``reward_pa`` lasting ``reward_ms * g_s * delta`` (a burst), ``delta < 0`` an inhibitory input of
``omission_pa`` lasting ``omission_ms * g_s * |delta|`` (a pause). The gain and the error set the
*duration* of a fixed input, which keeps the DA spike count linear in both, of either sign
(measured with the defaults at ``g_s = 1``: +1.8 spikes per neuron at ``delta = 1``, about -1.5 at
``delta = -1``, proportionally less for smaller errors); an amplitude would not, since a pause
cannot go below silence (in one run with amplitudes scaled by the gain and one expectation per
side, an individual with gains near 2 had all its hidden -> choice weights at their bound after
1000 trials). ``V`` is the
expected reward of the stimulus (each signed contrast has its own), ``V += value_lr * delta``
after each outcome (Rescorla & Wagner 1972; ``value_lr = 0`` keeps ``V = value_init``): the rate
model's ``V``, kept as a number rather than by a spiking critic. The expectation is needed: with a
fixed one (measured while building this), the side that was rewarded more kept getting net bursts,
its weights kept growing, and individuals locked into choosing that side (2 of 3 after 300
trials).

The synapses learn by :class:`~dopaspike.core.models.DaStdp` (eligibility trace, bounded
weights) with the plasticity reference at the region's tonic concentration (the one
``da_tonic_hz`` maintains), so bursts potentiate eligible synapses and pauses depress them. STDP
depression is a fifth of potentiation (``a_minus`` / ``a_plus``): synapses whose pre- and
postsynaptic neurons fire together become positively eligible (nearly Hebbian), so dopamine
scales a product of the two rates, as ``g_s (r - V)`` scales the rate model's update.

**Optogenetics.** :meth:`TwoAFCNetwork.stimulate_da` drives only one subpopulation (both halves)
with ``opto_pa`` for ``opto_ms``: its regions (its side and ``shared``) get dopamine, the other
side's stimulus synapses do not.

Every population, region and projection name carries ``prefix`` so that several individuals live
in one network (see :class:`TwoAFCNetwork`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..core.connect import AllToAll, Explicit
from ..core.models import LIF, DaStdp, DopamineRegion, Izhikevich
from ..core.network import Network

SIDES = ("left", "right")

#: The stimulus units: LIF with a membrane time constant far below the 1 ms step (the potential is
#: the current step's input), a 1 pF capacitance (0.01 mV/pA) and a 20 mV threshold: the threshold
#: current is 2000 pA and the noise amplitude equals it, so the fraction of steps that fire is
#: ``(bias - 1000 pA) / 2000 pA`` (between 0 and 1); a bias of 0 never fires.
_STIM_MODEL = LIF(tau_m_ms=0.01, c_m_pf=1.0, v_rest_mv=-70.0, v_reset_mv=-70.0, v_th_mv=-50.0, t_ref_ms=0.0,
                  v_init_mv=-70.0)
_STIM_THRESHOLD_PA = 2000.0
#: The DA neurons: LIF with Brunel (2000)'s cortical defaults (20 ms, 250 pF, 20 mV from rest to
#: threshold: 250 pA of constant input reach it), pacemaking irregularly from noise; no
#: adaptation, hence no rebound burst after a pause.
_DA_MODEL = LIF()
_STIM_NOISE_PA = 2000.0


class TwoAFCNetworkConfig(BaseModel):
    """Parameters of :func:`add_two_afc_network` and of the trial timing of
    :class:`~dopaspike.experiments.two_afc_spiking.SpikingTwoAFCSession`. Currents in pA, times in
    ms, sizes per group; every individual of a session shares them (they differ in ``da_gains``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # stimulus (visual cortex)
    n_stim: int = Field(20, ge=1, le=10_000, description="stimulus neurons per side")
    stim_rate_hz: float = Field(60.0, ge=0, le=500,
                                description="stimulus neurons' rate at contrast 1 (the rate is contrast x this)")
    # hidden layer (striatum-like)
    n_hidden_groups: int = Field(4, ge=2, le=100,
                                 description="hidden groups (even groups get out_left's feedback, odd ones out_right's)")
    n_hidden_per_group: int = Field(10, ge=1, le=10_000, description="hidden neurons per group")
    hidden_bias_pa: float = Field(0.0, ge=-100, le=100, description="tonic drive of hidden neurons")
    hidden_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into hidden neurons")
    hidden_tau_syn_ms: float = Field(10.0, ge=0, le=1000, description="synaptic current decay of hidden neurons")
    stim_hidden_p: float = Field(0.5, gt=0, le=1, description="connection probability stimulus -> hidden (both sides)")
    stim_hidden_w_init: float = Field(1.5, ge=0, le=100, description="mean initial stimulus -> hidden weight (both sides)")
    stim_hidden_w_noise: float = Field(0.2, ge=0, le=1,
                                       description="relative spread of the initial stimulus -> hidden weights (uniform +-)")
    stim_hidden_w_max: float = Field(4.0, gt=0, le=100, description="largest stimulus -> hidden weight")
    # choice
    n_out: int = Field(10, ge=1, le=10_000, description="neurons per choice population")
    out_bias_pa: float = Field(0.0, ge=-100, le=100, description="tonic drive of choice neurons")
    out_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into choice neurons")
    out_tau_syn_ms: float = Field(10.0, ge=0, le=1000, description="synaptic current decay of choice neurons")
    hidden_out_w_init: float = Field(0.5, ge=0, le=100, description="mean initial hidden -> choice weight (both choices)")
    hidden_out_w_noise: float = Field(0.2, ge=0, le=1,
                                      description="relative spread of the initial hidden -> choice weights (uniform +-)")
    hidden_out_w_max: float = Field(2.0, gt=0, le=100, description="largest hidden -> choice weight")
    out_lateral_weight_pa: float = Field(-2.5, ge=-1000, le=0, description="choice -> other choice population (inhibition)")
    feedback_weight_pa: float = Field(1.5, ge=0, le=1000,
                                      description="choice -> its hidden groups (fixed top-down feedback)")
    feedback_inhibition_pa: float = Field(-10.0, ge=-1000, le=0,
                                          description="choice -> the other choice's hidden groups (fixed, inhibitory)")
    feedback_p: float = Field(0.5, gt=0, le=1, description="connection probability of the feedback")
    efference_pa: float = Field(6.0, ge=0, le=100,
                                description="drive of the chosen population from the read-out to the end of the hold")
    # dopamine
    n_da: int = Field(20, ge=1, le=10_000,
                      description="DA neurons in each half of a subpopulation (one half per target region)")
    da_bias_pa: float = Field(174.0, ge=-1000, le=1000,
                              description="tonic drive of DA neurons (LIF; with da_noise_pa, pacemaking near 5 Hz)")
    da_noise_pa: float = Field(1000.0, ge=0, le=10_000, description="uniform noise amplitude into DA neurons each ms")
    da_tonic_hz: float = Field(5.0, ge=0, le=100,
                               description="tonic rate whose steady concentration is the plasticity reference "
                                           "(midbrain DA neurons: about 4-5 Hz; Grace & Bunney 1984)")
    da_release: float = Field(0.005, ge=0, le=10, description="dopamine concentration added per DA spike")
    da_tau_ms: float = Field(200.0, gt=0, le=10_000,
                             description="decay of phasic dopamine in each region (Izhikevich 2007: x0.995 per ms)")
    reward_pa: float = Field(100.0, ge=0, le=10_000,
                             description="input to the shown side's DA neurons when the prediction error is positive (a burst)")
    reward_ms: int = Field(100, ge=1, le=5000,
                           description="duration of the burst input per unit of gain x prediction error (Schultz et al. 1997)")
    omission_pa: float = Field(60.0, ge=0, le=10_000,
                               description="inhibition of the shown side's DA neurons when the prediction error is negative")
    omission_ms: int = Field(380, ge=0, le=5000,
                             description="duration of the pause input per unit of gain x |prediction error| (0: bursts only)")
    value_init: float = Field(0.5, ge=0, le=1, description="initial expected reward of each stimulus (side and contrast)")
    value_lr: float = Field(0.1, ge=0, le=1,
                            description="rate of the expected reward of each stimulus (Rescorla & Wagner 1972; 0: fixed)")
    opto_pa: float = Field(100.0, ge=0, le=10_000, description="optogenetic drive of one DA subpopulation")
    opto_ms: int = Field(100, ge=1, le=5000, description="duration of the optogenetic drive")
    # plasticity (both layers)
    a_plus: float = Field(0.1, ge=0, le=10, description="STDP potentiation amplitude (into the eligibility)")
    a_minus: float = Field(0.02, ge=0, le=10, description="STDP depression amplitude (a fifth of a_plus: nearly Hebbian)")
    tau_c_ms: float = Field(300.0, gt=0, le=100_000,
                            description="eligibility decay (shorter than Izhikevich 2007's ~1 s: trials must not mix)")
    stim_hidden_lr_per_ms: float = Field(0.006, ge=0, le=10, description="learning rate of stimulus -> hidden synapses")
    hidden_out_lr_per_ms: float = Field(0.02, ge=0, le=10, description="learning rate of hidden -> choice synapses")
    # trial timing
    decision_ms: int = Field(250, ge=20, le=5000, description="from the stimulus onset to the read-out of the choice")
    outcome_ms: int = Field(500, ge=21, le=10_000, description="from the stimulus onset to the reward (or omission)")
    hold_ms: int = Field(600, ge=21, le=10_000,
                         description="from the stimulus onset to the end of the stimulus and of the efference drive")
    iti_min_ms: int = Field(900, ge=0, le=600_000, description="shortest interval from the end of the hold to the next onset")
    iti_max_ms: int = Field(1100, ge=0, le=600_000, description="longest interval from the end of the hold to the next onset")
    da_window_ms: float = Field(300.0, gt=0, le=5000, description="window after the outcome time for the DA rates")
    chunk_ms: float = Field(1000.0, ge=1, le=60_000, description="longest compiled chunk")

    @model_validator(mode="after")
    def _timing(self):
        if not self.decision_ms < self.outcome_ms <= self.hold_ms:
            raise ValueError(f"need decision_ms < outcome_ms <= hold_ms (got {self.decision_ms}, {self.outcome_ms}, "
                             f"{self.hold_ms})")
        if self.iti_max_ms < self.iti_min_ms:
            raise ValueError(f"iti_max_ms={self.iti_max_ms} must be >= iti_min_ms={self.iti_min_ms}")
        if self.outcome_ms + self.da_window_ms > self.hold_ms + self.iti_min_ms:
            raise ValueError("outcome_ms + da_window_ms must end before the next trial (hold_ms + iti_min_ms)")
        if self.outcome_ms + max(self.reward_ms, self.omission_ms) > self.hold_ms + self.iti_min_ms:
            raise ValueError("the reward and omission inputs must end before the next trial (hold_ms + iti_min_ms)")
        if self.decision_ms + self.opto_ms > self.outcome_ms:
            raise ValueError("decision_ms + opto_ms must be <= outcome_ms (the optogenetic pulse at the choice ends "
                             "before the outcome's input)")
        if self.stim_rate_hz / 1000.0 > 1.0:
            raise ValueError("stim_rate_hz must be at most one spike per 1 ms step")
        return self

    @property
    def n_hidden_total(self) -> int:
        return self.n_hidden_groups * self.n_hidden_per_group

    @property
    def da_reference_side(self) -> float:
        """Tonic concentration of a side's region (one half of one subpopulation at ``da_tonic_hz``):
        the plasticity reference of its stimulus -> hidden synapses."""
        return self.n_da * self.da_tonic_hz * self.da_release * self.da_tau_ms / 1000.0

    @property
    def da_reference_shared(self) -> float:
        """Tonic concentration of region ``shared`` (one half of each subpopulation)."""
        return 2.0 * self.da_reference_side

    @property
    def mean_trial_ms(self) -> float:
        return self.hold_ms + (self.iti_min_ms + self.iti_max_ms) / 2


@dataclass
class TwoAFCNetwork:
    """Names of one individual's network and how to drive it. Plain data (picklable).

    ``populations`` maps roles to population names: ``stim_left``, ``stim_right``, ``hidden``,
    ``out_left``, ``out_right``, and for each side the halves of its DA subpopulation,
    ``da_<side>`` (releasing into region ``<side>``) and ``da_<side>_shared`` (into ``shared``).
    ``regions`` maps ``left``, ``right`` and ``shared`` to region names and ``projections`` maps
    ``stim_left``, ``stim_right`` (-> hidden), ``out_left`` and ``out_right`` (hidden ->) to
    plastic projection names.
    """

    prefix: str
    config: TwoAFCNetworkConfig
    da_gains: tuple[float, float]
    populations: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    projections: dict[str, str] = field(default_factory=dict)
    hidden_group_side: tuple[str, ...] = ()  # which choice population feeds back to each hidden group
    # the expected reward of each stimulus (by signed contrast): the teaching signal's prediction
    expectation: dict[float, float] = field(default_factory=dict)
    # scheduled DA input windows [start, end) per side, to refuse overlapping inputs
    _da_busy: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: {s: [] for s in SIDES})

    def pop(self, role: str) -> str:
        return self.populations[role]

    def da_populations(self, side: str) -> tuple[str, str]:
        """The two halves of DA subpopulation ``side``: (into its own region, into ``shared``)."""
        return self.populations[f"da_{side}"], self.populations[f"da_{side}_shared"]

    def gain(self, side: str) -> float:
        return float(self.da_gains[SIDES.index(side)])

    # -- inputs ------------------------------------------------------------------------------
    def present(self, sim, contrast_left: float, contrast_right: float, at_ms: float, until_ms: float) -> None:
        """Show the grating(s): each side's stimulus neurons fire at ``contrast * stim_rate_hz``
        from ``at_ms`` to ``until_ms``."""
        for side, c in zip(SIDES, (contrast_left, contrast_right)):
            if c < 0 or c > 1:
                raise ValueError(f"contrast_{side}={c} must be in [0, 1]")
            if c > 0:
                p = c * self.config.stim_rate_hz * sim.dt_ms / 1000.0
                sim.set_bias(self.populations[f"stim_{side}"], stim_bias_pa(p), at_ms=at_ms)
                sim.set_bias(self.populations[f"stim_{side}"], 0.0, at_ms=until_ms)

    def drive_choice(self, sim, side: str, at_ms: float, until_ms: float) -> None:
        """The efference copy: drive choice population ``side`` from ``at_ms`` to ``until_ms``."""
        name = self.populations[f"out_{side}"]
        sim.set_bias(name, self.config.out_bias_pa + self.config.efference_pa, at_ms=at_ms)
        sim.set_bias(name, self.config.out_bias_pa, at_ms=until_ms)

    def _da_input(self, sim, side: str, current_pa: float, at_ms: float, duration_ms: float) -> None:
        """Add ``current_pa`` to the tonic drive of both halves of DA subpopulation ``side`` for
        ``duration_ms`` (inputs to one subpopulation may not overlap: they set, not add)."""
        if duration_ms <= 0:
            return
        k0, k1 = sim.steps_for(at_ms), sim.steps_for(at_ms + duration_ms)
        busy = [w for w in self._da_busy[side] if w[1] > sim.step]
        if any(a < k1 and k0 < b for a, b in busy):
            raise ValueError(f"DA input to {side} at {at_ms:g} ms overlaps another one")
        busy.append((k0, k1))
        self._da_busy[side] = busy
        for name in self.da_populations(side):
            sim.set_bias(name, self.config.da_bias_pa + current_pa, at_ms=at_ms)
            sim.set_bias(name, self.config.da_bias_pa, at_ms=at_ms + duration_ms)

    def schedule_outcome(self, sim, signed_contrast: float, rewarded: bool, at_ms: float) -> float:
        """The teaching signal at ``at_ms``; returns the prediction error ``delta = r - V``.

        ``V`` is the expected reward of this stimulus (:attr:`expectation`, keyed by the signed
        contrast), updated after the outcome with ``V += value_lr * delta``. The DA subpopulation
        of the side shown (both at zero contrast) is driven with ``reward_pa`` for
        ``reward_ms * g * delta`` when ``delta > 0`` (a burst), inhibited with ``omission_pa`` for
        ``omission_ms * g * |delta|`` when ``delta < 0`` (a pause), ``g`` its gain; a duration is
        cut at the next onset at the earliest (``hold_ms + iti_min_ms - outcome_ms`` after the
        outcome)."""
        cfg = self.config
        key = float(signed_contrast)
        v = self.expectation.get(key, cfg.value_init)
        delta = float(rewarded) - v
        self.expectation[key] = v + cfg.value_lr * delta
        longest = cfg.hold_ms + cfg.iti_min_ms - cfg.outcome_ms
        for side in (SIDES if key == 0 else (("right",) if key > 0 else ("left",))):
            g = self.gain(side)
            if delta > 0:
                self._da_input(sim, side, cfg.reward_pa, at_ms, min(round(cfg.reward_ms * g * delta), longest))
            elif delta < 0:
                self._da_input(sim, side, -cfg.omission_pa, at_ms, min(round(cfg.omission_ms * g * -delta), longest))
        return delta

    def stimulate_da(self, sim, side: str, at_ms: float, *, duration_ms: float | None = None,
                     current_pa: float | None = None) -> None:
        """Optogenetic drive of DA subpopulation ``side`` only (both its halves): ``current_pa``
        (default ``opto_pa``) for ``duration_ms`` (default ``opto_ms``) from ``at_ms``."""
        if side not in SIDES:
            raise ValueError(f"side={side!r} must be 'left' or 'right'")
        cfg = self.config
        self._da_input(sim, side, cfg.opto_pa if current_pa is None else current_pa, at_ms,
                       cfg.opto_ms if duration_ms is None else duration_ms)

    # -- reading -----------------------------------------------------------------------------
    def synapse_ids(self, sim, which: str) -> np.ndarray:
        """Synapse ids of plastic projection ``which`` (``stim_left``, ``stim_right``,
        ``out_left``, ``out_right``)."""
        return sim.synapse_ids(self.projections[which])


def stim_bias_pa(p_per_step: float) -> float:
    """The constant input of a stimulus unit that makes it fire in a fraction ``p_per_step`` of steps."""
    p = min(max(p_per_step, 0.0), 1.0)
    return _STIM_THRESHOLD_PA + _STIM_NOISE_PA * (p - 0.5)


def _jittered(rng, n: int, mean: float, spread: float, w_max: float) -> np.ndarray:
    return np.clip(mean * (1.0 + spread * rng.uniform(-1.0, 1.0, size=n)), 0.0, w_max)


def add_two_afc_network(net: Network, cfg: TwoAFCNetworkConfig, *, prefix: str = "", seed: int = 0,
                        da_gains: tuple[float, float] = (1.0, 1.0)) -> TwoAFCNetwork:
    """Add one individual's network to ``net`` (see the module docstring).

    ``da_gains = (g_left, g_right)`` scale the reward and omission inputs of the two DA
    subpopulations; ``seed`` draws the connectivity and initial weights (the rest of the
    randomness is the simulation's).
    """
    g = tuple(float(x) for x in da_gains)
    if len(g) != 2 or not all(0 <= x <= 100 for x in g):
        raise ValueError(f"da_gains={da_gains!r} must be two numbers in [0, 100]")
    handle = TwoAFCNetwork(prefix, cfg, g)  # type: ignore[arg-type]
    pops = handle.populations
    rs = Izhikevich.regular_spiking()

    def add(role, n, model, **kw):
        pops[role] = f"{prefix}{role}"
        return net.add_population(pops[role], n, model, **kw)

    for key in ("left", "right", "shared"):
        handle.regions[key] = f"{prefix}{key}"
        net.add_region(DopamineRegion(handle.regions[key], tau_ms=cfg.da_tau_ms, baseline=0.0))

    stim = {s: add(f"stim_{s}", cfg.n_stim, _STIM_MODEL, noise_uniform_pa=_STIM_NOISE_PA) for s in SIDES}
    hidden = add("hidden", cfg.n_hidden_total, rs, bias_pa=cfg.hidden_bias_pa, noise_uniform_pa=cfg.hidden_noise_pa,
                 tau_syn_ms=cfg.hidden_tau_syn_ms)
    out = {s: add(f"out_{s}", cfg.n_out, rs, bias_pa=cfg.out_bias_pa, noise_uniform_pa=cfg.out_noise_pa,
                  tau_syn_ms=cfg.out_tau_syn_ms) for s in SIDES}
    da = dict(bias_pa=cfg.da_bias_pa, noise_uniform_pa=cfg.da_noise_pa, da_release=cfg.da_release)
    for s in SIDES:
        add(f"da_{s}", cfg.n_da, _DA_MODEL, da_region=handle.regions[s], **da)
        add(f"da_{s}_shared", cfg.n_da, _DA_MODEL, da_region=handle.regions["shared"], **da)

    rule = dict(a_plus=cfg.a_plus, a_minus=cfg.a_minus, tau_c_ms=cfg.tau_c_ms)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x2AFC]))
    for s in SIDES:
        m = rng.random((cfg.n_stim, hidden.n)) < cfg.stim_hidden_p
        i, j = np.nonzero(m)
        w = _jittered(rng, i.size, cfg.stim_hidden_w_init, cfg.stim_hidden_w_noise, cfg.stim_hidden_w_max)
        handle.projections[f"stim_{s}"] = name = f"{prefix}stim_{s}->hidden"
        net.connect(stim[s], hidden, Explicit(tuple(i.tolist()), tuple(j.tolist())), weight=w,
                    rule=DaStdp(lr_per_ms=cfg.stim_hidden_lr_per_ms, w_max=cfg.stim_hidden_w_max,
                                da_reference=cfg.da_reference_side, **rule),
                    region=handle.regions[s], name=name)
    out_rule = DaStdp(lr_per_ms=cfg.hidden_out_lr_per_ms, w_max=cfg.hidden_out_w_max,
                      da_reference=cfg.da_reference_shared, **rule)
    for s in SIDES:
        w = _jittered(rng, hidden.n * cfg.n_out, cfg.hidden_out_w_init, cfg.hidden_out_w_noise, cfg.hidden_out_w_max)
        handle.projections[f"out_{s}"] = name = f"{prefix}hidden->out_{s}"
        net.connect(hidden, out[s], AllToAll(), weight=w, rule=out_rule, region=handle.regions["shared"], name=name)
    net.connect(out["left"], out["right"], AllToAll(), weight=cfg.out_lateral_weight_pa, name=f"{prefix}out_left->out_right")
    net.connect(out["right"], out["left"], AllToAll(), weight=cfg.out_lateral_weight_pa, name=f"{prefix}out_right->out_left")
    handle.hidden_group_side = tuple(SIDES[k % 2] for k in range(cfg.n_hidden_groups))
    for si, s in enumerate(SIDES):
        for sign, weight in (("+", cfg.feedback_weight_pa), ("-", cfg.feedback_inhibition_pa)):
            groups = [k for k in range(cfg.n_hidden_groups) if (k % 2 == si) == (sign == "+")]
            targets = np.concatenate([np.arange(k * cfg.n_hidden_per_group, (k + 1) * cfg.n_hidden_per_group) for k in groups])
            m = rng.random((cfg.n_out, targets.size)) < cfg.feedback_p
            i, j = np.nonzero(m)
            if weight != 0.0 and i.size:
                net.connect(out[s], hidden, Explicit(tuple(i.tolist()), tuple(targets[j].tolist())), weight=weight,
                            name=f"{prefix}out_{s}->hidden{sign}")
    return handle
