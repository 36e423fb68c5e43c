"""The network of Izhikevich (2007, Cereb Cortex 17:2443), ModelDB 84167 ``daspnet.m``.

800 regular-spiking excitatory and 200 fast-spiking inhibitory Izhikevich neurons; each neuron
has 100 random targets (inhibitory neurons target excitatory ones only); 1 ms delays; initial
weights +1 (excitatory, plastic in [0, 4]) and -1 (inhibitory, static); every neuron receives
``13 * (U(0,1) - 0.5)`` pA each ms; excitatory synapses learn by dopamine-modulated STDP
(:class:`~dopaspike.core.models.DaStdp`) reading one dopamine region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.connect import FixedOutDegree
from ..core.errors import check_range
from ..core.models import DaStdp, DopamineRegion, Izhikevich
from ..core.network import Network


@dataclass(frozen=True)
class DaspnetParams:
    """Sizes and constants of daspnet.m; ``n_exc``/``n_inh`` scale the network."""

    n_exc: int = 800
    n_inh: int = 200
    n_targets: int = 100
    delay_ms: float = 1.0
    w_exc_init: float = 1.0
    w_inh: float = -1.0
    noise_uniform_pa: float = 13.0
    rule: DaStdp = field(default_factory=DaStdp)
    region: DopamineRegion = field(default_factory=lambda: DopamineRegion("cortex"))
    dt_ms: float = 1.0

    def validate(self) -> None:
        check_range("n_exc", self.n_exc, 1, 10_000_000)
        check_range("n_inh", self.n_inh, 0, 10_000_000)
        check_range("n_targets", self.n_targets, 1, self.n_exc + self.n_inh - 1)
        check_range("n_targets", self.n_targets, 1, max(1, self.n_exc - 1) if self.n_inh else None)
        check_range("w_inh", self.w_inh, None, 0.0)


def daspnet_network(p: DaspnetParams = DaspnetParams()) -> Network:
    """The daspnet.m network description (populations ``exc``, ``inh``; projections
    ``exc->exc+inh`` plastic, ``inh->exc`` static)."""
    p.validate()
    net = Network(dt_ms=p.dt_ms)
    net.add_region(p.region)
    exc = net.add_population("exc", p.n_exc, Izhikevich.regular_spiking(), noise_uniform_pa=p.noise_uniform_pa)
    targets = [exc]
    if p.n_inh:
        inh = net.add_population("inh", p.n_inh, Izhikevich.fast_spiking(), noise_uniform_pa=p.noise_uniform_pa)
        targets.append(inh)
    net.connect(exc, tuple(targets), FixedOutDegree(p.n_targets), weight=p.w_exc_init,
                delay_ms=p.delay_ms, rule=p.rule, region=p.region.name, name="exc")
    if p.n_inh:
        net.connect(inh, exc, FixedOutDegree(p.n_targets), weight=p.w_inh, delay_ms=p.delay_ms, name="inh")
    return net


def build_daspnet(p: DaspnetParams = DaspnetParams(), seed: int = 0):
    """Build the daspnet network ready to run (a :class:`~dopaspike.core.simulation.Simulation`)."""
    return daspnet_network(p).build(seed)
