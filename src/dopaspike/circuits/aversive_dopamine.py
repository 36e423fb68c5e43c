"""Regional dopamine for learning from aversion: NAc core and ventromedial-shell dopamine subpopulations.

Dopamine neurons do not all answer an aversive event alike (Lopez & Lerner 2025, review, seed 000;
de Jong et al. 2019, Neuron 101:133): those projecting to the nucleus accumbens *core* are
inhibited by footshock and by cues that predict it and rise when the animal reaches safety,
like a reward (or safety) prediction error (Oleson et al. 2012, J Neurosci 32:14804; Stelly et
al. 2019, PNAS 116:13641), while those projecting to the *ventromedial shell* are excited by
shock and, early in learning, by the warning cue: aversive salience (Lopez et al. 2025, Curr Biol
35:2433). The inputs differ accordingly: glutamatergic lateral-hypothalamus neurons carrying the
aversive stimulus synapse onto the shell-projecting dopamine neurons directly (de Jong et al.
2019), whereas aversive glutamatergic inputs reach the other dopamine neurons through VTA GABA
interneurons, which inhibit them (Tan et al. 2012, Neuron 73:1173; van Zessen et al. 2012,
Neuron 73:1184).

This module builds that circuit from the engine's spiking populations. Each subpopulation
releases into its own dopamine region (``<prefix>core``, ``<prefix>shell``), which is what
plastic synapses elsewhere (an actor choosing to shuttle, say) read:

* **DA neurons** ``da_core`` and ``da_shell``: regular-spiking Izhikevich neurons pacemaking
  near 4-5 Hz (the prediction circuit's tonic drive).
* **Aversive input** ``lh`` (lateral-hypothalamus-like): driven for as long as a shock lasts; it
  excites ``da_shell`` (a rise to shock) and the VTA GABA neurons ``gaba`` (fast-spiking), which
  inhibit ``da_core`` (a dip to shock).
* **Cues**: each cue drives its sensory group ``cue_<name>`` with an onset pulse and, for as long
  as it lasts, a weaker sustained input (a tone that stays on), so that the cue's spikes reach
  the moment a shock starts.
* **Learned threat** ``threat`` (basolateral-amygdala-like): the shock also excites it, and
  cue -> threat synapses are plastic. They follow dopamine-modulated STDP read from the *shell*
  region: a cue whose spikes precede the shock-driven threat spikes becomes eligible, and the
  shock-evoked shell rise turns that eligibility into a stronger association (aversive salience
  driving the early cue-shock association, Lopez et al. 2025). The learned threat then excites
  ``da_shell`` (a shell rise at the cue) and ``gaba`` (a core dip at the cue): the two regions
  answer the warning cue in opposite directions as the association develops.
* **Learned expectation of safety**: cue -> ``gaba`` and cue -> ``itc`` (intercalated-cell-like
  inhibitory neurons that inhibit ``threat``) synapses are plastic, read from the *core* region:
  a cue followed by the core's rise at safety strengthens both. The cue then drives the GABA
  neurons, so the core dips at the cue more deeply as avoidance succeeds (VTA GABA neurons carry
  the expectation that dopamine neurons subtract, Cohen et al. 2012, Nature 482:85), and it
  drives the extinction neurons, which silence the threat neurons, so the shell's rise at the
  cue fades once the shock is reliably avoided (safety learning suppresses fear through the
  amygdala's intercalated cells, Likhtik et al. 2008, Nature 454:642). With unavoidable shock
  there is no safety after the cue, and the threat, and the shell's cue response, stay.
* **Learned expectation of relief**: the onset of a shock pulses ``shock_onset``, which starts
  a chain of neuron groups ``relief_chain`` (each group firing one volley
  ``relief_chain_step_ms`` after the previous one: a synfire chain, as in
  :mod:`dopaspike.circuits.prediction_error`), so each group marks one moment of the shock.
  Every group projects with plastic synapses, read from the *core*, onto striosome-like
  inhibitory neurons ``relief_strio`` (weakly tonic), which inhibit ``da_core``. The eligibility
  is short (``relief_tau_c_ms``), so the group active when the core rises at the end of a shock
  is strengthened: a shock end that comes at the same moment again and again (uncontrollable
  shocks of one length) is met by inhibition, and the core's relief response shrinks, as a
  timed reward's burst is predicted away (Brown, Bullock & Grossberg 1999, J Neurosci
  19:10502). Dopamine responses at the end of uncontrollable shocks fade in this way in mice
  (Wu et al. 2021, eLife 10:e64041).
* **Safety** ``safety``: a group the driver excites when the animal reaches safety (it shuttles
  out of the cue or the shock); it excites ``da_core`` (the rise at successful avoidance,
  Oleson et al. 2012; Lopez et al. 2025). ``safety_da_scale`` scales that response (a
  manipulation: 0 blunts it as repeated uncontrollable shock does, Wu et al. 2021, eLife
  10:e64041; above 1 restores or enhances it).

What this circuit does not do by itself: choose. An agent reading ``<prefix>core`` (e.g. the
basal-ganglia loop of :mod:`dopaspike.circuits.basal_ganglia`) is what turns these signals into
avoidance.

Every population, region and projection name carries ``prefix`` so that several independent
individuals can live in one network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..core.connect import AllToAll, Explicit, onto_group, synfire_links
from ..core.models import DaStdp, DopamineRegion, Izhikevich
from ..core.network import Network

#: The dopamine subpopulations, each with its own region.
SUBPOPULATIONS = ("core", "shell")


class AversiveCircuitConfig(BaseModel):
    """Parameters of :func:`add_aversive_circuit`. Currents in pA, times in ms."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # dopamine subpopulations and their regions
    n_da_core: int = Field(30, ge=1, le=100_000, description="core-projecting dopamine neurons")
    n_da_shell: int = Field(30, ge=1, le=100_000, description="ventromedial-shell-projecting dopamine neurons")
    da_bias_pa: float = Field(3.0, ge=-100, le=100, description="tonic drive of the DA neurons (pacemaking near 4-5 Hz)")
    da_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into DA neurons each ms")
    da_tau_syn_ms: float = Field(20.0, ge=0, le=1000, description="synaptic current decay of DA neurons")
    da_release: float = Field(0.005, ge=0, le=10, description="dopamine concentration added per DA spike")
    da_tau_ms: float = Field(200.0, gt=0, le=10_000, description="decay of phasic dopamine in each region")
    tonic_reference_hz: float = Field(4.5, ge=0, le=100,
                                      description="tonic rate whose steady concentration is the plasticity reference")
    # aversive input and VTA GABA neurons
    n_lh: int = Field(20, ge=1, le=100_000, description="aversive-input (lateral-hypothalamus-like) neurons")
    shock_drive_pa: float = Field(8.0, ge=0, le=1000, description="input to the aversive-input neurons while a shock lasts")
    lh_shell_weight_pa: float = Field(1.0, ge=0, le=1000, description="aversive input -> shell DA weight")
    n_gaba: int = Field(20, ge=1, le=100_000, description="VTA GABA interneurons (fast-spiking)")
    gaba_bias_pa: float = Field(0.0, ge=-100, le=100, description="tonic drive of the GABA neurons")
    gaba_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into the GABA neurons")
    lh_gaba_weight_pa: float = Field(1.0, ge=0, le=1000, description="aversive input -> GABA weight")
    gaba_core_weight_pa: float = Field(-2.0, ge=-1000, le=0, description="GABA -> core DA weight (inhibitory)")
    # cues
    n_cue: int = Field(30, ge=1, le=100_000, description="sensory neurons per cue")
    cue_pulse_pa: float = Field(8.0, ge=0, le=1000, description="input to a cue's sensory neurons at its onset")
    cue_pulse_ms: int = Field(30, ge=1, le=10_000, description="duration of the onset input")
    cue_sustained_pa: float = Field(5.0, ge=0, le=1000, description="input to a cue's sensory neurons while it lasts")
    # learned threat
    n_threat: int = Field(30, ge=1, le=100_000, description="threat (basolateral-amygdala-like) neurons")
    threat_noise_pa: float = Field(4.0, ge=0, le=100, description="uniform noise amplitude into the threat neurons")
    lh_threat_weight_pa: float = Field(1.0, ge=0, le=1000, description="aversive input -> threat weight (the shock drives it)")
    cue_threat_p: float = Field(0.3, gt=0, le=1, description="connection probability cue -> threat")
    threat_w_init: float = Field(0.1, ge=0, le=100, description="mean initial cue -> threat weight (uniform in [0, 2x])")
    threat_w_max: float = Field(2.0, gt=0, le=100, description="largest cue -> threat weight")
    threat_lr_per_ms: float = Field(0.02, ge=0, le=10, description="learning rate of cue -> threat synapses")
    threat_a_minus: float = Field(0.1, ge=0, le=10, description="STDP depression amplitude of cue -> threat synapses")
    threat_tau_c_ms: float = Field(1000.0, gt=0, le=100_000, description="eligibility decay of cue -> threat synapses")
    threat_shell_weight_pa: float = Field(0.3, ge=0, le=1000, description="threat -> shell DA weight")
    threat_gaba_weight_pa: float = Field(1.5, ge=0, le=1000, description="threat -> GABA weight")
    # learned expectation of safety: cue -> GABA and cue -> extinction (ITC-like) neurons, taught by core dopamine
    cue_gaba_p: float = Field(0.3, gt=0, le=1, description="connection probability cue -> GABA")
    cue_gaba_w_init: float = Field(0.05, ge=0, le=100, description="mean initial cue -> GABA weight (uniform in [0, 2x])")
    cue_gaba_w_max: float = Field(1.5, gt=0, le=100, description="largest cue -> GABA weight")
    n_itc: int = Field(20, ge=1, le=100_000, description="extinction (intercalated-cell-like) inhibitory neurons")
    cue_itc_p: float = Field(0.3, gt=0, le=1, description="connection probability cue -> extinction neurons")
    cue_itc_w_init: float = Field(0.05, ge=0, le=100, description="mean initial cue -> extinction weight (uniform in [0, 2x])")
    cue_itc_w_max: float = Field(2.0, gt=0, le=100, description="largest cue -> extinction weight")
    itc_bias_pa: float = Field(2.5, ge=-100, le=100, description="tonic drive of the extinction neurons")
    itc_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into the extinction neurons")
    itc_threat_weight_pa: float = Field(-1.0, ge=-1000, le=0, description="extinction -> threat weight (inhibitory)")
    safety_lr_per_ms: float = Field(0.02, ge=0, le=10,
                                    description="learning rate of the cue -> GABA and cue -> extinction synapses (core-taught)")
    safety_tau_c_ms: float = Field(500.0, gt=0, le=100_000,
                                   description="eligibility decay of the cue -> GABA and cue -> extinction synapses")
    # learned expectation of relief: a chain started at shock onset -> relief striosome, taught by core dopamine
    relief_chain_groups: int = Field(30, ge=1, le=10_000, description="groups of the chain started at shock onset")
    relief_chain_group_size: int = Field(10, ge=1, le=10_000, description="neurons per group of that chain")
    relief_chain_step_ms: float = Field(100.0, ge=1, le=1000, description="delay from one group of the chain to the next")
    relief_chain_start_ms: float = Field(100.0, ge=1, le=1000, description="delay from shock onset to the chain's first group")
    relief_chain_weight_pa: float = Field(4.0, ge=0, le=1000,
                                          description="weight of the chain's links (a volley fires the next group)")
    n_relief_strio: int = Field(20, ge=1, le=100_000, description="striosome-like inhibitory neurons of the relief path")
    relief_strio_bias_pa: float = Field(1.5, ge=-100, le=100, description="tonic drive of those neurons")
    relief_strio_noise_pa: float = Field(8.0, ge=0, le=100, description="uniform noise amplitude into those neurons")
    relief_strio_core_weight_pa: float = Field(-1.0, ge=-1000, le=0, description="relief striosome -> core DA weight")
    relief_w_init: float = Field(0.02, ge=0, le=100, description="initial chain -> relief striosome weight")
    relief_w_max: float = Field(6.0, gt=0, le=100, description="largest chain -> relief striosome weight")
    relief_lr_per_ms: float = Field(0.3, ge=0, le=10,
                                    description="learning rate of the chain -> relief striosome synapses (core-taught)")
    relief_tau_c_ms: float = Field(300.0, gt=0, le=100_000,
                                   description="eligibility decay of the chain -> relief striosome synapses")
    plastic: bool = Field(True, description="control: False freezes every learned path of the circuit")
    # safety
    n_safety: int = Field(20, ge=1, le=100_000, description="safety-signal neurons")
    safety_pulse_pa: float = Field(20.0, ge=0, le=1000, description="input to the safety neurons when safety is reached")
    safety_pulse_ms: int = Field(30, ge=1, le=10_000, description="duration of the safety input")
    safety_core_weight_pa: float = Field(2.0, ge=0, le=1000, description="safety -> core DA weight")
    safety_da_scale: float = Field(1.0, ge=0, le=10,
                                   description="scale of the safety response (0 blunts it, as after inescapable shock)")

    @property
    def tonic(self) -> dict[str, float]:
        """Concentration each region's subpopulation maintains firing at ``tonic_reference_hz``:
        the plasticity reference of synapses reading that region."""
        per_neuron = self.tonic_reference_hz * self.da_release * self.da_tau_ms / 1000.0
        return {"core": self.n_da_core * per_neuron, "shell": self.n_da_shell * per_neuron}


@dataclass
class AversiveCircuit:
    """Names of one individual's circuit in a network, and how to drive it. Plain data (picklable)."""

    prefix: str
    cues: tuple[str, ...]
    config: AversiveCircuitConfig
    regions: dict[str, str] = field(default_factory=dict)  # subpopulation -> region name
    populations: dict[str, str] = field(default_factory=dict)  # role -> population name

    def pop(self, role: str) -> str:
        return self.populations[role]

    def schedule_cue(self, sim, cue: str, on_ms: float, off_ms: float) -> None:
        """``cue`` on from ``on_ms`` to ``off_ms``: an onset pulse, then the sustained input until
        ``off_ms`` (a shuttle that ends the cue early is a later call with an earlier ``off_ms``
        for a cue not yet scheduled, or :meth:`end_cue`)."""
        cfg = self.config
        name = self.populations[f"cue_{cue}"]
        sim.set_bias(name, cfg.cue_pulse_pa, at_ms=on_ms)
        if off_ms > on_ms + cfg.cue_pulse_ms:
            sim.set_bias(name, cfg.cue_sustained_pa, at_ms=on_ms + cfg.cue_pulse_ms)
        sim.set_bias(name, 0.0, at_ms=max(off_ms, on_ms + min(cfg.cue_pulse_ms, off_ms - on_ms)))

    def end_cue(self, sim, cue: str, at_ms: float | None = None) -> None:
        """Switch ``cue`` off from ``at_ms`` (default: the next step)."""
        sim.set_bias(self.populations[f"cue_{cue}"], 0.0, at_ms=at_ms)

    def start_shock(self, sim, at_ms: float, amplitude: float = 1.0) -> None:
        """A shock starts at ``at_ms``: the aversive input is driven until :meth:`end_shock`, and
        the shock-onset neurons get an onset pulse (which starts the relief chain)."""
        cfg = self.config
        sim.set_bias(self.populations["lh"], cfg.shock_drive_pa * amplitude, at_ms=at_ms)
        sim.set_bias(self.populations["shock_onset"], cfg.cue_pulse_pa, at_ms=at_ms)
        sim.set_bias(self.populations["shock_onset"], 0.0, at_ms=at_ms + cfg.cue_pulse_ms)

    def schedule_shock(self, sim, on_ms: float, off_ms: float, amplitude: float = 1.0) -> None:
        """A shock from ``on_ms`` to ``off_ms``: the aversive input is driven for its duration."""
        self.start_shock(sim, on_ms, amplitude)
        self.end_shock(sim, off_ms)

    def end_shock(self, sim, at_ms: float | None = None) -> None:
        """Stop the aversive input from ``at_ms`` (default: the next step): an escape."""
        sim.set_bias(self.populations["lh"], 0.0, at_ms=at_ms)

    def schedule_safety(self, sim, at_ms: float, scale: float = 1.0) -> None:
        """Safety reached at ``at_ms``: the safety neurons get their pulse (``scale`` times
        ``safety_pulse_pa``)."""
        cfg = self.config
        sim.set_bias(self.populations["safety"], cfg.safety_pulse_pa * scale, at_ms=at_ms)
        sim.set_bias(self.populations["safety"], 0.0, at_ms=at_ms + cfg.safety_pulse_ms)


def add_aversive_circuit(net: Network, config: AversiveCircuitConfig, *, cues=("CS",), prefix: str = "",
                         seed: int = 0) -> AversiveCircuit:
    """Add one regional dopamine circuit to ``net`` (see the module docstring).

    ``cues`` names the warning cues it can be shown; ``seed`` draws its cue -> threat
    connectivity and initial weights (the rest of the randomness is the simulation's).
    """
    cfg = config
    rs, fs = Izhikevich.regular_spiking(), Izhikevich.fast_spiking()
    circuit = AversiveCircuit(prefix, tuple(cues), cfg)
    pops = circuit.populations

    def add(role, n, model, **kw):
        pops[role] = f"{prefix}{role}"
        return net.add_population(pops[role], n, model, **kw)

    da = {}
    for sub, n in (("core", cfg.n_da_core), ("shell", cfg.n_da_shell)):
        region = f"{prefix}{sub}"
        net.add_region(DopamineRegion(region, tau_ms=cfg.da_tau_ms))
        circuit.regions[sub] = region
        da[sub] = add(f"da_{sub}", n, rs, bias_pa=cfg.da_bias_pa, noise_uniform_pa=cfg.da_noise_pa,
                      tau_syn_ms=cfg.da_tau_syn_ms, da_region=region, da_release=cfg.da_release)
    lh = add("lh", cfg.n_lh, rs, noise_uniform_pa=4.0)
    gaba = add("gaba", cfg.n_gaba, fs, bias_pa=cfg.gaba_bias_pa, noise_uniform_pa=cfg.gaba_noise_pa, tau_syn_ms=10.0)
    threat = add("threat", cfg.n_threat, rs, noise_uniform_pa=cfg.threat_noise_pa, tau_syn_ms=10.0)
    safety = add("safety", cfg.n_safety, rs, noise_uniform_pa=4.0)
    itc = add("itc", cfg.n_itc, fs, bias_pa=cfg.itc_bias_pa, noise_uniform_pa=cfg.itc_noise_pa, tau_syn_ms=10.0)
    k, g = cfg.relief_chain_groups, cfg.relief_chain_group_size
    onset = add("shock_onset", g, rs, noise_uniform_pa=4.0)
    chain = add("relief_chain", k * g, rs, noise_uniform_pa=4.0)
    relief_strio = add("relief_strio", cfg.n_relief_strio, fs, bias_pa=cfg.relief_strio_bias_pa,
                       noise_uniform_pa=cfg.relief_strio_noise_pa, tau_syn_ms=20.0)

    threat_rule = DaStdp(tau_c_ms=cfg.threat_tau_c_ms, w_max=cfg.threat_w_max,
                         lr_per_ms=cfg.threat_lr_per_ms * (1.0 if cfg.plastic else 0.0), a_minus=cfg.threat_a_minus,
                         da_reference=cfg.tonic["shell"])
    lr_safety = cfg.safety_lr_per_ms * (1.0 if cfg.plastic else 0.0)
    gaba_rule = DaStdp(tau_c_ms=cfg.safety_tau_c_ms, w_max=cfg.cue_gaba_w_max, lr_per_ms=lr_safety,
                       a_minus=cfg.threat_a_minus, da_reference=cfg.tonic["core"])
    itc_rule = DaStdp(tau_c_ms=cfg.safety_tau_c_ms, w_max=cfg.cue_itc_w_max, lr_per_ms=lr_safety,
                      a_minus=cfg.threat_a_minus, da_reference=cfg.tonic["core"])
    relief_rule = DaStdp(tau_c_ms=cfg.relief_tau_c_ms, w_max=cfg.relief_w_max,
                         lr_per_ms=cfg.relief_lr_per_ms * (1.0 if cfg.plastic else 0.0), a_minus=cfg.threat_a_minus,
                         da_reference=cfg.tonic["core"])
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xA5E]))

    def plastic(pre_pop, post_pop, p, w_init, w_max, rule, region, name):
        conn = rng.random((pre_pop.n, post_pop.n)) < p
        pre, post = np.nonzero(conn)
        w0 = rng.uniform(0.0, min(2 * w_init, w_max), size=pre.size)
        net.connect(pre_pop, post_pop, Explicit(tuple(pre.tolist()), tuple(post.tolist())), weight=w0, rule=rule,
                    region=region, name=name)

    for cue in cues:
        cue_pop = add(f"cue_{cue}", cfg.n_cue, rs, noise_uniform_pa=4.0)
        plastic(cue_pop, threat, cfg.cue_threat_p, cfg.threat_w_init, cfg.threat_w_max, threat_rule, circuit.regions["shell"],
                f"{prefix}cue_{cue}->threat")
        plastic(cue_pop, gaba, cfg.cue_gaba_p, cfg.cue_gaba_w_init, cfg.cue_gaba_w_max, gaba_rule, circuit.regions["core"],
                f"{prefix}cue_{cue}->gaba")
        plastic(cue_pop, itc, cfg.cue_itc_p, cfg.cue_itc_w_init, cfg.cue_itc_w_max, itc_rule, circuit.regions["core"],
                f"{prefix}cue_{cue}->itc")
    # the relief chain: shock onset -> group 0 -> group 1 -> ...; every group -> relief striosome (plastic)
    net.connect(onset, chain, onto_group(g, 0, g), weight=cfg.relief_chain_weight_pa, delay_ms=cfg.relief_chain_start_ms,
                name=f"{prefix}shock_onset->relief_chain")
    if k > 1:
        pre, post = synfire_links(k, g)
        net.connect(chain, chain, Explicit(tuple(pre.tolist()), tuple(post.tolist())), weight=cfg.relief_chain_weight_pa,
                    delay_ms=cfg.relief_chain_step_ms, name=f"{prefix}relief_chain")
    net.connect(chain, relief_strio, AllToAll(), weight=cfg.relief_w_init, rule=relief_rule, region=circuit.regions["core"],
                name=f"{prefix}relief_chain->relief_strio")
    net.connect(relief_strio, da["core"], AllToAll(), weight=cfg.relief_strio_core_weight_pa,
                name=f"{prefix}relief_strio->da_core")
    net.connect(lh, da["shell"], AllToAll(), weight=cfg.lh_shell_weight_pa, name=f"{prefix}lh->da_shell")
    net.connect(lh, gaba, AllToAll(), weight=cfg.lh_gaba_weight_pa, name=f"{prefix}lh->gaba")
    net.connect(lh, threat, AllToAll(), weight=cfg.lh_threat_weight_pa, name=f"{prefix}lh->threat")
    net.connect(gaba, da["core"], AllToAll(), weight=cfg.gaba_core_weight_pa, name=f"{prefix}gaba->da_core")
    net.connect(threat, da["shell"], AllToAll(), weight=cfg.threat_shell_weight_pa, name=f"{prefix}threat->da_shell")
    net.connect(threat, gaba, AllToAll(), weight=cfg.threat_gaba_weight_pa, name=f"{prefix}threat->gaba")
    net.connect(itc, threat, AllToAll(), weight=cfg.itc_threat_weight_pa, name=f"{prefix}itc->threat")
    net.connect(safety, da["core"], AllToAll(), weight=cfg.safety_core_weight_pa * cfg.safety_da_scale,
                name=f"{prefix}safety->da_core")
    return circuit
