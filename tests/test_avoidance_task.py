"""The shuttle box (dopaspike.tasks.avoidance): Gymnasium conformance, common random numbers, scripted
agents on every kind of session, exact event times, the trials table and invalid input."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from dopaspike.core.errors import ConfigError
from dopaspike.tasks import AVOIDANCE_EVENT_KINDS, AvoidanceTrial, ShuttleBox, ShuttleBoxConfig
from dopaspike.tasks.avoidance import FREEZE, SHUTTLE, STAY

SMALL = dict(step_ms=50, cue_ms=500, shock_max_ms=1000, fixed_shock_ms=200, iti_min_ms=500, iti_max_ms=1000,
             trials_per_session=4)
ALL_KINDS = ["avoidable", "unavoidable", "extinction", "inescapable", "escape"]


def box(*kinds: str, **kw) -> ShuttleBox:
    return ShuttleBox(**(SMALL | {"sessions": list(kinds or ["avoidable"])} | kw))


def run(env: ShuttleBox, policy, seed=0) -> list[tuple]:
    """The whole protocol; ``policy(obs, state)`` gives the action (``state`` a dict it may keep things in).
    One (t0, action, obs, reward, terminated, info) per step."""
    obs, info = env.reset(seed=seed)
    assert info == {"events": [], "trial": None, "t_ms": 0}
    out, done, state = [], False, {}
    while not done:
        t0, action = env.t_ms, policy(obs, state)
        obs, reward, done, truncated, info = env.step(action)
        assert truncated is False and info["t_ms"] == t0 + env.step_ms == env.t_ms
        out.append((t0, action, obs, reward, done, info))
    return out


def stay(obs, state):
    return STAY


def shuttle_at_cue(obs, state):
    return SHUTTLE if obs[0] else STAY


def shuttle_after_shock_steps(k: int):
    """Shuttles on the k-th step of a shock (k = 1: as soon as the shock is seen)."""
    def policy(obs, state):
        state["n"] = state.get("n", 0) + 1 if obs[1] else 0
        return SHUTTLE if state["n"] == k else STAY
    return policy


def seeded_random(seed: int):
    rng = np.random.default_rng(seed)
    return lambda obs, state: int(rng.integers(3))


def always(action: int):
    return lambda obs, state: action


# ----------------------------------------------------------------------------- Gymnasium conformance
@pytest.mark.parametrize("kw", [{}, SMALL | {"sessions": ALL_KINDS},
                                SMALL | {"step_ms": 10, "sessions": ["escape", "extinction"]}])
def test_gymnasium_env_checker_passes_and_a_whole_protocol_runs_wrapped(kw):
    env = gym.make("dopaspike/ShuttleBox-v0", **kw)
    check_env(env.unwrapped)  # warnings are errors here, so a warning from the checker fails too
    obs, _ = env.reset(seed=3)
    assert env.observation_space == gym.spaces.MultiBinary(3) and env.action_space == gym.spaces.Discrete(3)
    assert obs.tolist() == [0, 0, 0]
    n, total = 0, 0.0
    while True:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        n += 1
        total += reward
        assert env.observation_space.contains(obs) and isinstance(reward, float) and truncated is False
        if terminated:
            break
    u = env.unwrapped
    assert len(u.trials) == u.config.n_trials and n * u.step_ms == u.t_ms
    assert math.isclose(total, -sum(r.shock_ms for r in u.trials) / 1000, abs_tol=1e-9)
    assert u.t_ms == u.trials[-1].stop_ms + u.itis_ms[-1]  # the protocol ends one ITI after the last trial


def test_same_seed_same_itis_and_records_for_the_same_actions_other_seed_another():
    a, b = box(*ALL_KINDS), box(*ALL_KINDS)
    ra, rb = run(a, seeded_random(1), seed=7), run(b, seeded_random(1), seed=7)
    assert a.trials == b.trials and len(a.trials) == 20 and a.events == b.events
    np.testing.assert_array_equal(a.itis_ms, b.itis_ms)
    for (t1, a1, o1, r1, d1, i1), (t2, a2, o2, r2, d2, i2) in zip(ra, rb, strict=True):
        assert t1 == t2 and a1 == a2 and np.array_equal(o1, o2) and r1 == r2 and d1 == d2 and i1 == i2
    first, itis = a.trials, a.itis_ms
    run(b, seeded_random(1), seed=8)
    assert b.trials != first and not np.array_equal(b.itis_ms, itis)
    run(a, seeded_random(1), seed=7)
    assert a.trials == first


def test_itis_are_drawn_at_reset_whatever_the_actions():
    """Common random numbers: the ITIs do not depend on the actions, only when trials start does."""
    a, b = box("avoidable", "escape"), box("avoidable", "escape")
    run(a, stay, seed=5)
    run(b, shuttle_at_cue, seed=5)
    np.testing.assert_array_equal(a.itis_ms, b.itis_ms)
    np.testing.assert_array_equal(a.trial_table()["iti_ms"], a.itis_ms[:-1])
    env = box(iti_min_ms=500, iti_max_ms=700, trials_per_session=3000)
    env.reset(seed=0)
    itis = env.itis_ms
    assert len(itis) == 3001 and set(itis.tolist()) == {500, 550, 600, 650, 700}  # uniform over the step grid
    counts = np.bincount(itis // 50 - 10)
    assert counts.min() > 0.8 * len(itis) / 5


# ----------------------------------------------------------------------------- scripted agents
def test_always_stay_on_avoidable_fails_every_trial_with_the_longest_shock():
    env = box("avoidable", "avoidable")
    steps = run(env, stay, seed=1)
    t = env.trial_table()
    assert set(t["outcome"]) == {"failed"} and (t["shock_ms"] == 1000).all() and np.isnan(t["latency_ms"]).all()
    np.testing.assert_array_equal(t["cue_off_ms"] - t["cue_on_ms"], 500)
    np.testing.assert_array_equal(t["shock_on_ms"], t["cue_off_ms"])
    np.testing.assert_array_equal(t["stop_ms"], t["shock_off_ms"])
    np.testing.assert_array_equal(t["start_ms"], np.cumsum(env.itis_ms[:-1]) + np.arange(8) * 1500)
    assert sum(s[3] for s in steps) == pytest.approx(-8.0)
    assert [e.kind for e in env.events if e.trial == 0] == ["trial_start", "cue_on", "cue_off", "shock_on", "shock_off",
                                                            "failure", "trial_end"]


def test_shuttle_at_the_first_step_of_the_cue_avoids_with_latency_one_step():
    env = box("avoidable", step_ms=25)
    steps = run(env, shuttle_at_cue, seed=2)
    t = env.trial_table()
    assert set(t["outcome"]) == {"avoided"} and (t["latency_ms"] == 25).all() and (t["shock_ms"] == 0).all()
    assert np.isnan(t["shock_on_ms"]).all() and np.isnan(t["shock_off_ms"]).all()
    np.testing.assert_array_equal(t["cue_off_ms"], t["start_ms"] + 25)
    assert all(s[3] == 0.0 for s in steps)
    assert [e.kind for e in env.events if e.trial == 1] == ["trial_start", "cue_on", "shuttle", "cue_off", "avoidance",
                                                            "trial_end"]


@pytest.mark.parametrize("k", [1, 3, 20])  # 20 steps of 50 ms: the shuttle in the shock's last step still escapes
def test_shuttle_after_the_shock_started_escapes_with_the_shock_received(k):
    env = box("avoidable")
    steps = run(env, shuttle_after_shock_steps(k), seed=3)
    t = env.trial_table()
    assert set(t["outcome"]) == {"escaped"} and (t["shock_ms"] == 50 * k).all()
    np.testing.assert_array_equal(t["latency_ms"], 500 + 50 * k)
    np.testing.assert_array_equal(t["shock_off_ms"] - t["shock_on_ms"], 50 * k)
    assert sum(s[3] for s in steps) == pytest.approx(-4 * 0.05 * k)
    assert [s[3] for s in steps].count(-0.05) == 4 * k


def test_a_shuttle_in_the_last_step_of_the_cue_avoids():
    def policy(obs, state):
        state["n"] = state.get("n", 0) + 1 if obs[0] else 0
        return SHUTTLE if state["n"] == 10 else STAY  # 500 ms cue / 50 ms
    env = box("avoidable")
    run(env, policy, seed=4)
    t = env.trial_table()
    assert set(t["outcome"]) == {"avoided"} and (t["latency_ms"] == 500).all() and (t["shock_ms"] == 0).all()


@pytest.mark.parametrize("policy", [stay, shuttle_at_cue, shuttle_after_shock_steps(1), always(SHUTTLE), seeded_random(9)])
def test_unavoidable_gives_the_fixed_shock_whatever_the_agent_does(policy):
    env = box("unavoidable")
    run(env, policy, seed=5)
    t = env.trial_table()
    assert set(t["outcome"]) == {"shocked"} and (t["shock_ms"] == 200).all() and np.isnan(t["latency_ms"]).all()
    np.testing.assert_array_equal(t["cue_off_ms"] - t["cue_on_ms"], 500)
    np.testing.assert_array_equal(t["stop_ms"] - t["start_ms"], 700)
    assert not {"avoidance", "escape", "failure"} & {e.kind for e in env.events}


def test_shuttles_change_the_chamber_and_ITI_shuttles_are_counted():
    env = box("unavoidable")
    steps = run(env, always(SHUTTLE), seed=6)
    chambers = [int(s[2][2]) for s in steps]
    assert chambers[:4] == [1, 0, 1, 0] and env.chamber == chambers[-1]
    t = env.trial_table()
    np.testing.assert_array_equal(t["iti_shuttles"], t["iti_ms"] // 50)
    assert sum(e.kind == "shuttle" for e in env.events) == len(steps)


def test_inescapable_has_no_cue_and_fixed_shocks_that_no_action_changes():
    for policy in (stay, always(SHUTTLE), seeded_random(2)):
        env = box("inescapable", "inescapable")
        run(env, policy, seed=7)
        t = env.trial_table()
        assert set(t["outcome"]) == {"shocked"} and (t["shock_ms"] == 200).all()
        assert np.isnan(t["cue_on_ms"]).all() and np.isnan(t["freeze_fraction"]).all()
        np.testing.assert_array_equal(t["shock_on_ms"], t["start_ms"])
        assert not {"cue_on", "cue_off", "avoidance", "escape", "failure"} & {e.kind for e in env.events}


def test_escape_sessions_shocks_that_a_shuttle_ends():
    env = box("escape")
    run(env, shuttle_after_shock_steps(2), seed=8)
    t = env.trial_table()
    assert set(t["outcome"]) == {"escaped"} and (t["shock_ms"] == 100).all() and (t["latency_ms"] == 100).all()
    assert np.isnan(t["cue_on_ms"]).all()
    run(env, stay, seed=8)
    t = env.trial_table()
    assert set(t["outcome"]) == {"failed"} and (t["shock_ms"] == 1000).all()


def test_extinction_never_shocks():
    for policy, outcome in ((stay, "no_response"), (shuttle_at_cue, "avoided"), (seeded_random(4), None)):
        env = box("extinction", "extinction")
        steps = run(env, policy, seed=9)
        t = env.trial_table()
        assert (t["shock_ms"] == 0).all() and np.isnan(t["shock_on_ms"]).all() and all(s[3] == 0.0 for s in steps)
        assert not {"shock_on", "shock_off"} & {e.kind for e in env.events}
        assert set(t["outcome"]) <= {"avoided", "no_response"}
        if outcome:
            assert set(t["outcome"]) == {outcome}
        if outcome == "no_response":
            np.testing.assert_array_equal(t["stop_ms"] - t["start_ms"], 500)


def test_freezing_is_recorded_over_the_steps_of_the_cue():
    def half(obs, state):
        state["i"] = state.get("i", 0) + 1
        return FREEZE if obs[0] and state["i"] % 2 else STAY
    for policy, fraction in ((always(FREEZE), 1.0), (stay, 0.0), (half, 0.5)):
        env = box("unavoidable")
        run(env, policy, seed=10)
        np.testing.assert_allclose(env.trial_table()["freeze_fraction"], fraction)
        assert set(env.trial_table()["outcome"]) == {"shocked"}


# ----------------------------------------------------------------------------- exact events, observations, the table
@pytest.mark.parametrize("step_ms", [1, 10, 50])
def test_events_are_exact_reported_once_in_their_step_and_match_the_records(step_ms):
    env = box(*ALL_KINDS, step_ms=step_ms)
    steps = run(env, seeded_random(3), seed=11)
    reported = [ev for s in steps for ev in s[5]["events"]]
    assert tuple(reported) == env.events and len(set(reported)) == len(reported)
    for t0, action, _, _, _, info in steps:
        assert all(t0 < ev.t_ms <= t0 + step_ms and ev.kind in AVOIDANCE_EVENT_KINDS for ev in info["events"])
        assert (info["trial"] is not None) == any(ev.kind == "trial_end" for ev in info["events"])
        assert [ev.kind == "shuttle" for ev in info["events"]].count(True) == (action == SHUTTLE)
    times = {}
    for ev in env.events:
        if ev.trial >= 0 and ev.kind != "shuttle":
            times[ev.trial, ev.kind] = ev.t_ms
    for r in env.trials:
        assert times[r.index, "trial_start"] == r.start_ms and times[r.index, "trial_end"] == r.stop_ms
        for kind, value in (("cue_on", r.cue_on_ms), ("cue_off", r.cue_off_ms), ("shock_on", r.shock_on_ms),
                            ("shock_off", r.shock_off_ms)):
            assert times.get((r.index, kind), math.nan) == value or (math.isnan(value) and (r.index, kind) not in times)
        assert r.shock_ms == (0 if math.isnan(r.shock_on_ms) else r.shock_off_ms - r.shock_on_ms)
    # the observation is the state from the step's end on
    for t0, _, obs, reward, _, _ in steps:
        t1 = t0 + step_ms
        cue = any(r.cue_on_ms <= t1 < r.cue_off_ms for r in env.trials)
        shock = any(r.shock_on_ms <= t1 < r.shock_off_ms for r in env.trials)
        shocked_step = any(r.shock_on_ms <= t0 < r.shock_off_ms for r in env.trials)
        assert obs[0] == cue and obs[1] == shock and reward == (-step_ms / 1000 if shocked_step else 0.0)


def test_trial_table_has_same_length_columns_with_start_and_stop_first():
    env = box(*ALL_KINDS)
    run(env, seeded_random(5), seed=12)
    t = env.trial_table()
    assert list(t)[:2] == ["start_ms", "stop_ms"] and set(t) == {f for f in AvoidanceTrial.__dataclass_fields__}
    assert {v.shape for v in t.values()} == {(20,)}
    np.testing.assert_array_equal(t["index"], np.arange(20))
    np.testing.assert_array_equal(t["session"], np.repeat(np.arange(1, 6), 4))
    np.testing.assert_array_equal(t["kind"], np.repeat(ALL_KINDS, 4))
    assert t["shock_ms"].dtype == np.int64 and t["latency_ms"].dtype == np.float64 and t["outcome"].dtype.kind == "U"
    assert (t["start_ms"][1:] >= t["stop_ms"][:-1] + 500).all()
    ev = env.event_table()
    assert {v.shape for v in ev.values()} == {(len(env.events),)}


# ----------------------------------------------------------------------------- configs, invalid input and misuse
@pytest.mark.parametrize("kw, field", [
    ({"step_ms": 0}, "step_ms"),
    ({"step_ms": 1001}, "step_ms"),
    ({"cue_ms": 5010}, "cue_ms"),  # not a multiple of step_ms = 50
    ({"cue_ms": 0}, "cue_ms"),
    ({"shock_max_ms": 333}, "shock_max_ms"),
    ({"fixed_shock_ms": -50}, "fixed_shock_ms"),
    ({"iti_min_ms": 30_000}, "iti_min_ms"),  # above iti_max_ms
    ({"iti_max_ms": 20_001}, "iti_max_ms"),
    ({"trials_per_session": 0}, "trials_per_session"),
    ({"sessions": []}, "sessions"),
    ({"sessions": ["avoidable", "forced_swim"]}, "sessions.1"),
    ({"trials_per_session": 10_000, "sessions": ["escape"] * 11}, "trials_per_session"),
    ({"shock_ms": 2000}, "shock_ms"),
])
def test_invalid_configs_raise_config_error_naming_the_field(kw, field):
    with pytest.raises(ConfigError) as err:
        ShuttleBox(**kw)
    assert err.value.field == field and field in str(err.value)
    with pytest.raises(ConfigError):
        gym.make("dopaspike/ShuttleBox-v0", **kw)


def test_convenience_constructors_give_the_session_kinds():
    assert ShuttleBoxConfig.active_avoidance(3).sessions == ("avoidable",) * 3
    assert ShuttleBoxConfig().sessions == ("avoidable",) * 5 and ShuttleBoxConfig().cue_ms == 5000
    un = ShuttleBoxConfig.unavoidable(2, trials_per_session=10)
    assert un.sessions == ("unavoidable",) * 2 and un.trials_per_session == 10
    lh = ShuttleBoxConfig.learned_helplessness(2, 1)
    assert lh.sessions == ("inescapable", "inescapable", "escape")
    assert (lh.fixed_shock_ms, lh.shock_max_ms, (lh.iti_min_ms + lh.iti_max_ms) / 2) == (2000, 25_000, 16_000)
    assert ShuttleBoxConfig.learned_helplessness(0, 2).sessions == ("escape", "escape")
    assert ShuttleBoxConfig.learned_helplessness(1, 1, fixed_shock_ms=5000).fixed_shock_ms == 5000
    assert ShuttleBox(ShuttleBoxConfig.unavoidable(1)).config.sessions == ("unavoidable",)
    for call, field in ((lambda: ShuttleBoxConfig.active_avoidance(0), "n_sessions"),
                        (lambda: ShuttleBoxConfig.unavoidable(1.5), "n_sessions"),
                        (lambda: ShuttleBoxConfig.learned_helplessness(-1, 1), "n_pretreatment_sessions"),
                        (lambda: ShuttleBoxConfig.learned_helplessness(0, 0), "sessions"),
                        (lambda: ShuttleBoxConfig.active_avoidance(2, cue_ms=7), "cue_ms")):
        with pytest.raises(ConfigError) as err:
            call()
        assert err.value.field == field


def test_misuse_is_refused_with_a_clear_error():
    env = box(trials_per_session=1)
    for call in (lambda: env.step(0), env.trial_table, lambda: env.trials):
        with pytest.raises(RuntimeError, match="reset"):
            call()
    with pytest.raises(ConfigError, match="options"):
        env.reset(options={"cue_ms": 100})
    env.reset(seed=0)
    with pytest.raises(ConfigError, match="action"):
        env.step(3)
    env.step(np.int64(SHUTTLE))
    assert env.chamber == 1
    while not env.step(STAY)[2]:
        pass
    with pytest.raises(RuntimeError, match="ended"):
        env.step(STAY)
    with pytest.raises(ConfigError, match="render_mode"):
        ShuttleBox(render_mode="human")
    with pytest.raises(ConfigError, match="config"):
        ShuttleBox(SMALL)
    assert ShuttleBox(ShuttleBoxConfig(cue_ms=1000), cue_ms=2000).config.cue_ms == 2000
