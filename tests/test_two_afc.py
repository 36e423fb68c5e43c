"""The two-afc task, the rate learner with heterogeneous dopamine teaching, its fixed points, and
the two-afc experiment (Liebana et al. 2025)."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from dopaspike.analysis import fixed_points as fp
from dopaspike.core import rng
from dopaspike.core.errors import ConfigError
from dopaspike.experiments import get
from dopaspike.experiments.two_afc import TwoAFCExperimentConfig, _sequence
from dopaspike.models.two_afc_rate import RateCohort, RateLearnerConfig
from dopaspike.tasks import TwoAFC

LEVELS = np.array([-0.5, -0.25, 0.0, 0.25, 0.5])


# ------------------------------------------------------------------------------------ the task
def test_task_is_a_gymnasium_env_drawn_at_reset():
    env = gym.make("dopaspike/TwoAFC-v0", n_sessions=2, trials_per_session=50)
    check_env(env.unwrapped, skip_render_check=True)
    a, b = TwoAFC(n_sessions=2, trials_per_session=50), TwoAFC(n_sessions=2, trials_per_session=50)
    a.reset(seed=3)
    b.reset(seed=3)
    seq_a = [a.step(i % 2)[4]["trial"].signed_contrast for i in range(100)]
    seq_b = [b.step(1)[4]["trial"].signed_contrast for _ in range(100)]
    assert seq_a == seq_b  # the stimuli do not depend on the choices


def test_task_rewards_the_grating_side_and_half_of_zero_contrast():
    env = TwoAFC(n_sessions=20, trials_per_session=200)
    env.reset(seed=1)
    rows = []
    done = False
    while not done:
        s = env.signed_contrast
        obs_before = env._observation()
        assert obs_before[0] == max(-s, 0.0) and obs_before[1] == max(s, 0.0)
        _, r, done, _, info = env.step(1)  # always right
        rows.append((s, r, info["trial"].session))
    s, r, ses = map(np.array, zip(*rows))
    assert np.all(r[s > 0] == 1) and np.all(r[s < 0] == 0)
    zero = r[s == 0]
    # Binomial(n, 1/2) within its 99.9 % band
    assert abs(zero.sum() - zero.size / 2) <= 3.29 * np.sqrt(zero.size / 4)
    assert set(np.unique(s)) == {-0.5, -0.25, 0.0, 0.25, 0.5}
    assert ses[0] == 1 and ses[-1] == 20 and np.all(np.bincount(ses)[1:] == 200)


@pytest.mark.parametrize("bad, field", [({"contrasts": (0.5, 0.5)}, "contrasts"), ({"contrasts": (1.5,)}, "contrasts"),
                                        ({"n_sessions": 0}, "n_sessions"), ({"trials_per_session": 0}, "trials_per_session")])
def test_task_rejects_bad_config(bad, field):
    with pytest.raises(ConfigError, match=field):
        TwoAFC(**bad)


# ------------------------------------------------------------------------------- the learner
#: The policy-rule learner of the earlier default: overlapping rectified units, a learned side bias.
POLICY = dict(teaching_rule="policy", lateral_hidden=False, hidden_activation="relu", bias_learning_rate=0.001,
              bias_sd=0.3, habit_weight=0.0, input_weight=0.5, output_weight_sd=0.05, weight_decay=1e-3)


def _cohort(n=3, **kw) -> RateCohort:
    return RateCohort.create(RateLearnerConfig(**kw), [rng.stream(5, f"i{k}") for k in range(n)])


@pytest.mark.parametrize("kw", [{"depth": "deep"}, {"depth": "shallow"},  # the defaults
                                {"depth": "deep", **POLICY}, {"depth": "shallow", **POLICY},
                                {"depth": "deep", **POLICY, "lateral_hidden": True, "hidden_activation": "linear"},
                                {"depth": "deep", **POLICY, "teaching_rule": "value"},
                                {"depth": "shallow", **POLICY, "teaching_rule": "value"},
                                {"depth": "deep", "habit_weight": 0.0, "value_logit": 2.0, "bias_learning_rate": 0.01},
                                {"depth": "deep", "habit_weight": 1.5, "habit_rate": 0.2},
                                {"depth": "shallow", **POLICY, "habit_weight": 2.0}])
def test_mean_field_is_the_expected_update(kw):
    """``mean_field`` against the exact expectation of ``learn`` over stimuli, choices and rewards
    (with a habit, the choice history is a parameter too, and starts away from 0 here)."""
    coh = _cohort(**{**kw, "output_weight_sd": 0.5, "bias_sd": 0.5})
    coh.H[:] = [0.4, -0.7, 0.1]
    expected = np.zeros((coh.n, coh.params(0).size))
    for s in LEVELS:
        sv = np.full(coh.n, s)
        p = coh.p_right(sv)
        for a in (0, 1):
            pa = np.where(a == 1, p, 1 - p)
            rewards = [(1.0, 0.5), (0.0, 0.5)] if s == 0 else [(float((s > 0) == (a == 1)), 1.0)]
            for r, pr in rewards:
                c = coh.copy()
                c.learn(sv, np.full(coh.n, a), np.full(coh.n, r))
                delta = np.stack([c.params(k) - coh.params(k) for k in range(coh.n)])
                expected += (pa * pr)[:, None] * delta / LEVELS.size
    assert np.allclose(coh.mean_field(LEVELS), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("rule", ["policy", "value"])
def test_each_subpopulation_teaches_only_its_stimulus_weights(rule):
    coh = _cohort(n=4, teaching_rule=rule)
    before = coh.subset_weights()
    c = coh.copy()
    opto = np.zeros((4, 2))
    opto[:, 0] = 1.0
    s = np.array([-0.5, -0.25, 0.5, 0.0])  # left, left, right, zero
    c.learn(s, np.array([0, 1, 1, 0]), np.zeros(4), opto, from_reward=False)
    decay = 1.0 - c.config.learning_rate * c.config.weight_decay
    after = c.subset_weights()
    assert np.allclose(after["right"], before["right"] * decay)  # the right subpopulation was not stimulated
    changed = ~np.isclose(after["left"], before["left"] * decay).all(axis=1)
    assert changed.tolist() == [True, True, False, False]  # only where the left grating was used in the choice
    # a reward teaches through the subpopulation of the grating shown
    c = coh.copy()
    c.learn(s, np.array([0, 0, 1, 1]), np.array([1.0, 1.0, 1.0, 1.0]))
    after = c.subset_weights()
    assert not np.allclose(after["left"][:2], before["left"][:2] * decay)
    assert not np.allclose(after["right"][2], before["right"][2] * decay)


def test_lateral_hidden_units_keep_one_grating_each():
    """With ``lateral_hidden`` the absent stimulus-to-hidden connections start at 0, stay 0 through
    learning (rewards and stimulation), and are not parameters of the fixed-point analysis."""
    coh = _cohort(n=4, lateral_hidden=True, hidden_activation="linear")
    half = coh.config.n_hidden // 2
    absent = np.zeros(coh.W.shape[1:], bool)
    absent[:half, 1] = absent[half:, 0] = True
    gen = np.random.default_rng(0)
    for _ in range(50):
        s = gen.choice(LEVELS, 4)
        coh.learn(s, gen.integers(0, 2, 4), gen.integers(0, 2, 4).astype(float), opto=gen.random((4, 2)))
    assert np.all(coh.W[:, absent] == 0.0) and np.all(coh.W[:, ~absent] != 0.0)
    assert coh.params(0).size == 2 * coh.config.n_hidden + 1
    c = coh.copy()
    c.set_params(1, coh.params(2))
    assert np.array_equal(c.W[1], coh.W[2]) and np.all(c.W[1][absent] == 0.0)
    with pytest.raises(ValueError, match="n_hidden"):
        RateLearnerConfig(lateral_hidden=True, n_hidden=1)


def test_a_silent_pathway_is_the_unstable_manifold_of_a_saddle():
    """Deep linear network with lateral hidden units: the states in which one grating's pathway is
    silent (its first-layer and read-out weights 0) are invariant, and the fixed point among them is a
    saddle whose unstable directions lie in that pathway: learning that side is an escape from a
    saddle (Saxe, McClelland & Ganguli 2014), as Liebana et al. (2025) explain the one-sided plateaus."""
    one = RateCohort.create(RateLearnerConfig(lateral_hidden=True, hidden_activation="linear", input_weight=0.1,
                                              weight_decay=0.01), [rng.stream(0, "i0")])
    half, n_h = one.config.n_hidden // 2, one.config.n_hidden
    weak = int(np.argmin(one.gains[0]))
    silent = np.zeros(2 * n_h + 1, bool)  # params: W (one per unit), v, b
    side = slice(0, half) if weak == 0 else slice(half, n_h)
    silent[side] = True
    silent[n_h:][side] = True
    start = np.where(silent, 0.0, 1.5)
    start[n_h:2 * n_h][~silent[n_h:2 * n_h]] *= -1.0 if weak == 1 else 1.0  # read-out sign: left learned, v < 0
    start[-1] = 0.0
    assert np.all(fp.velocity(one, start, LEVELS)[silent] == 0.0)  # invariant
    points = fp.find_fixed_points(one, start, LEVELS)
    assert len(points) == 1
    f = points[0]
    assert f.kind == "saddle" and np.all(f.theta[silent] == 0.0)
    at = one.copy()
    at.set_params(0, f.theta)
    learned = at.association()[0, 1 - weak]
    assert learned > 1.0
    eigval, eigvec = np.linalg.eig(fp.jacobian(one, f.theta, LEVELS))
    unstable = eigvec[:, eigval.real > fp.EIG_TOL]
    assert unstable.shape[1] >= 1
    assert np.all(np.linalg.norm(unstable[silent], axis=0) / np.linalg.norm(unstable, axis=0) > 0.99)


def test_value_rule_teaches_with_the_networks_own_prediction():
    """Value rule: the dopamine is ``r - Q(a)``, Q read from the choice logit. A choice the network
    favours with logit ``value_logit`` is predicted to pay 1: its reward teaches nothing (only the
    decay acts), its omission is a full dip (-1); the same reward of a choice it does not favour
    (logit 0, Q = 1/2) is a burst of 1/2."""
    T = 2.5
    coh = _cohort(n=2, depth="shallow", teaching_rule="value", value_logit=T, weight_decay=0.0)
    coh.A[:] = 0.0
    coh.b[:] = 0.0
    coh.A[0, 1] = T / coh.config.contrast_gain  # individual 0: logit T for a right grating of contrast 1
    s, right = np.ones(2), np.ones(2)
    assert coh.predicted_reward(s, right) == pytest.approx([1.0, 0.5])
    assert coh.predicted_reward(s, 1 - right) == pytest.approx([0.0, 0.5])
    c = coh.copy()
    assert c.learn(s, right, np.ones(2)) == pytest.approx([0.0, 0.5])
    assert np.array_equal(c.A[0], coh.A[0]) and c.A[1, 1] > 0.0  # no error, no change; a burst strengthens
    assert coh.copy().learn(s, right, np.zeros(2))[0] == pytest.approx(-1.0)


def test_habit_adds_the_choice_history_to_the_choice_but_not_to_the_prediction():
    """With ``habit_weight`` the choice logit is the associations' logit plus ``habit_weight`` times
    the choice history ``H``, a running mean of the choices (+1 right, -1 left) that moves whatever
    the outcome (a choice kernel; Miller, Shenhav & Ludvig 2019). The value rule's prediction
    ``Q(a)`` is read from the associations alone, and the associations' measures ignore the habit."""
    coh = _cohort(n=2, depth="shallow", teaching_rule="value", habit_weight=2.0, habit_rate=0.1)
    assert np.all(coh.H == 0.0)
    s, right = np.array([0.5, -0.25]), np.ones(2)
    c = coh.copy()
    for _ in range(30):  # right, whatever the reward
        c.learn(s, right, np.array([1.0, 0.0]))
    assert c.H == pytest.approx(np.full(2, 1.0 - 0.9 ** 30))
    assert c.logit(s) - c.association_logit(s) == pytest.approx(2.0 * c.H)
    assert c.predicted_reward(s, right) == pytest.approx(c._q(c.association_logit(s), right))
    no_habit = c.copy()
    no_habit.H[:] = 0.0
    assert np.array_equal(c.association(), no_habit.association())
    assert np.all(c.p_right(s) > no_habit.p_right(s))  # the history of right choices leans the choice right
    # with habit_weight 0 the history is kept but changes nothing (and is not a coordinate of the state)
    plain = _cohort(n=2, depth="shallow", teaching_rule="value", habit_weight=0.0, bias_learning_rate=0.001)
    plain.learn(s, right, np.ones(2))
    assert np.all(plain.H > 0.0) and plain.params(0).size == 3
    assert np.array_equal(plain.logit(s), plain.association_logit(s))


def test_habit_puts_the_silent_side_of_a_one_sided_saddle_below_chance():
    """Deep linear lateral network, value rule, no bias (0 and not learned), left pathway silent.
    Without a habit the silent side is at chance at the one-sided saddle (nothing moves its
    choices). With one, the learned side's correct choices lean the choice history toward it, and
    the silent side's trials go to that side more often than not: below chance, as the mice's
    unlearned side is during their one-sided phases (Liebana et al. 2025)."""
    acc = {}
    for habit in (0.0, 1.5):
        kw = dict(lateral_hidden=True, hidden_activation="linear", teaching_rule="value", bias_sd=0.0,
                  bias_learning_rate=0.0, habit_weight=habit, weight_decay=1e-3)
        one = RateCohort.create(RateLearnerConfig(**kw), [rng.stream(0, "i0")])
        n_h, half = one.config.n_hidden, one.config.n_hidden // 2
        one.W[0, :half, 0] = one.v[0, :half] = 0.0  # the left pathway silent
        one.W[0, half:, 1], one.v[0, half:] = 1.0, 0.9  # near the right side's fit, away from the origin (a fixed point too)
        one.H[0] = 0.6  # and near the history that fit gives (from 0 the root finder goes to the origin)
        start = one.params(0)
        assert np.all(fp.velocity(one, start, LEVELS)[np.r_[:half, n_h:n_h + half]] == 0.0)  # still invariant
        points = fp.find_fixed_points(one, start, LEVELS)
        assert len(points) == 1 and points[0].kind == "saddle"
        acc[habit] = (points[0].accuracy_left, points[0].accuracy_right)
    assert acc[0.0][0] == pytest.approx(0.5) and acc[0.0][1] > 0.9
    assert acc[1.5][0] < 0.4 and acc[1.5][1] > 0.9


def test_value_rule_has_a_finite_expert_fixed_point_without_weight_decay():
    """The policy rule's expert state is finite only through the weight decay (its teaching
    ``p (1 - p)`` vanishes only as the logit diverges). The value rule regresses the logit on
    ``value_logit * sign(c)``, so with no decay the shallow learner's expert state is the
    least-squares fit, computed here by hand: with one teaching gain for both sides the bias is 0
    and each side's slope fitting ``T`` at its inputs ``x`` is ``T * sum(x) / sum(x^2)``."""
    one = _cohort(n=1, depth="shallow", teaching="uniform", teaching_rule="value", weight_decay=0.0)
    T = one.config.value_logit
    points = fp.find_fixed_points(one, np.array([[0.1, 0.2, 0.3], [5.0, 1.0, -1.0]]), LEVELS)
    assert len(points) == 1
    f = points[0]
    x = one.config.contrast_gain * np.array([0.25, 0.5])
    slope = T * x.sum() / (x ** 2).sum()
    assert f.theta == pytest.approx([slope, slope, 0.0], rel=1e-6, abs=1e-9)
    assert f.kind == "stable" and f.label == "both"


def test_uniform_teaching_has_unit_gains_and_heterogeneous_differs_by_side():
    assert np.all(_cohort(n=5, teaching="uniform").gains == 1.0)
    g = _cohort(n=50, gain_sd=0.7, gain_spread="independent").gains
    assert np.all(g > 0) and np.std(np.log(g)) == pytest.approx(0.7, rel=0.3)


def test_balanced_gains_keep_the_log_ratio_with_geometric_mean_one():
    """``gain_spread="balanced"`` divides the same teaching between the sides: from the same
    draws, the log ratio of the two gains equals the independent draw's, and their product is 1."""
    from dopaspike.models.two_afc_rate import draw_gains

    for k in range(20):
        ind = draw_gains(np.random.default_rng(k), 1.0, "independent")
        bal = draw_gains(np.random.default_rng(k), 1.0, "balanced")
        assert np.log(bal[1] / bal[0]) == pytest.approx(np.log(ind[1] / ind[0]), rel=1e-12)
        assert bal[0] * bal[1] == pytest.approx(1.0, rel=1e-12)
    g = _cohort(n=200, gain_sd=0.7, gain_spread="balanced").gains
    assert np.allclose(g.prod(axis=1), 1.0) and np.std(np.log(g[:, 1] / g[:, 0])) == pytest.approx(0.7 * np.sqrt(2), rel=0.2)
    assert np.all(_cohort(n=5, teaching="uniform", gain_spread="balanced").gains == 1.0)


def test_zero_weights_are_a_fixed_point_with_a_bias_toward_the_stronger_teacher():
    """Zero weights give no hidden activity and no gradient for them. With one homogeneous teaching
    signal the origin is a fixed point; with heterogeneous gains the bias is pushed toward the side
    of the stronger subpopulation, so the fixed point has zero weights and a bias of that sign."""
    uni = _cohort(n=1, teaching="uniform", **POLICY)
    zero = np.zeros(uni.params(0).size)
    assert np.linalg.norm(fp.velocity(uni, zero, LEVELS)) == 0.0
    het = _cohort(n=1, **POLICY)
    assert het.gains[0, 0] != het.gains[0, 1]
    points = fp.find_fixed_points(het, zero, LEVELS)
    assert len(points) == 1 and points[0].residual < 1e-6
    theta = points[0].theta
    assert np.all(theta[:-1] == 0.0)
    assert np.sign(theta[-1]) == np.sign(het.gains[0, 1] - het.gains[0, 0])  # b > 0: toward right


def test_shallow_learner_has_one_stable_expert_fixed_point():
    one = _cohort(n=1, depth="shallow")
    starts = np.array([[0.0, 0.0, 0.0], [3.0, -1.0, 2.0], [-2.0, 4.0, -1.0]])
    points = fp.find_fixed_points(one, starts, LEVELS)
    assert len(points) == 1
    assert points[0].kind == "stable" and points[0].label == "both"


def test_slow_point_is_slower_than_its_start():
    one = _cohort(n=1, output_weight_sd=0.5)
    sp = fp.find_slow_point(one, one.params(0), LEVELS, max_iter=50)
    assert sp.speed <= sp.start_speed


def test_speed_and_distance_read_the_learned_weights_not_the_choice_history():
    """The choice history ``H`` follows the last choices at ``habit_rate``, not the learning rate:
    where only ``H`` is away from a fixed point's value, the learning speed is that of the weights
    and the state is at distance 0 from the point."""
    one = _cohort(n=1, habit_weight=1.5, habit_rate=0.2)
    theta = one.params(0)
    f = fp.velocity(one, theta, LEVELS)
    assert f[-1] != 0.0  # H is away from its own equilibrium here
    assert fp.speed(one, theta, LEVELS) == pytest.approx(np.linalg.norm(f[:-1]) / one.config.learning_rate)
    point = fp.FixedPoint(theta=theta.copy(), residual=0.0, kind="saddle", eigenvalues=np.zeros(theta.size),
                          accuracy_left=0.5, accuracy_right=0.5, label="other")
    moved = theta.copy()
    moved[-1] += 0.5  # another choice history
    assert fp.relative_distance(one, [point], moved) == 0.0
    moved[0] += 0.1  # and a weight
    assert fp.relative_distance(one, [point], moved) == pytest.approx(0.1 / np.linalg.norm(moved[:-1]))
    plain = _cohort(n=1, habit_weight=0.0)  # without a habit every coordinate is learned
    assert fp.learned(plain, plain.params(0)).size == plain.params(0).size


# ------------------------------------------------------------------------------ the experiment
SMALL = dict(n_individuals=4, n_sessions=4, trials_per_session=50, probe_session=2, probe_trials=20,
             fixed_point_individuals=1, min_phase_sessions=2)


def test_experiment_same_seed_same_result_and_checks():
    exp = get("two-afc")
    cfg = TwoAFCExperimentConfig(**SMALL)
    a, b = exp.run(cfg, seed=2), exp.run(cfg, seed=2)
    for key in ("trials/choice_right", "trials/signed_contrast", "learner_heterogeneous/params"):
        assert np.array_equal(a.data[key], b.data[key])
    assert not np.array_equal(a.data["trials/choice_right"], exp.run(cfg, seed=3).data["trials/choice_right"])
    checks = exp.checks(a)
    assert {"learns", "one_sided_phase_in_most", "uniform_lacks_long_one_sided_phases", "early_strategy_predicts_late",
            "opto_updates_only_its_associations", "plateaus_near_fixed_points"} <= set(checks)
    assert checks["opto_updates_only_its_associations"].passed
    n = cfg.n_individuals * len(cfg.conditions) * cfg.n_trials
    assert a.data["trials/choice_right"].size == n
    pickle.loads(pickle.dumps(exp.start(cfg, 0)))  # a session can be checkpointed


def _fixed_point_row(distance: float, speed_plateau: float = 0.01, speed_other: float = 0.02) -> dict:
    return {"fixed_points": [{"kind": "saddle"}], "median_speed_one_sided": speed_plateau,
            "median_speed_other": speed_other, "median_distance_one_sided": distance}


@pytest.mark.parametrize("distances, passed", [((0.1, 0.2, 0.9), True), ((0.1, 0.9, 0.9), False),
                                               ((0.24, 0.26, 0.3), False)])
def test_plateau_check_needs_the_trajectory_near_a_fixed_point(distances, passed):
    # slower on every plateau, a saddle each: only the distance decides
    from dopaspike.experiments.base import Results
    from dopaspike.experiments.two_afc import NEAR_RELATIVE_DISTANCE, checks

    assert NEAR_RELATIVE_DISTANCE == 0.25
    metrics = {"fixed_points": {"individuals": [_fixed_point_row(d) for d in distances]}}
    check = checks(Results(metrics=metrics, data={}, config=TwoAFCExperimentConfig(), seed=0))["plateaus_near_fixed_points"]
    assert check.passed is passed


def test_experiment_chunking_does_not_change_the_result():
    exp = get("two-afc")
    cfg = TwoAFCExperimentConfig(**{**SMALL, "conditions": ("heterogeneous",), "fixed_point_individuals": 0})
    whole = exp.run(cfg, seed=1)
    s = exp.start(cfg, 1)
    while s.sim.t_ms < s.end_ms:
        s.sim.run(7000.0, chunk_ms=3000.0)
    parts = s.results("complete")
    assert np.array_equal(whole.data["trials/choice_right"], parts.data["trials/choice_right"])


@pytest.mark.parametrize("bad, field", [({"probe_session": 9, "n_sessions": 4}, "probe_session"),
                                        ({"conditions": ("deep",)}, "conditions"), ({"gain_sd": -1}, "gain_sd"),
                                        ({"gain_spread": "fixed"}, "gain_spread"),
                                        ({"contrasts": (0.5, 0.5)}, "contrasts"),
                                        ({"teaching_rule": "td"}, "teaching_rule"), ({"value_logit": 0}, "value_logit"),
                                        ({"habit_weight": -1}, "habit_weight"), ({"habit_rate": 0}, "habit_rate"),
                                        ({"model": "spiking", "conditions": ("heterogeneous",), "habit_weight": 1.0},
                                         "habit_weight"),
                                        ({"model": "spiking", "conditions": ("heterogeneous",), "teaching_rule": "policy"},
                                         "teaching_rule"),
                                        # a field the chosen model does not read would be ignored silently
                                        ({"model": "spiking", "conditions": ("heterogeneous",), "lateral_hidden": False},
                                         "lateral_hidden"),
                                        ({"model": "rate", "n_da": 10}, "n_da")])
def test_experiment_rejects_bad_config(bad, field):
    from pydantic import ValidationError

    with pytest.raises((ValidationError, ConfigError), match=field):
        TwoAFCExperimentConfig(**bad)


def test_each_model_accepts_the_fields_it_reads():
    # gain_sd draws the spiking individuals' gains too; a field left at its default is never refused
    TwoAFCExperimentConfig(model="spiking", conditions=("heterogeneous",), gain_sd=0.5, n_hidden=8)
    TwoAFCExperimentConfig(model="spiking", conditions=("heterogeneous",), gain_spread="balanced")
    TwoAFCExperimentConfig(model="rate", n_da=TwoAFCExperimentConfig.model_fields["n_da"].default)


def test_sequence_collapses_phases():
    assert _sequence(["other", "right_only", "right_only", "other", "both"]) == "right_only>both"
    assert _sequence(["other", "other"]) == "other"


@pytest.mark.slow
def test_heterogeneous_teaching_gives_long_one_sided_phases_and_uniform_does_not():
    """Liebana et al. 2025: a deep network with heterogeneous teaching signals passes through long
    one-sided phases; with one homogeneous teaching signal it does not. 24 individuals per
    condition (paired: the same initial weights and tasks); margin: one-sided Fisher exact p < 0.01
    and at least 40 % of the heterogeneous cohort with a phase of >= 3 sessions."""
    from scipy.stats import fisher_exact

    exp = get("two-afc")
    cfg = TwoAFCExperimentConfig(n_individuals=24, n_sessions=20, conditions=("heterogeneous", "uniform"),
                                 fixed_point_individuals=0, probe_session=1, probe_trials=1)
    per = exp.run(cfg, seed=11).metrics["conditions"]
    het, uni = per["heterogeneous"]["long_one_sided"], per["uniform"]["long_one_sided"]
    p = fisher_exact([[het, 24 - het], [uni, 24 - uni]], alternative="greater").pvalue
    assert het >= 0.4 * 24 and p < 0.01, (het, uni, p)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_early_strategy_predicts_the_later_one(seed):
    """Liebana et al. 2025: each individual's early strategy predicts its strategy weeks later. With
    the defaults, across a heterogeneous cohort of 32, the side asymmetry of sessions 1-3 is
    rank-correlated with that of sessions 8-21 (one-sided Spearman p < 0.05, in each of three
    seeds: the check's own margin)."""
    exp = get("two-afc")
    cfg = TwoAFCExperimentConfig(n_sessions=21, conditions=("heterogeneous",), fixed_point_individuals=0,
                                 probe_session=1, probe_trials=1)
    el = exp.run(cfg, seed=seed).metrics["conditions"]["heterogeneous"]["summary"]["early_late"]
    assert el["n"] == 32 and el["rho"] > 0 and el["p_greater"] < 0.05, el


def test_spiking_model_runs_through_the_experiment():
    exp = get("two-afc")
    cfg = TwoAFCExperimentConfig(model="spiking", conditions=("heterogeneous", "uniform"), n_individuals=1, n_sessions=2,
                                 trials_per_session=20, probe_session=1, min_phase_sessions=1)
    res = exp.run(cfg, seed=0)
    assert res.metrics["model"] == "spiking" and set(res.metrics["conditions"]) == {"heterogeneous", "uniform"}
    assert res.data["trials/choice_right"].size == 2 * 40
    assert set(np.unique(res.data["trials/individual"])) == {0}
    assert "learns" in exp.checks(res)
    with pytest.raises(ValueError, match="shallow"):
        TwoAFCExperimentConfig(model="spiking")


def test_association_flow_on_a_shallow_slice_is_the_mean_field():
    """Shallow learners: the slice's associations are the scaled associations, and their rate of
    change is the mean-field change of A (times the input per unit contrast)."""
    one = _cohort(n=1, depth="shallow", output_weight_sd=1.0)
    scales = np.array([0.5, 1.0, 2.0])
    flow = fp.association_flow(one, one.params(0), LEVELS, scales)
    g = one.config.contrast_gain
    for i, a in enumerate(scales):
        for j, b in enumerate(scales):
            c = one.copy()
            c.A[0] *= (a, b)
            assert flow["left"][i, j] == pytest.approx(c.A[0, 0] * g)
            assert flow["right"][i, j] == pytest.approx(c.A[0, 1] * g)
            f = c.mean_field(LEVELS)[0]
            assert flow["rate_left"][i, j] == pytest.approx(f[0] * g, rel=1e-4)
            assert flow["rate_right"][i, j] == pytest.approx(f[1] * g, rel=1e-4)
