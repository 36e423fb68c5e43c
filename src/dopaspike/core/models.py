"""Parameter sets of the neuron models, plasticity rules and dopamine regions.

These are plain frozen dataclasses: one place per parameter, with the paper it comes from.
Change them with :func:`dataclasses.replace`; every value is validated by ``validate()`` before a
network is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .errors import ConfigError, check_choice, check_range


@dataclass(frozen=True)
class Izhikevich:
    """Izhikevich (2003, IEEE TNN 14:1569) simple model.

    ``v' = 0.04 v^2 + 5 v + 140 - u + I``, ``u' = a (b v - u)``; at ``v >= 30 mV``:
    ``v <- c``, ``u <- u + d``. Integrated as in Izhikevich (2007, daspnet.m): two half-steps
    of v per step, then u.

    ========== ====== ============================================
    name       unit   meaning
    ========== ====== ============================================
    a          1/ms   recovery time scale
    b          --     recovery sensitivity (dimensionless)
    c_mv       mV     reset potential
    d          pA     recovery jump after a spike
    v_init_mv  mV     initial membrane potential (u starts at b*v)
    ========== ====== ============================================
    """

    a: float = 0.02
    b: float = 0.2
    c_mv: float = -65.0
    d: float = 8.0
    v_init_mv: float = -65.0

    @classmethod
    def regular_spiking(cls) -> Izhikevich:
        """Excitatory RS cell (a=0.02, d=8), as in daspnet.m."""
        return cls(a=0.02, b=0.2, c_mv=-65.0, d=8.0)

    @classmethod
    def fast_spiking(cls) -> Izhikevich:
        """Inhibitory FS cell (a=0.1, d=2), as in daspnet.m."""
        return cls(a=0.1, b=0.2, c_mv=-65.0, d=2.0)

    def validate(self, where: str) -> None:
        check_range(f"{where}.a", self.a, 0.0, 1.0, low_open=True)
        check_range(f"{where}.b", self.b, -1.0, 1.0)
        check_range(f"{where}.c_mv", self.c_mv, -100.0, 30.0, high_open=True)
        check_range(f"{where}.d", self.d, -50.0, 50.0)
        check_range(f"{where}.v_init_mv", self.v_init_mv, -100.0, 30.0, high_open=True)


@dataclass(frozen=True)
class LIF:
    """Leaky integrate-and-fire neuron, ``C_m dv/dt = -(C_m/tau_m)(v - v_rest) + I``.

    Updated exactly for a current held constant over a step; refractory clamp at ``v_reset``.
    Defaults are the common cortical values of Brunel (2000, J Comput Neurosci 8:183).
    """

    tau_m_ms: float = 20.0
    c_m_pf: float = 250.0
    v_rest_mv: float = -70.0
    v_reset_mv: float = -70.0
    v_th_mv: float = -50.0
    t_ref_ms: float = 2.0
    v_init_mv: float = -70.0

    def validate(self, where: str) -> None:
        check_range(f"{where}.tau_m_ms", self.tau_m_ms, 0.0, None, low_open=True)
        check_range(f"{where}.c_m_pf", self.c_m_pf, 0.0, None, low_open=True)
        check_range(f"{where}.t_ref_ms", self.t_ref_ms, 0.0, None)
        check_range(f"{where}.v_reset_mv", self.v_reset_mv, None, self.v_th_mv, high_open=True)
        check_range(f"{where}.v_init_mv", self.v_init_mv, None, self.v_th_mv, high_open=True)


NeuronModel = Izhikevich | LIF


@dataclass(frozen=True)
class DaReceptor:
    """A dopamine receptor's occupancy, ``occ = DA^h / (DA^h + ec50^h)`` (Hill equation).

    D1 receptors have a low affinity for dopamine and D2 receptors a high one (Richfield, Penney
    & Young 1989, Neuroscience 30:767): at tonic concentrations D2 receptors are mostly occupied
    and D1 receptors mostly free, so bursts move D1 occupancy most and dips move D2 occupancy
    most (Dreyer et al. 2010, J Neurosci 30:14273). ``ec50`` is in the concentration units of the
    dopamine region it reads (the same units as the region's baseline and the neurons'
    ``da_release``); choose it relative to the region's tonic level.

    ``sign`` is the direction of the receptor's effect: +1 for D1 (Gs-coupled: dopamine raises
    excitability and turns eligibility into LTP), -1 for D2 (Gi-coupled: the opposite; Shen et al.
    2008, Science 321:848; Surmeier et al. 2007, Trends Neurosci 30:228).
    """

    kind: Literal["d1", "d2"]
    ec50: float
    hill: float = 1.0

    @property
    def sign(self) -> float:
        return 1.0 if self.kind == "d1" else -1.0

    def occupancy(self, da):
        """Fraction of receptors occupied at concentration ``da`` (scalar or array)."""
        x = (da / self.ec50) ** self.hill
        return x / (1.0 + x)

    def validate(self, where: str) -> None:
        check_choice(f"{where}.kind", self.kind, ("d1", "d2"))
        check_range(f"{where}.ec50", self.ec50, 0.0, 1e6, low_open=True)
        check_range(f"{where}.hill", self.hill, 0.1, 10.0)


@dataclass(frozen=True)
class DaExcitability:
    """Dopamine's effect on a population's excitability: its synaptic input is scaled by
    ``1 + sign * gain * occupancy(DA)`` of ``receptor``, with DA the concentration of ``region``
    at each step.

    D1 activation enhances and D2 activation reduces the response of medium spiny neurons to
    cortical input (Moyer et al. 2007, J Neurophysiol 98:3731; Surmeier et al. 2007); Frank
    (2005, J Cogn Neurosci 17:51) models this as dopamine raising the gain of Go units and
    lowering that of NoGo units. ``gain`` is at most 1 for a D2 receptor so the factor stays >= 0.
    """

    region: str
    receptor: DaReceptor
    gain: float

    def validate(self, where: str) -> None:
        self.receptor.validate(f"{where}.receptor")
        check_range(f"{where}.gain", self.gain, 0.0, 1.0 if self.receptor.sign < 0 else 100.0)


@dataclass(frozen=True)
class DaStdp:
    """Dopamine-modulated STDP with an eligibility trace (Izhikevich 2007, Cereb Cortex 17:2443).

    Pair-based STDP writes into the synapse's eligibility trace ``c`` instead of its weight
    (LTP ``c += a_plus * x_pre`` at a postsynaptic spike, LTD ``c -= a_minus * x_post`` at a
    presynaptic arrival; unit traces decaying with ``tau_plus_ms``/``tau_minus_ms``); ``c`` decays
    with ``tau_c_ms``; the weight follows ``dw/dt = lr_per_ms * (DA - da_reference) * c`` where
    DA is the concentration (tonic baseline + phasic) of the synapse's dopamine region, clipped
    to ``[w_min, w_max]``.

    ``da_reference`` (default 0, as in Izhikevich 2007) is the concentration at which dopamine
    changes nothing: above it eligible synapses grow, below it (a dip, e.g. a pause of
    dopamine neurons whose tonic firing sets the concentration) they shrink. Set it to the tonic
    level of the region so that learning follows the phasic part only, as in three-factor rules
    with a signed teaching signal (Fremaux & Gerstner 2016, Front Neural Circuits 9:85).

    ``a_pre`` (default 0) adds a presynaptic-only term: every presynaptic arrival adds ``a_pre``
    to ``c`` whether or not the postsynaptic neuron fires, so the trace is a record of the input
    alone, the stimulus trace of the time-derivative and TD models of conditioning (Sutton &
    Barto 1990, in Gabriel & Moore (eds) *Learning and Computational Neuroscience*, MIT Press;
    the presynaptic factor of three-factor rules in Fremaux & Gerstner 2016). With
    ``a_plus = a_minus = 0`` learning is then linear in the weight: how much a synapse changes no
    longer depends on how strongly it already drives its target.

    ``tau_c_rise_ms`` (default 0: the trace jumps at a pairing, as in Izhikevich 2007) gives
    the eligibility a rise time: each STDP increment enters as the difference of two
    exponentials, ``exp(-t/tau_c_ms) - exp(-t/tau_c_rise_ms)``, scaled so that its peak equals
    the increment. Dopamine then matters little right after a pairing and most some hundreds of
    ms later, as Yagishita et al. (2014, Science 345:1616) found in striatal spines (dopamine
    effective 0.3-2 s after the pairing, not before). Exact mode only.

    ``receptor`` (default None) reads dopamine through a receptor: the weight then follows
    ``dw/dt = lr_per_ms * sign * (occ(DA) - occ(da_reference)) * c`` with the receptor's
    occupancy and sign (:class:`DaReceptor`): for D1 a burst potentiates eligible synapses and a
    dip barely depresses them; for D2 a dip potentiates and a burst depresses (Shen et al. 2008,
    Science 321:848; Frank 2005, J Cogn Neurosci 17:51). Exact mode only; the sum over steps is
    then taken step by step while the phasic dopamine is non-negligible.

    ``soft_bounds`` (default False: the weight is clipped to ``[w_min, w_max]``, additive STDP)
    makes the bounds multiplicative (van Rossum, Bi & Turrigiano 2000, J Neurosci 20:8812):
    potentiation is scaled by ``(w_max - w) / (w_max - w_min)`` and depression by
    ``(w - w_min) / (w_max - w_min)``. A weight under potentiation and depression then settles
    where the two balance, at ``w_min + (w_max - w_min) * P / (P + D)``, instead of running to a
    bound whenever their net drift has one sign. Only with a ``receptor`` (so exact mode only):
    the phasic period is summed step by step, each step scaled at that step's weight, as in a
    per-step loop; with ``da_reference`` at the region's tonic level that is all, and the result
    equals the per-step loop. With another reference the receptor's constant tonic offset is
    summed in closed form, and its sum X moves the weight exponentially toward the bound of X's
    sign, equal to the per-step loop to first order in the learning rate.

    ``mode="exact"`` evaluates this event-driven in closed form (NEST's stdp_dopamine_synapse
    does the same); ``mode="sweep"`` is daspnet.m's legacy scheme: ``c`` is constant between
    sweeps and every ``sweep_ms`` ``w += lr_per_ms*sweep_ms*DA*c`` then ``c`` decays.

    Defaults are daspnet.m's: traces x0.95 per ms (tau ~19.5 ms), A+ = 0.1, A- = 0.15 (1.5 x A+),
    c x0.99 per 10 ms (tau_c ~995 ms), w += (0.002 + DA) * c every 10 ms (lr 0.1 per ms),
    weights in [0, 4].
    """

    a_plus: float = 0.1
    a_minus: float = 0.15
    a_pre: float = 0.0
    tau_plus_ms: float = -1.0 / math.log(0.95)
    tau_minus_ms: float = -1.0 / math.log(0.95)
    tau_c_ms: float = -10.0 / math.log(0.99)
    lr_per_ms: float = 0.1
    w_min: float = 0.0
    w_max: float = 4.0
    mode: Literal["exact", "sweep"] = "exact"
    sweep_ms: float = 10.0
    da_reference: float = 0.0
    tau_c_rise_ms: float = 0.0
    receptor: DaReceptor | None = None
    soft_bounds: bool = False

    @property
    def rise_scale(self) -> float:
        """Factor on the STDP increments that makes the rising eligibility kernel peak at 1."""
        if self.tau_c_rise_ms <= 0:
            return 1.0
        tc, tr = self.tau_c_ms, self.tau_c_rise_ms
        t_peak = tc * tr / (tc - tr) * math.log(tc / tr)
        return 1.0 / (math.exp(-t_peak / tc) - math.exp(-t_peak / tr))

    def validate(self, where: str) -> None:
        check_range(f"{where}.a_plus", self.a_plus, 0.0, None)
        check_range(f"{where}.da_reference", self.da_reference, 0.0, 1e6)
        check_range(f"{where}.a_minus", self.a_minus, 0.0, None)
        check_range(f"{where}.a_pre", self.a_pre, 0.0, None)
        for name in ("tau_plus_ms", "tau_minus_ms", "tau_c_ms"):
            check_range(f"{where}.{name}", getattr(self, name), 0.0, 1e7, low_open=True)
        check_range(f"{where}.lr_per_ms", self.lr_per_ms, 0.0, None)
        check_range(f"{where}.w_max", self.w_max, self.w_min, None)
        check_choice(f"{where}.mode", self.mode, ("exact", "sweep"))
        check_range(f"{where}.sweep_ms", self.sweep_ms, 0.0, None, low_open=True)
        if self.tau_c_rise_ms != 0:
            check_range(f"{where}.tau_c_rise_ms", self.tau_c_rise_ms, 0.0, 0.9 * self.tau_c_ms, low_open=True)
            if self.mode != "exact":
                raise ConfigError(f"{where}.tau_c_rise_ms", self.tau_c_rise_ms, '0 with mode="sweep" (exact mode only)')
        if self.receptor is not None:
            if not isinstance(self.receptor, DaReceptor):
                raise ConfigError(f"{where}.receptor", self.receptor, "None or DaReceptor(...)")
            self.receptor.validate(f"{where}.receptor")
            if self.mode != "exact":
                raise ConfigError(f"{where}.receptor", self.receptor.kind, 'None with mode="sweep" (exact mode only)')
        if self.soft_bounds and self.receptor is None:
            raise ConfigError(f"{where}.soft_bounds", self.soft_bounds, "False without a receptor (soft bounds need one)")
        if self.soft_bounds and self.w_max <= self.w_min:
            raise ConfigError(f"{where}.w_max", self.w_max, f"> w_min = {self.w_min} with soft_bounds")


@dataclass(frozen=True)
class DopamineRegion:
    """A target region of volume-transmitted dopamine.

    Concentration = ``baseline`` (tonic) + a phasic part that decays with ``tau_ms`` and jumps by
    the release of every spike of a dopamine neuron projecting here and by externally delivered
    dopamine. daspnet.m: DA x0.995 per ms (tau ~199.5 ms), tonic term 0.002.
    """

    name: str
    tau_ms: float = -1.0 / math.log(0.995)
    baseline: float = 0.002

    def validate(self, where: str) -> None:
        if not self.name or not self.name.isidentifier():
            raise ConfigError(f"{where}.name", self.name, "a non-empty identifier")
        check_range(f"{where}.tau_ms", self.tau_ms, 0.0, 1e7, low_open=True)
        check_range(f"{where}.baseline", self.baseline, 0.0, None)
