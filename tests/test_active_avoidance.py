"""The active-avoidance experiment: the closed loop, its measures and its checks."""

from __future__ import annotations

import numpy as np
import pytest

from dopaspike.circuits.avoidance_agent import AvoidanceAgentConfig, choose
from dopaspike.core.errors import ConfigError
from dopaspike.experiments import get
from dopaspike.experiments.active_avoidance import ActiveAvoidanceConfig
from dopaspike.tasks.avoidance import FREEZE, SHUTTLE, STAY

SMALL = dict(n_individuals=2, n_sessions=2, trials_per_session=3, iti_min_ms=3000, iti_max_ms=4000)


def test_read_out_follows_its_thresholds():
    cfg = AvoidanceAgentConfig(shuttle_threshold_hz=8.0, freeze_threshold_hz=6.0)
    assert choose(9.0, 1.0, cfg) == SHUTTLE
    assert choose(9.0, 10.0, cfg) == FREEZE  # freezing wins over a weaker crossing drive
    assert choose(7.9, 5.9, cfg) == STAY
    assert choose(2.0, 6.0, cfg) == FREEZE


@pytest.fixture(scope="module")
def small():
    exp = get("active-avoidance")
    return exp, exp.run(ActiveAvoidanceConfig(**SMALL), seed=5)


def test_every_trial_is_measured_once_in_order(small):
    _, res = small
    tab = {k[len("trials/"):]: v for k, v in res.data.items() if k.startswith("trials/")}
    n = SMALL["n_sessions"] * SMALL["trials_per_session"]
    for k in range(SMALL["n_individuals"]):
        mine = tab["individual"] == k
        assert tab["trial"][mine].tolist() == list(range(n))
    assert set(tab["outcome"]) <= {"avoided", "escaped", "failed"}
    shocked = np.isfinite(tab["shock_on_ms"])
    assert np.all(tab["outcome"][shocked] != "avoided") and np.all(tab["outcome"][~shocked] == "avoided")
    # a shock silences the core (through the GABA neurons) and excites the shell, in every trial with one
    assert np.all(tab["shell_shock_hz"][shocked] > tab["shell_baseline_hz"][shocked])
    assert np.nanmean(tab["core_shock_hz"][shocked]) < 0.5 * np.nanmean(tab["core_baseline_hz"][shocked])
    ev_kind = res.data["events/kind"]
    assert (ev_kind == "cue_on").sum() == SMALL["n_individuals"] * n


def test_same_seed_same_result_and_every_check_reported(small):
    exp, res = small
    again = exp.run(ActiveAvoidanceConfig(**SMALL), seed=5)
    for key in ("trials/outcome", "trials/latency_ms", "trials/core_cue_hz", "dopamine/conc"):
        np.testing.assert_array_equal(res.data[key], again.data[key])
    assert set(exp.checks(res)) == {"avoidance_rises", "escape_latency_falls", "core_cue_dip_deepens",
                                    "core_shock_dip_lessens", "core_rises_at_safety", "shell_rises_at_shock",
                                    "shell_cue_rise_grows_then_fades", "learners_and_non_learners"}
    assert {"learning", "photometry"} <= set(exp.figures(res))


@pytest.mark.parametrize("bad, field", [({"cue_ms": 5010}, "cue_ms"), ({"iti_min_ms": 9000, "iti_max_ms": 8000}, "iti_min_ms"),
                                        ({"learner_criterion": 0.2, "non_learner_criterion": 0.3}, "non_learner_criterion"),
                                        ({"sensor": "gcamp"}, "sensor"), ({"n_sessions": 1}, "n_sessions")])
def test_bad_config_is_refused_naming_the_field(bad, field):
    with pytest.raises((ConfigError, ValueError), match=field):
        ActiveAvoidanceConfig(**bad)


def test_a_pickled_session_continues_to_the_same_result():
    """Checkpoints pickle the session mid-run; the copy must end where the original does."""
    import pickle

    from dopaspike.experiments.active_avoidance import start

    s = start(ActiveAvoidanceConfig(**SMALL), 7)
    s.sim.run(15000.0, chunk_ms=s.chunk_ms)
    copy = pickle.loads(pickle.dumps(s))
    for x in (s, copy):
        while x.sim.t_ms < x.end_ms:
            x.sim.run(min(10000.0, x.end_ms - x.sim.t_ms), chunk_ms=x.chunk_ms)
    a, b = s.trial_table(), copy.trial_table()
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_unavoidable_shock_runs_both_cohorts_and_reports_its_checks():
    """Two cohorts in one run; on unavoidable trials every trial ends in a shock of fixed length,
    whatever the crossings."""
    from dopaspike.experiments.unavoidable_shock import UnavoidableShockConfig

    exp = get("unavoidable-shock")
    cfg = UnavoidableShockConfig(**SMALL)
    res = exp.run(cfg, seed=2)
    tab = {k[len("trials/"):]: v for k, v in res.data.items() if k.startswith("trials/")}
    un = tab["condition"] == "unavoidable"
    assert un.sum() == (~un).sum() == SMALL["n_individuals"] * SMALL["n_sessions"] * SMALL["trials_per_session"]
    assert set(tab["outcome"][un]) == {"shocked"} and np.all(tab["shock_ms"][un] == cfg.fixed_shock_ms)
    assert set(exp.checks(res)) == {"no_avoidance_when_unavoidable", "shell_cue_response_persists_when_unavoidable",
                                    "shell_cue_fades_only_when_avoidable"}
    assert {"comparison", "photometry_avoidable", "photometry_unavoidable"} <= set(exp.figures(res))


def test_learned_helplessness_runs_three_cohorts():
    """Pretreated cohorts get inescapable shocks first (no cue, fixed length, outcome shocked);
    every cohort ends with the escape test; the restored cohort's core responds at shock end."""
    from dopaspike.experiments.learned_helplessness import LearnedHelplessnessConfig

    exp = get("learned-helplessness")
    cfg = LearnedHelplessnessConfig(n_individuals=1, n_pretreatment_sessions=1, trials_per_session=3,
                                    shock_max_ms=5000, iti_min_ms=3000, iti_max_ms=4000)
    res = exp.run(cfg, seed=3)
    tab = {k[len("trials/"):]: v for k, v in res.data.items() if k.startswith("trials/")}
    pre = tab["kind"] == "inescapable"
    assert set(tab["condition"][pre]) == {"pretreated", "restored"}
    assert np.all(tab["shock_ms"][pre] == cfg.fixed_shock_ms) and np.all(np.isnan(tab["cue_on_ms"][pre]))
    for c in ("untreated", "pretreated", "restored"):
        assert ((tab["condition"] == c) & (tab["kind"] == "escape")).sum() == 3
    rows = {r["condition"]: r for r in res.metrics["individuals"]}
    assert rows["restored"]["core_shock_end"][0] > rows["pretreated"]["core_shock_end"][0] + 3.0
    assert set(exp.checks(res)) == {"escape_impaired_after_inescapable_shock", "shock_end_dopamine_blunted",
                                    "restoring_shock_end_dopamine_restores_escape"}


def test_long_trials_keep_their_baseline_when_old_spikes_are_forgotten(monkeypatch):
    """The session forgets old dopamine-neuron spikes as it goes; a trial that lasts longer than
    the forgetting interval (a long shock) must still have the second before its start."""
    from dopaspike.experiments import avoidance

    monkeypatch.setattr(avoidance, "TRIM_SPIKES", 500)
    exp = get("active-avoidance")
    cfg = ActiveAvoidanceConfig(**(SMALL | {"shock_max_ms": 6000, "escape_w_init": 0.0, "escape_w_max": 0.01,
                                            "threat_shuttle_weight_pa": 0.0, "shuttle_noise_pa": 0.0}))
    res = exp.run(cfg, seed=3)
    tab = {k[len("trials/"):]: v for k, v in res.data.items() if k.startswith("trials/")}
    assert np.any(tab["stop_ms"] - tab["start_ms"] >= 6000)  # long trials happened
    # 30 pacemaking DA neurons near 4-5 Hz fire ~135 spikes in a second: never none
    assert np.all(tab["core_baseline_hz"] > 1.0) and np.all(tab["shell_baseline_hz"] > 1.0)


def _rows_with_shock(evoked_first, evoked_last, against_baseline):
    """Per-individual summaries of two sessions: the core's change at the shock against the
    rate before it, and against the trial's baseline."""
    return [{"individual": k, "sessions": [1, 2], "avoidance": [0.2, 0.9], "escape_latency_ms": [300.0, 200.0],
             "core_cue": [-0.5, -2.0], "core_shock": list(against_baseline),
             "core_shock_evoked": [evoked_first, evoked_last], "core_safety": [10.0, 10.0], "shell_cue": [1.0, 2.0],
             "shell_shock": [20.0, 20.0], "shell_baseline": [5.0, 5.0]} for k in range(6)]


@pytest.mark.parametrize("evoked_last, against_baseline, passes", [
    (-2.5, (-4.5, -4.5), True),  # the cue left the core lower, the shock takes it less far: the evoked dip lessens
    (-4.5, (-4.5, -2.0), False),  # the core sits higher during the shock only because it started higher: not evoked
    (-5.0, (-4.5, -4.5), False)])
def test_shock_dip_is_the_change_the_shock_makes(evoked_last, against_baseline, passes):
    """``core_shock_dip_lessens`` compares the shock's evoked change (rate at the shock minus the
    rate before it), and reports the change against the trial's baseline beside it."""
    from types import SimpleNamespace

    from dopaspike.experiments.active_avoidance import checks

    rows = _rows_with_shock(-4.5, evoked_last, against_baseline)
    res = SimpleNamespace(config=ActiveAvoidanceConfig(), metrics={"individuals": rows})
    check = checks(res)["core_shock_dip_lessens"]
    assert check.passed is passes
    assert check.value["against_trial_baseline_median_change"] == pytest.approx(against_baseline[1] - against_baseline[0])


def test_pre_shock_rate_is_the_window_before_the_shock(small):
    """Every trial with a shock has the rate in the window before it (a number, possibly 0);
    trials without a shock have none (NaN)."""
    _, res = small
    tab = {k[len("trials/"):]: v for k, v in res.data.items() if k.startswith("trials/")}
    shocked = np.isfinite(tab["shock_on_ms"])
    assert shocked.any()
    for r in ("core", "shell"):
        assert np.all(np.isfinite(tab[f"{r}_pre_shock_hz"][shocked]))
        assert np.all(np.isnan(tab[f"{r}_pre_shock_hz"][~shocked]))


@pytest.mark.parametrize("seed", [1, 2])
def test_a_shock_drives_threat_but_not_freezing(seed):
    """A shock drives the threat neurons (through the aversive input), and so, without
    ``lh_freeze_weight_pa``, the freeze population; with it (-1, the default) the shock brings
    no freezing (a burst of activity instead, Fanselow 1982), while the freezing a feared cue's
    threat drive causes outside shocks is untouched. Margins: during the shock, freeze below
    0.3x its rate without the inhibition (which is above 5 Hz); before it, the same rate."""
    import dopaspike as ds
    from dopaspike.analysis.responses import window_rates
    from dopaspike.circuits.aversive_dopamine import AversiveCircuitConfig, add_aversive_circuit
    from dopaspike.circuits.avoidance_agent import add_avoidance_agent
    from dopaspike.core.record import SpikeRecorder

    before, during = {}, {}
    for w in (-1.0, 0.0):
        net = ds.Network()
        circ = add_aversive_circuit(net, AversiveCircuitConfig(plastic=False), seed=seed)
        agent = add_avoidance_agent(net, AvoidanceAgentConfig(lh_freeze_weight_pa=w, actor_plastic=False), circ, seed=seed)
        sim = net.build(seed=seed)
        freeze = net.population(agent.pop("freeze"))
        rec = SpikeRecorder(sim, ids=freeze.ids)
        sim.set_bias(circ.pop("threat"), 6.0)  # a feared cue: the threat neurons fire
        shocks = np.arange(2000.0, 20000.0, 3000.0)
        for t in shocks:
            circ.schedule_shock(sim, t, t + 1000.0)
        sim.run(21000.0)
        times = np.sort(rec.times_ms)
        before[w] = window_rates(times, shocks, -1000.0, 0.0, freeze.n).mean()
        during[w] = window_rates(times, shocks, 0.0, 1000.0, freeze.n).mean()
    assert before[-1.0] > 0.5 and before[-1.0] == pytest.approx(before[0.0])
    assert during[0.0] > 5.0
    assert during[-1.0] < 0.3 * during[0.0]


def test_extinction_sessions_follow_and_are_not_judged(small):
    """``n_extinction_sessions``: after the avoidable sessions, the cue and never a shock; the
    per-session lists run over them too, and the checks judge the avoidable sessions alone (the
    same check values as the run cut to those sessions); the figures mark them."""
    import json
    from types import SimpleNamespace

    exp, _ = small
    cfg = ActiveAvoidanceConfig(**(SMALL | {"n_extinction_sessions": 1}))
    res = exp.run(cfg, seed=5)
    tab = {k[len("trials/"):]: v for k, v in res.data.items() if k.startswith("trials/")}
    ext = tab["kind"] == "extinction"
    assert np.all(tab["session"][ext] == SMALL["n_sessions"] + 1)
    assert ext.sum() == SMALL["n_individuals"] * SMALL["trials_per_session"]
    assert np.all(np.isnan(tab["shock_on_ms"][ext])) and set(tab["outcome"][ext]) <= {"avoided", "no_response"}
    rows = res.metrics["individuals"]
    assert all(len(r["avoidance"]) == SMALL["n_sessions"] + 1 for r in rows)
    cut = [{k: v[:SMALL["n_sessions"]] if isinstance(v, list) else v for k, v in r.items()} for r in rows]
    judged = exp.checks(res)
    again = exp.checks(SimpleNamespace(config=cfg, metrics={"individuals": cut}))
    def as_text(checks):  # NaN equals NaN in text
        return json.dumps({k: c.as_dict() for k, c in checks.items()}, sort_keys=True)

    assert as_text(judged) == as_text(again)
    figs = exp.figures(res)
    assert {"learning", "photometry"} <= set(figs)
    groups = judged["learners_and_non_learners"].value  # the figures group individuals as the check does
    for group in ("learners", "non_learners"):
        n = len(groups[group])
        assert (f"photometry_{group}" in figs) == bool(n)
        if n:  # its title counts the group's individuals
            assert any(t.get_text().endswith(f"({n})") for t in figs[f"photometry_{group}"].texts)
    with pytest.raises((ConfigError, ValueError), match="n_extinction_sessions"):
        ActiveAvoidanceConfig(n_extinction_sessions=-1)
