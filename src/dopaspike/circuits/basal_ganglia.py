"""A cortico-basal ganglia-thalamic loop that selects actions and learns Go and NoGo from dopamine.

One **channel** per option the agent can choose (an arm of a bandit, a stimulus of a selection
task). Each option has a cortical population ``ctx_<option>`` that fires while the option is on
offer; each channel has its own block of D1 and D2 medium spiny neurons, GPe, GPi/SNr and
thalamic neurons, wired as in Gurney, Prescott & Redgrave (2001, Biol Cybern 84:401) and Frank
(2005, J Cogn Neurosci 17:51):

* **direct pathway (Go)**: cortex -> D1 MSNs -| GPi -| thalamus: D1 activity disinhibits its
  channel's thalamus;
* **indirect pathway (NoGo)**: cortex -> D2 MSNs -| GPe -| GPi: D2 activity releases GPi and so
  holds its channel's thalamus back;
* **hyperdirect pathway**: cortex -> STN -> GPi (all channels; diffuse), with GPe -| STN: any
  offered option raises the threshold of every channel (Frank 2006, Neural Netw 19:1120);
* the thalamic neurons of different channels inhibit one another (a reticular-nucleus-like
  competition), and each channel's thalamus excites its own MSNs (thalamostriatal feedback), so
  the chosen channel's MSNs fire most after the choice, which is what makes their synapses
  eligible (Frank 2005 feeds the chosen response back to striatum in the same way).

The action is read out from the thalamus: the offered channel whose thalamic neurons fire most in
the decision window is the choice (see the experiments).

**Dopamine**: the striatum reads the region of a dopamine prediction circuit
(:mod:`dopaspike.circuits.prediction_error`), whose spiking DA neurons burst to unpredicted reward
and pause when an expected reward fails to come: the critic is the network's own. Through
:class:`~dopaspike.core.models.DaReceptor` occupancy, D1 receptors (low affinity, half-occupied at
``d1_ec50_x_tonic`` times the tonic concentration) respond mostly to bursts and D2 receptors (high
affinity, ``d2_ec50_x_tonic``, with a shallow occupancy curve of Hill coefficient ``d2_hill``, as
agonist binding to D2 receptors in high- and low-affinity states is; Sibley, De Lean & Creese
1982, J Biol Chem 257:6351) mostly to dips (Richfield et al. 1989; Dreyer et al. 2010). The
corticostriatal synapses learn by :class:`~dopaspike.core.models.DaStdp` through their receptor:
D1 synapses potentiate after a burst and depress after a dip; D2 synapses the opposite (Shen et
al. 2008, Science 321:848). ``d2_lr_scale`` gives the D2 (NoGo) synapses their own learning rate,
as the Go and NoGo actors of OpAL have (Collins & Frank 2014, Psychol Rev 121:337). Dopamine
also raises D1 and lowers D2 excitability
(:class:`~dopaspike.core.models.DaExcitability`). The plasticity reference of both receptors is
the occupancy at the individual's own tonic concentration (the level its synapses have adapted
to), so only phasic bursts and dips teach, as in Frank (2005), where Go and NoGo learning compare
the phasic dopamine signal with the tonic one. Tonic changes act through the receptors instead:
with release depleted, bursts add little D1 occupancy (less Go learning), and D2 receptors, far
from saturation, respond to bursts and dips alike (measured: NoGo learning then falls on the
rewarded options; see docs/experiments/probabilistic-selection.md); with tonic dopamine raised by
a drug, D2 receptors stay largely occupied through a dip, so dips teach NoGo less while bursts
still teach Go. Receptor affinities (EC50) are fixed in units of the normal tonic concentration.
With ``plasticity_reference="normal_tonic"`` the reference stays at the normal tonic occupancy
instead, as Shen et al. (2008) found after dopamine depletion: plasticity becomes one-directional
(D1 synapses only depress, D2 synapses only potentiate, whatever the outcome), and with raised
tonic dopamine the reverse.

**Manipulations** (all config fields): ``da_depletion`` (fraction of dopamine release lost: a
Parkinson's model, Frank et al. 2004, Science 306:1940), ``tonic_da`` (a constant added to the
concentration, in units of the normal tonic level: medication/agonist, which blunts dips),
``d1_antagonist``/``d2_antagonist`` (dose ratio: a competitive antagonist multiplies the
receptor's apparent EC50; Schild 1949), ``lesion`` (``"d1"`` or ``"d2"``: that pathway's output
removed) and ``indirect_gain`` (strength of D2 -> GPe).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..core.connect import AllToAll, Explicit
from ..core.models import DaExcitability, DaReceptor, DaStdp, Izhikevich
from ..core.network import Network
from .prediction_error import PredictionCircuit, PredictionCircuitConfig, add_prediction_circuit


class BasalGangliaConfig(BaseModel):
    """Parameters of :func:`add_basal_ganglia` (the actor). Currents in pA, times in ms; sizes
    are per option (channel)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # cortex
    n_ctx: int = Field(20, ge=1, le=100_000, description="cortical neurons per option")
    ctx_drive_pa: float = Field(8.0, ge=0, le=1000, description="drive of an offered option's cortical neurons")
    ctx_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into cortical neurons")
    # striatum
    n_msn: int = Field(20, ge=1, le=100_000, description="D1 and D2 medium spiny neurons each, per channel")
    msn_bias_pa: float = Field(0.0, ge=-100, le=100, description="tonic drive of MSNs (near silent at rest)")
    msn_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into MSNs")
    msn_tau_syn_ms: float = Field(10.0, ge=0, le=1000, description="synaptic current decay of MSNs")
    ctx_msn_p: float = Field(0.5, gt=0, le=1, description="connection probability cortex -> MSN of its channel")
    ctx_msn_w_init: float = Field(0.6, ge=0, le=100, description="initial cortex -> MSN weight")
    ctx_msn_w_max: float = Field(2.5, gt=0, le=100, description="largest cortex -> MSN weight")
    ctx_msn_lr_per_ms: float = Field(0.002, ge=0, le=10, description="learning rate of cortex -> MSN synapses")
    ctx_msn_a_minus: float = Field(0.05, ge=0, le=10,
                                   description="STDP depression amplitude of cortex -> MSN (half of LTP: nearly Hebbian)")
    ctx_msn_tau_c_ms: float = Field(500.0, gt=0, le=100_000,
                                    description="eligibility decay of cortex -> MSN synapses")
    ctx_msn_tau_c_rise_ms: float = Field(200.0, ge=0, le=10_000,
                                         description="eligibility rise time of cortex -> MSN synapses (Yagishita et al. 2014)")
    ctx_msn_soft_bounds: bool = Field(False, description="multiplicative weight bounds of cortex -> MSN synapses "
                                                         "(van Rossum, Bi & Turrigiano 2000): each weight settles where "
                                                         "potentiation and depression balance")
    d2_lr_scale: float = Field(1.0, ge=0, le=100,
                               description="learning rate of cortex -> D2 synapses / ctx_msn_lr_per_ms (separate Go and NoGo "
                                           "learning rates, as in OpAL; Collins & Frank 2014)")
    d1_ec50_x_tonic: float = Field(3.0, gt=0, le=1e4, description="D1 half-occupancy concentration / tonic (low affinity)")
    d2_ec50_x_tonic: float = Field(1.0, gt=0, le=1e4, description="D2 half-occupancy concentration / tonic (high affinity)")
    d2_hill: float = Field(0.5, ge=0.1, le=10,
                           description="Hill coefficient of D2 occupancy (below 1: shallow, as agonist binding to D2 "
                                       "receptors in high- and low-affinity states; Sibley, De Lean & Creese 1982)")
    d1_excitability_gain: float = Field(0.6, ge=0, le=10, description="D1 input gain: 1 + gain * occupancy")
    d2_excitability_gain: float = Field(0.4, ge=0, le=1, description="D2 input gain: 1 - gain * occupancy")
    thal_msn_weight_pa: float = Field(1.0, ge=0, le=1000, description="thalamus -> MSN of its channel (feedback)")
    # pallidum, STN, thalamus
    n_gp: int = Field(10, ge=1, le=100_000, description="GPe, GPi and thalamic neurons each, per channel")
    n_stn: int = Field(10, ge=1, le=100_000, description="STN neurons (shared by all channels)")
    gpe_bias_pa: float = Field(5.0, ge=-100, le=100, description="tonic drive of GPe (fast-spiking, ~35 Hz)")
    gpi_bias_pa: float = Field(10.0, ge=-100, le=100, description="tonic drive of GPi/SNr (fast-spiking, ~35 Hz with GPe input)")
    stn_bias_pa: float = Field(4.0, ge=-100, le=100, description="tonic drive of STN (~8 Hz)")
    thal_bias_pa: float = Field(3.0, ge=-100, le=100, description="tonic drive of thalamus")
    gp_noise_pa: float = Field(6.0, ge=0, le=100, description="uniform noise amplitude into GPe, GPi, STN and thalamus")
    gp_tau_syn_ms: float = Field(10.0, ge=0, le=1000, description="synaptic current decay of GPe, GPi, STN and thalamus")
    d1_gpi_weight_pa: float = Field(-6.0, ge=-1000, le=0, description="D1 -> GPi of its channel (direct pathway)")
    d2_gpe_weight_pa: float = Field(-10.0, ge=-1000, le=0, description="D2 -> GPe of its channel (indirect pathway)")
    gpe_gpi_weight_pa: float = Field(-1.5, ge=-1000, le=0, description="GPe -> GPi of its channel")
    gpe_stn_weight_pa: float = Field(-0.1, ge=-1000, le=0, description="GPe -> STN")
    stn_gpi_weight_pa: float = Field(0.2, ge=0, le=1000, description="STN -> GPi, all channels (diffuse)")
    stn_gpe_weight_pa: float = Field(0.1, ge=0, le=1000, description="STN -> GPe, all channels")
    ctx_stn_weight_pa: float = Field(0.1, ge=0, le=1000, description="cortex -> STN (hyperdirect)")
    ctx_thal_weight_pa: float = Field(2.0, ge=0, le=1000, description="cortex -> thalamus of its channel")
    gpi_thal_weight_pa: float = Field(-4.0, ge=-1000, le=0, description="GPi -> thalamus of its channel")
    thal_lateral_weight_pa: float = Field(-0.5, ge=-1000, le=0, description="thalamus -> thalamus of other channels")
    # manipulations
    da_depletion: float = Field(0.0, ge=0, lt=1, description="fraction of dopamine release lost (Parkinson's model)")
    tonic_da: float = Field(0.0, ge=0, le=100,
                            description="concentration added by a drug, in units of the normal tonic level (blunts dips)")
    d1_antagonist: float = Field(1.0, ge=1, le=1e4, description="D1 antagonist dose ratio (apparent EC50 x this; 1 = none)")
    d2_antagonist: float = Field(1.0, ge=1, le=1e4, description="D2 antagonist dose ratio (apparent EC50 x this; 1 = none)")
    lesion: Literal["none", "d1", "d2"] = Field("none", description="pathway whose output is removed: none, d1 or d2")
    plasticity_reference: Literal["own_tonic", "normal_tonic"] = Field(
        "own_tonic", description="occupancy at which cortex -> MSN weights do not change: at the individual's own tonic "
                                 "level (only phasic dopamine teaches; Frank 2005) or at the normal one (a lasting "
                                 "change of tonic dopamine makes plasticity one-directional; Shen et al. 2008)")
    indirect_gain: float = Field(1.0, ge=0, le=10, description="scale of D2 -> GPe (strength of the indirect pathway)")


@dataclass
class BasalGanglia:
    """Names of one individual's loop in a network, and how to drive it. Plain data (picklable)."""

    prefix: str
    options: tuple[str, ...]
    config: BasalGangliaConfig
    critic: PredictionCircuit
    populations: dict[str, str] = field(default_factory=dict)  # role -> population name

    def pop(self, role: str) -> str:
        return self.populations[role]

    def channel_slice(self, option: str, per_channel: int) -> slice:
        """Local indices of ``option``'s block in a per-channel population of ``per_channel`` neurons."""
        c = self.options.index(option)
        return slice(c * per_channel, (c + 1) * per_channel)

    def offer(self, sim, options, at_ms: float) -> None:
        """Drive the cortical populations of ``options`` from ``at_ms`` on."""
        for o in options:
            sim.set_bias(self.populations[f"ctx_{o}"], self.config.ctx_drive_pa, at_ms=at_ms)

    def withdraw(self, sim, options, at_ms: float) -> None:
        """Stop driving the cortical populations of ``options`` at ``at_ms``."""
        for o in options:
            sim.set_bias(self.populations[f"ctx_{o}"], 0.0, at_ms=at_ms)


def _blocks(n_ch: int, n_pre: int, n_post: int, p: float, rng, same_channel: bool = True):
    """(pre, post) local indices: each pre block of ``n_pre`` onto the post block of its own channel
    (or, with ``same_channel=False``, onto every other channel's), each pair with probability ``p``."""
    pre, post = [], []
    for a in range(n_ch):
        for b in range(n_ch):
            if (a == b) != same_channel:
                continue
            m = rng.random((n_pre, n_post)) < p if p < 1 else np.ones((n_pre, n_post), bool)
            i, j = np.nonzero(m)
            pre.append(i + a * n_pre)
            post.append(j + b * n_post)
    pre = np.concatenate(pre) if pre else np.zeros(0, np.int64)
    post = np.concatenate(post) if post else np.zeros(0, np.int64)
    return Explicit(tuple(pre.tolist()), tuple(post.tolist()))


def add_basal_ganglia(net: Network, config: BasalGangliaConfig, critic_config: PredictionCircuitConfig, *,
                      options: tuple[str, ...], cues: tuple[str, ...] = ("trial",), prefix: str = "",
                      seed: int = 0) -> BasalGanglia:
    """Add one individual's loop to ``net``: its critic (a dopamine prediction circuit with
    ``cues``) and an actor with one channel per entry of ``options`` (see the module docstring).

    ``seed`` draws the connectivity and initial weights (the rest of the randomness is the
    simulation's).
    """
    cfg = config
    tonic = critic_config.normal_tonic  # the unit of the receptors' EC50 and of tonic_da
    critic_cfg = critic_config.model_copy(update={"da_release_scale": critic_config.da_release_scale * (1.0 - cfg.da_depletion),
                                                  "da_baseline": critic_config.da_baseline + cfg.tonic_da * tonic})
    critic = add_prediction_circuit(net, critic_cfg, cues=cues, prefix=f"{prefix}critic_", seed=seed)
    region = critic.region
    bg = BasalGanglia(prefix, tuple(options), cfg, critic)
    pops = bg.populations
    rs, fs = Izhikevich.regular_spiking(), Izhikevich.fast_spiking()
    n_ch = len(options)

    def add(role, n, model, **kw):
        pops[role] = f"{prefix}{role}"
        return net.add_population(pops[role], n, model, **kw)

    d1_rec = DaReceptor("d1", ec50=cfg.d1_ec50_x_tonic * tonic * cfg.d1_antagonist)
    d2_rec = DaReceptor("d2", ec50=cfg.d2_ec50_x_tonic * tonic * cfg.d2_antagonist, hill=cfg.d2_hill)
    msn = dict(bias_pa=cfg.msn_bias_pa, noise_uniform_pa=cfg.msn_noise_pa, tau_syn_ms=cfg.msn_tau_syn_ms)
    d1 = add("d1", n_ch * cfg.n_msn, rs, da_excitability=DaExcitability(region, d1_rec, cfg.d1_excitability_gain), **msn)
    d2 = add("d2", n_ch * cfg.n_msn, rs, da_excitability=DaExcitability(region, d2_rec, cfg.d2_excitability_gain), **msn)
    gp = dict(noise_uniform_pa=cfg.gp_noise_pa, tau_syn_ms=cfg.gp_tau_syn_ms)
    gpe = add("gpe", n_ch * cfg.n_gp, fs, bias_pa=cfg.gpe_bias_pa, **gp)
    gpi = add("gpi", n_ch * cfg.n_gp, fs, bias_pa=cfg.gpi_bias_pa, **gp)
    stn = add("stn", cfg.n_stn, rs, bias_pa=cfg.stn_bias_pa, **gp)
    thal = add("thal", n_ch * cfg.n_gp, rs, bias_pa=cfg.thal_bias_pa, **gp)

    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xBA5A1]))
    rule = dict(tau_c_ms=cfg.ctx_msn_tau_c_ms, tau_c_rise_ms=cfg.ctx_msn_tau_c_rise_ms, w_max=cfg.ctx_msn_w_max,
                lr_per_ms=cfg.ctx_msn_lr_per_ms,
                a_minus=cfg.ctx_msn_a_minus, soft_bounds=cfg.ctx_msn_soft_bounds,
                da_reference=critic_cfg.da_reference if cfg.plasticity_reference == "own_tonic" else tonic)
    d1_rule = DaStdp(receptor=d1_rec, **rule)
    d2_rule = DaStdp(receptor=d2_rec, **(rule | {"lr_per_ms": cfg.ctx_msn_lr_per_ms * cfg.d2_lr_scale}))
    w0 = min(cfg.ctx_msn_w_init, cfg.ctx_msn_w_max)
    n, g = cfg.n_msn, cfg.n_gp
    for c, option in enumerate(options):
        ctx = add(f"ctx_{option}", cfg.n_ctx, rs, noise_uniform_pa=cfg.ctx_noise_pa)
        for post, rule_, role in ((d1, d1_rule, "d1"), (d2, d2_rule, "d2")):
            m = rng.random((cfg.n_ctx, n)) < cfg.ctx_msn_p
            i, j = np.nonzero(m)
            net.connect(ctx, post, Explicit(tuple(i.tolist()), tuple((j + c * n).tolist())), weight=w0, rule=rule_,
                        region=region, name=f"{prefix}ctx_{option}->{role}")
        net.connect(ctx, thal, Explicit(tuple(np.repeat(np.arange(cfg.n_ctx), g).tolist()),
                                        tuple(np.tile(np.arange(c * g, (c + 1) * g), cfg.n_ctx).tolist())),
                    weight=cfg.ctx_thal_weight_pa, name=f"{prefix}ctx_{option}->thal")
        net.connect(ctx, stn, AllToAll(), weight=cfg.ctx_stn_weight_pa, name=f"{prefix}ctx_{option}->stn")
    d1_out = 0.0 if cfg.lesion == "d1" else cfg.d1_gpi_weight_pa
    d2_out = 0.0 if cfg.lesion == "d2" else cfg.d2_gpe_weight_pa * cfg.indirect_gain
    net.connect(d1, gpi, _blocks(n_ch, n, g, 1.0, rng), weight=d1_out, name=f"{prefix}d1->gpi")
    net.connect(d2, gpe, _blocks(n_ch, n, g, 1.0, rng), weight=d2_out, name=f"{prefix}d2->gpe")
    net.connect(gpe, gpi, _blocks(n_ch, g, g, 1.0, rng), weight=cfg.gpe_gpi_weight_pa, name=f"{prefix}gpe->gpi")
    net.connect(gpe, stn, AllToAll(), weight=cfg.gpe_stn_weight_pa, name=f"{prefix}gpe->stn")
    net.connect(stn, gpi, AllToAll(), weight=cfg.stn_gpi_weight_pa, name=f"{prefix}stn->gpi")
    net.connect(stn, gpe, AllToAll(), weight=cfg.stn_gpe_weight_pa, name=f"{prefix}stn->gpe")
    net.connect(gpi, thal, _blocks(n_ch, g, g, 1.0, rng), weight=cfg.gpi_thal_weight_pa, name=f"{prefix}gpi->thal")
    if n_ch > 1:
        net.connect(thal, thal, _blocks(n_ch, g, g, 1.0, rng, same_channel=False), weight=cfg.thal_lateral_weight_pa,
                    name=f"{prefix}thal->thal")
    net.connect(thal, d1, _blocks(n_ch, g, n, 0.5, rng), weight=cfg.thal_msn_weight_pa, name=f"{prefix}thal->d1")
    net.connect(thal, d2, _blocks(n_ch, g, n, 0.5, rng), weight=cfg.thal_msn_weight_pa, name=f"{prefix}thal->d2")
    return bg
