"""Tasks (dopaspike.tasks): Gymnasium conformance, exact event timing, and schedules whose statistics
are the configured ones."""

from __future__ import annotations

import math
import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from scipy import stats

from dopaspike import store
from dopaspike.core.errors import ConfigError
from dopaspike.export.layout import classify
from dopaspike.tasks import (
    EVENT_KINDS,
    Event,
    PavlovianConditioning,
    PavlovianConfig,
    StimulusGroupConditioning,
    StimulusGroupConfig,
)

Z = 3.29  # two-sided 99.9 % normal quantile: a correct schedule fails a bound once in a thousand seeds


def binomial_ok(k: int, n: int, p: float) -> bool:
    """``k`` successes in ``n`` trials is within the 99.9 % band of Binomial(n, p)."""
    return abs(k - n * p) <= Z * math.sqrt(n * p * (1 - p)) + 1e-9


def small_pavlovian(**kw) -> PavlovianConditioning:
    cfg = dict(n_trials=12, cs2_lead_ms=500, cs2_from_trial=3, reward_probability=0.7, omission_probability=0.2,
               unexpected_reward_probability=0.2, probe_from_trial=2, extinction_from_trial=10, iti_min_ms=300, iti_max_ms=900)
    return PavlovianConditioning(**(cfg | kw))


def small_groups(**kw) -> StimulusGroupConditioning:
    return StimulusGroupConditioning(**({"duration_s": 30.0, "n_groups": 5} | kw))


ENVS = {"pavlovian": small_pavlovian, "groups": small_groups}


def run_all_steps(env) -> list[tuple]:
    """Step to the end; one (t_ms, obs, reward, terminated, info) per step."""
    out, done = [], False
    while not done:
        obs, reward, done, truncated, info = env.step(0)
        assert truncated is False
        out.append((info["t_ms"], obs, reward, done, info))
    return out


# ----------------------------------------------------------------------------- Gymnasium conformance
@pytest.mark.parametrize("env_id, kw", [
    ("dopaspike/PavlovianConditioning-v0", {"n_trials": 6, "iti_min_ms": 200, "iti_max_ms": 400}),
    ("dopaspike/StimulusGroupConditioning-v0", {"duration_s": 10.0}),
])
def test_gymnasium_env_checker_passes_on_the_registered_envs(env_id, kw):
    env = gym.make(env_id, **kw)
    check_env(env.unwrapped)  # warnings are errors here, so a warning from the checker fails too
    env.reset(seed=3)  # and the wrapped env (with gymnasium's passive checker) runs a whole session
    steps = 0
    while True:
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        steps += 1
        assert env.observation_space.contains(obs) and isinstance(reward, float)
        if terminated:
            break
    assert steps == math.ceil(env.unwrapped.end_ms / env.unwrapped.step_ms)


@pytest.mark.parametrize("name", ENVS)
def test_same_seed_same_session_other_seed_another(name):
    a, b = ENVS[name](), ENVS[name]()
    a.reset(seed=7)
    b.reset(seed=7)
    assert a.trials == b.trials and a.events() == b.events() and a.end_ms == b.end_ms
    first = a.events()
    b.reset(seed=8)
    assert b.events() != first
    a.reset()  # no seed: the generator goes on, so the next session is another one
    assert a.events() != first
    a.reset(seed=7)
    assert a.events() == first
    # stepping gives the same observations and rewards for the same seed
    a.reset(seed=7)
    b.reset(seed=7)
    for (t1, o1, r1, d1, i1), (t2, o2, r2, d2, i2) in zip(run_all_steps(a), run_all_steps(b), strict=True):
        assert t1 == t2 and np.array_equal(o1, o2) and r1 == r2 and d1 == d2 and i1["events"] == i2["events"]


def test_same_seed_shares_itis_and_couples_rewards_across_probabilities():
    """Common random numbers: two reward probabilities, same seed -> same ITIs and nested rewarded sets."""
    lo = PavlovianConditioning(n_trials=400, reward_probability=0.25)
    hi = PavlovianConditioning(n_trials=400, reward_probability=0.75)
    lo.reset(seed=5)
    hi.reset(seed=5)
    tl, th = lo.trial_table(), hi.trial_table()
    assert np.array_equal(tl["iti_ms"], th["iti_ms"]) and np.array_equal(tl["start_ms"], th["start_ms"])
    assert np.all(th["rewarded"][tl["rewarded"]]) and th["rewarded"].sum() > tl["rewarded"].sum()


# ----------------------------------------------------------------------------- events and steps
@pytest.mark.parametrize("name", ENVS)
@pytest.mark.parametrize("step_ms", [1, 7, 10, 1000, 10**6])
def test_each_event_is_reported_once_inside_its_step_at_an_exact_ms(name, step_ms):
    env = ENVS[name](step_ms=step_ms)
    env.reset(seed=2)
    seen: list[Event] = []
    steps = run_all_steps(env)
    for k, (t1, _, reward, done, info) in enumerate(steps):
        assert t1 == (k + 1) * step_ms and done == (k == len(steps) - 1)
        for ev in info["events"]:
            assert isinstance(ev.t_ms, int) and t1 - step_ms <= ev.t_ms < t1 and ev.kind in EVENT_KINDS
        assert reward == pytest.approx(sum(ev.value for ev in info["events"] if ev.kind == "reward"))
        seen += info["events"]
    assert seen == env.events() and len(seen) == len(set(seen)) and len(seen) > 0
    assert steps[-1][0] >= env.end_ms > seen[-1].t_ms and steps[-1][0] - step_ms < env.end_ms
    assert [e.t_ms for e in seen] == sorted(e.t_ms for e in seen)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


@pytest.mark.parametrize("name", ENVS)
def test_observation_is_the_stimuli_on_in_the_last_ms_of_the_step(name):
    """Rebuilt from the trials table and the config's durations, independently of the events."""
    env = ENVS[name](step_ms=1)
    env.reset(seed=4)
    c = env.config
    t = env.trial_table()
    spans = []  # (stimulus index, on, off)
    if name == "pavlovian":
        for key, k, dur in (("cs1_on_ms", 0, c.cs_ms), ("cs2_on_ms", 1, c.cs2_ms), ("us_on_ms", 2, c.us_ms)):
            spans += [(k, int(on), int(on) + dur) for on in t[key] if not np.isnan(on)]
    else:
        spans = [(int(g), int(on), int(on) + c.stim_ms) for g, on in zip(t["group"], t["start_ms"])]
    expected = np.zeros((env.end_ms, len(env.stimulus_names)), dtype=np.int8)
    for k, on, off in spans:
        expected[on:off, k] = 1
    steps = run_all_steps(env)
    got = np.array([obs for _, obs, *_ in steps])[: env.end_ms]
    assert got.dtype == np.int8 and expected.any()
    np.testing.assert_array_equal(got, expected)
    # spans() are the same presentations, and are clipped to the span asked for
    assert sorted((env.stimulus_names.index(s.name), s.on_ms, s.off_ms) for s in env.spans()) == sorted(spans)
    k, on, off = max(spans, key=lambda sp: sp[2] - sp[1])

    def clipped(a, b):
        mine = [s for s in env.spans(a, b) if s.name == env.stimulus_names[k]]
        return [(s.on_ms, s.off_ms) for s in mine if s.on_ms < off and s.off_ms > on]

    assert clipped(on - 5, on + 1) == [(on, on + 1)]
    if name == "pavlovian":
        assert clipped(on + 1, off + 5) == [(on + 1, off)] and clipped(off, off + 5) == []
    # info["trial"] is the latest trial begun by the end of the step
    starts = t["start_ms"]
    for t1, _, _, _, info in steps[:: max(1, len(steps) // 300)]:
        i = int(np.searchsorted(starts, t1 - 1, side="right")) - 1
        assert (info["trial"] is None) if i < 0 else (info["trial"].index == i)


def test_a_session_survives_pickling_mid_way():
    """Experiments checkpoint their session by pickling it: the copy goes on exactly as the original."""
    env = small_pavlovian(step_ms=25)
    env.reset(seed=9)
    for _ in range(200):
        env.step(0)
    copy = pickle.loads(pickle.dumps(env))
    for (t1, o1, r1, d1, i1), (t2, o2, r2, d2, i2) in zip(run_all_steps(env), run_all_steps(copy), strict=True):
        assert t1 == t2 and np.array_equal(o1, o2) and r1 == r2 and d1 == d2 and i1 == i2


# ----------------------------------------------------------------------------- Pavlovian protocol
@pytest.fixture(scope="module")
def probes():
    """4000 trials: p = .6, omission .1 and unexpected reward .15 probes from trial 500 on."""
    env = PavlovianConditioning(n_trials=4000, reward_probability=0.6, omission_probability=0.1,
                                unexpected_reward_probability=0.15, probe_from_trial=500)
    env.reset(seed=11)
    return env, env.trial_table()


def test_trial_types_occur_at_their_configured_rates(probes):
    env, t = probes
    before, after = t["type"][:500], t["type"][500:]
    assert set(before) == {"cs_us", "cs_only"}  # no probe before probe_from_trial
    n = after.size
    assert binomial_ok(int(np.sum(after == "omission")), n, 0.1)
    assert binomial_ok(int(np.sum(after == "unexpected_reward")), n, 0.15)
    ordinary = t["type"][np.isin(t["type"], ["cs_us", "cs_only"])]
    assert binomial_ok(int(np.sum(ordinary == "cs_us")), ordinary.size, 0.6)
    assert np.array_equal(t["rewarded"], np.isin(t["type"], ["cs_us", "unexpected_reward"]))


def test_itis_are_uniform_within_their_bounds(probes):
    env, t = probes
    c = env.config
    itis = np.append(t["iti_ms"], env.end_ms - t["stop_ms"][-1])  # one more after the last trial
    assert itis.min() >= c.iti_min_ms and itis.max() <= c.iti_max_ms and np.all(itis == np.round(itis))
    assert np.array_equal(t["start_ms"], np.concatenate([[0], t["stop_ms"][:-1]]) + t["iti_ms"])
    # integer-uniform + U(0, 1) jitter is continuous-uniform: a KS test against U(0, 1)
    x = (itis - c.iti_min_ms + np.random.default_rng(0).random(itis.size)) / (c.iti_max_ms - c.iti_min_ms + 1)
    assert stats.kstest(x, "uniform").pvalue > 1e-3
    assert itis.min() < c.iti_min_ms + 10 and itis.max() > c.iti_max_ms - 10


def test_us_comes_at_cs1_onset_plus_the_interval_and_only_on_rewarded_trials(probes):
    env, t = probes
    c = env.config
    cs = t["type"] != "unexpected_reward"
    np.testing.assert_array_equal(t["expected_us_ms"][cs], t["cs1_on_ms"][cs] + c.cs_us_interval_ms)
    np.testing.assert_array_equal(t["us_on_ms"][t["type"] == "cs_us"], t["expected_us_ms"][t["type"] == "cs_us"])
    assert np.all(np.isnan(t["us_on_ms"][~t["rewarded"]]))
    unexpected = t["type"] == "unexpected_reward"
    assert np.all(np.isnan(t["cs1_on_ms"][unexpected])) and np.array_equal(t["us_on_ms"][unexpected], t["start_ms"][unexpected])
    rewards = [e for e in env.events() if e.kind == "reward"]
    np.testing.assert_array_equal([e.t_ms for e in rewards], t["us_on_ms"][t["rewarded"]])
    assert all(e.value == c.us_magnitude for e in rewards)
    # every CS trial lasts as long, rewarded or not (the US slot is part of it)
    assert np.unique((t["stop_ms"] - t["start_ms"])[cs]).size == 1


def test_cs2_leads_cs1_from_cs2_from_trial_on():
    env = PavlovianConditioning(n_trials=60, cs2_lead_ms=800, cs2_ms=700, cs2_from_trial=20, unexpected_reward_probability=0.2)
    env.reset(seed=1)
    t = env.trial_table()
    cs = t["type"] != "unexpected_reward"
    early, late = cs & (t["index"] < 20), cs & (t["index"] >= 20)
    assert early.sum() > 5 and late.sum() > 5
    assert np.all(np.isnan(t["cs2_on_ms"][early])) and np.array_equal(t["cs1_on_ms"][early], t["start_ms"][early])
    np.testing.assert_array_equal(t["cs1_on_ms"][late] - t["cs2_on_ms"][late], 800)
    np.testing.assert_array_equal(t["cs2_on_ms"][late], t["start_ms"][late])
    assert np.all(np.isnan(t["cs2_on_ms"][~cs]))
    offs = [e.t_ms - on for e, on in zip([e for e in env.events() if e.name == "CS2" and e.kind == "stimulus_off"],
                                           t["cs2_on_ms"][late])]
    assert offs == [700] * int(late.sum())


def test_no_us_from_extinction_from_trial_on():
    env = PavlovianConditioning(n_trials=80, extinction_from_trial=50, unexpected_reward_probability=0.2,
                                omission_probability=0.2)
    env.reset(seed=2)
    t = env.trial_table()
    assert set(t["type"][50:]) == {"extinction"} and "extinction" not in set(t["type"][:50])
    assert {"unexpected_reward", "omission", "cs_us"} <= set(t["type"][:50])
    first_ext = t["start_ms"][50]
    assert not any(e.t_ms >= first_ext for e in env.events() if e.kind == "reward" or e.name == "US")
    assert not t["rewarded"][50:].any() and np.all(t["expected_us_ms"][50:] == t["cs1_on_ms"][50:] + 1000)


# ----------------------------------------------------------------------------- Izhikevich classical conditioning
@pytest.fixture(scope="module")
def streams():
    """30 min of the paper's stream (S1 rewarded among 100 groups), and its shuffled control, same seed."""
    out = {}
    for control in ("none", "shuffled"):
        env = StimulusGroupConditioning(duration_s=1800.0, control=control)
        env.reset(seed=21)
        out[control] = env, env.trial_table()
    return out


def test_stream_presents_random_groups_at_random_intervals(streams):
    env, t = streams["none"]
    gaps = np.diff(t["start_ms"])
    assert gaps.min() >= 100 and gaps.max() <= 300 and abs(gaps.mean() - 200) < Z * (201 / math.sqrt(12)) / math.sqrt(gaps.size)
    np.testing.assert_array_equal(t["stop_ms"] - t["start_ms"], 1)
    assert binomial_ok(int(np.sum(t["group"] == 0)), t["group"].size, 0.01)
    counts = np.bincount(t["group"], minlength=100)
    assert stats.chisquare(counts).pvalue > 1e-3
    assert np.array_equal(t["name"], np.array([f"S{g + 1}" for g in t["group"]]))


def test_every_s1_presentation_earns_one_reward_within_the_delay_window(streams):
    env, t = streams["none"]
    s1 = t["group"] == 0
    assert s1.sum() > 40 and np.array_equal(t["rewarded"], s1)
    delays = t["reward_ms"][s1] - t["start_ms"][s1]
    assert delays.min() >= 0 and delays.max() <= 1000 and np.array_equal(delays, t["reward_delay_ms"][s1])
    assert np.all(np.isnan(t["reward_ms"][~s1]))
    rewards = [e for e in env.events() if e.kind == "reward"]
    assert sorted(e.t_ms for e in rewards) == sorted(t["reward_ms"][s1]) and all(e.value == 0.5 for e in rewards)
    assert max(e.t_ms for e in rewards) < env.end_ms
    # seen from the events alone: a reward follows every S1 onset within 1 s
    times = np.array(sorted(e.t_ms for e in rewards))
    assert all(np.any((times >= on) & (times <= on + 1000)) for on in t["start_ms"][s1])


def test_shuffled_control_keeps_the_reward_count_but_not_the_link_to_s1(streams):
    (_, t), (_, ts) = streams["none"], streams["shuffled"]
    np.testing.assert_array_equal(t["group"], ts["group"])  # same seed, same stream
    assert ts["rewarded"].sum() == t["rewarded"].sum() and not ts["rewarded"][ts["group"] == 0].any()
    rewards = np.sort(ts["reward_ms"][ts["rewarded"]])
    s1_on = ts["start_ms"][ts["group"] == 0]
    followed = np.mean([np.any((rewards >= on) & (rewards <= on + 1000)) for on in s1_on])
    assert followed < 0.25  # by chance ~ 1 s x (1 reward / 20 s) = 5 %; 100 % without the control
    delays = ts["reward_ms"][ts["rewarded"]] - ts["start_ms"][ts["rewarded"]]
    assert delays.min() >= 0 and delays.max() <= 1000


# ----------------------------------------------------------------------------- invalid input
@pytest.mark.parametrize("cls, kw, field", [
    (PavlovianConditioning, {"reward_probability": 1.5}, "reward_probability"),
    (PavlovianConditioning, {"iti_min_ms": 5000, "iti_max_ms": 4000}, "iti_max_ms"),
    (PavlovianConditioning, {"step_ms": 0}, "step_ms"),
    (PavlovianConditioning, {"cs_ms": 1.5}, "cs_ms"),
    (PavlovianConditioning, {"omission_probability": 0.6, "unexpected_reward_probability": 0.6}, "omission_probability"),
    (PavlovianConditioning, {"omission_probability": 0.1, "probe_from_trial": 100}, "probe_from_trial"),
    (PavlovianConditioning, {"omission_probability": 0.1, "probe_from_trial": 40, "extinction_from_trial": 30},
     "probe_from_trial"),
    (PavlovianConditioning, {"extinction_from_trial": 100}, "extinction_from_trial"),
    (PavlovianConditioning, {"cs2_lead_ms": 500, "cs2_from_trial": 100}, "cs2_from_trial"),
    (PavlovianConditioning, {"reward_prob": 0.5}, "reward_prob"),
    (PavlovianConditioning, {"us_magnitude": float("nan")}, "us_magnitude"),
    (StimulusGroupConditioning, {"interval_min_ms": 300, "interval_max_ms": 100}, "interval_max_ms"),
    (StimulusGroupConditioning, {"stim_ms": 150}, "stim_ms"),
    (StimulusGroupConditioning, {"rewarded_group": 100}, "rewarded_group"),
    (StimulusGroupConditioning, {"n_groups": 1, "control": "shuffled"}, "control"),
    (StimulusGroupConditioning, {"control": "random"}, "control"),
    (StimulusGroupConditioning, {"duration_s": 10.0005}, "duration_s"),
    (StimulusGroupConditioning, {"duration_s": 1.0}, "duration_s"),
    (StimulusGroupConditioning, {"reward_delay_min_ms": 500, "reward_delay_max_ms": 100}, "reward_delay_max_ms"),
    (StimulusGroupConditioning, {"step_ms": 0}, "step_ms"),
])
def test_invalid_configs_raise_config_error_naming_the_field(cls, kw, field):
    with pytest.raises(ConfigError) as err:
        cls(**kw)
    assert err.value.field == field and field in str(err.value)


def test_misuse_is_refused_with_a_clear_error():
    env = PavlovianConditioning(n_trials=3)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    with pytest.raises(RuntimeError, match="reset"):
        env.trial_table()
    with pytest.raises(ConfigError, match="options"):
        env.reset(options={"n_trials": 5})
    env.reset(seed=0)
    with pytest.raises(ConfigError, match="action"):
        env.step(1)
    with pytest.raises(ConfigError, match="config"):
        PavlovianConditioning(StimulusGroupConfig())
    with pytest.raises(ConfigError, match="render_mode"):
        PavlovianConditioning(render_mode="human")
    # a config object and overrides combine, overrides winning
    assert PavlovianConditioning(PavlovianConfig(n_trials=7, cs_ms=800), cs_ms=600).config.model_dump()["cs_ms"] == 600


# ----------------------------------------------------------------------------- the trials table in data.h5
@pytest.mark.parametrize("name", ENVS)
def test_trial_table_round_trips_through_the_run_store(name, tmp_path):
    env = ENVS[name]()
    env.reset(seed=3)
    table = env.trial_table()
    assert list(table)[:2] == ["start_ms", "stop_ms"] and len({v.shape for v in table.values()}) == 1
    data = {f"trials/{k}": v for k, v in table.items()} | {f"task_events/{k}": v for k, v in env.event_table().items()}
    run = store.write_run(tmp_path / "run", experiment="task-test", config={"seed": 3}, metrics={"status": "complete"},
                          data=data, figures={}, kinds={"trials": "trials", "task_events": "events"})
    back = store.read_data(run)
    assert back.keys() == data.keys()
    for key, arr in data.items():
        assert back[key].dtype.kind == arr.dtype.kind, key
        np.testing.assert_array_equal(back[key], arr)  # NaN == NaN here
    parts = {p.group: p for p in classify(back, {"trials": {"kind": "trials"}, "task_events": {"kind": "events"}})}
    assert parts["trials"].kind == "trials" and set(parts["trials"].columns) == set(table)
    assert parts["task_events"].kind == "events"
