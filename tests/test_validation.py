"""Bad input is refused before any work, naming the field, the value and the allowed range."""

from __future__ import annotations

import pytest

import dopaspike as ds
from dopaspike.config import build_config, parse_overrides
from dopaspike.experiments.distal_reward import DistalRewardConfig


def _net():
    net = ds.Network()
    net.add_region(ds.DopamineRegion("str"))
    a = net.add_population("a", 10, ds.Izhikevich())
    return net, a


def test_negative_time_constant():
    with pytest.raises(ds.ConfigError, match=r"tau_c_ms=-5.0.*allowed \(0, 1e\+07\]"):
        net, a = _net()
        net.connect(a, a, ds.FixedOutDegree(2), rule=ds.DaStdp(tau_c_ms=-5.0), region="str")
    with pytest.raises(ds.ConfigError, match="region\\[.*tau_ms"):
        ds.Network().add_region(ds.DopamineRegion("x", tau_ms=0.0))
    with pytest.raises(ds.ConfigError, match="tau_m_ms"):
        ds.Network().add_population("p", 3, ds.LIF(tau_m_ms=-1.0))


def test_weight_outside_rule_bounds():
    net, a = _net()
    with pytest.raises(ds.ConfigError, match=r"weight=5.0 is invalid: allowed \[0, 4\]"):
        net.connect(a, a, ds.FixedOutDegree(2), weight=5.0, rule=ds.DaStdp(), region="str")


def test_unknown_rule_and_region():
    net, a = _net()
    with pytest.raises(ds.ConfigError, match="mode"):
        net.connect(a, a, ds.FixedOutDegree(2), rule=ds.DaStdp(mode="fast"), region="str")
    with pytest.raises(ds.ConfigError, match="rule"):
        net.connect(a, a, ds.FixedOutDegree(2), rule="stdp", region="str")
    with pytest.raises(ds.ConfigError, match="region.*'nowhere'.*str"):
        net.connect(a, a, ds.FixedOutDegree(2), rule=ds.DaStdp(), region="nowhere")


def test_delay_beyond_buffer():
    net, a = _net()
    with pytest.raises(ds.ConfigError, match=r"delay_ms=5000.0 is invalid: allowed \[1, 1000\]"):
        net.connect(a, a, ds.FixedOutDegree(2), delay_ms=5000.0)
    with pytest.raises(ds.ConfigError, match="delay_ms=0.5"):
        net.connect(a, a, ds.FixedOutDegree(2), delay_ms=0.5)


def test_network_too_big_is_refused_before_allocation():
    net = ds.Network()
    a = net.add_population("a", 2_000_000, ds.Izhikevich())
    net.connect(a, a, ds.FixedOutDegree(1000))
    with pytest.raises(ds.ConfigError, match="network size.*GiB"):
        net.build(max_memory_gb=4.0)


def test_too_many_targets():
    net, a = _net()
    net.connect(a, a, ds.FixedOutDegree(20))
    with pytest.raises(ds.ConfigError, match="connectivity.k=20.*\\[0, 9\\]"):
        net.build()


def test_config_errors_name_field_value_range():
    with pytest.raises(ds.ConfigError, match=r"duration_s=-1.*> 0"):
        build_config(DistalRewardConfig, overrides=parse_overrides(["duration_s=-1"]))
    with pytest.raises(ds.ConfigError, match=r"did you mean 'duration_s'"):
        build_config(DistalRewardConfig, overrides=parse_overrides(["duraton_s=10"]))
    with pytest.raises(ds.ConfigError, match="control.*one of"):
        build_config(DistalRewardConfig, overrides={"control": "sometimes"})
    with pytest.raises(ds.ConfigError, match="key=value"):
        parse_overrides(["duration_s"])
    with pytest.raises(ds.ConfigError, match="reward_delay_max_ms"):
        build_config(DistalRewardConfig, overrides={"reward_delay_max_ms": 500.0})


def test_seed_and_schedule_errors():
    net, a = _net()
    with pytest.raises(ds.ConfigError, match="seed"):
        net.build(seed=-1)
    sim = net.build(seed=0)
    sim.run(10.0)
    with pytest.raises(ds.ConfigError, match="at_ms"):
        sim.deliver_dopamine("str", 0.5, at_ms=5.0)
    with pytest.raises(ds.ConfigError, match="neurons"):
        sim.stimulate([10], 100.0)


def test_emission_history_overflow_is_a_clear_error():
    """A neuron firing every step behind 100 ms delays outgrows its emission history."""
    net = ds.Network()
    net.add_region(ds.DopamineRegion("str"))
    fast = net.add_population("fast", 2, ds.LIF(t_ref_ms=0.0), bias_pa=1e5)
    net.connect(fast, fast, ds.AllToAll(), weight=0.0, delay_ms=100.0, rule=ds.DaStdp(), region="str")
    sim = net.build()
    with pytest.raises(RuntimeError, match="fired more than 63 times within the longest delay"):
        sim.run(200.0)
