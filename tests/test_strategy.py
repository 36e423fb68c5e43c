"""The strategy analysis of 2-alternative visual decision learning (Liebana et al. 2025): on
synthetic agents whose strategy is known by construction, and on the published mice where
their data are present (../shared/data/liebana2025 beside the repository)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from dopaspike.analysis import strategy as st
from dopaspike.core.errors import ConfigError
from dopaspike.datasets.liebana2025 import load_mice
from psychometric_agent import CONTRASTS, agent

MICE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "liebana2025"

# (bias, sensitivity_left, sensitivity_right) of the strategies of a synthetic agent
NAIVE = (0.0, 0.0, 0.0)
BIASED_RIGHT = (2.5, 0.0, 0.0)  # P(right) 0.92 whatever the stimulus: right-stimulus accuracy 0.92, left 0.08
RIGHT_LEARNED = (0.5, 0.0, 8.0)  # right accuracy 0.95 (contrasts 0.25, 0.5); left 0.38: at or below chance
LEFT_LEARNED = (-0.5, 8.0, 0.0)
BOTH = (0.0, 8.0, 8.0)  # accuracy 0.95 on both sides


def _fisher_se(s: np.ndarray, theta) -> np.ndarray:
    """Asymptotic standard errors of the maximum-likelihood estimate at the true parameters."""
    x = np.column_stack([np.ones_like(s), np.maximum(s, 0), -np.maximum(-s, 0)])
    p = 1.0 / (1.0 + np.exp(-(x @ np.asarray(theta))))
    info = x.T @ (x * (p * (1 - p))[:, None])
    return np.sqrt(np.diag(np.linalg.inv(info)))


# ------------------------------------------------------------------------------------ the fit


def test_fit_recovers_the_parameters_within_four_standard_errors():
    """With 4000 trials the estimate is close to normal around the truth with the standard errors
    of the Fisher information; the prior (SD 10) shifts it by far less than one of them. Four
    standard errors: each check fails by chance with probability 6e-5."""
    for b, sl, sr in ((0.5, 4.0, 2.0), (-1.0, 1.0, 6.0), (0.0, 0.0, 3.0)):
        table = agent("x", [(b, sl, sr)], trials=4000, seed=7)
        fit = st.fit_psychometric(table["signed_contrast"], table["choice_right"])
        se_b, se_r, se_l = _fisher_se(table["signed_contrast"].to_numpy(), (b, sr, sl))
        assert abs(fit["bias"] - b) < 4 * se_b, (fit, se_b)
        assert abs(fit["sensitivity_left"] - sl) < 4 * se_l, (fit, se_l)
        assert abs(fit["sensitivity_right"] - sr) < 4 * se_r, (fit, se_r)
        assert 0.05 < se_l < 0.5 and 0.05 < se_r < 0.5  # the tolerance is a real constraint


def test_significance_tells_a_learned_side_from_an_unused_one():
    table = agent("x", [RIGHT_LEARNED], trials=400, seed=3)
    fit = st.fit_psychometric(table["signed_contrast"], table["choice_right"])
    assert fit["p_sensitivity_right"] < 1e-6
    assert fit["p_sensitivity_left"] > st.ALPHA  # the true sensitivity is 0 (with this seed: not a false positive)
    biased = agent("x", [BIASED_RIGHT], trials=400, seed=3)
    fit = st.fit_psychometric(biased["signed_contrast"], biased["choice_right"])
    assert fit["p_sensitivity_left"] > st.ALPHA and fit["p_sensitivity_right"] > st.ALPHA


def test_perfectly_separated_session_stays_finite():
    s = np.tile(CONTRASTS, 50)
    choice = np.where(s == 0, np.arange(s.size) % 2, s > 0).astype(int)  # always correct; 50:50 at contrast 0
    fit = st.fit_psychometric(s, choice)
    assert all(math.isfinite(v) for v in fit.values())
    assert 5 < fit["sensitivity_left"] < 60 and 5 < fit["sensitivity_right"] < 60
    assert fit["p_sensitivity_left"] < 1e-6
    no_left = st.fit_psychometric([0.25, 0.5, 0.0, 0.5], [1, 1, 0, 0])
    assert no_left["sensitivity_left"] == pytest.approx(0.0, abs=1e-6) and no_left["p_sensitivity_left"] == 1.0


# ------------------------------------------------------------------------------- the labels


@pytest.mark.parametrize(("left", "right", "label"), [
    (0.7, 0.7, "both"), (0.95, 0.69, "other"), (0.8, 0.49, "left_only"), (0.8, 0.5, "other"),
    (0.79, 0.1, "other"), (0.2, 0.85, "right_only"), (math.nan, 0.9, "other"), (0.5, 0.5, "other"),
])
def test_label_thresholds(left, right, label):
    assert st.label_session(left, right) == label


def _cohort() -> pd.DataFrame:
    """Three synthetic individuals with known trajectories (see the expected tables below)."""
    right = agent("r", [NAIVE, NAIVE, BIASED_RIGHT, BIASED_RIGHT, BIASED_RIGHT, *[RIGHT_LEARNED] * 4, *[BOTH] * 3], seed=1)
    left = agent("l", [NAIVE, NAIVE, *[(-2.5, 0.0, 0.0)] * 3, *[LEFT_LEARNED] * 4, *[BOTH] * 3], seed=2)
    never = agent("n", [NAIVE] * 4 + [LEFT_LEARNED] * 6, seed=3)
    return pd.concat([right, left, never], ignore_index=True)


def test_labels_phases_and_sessions_to_criterion_of_known_trajectories():
    an = st.analyse(_cohort())
    labels = {ind: "".join(g.sort_values("session")["label"].map(
        {"both": "B", "left_only": "L", "right_only": "R", "other": "."})) for ind, g in an.sessions.groupby("individual")}
    assert labels == {"r": "..RRRRRRRBBB", "l": "..LLLLLLLBBB", "n": "....LLLLLL"}
    r = an.sessions[an.sessions["individual"] == "r"].set_index("session")
    # biased: right accuracy high, no sensitivity to contrast (a flag here would be a false positive, at rate
    # ALPHA per session: the seeds are fixed)
    assert not r.loc[3:5, "learned_right"].any()
    assert r.loc[6:9, "learned_right"].all()  # learned
    assert r.loc[10:12, ["learned_left", "learned_right"]].to_numpy().all()

    ph = an.phases[an.phases["individual"] == "r"]
    assert ph[["label", "first_session", "n_sessions", "n_learned"]].values.tolist() == [
        ["other", 1, 2, 0], ["right_only", 3, 7, 4], ["both", 10, 3, 0]]
    ind = an.individuals.set_index("individual")
    assert ind.loc["r", "sessions_to_criterion"] == 10 and ind.loc["l", "sessions_to_criterion"] == 10
    assert math.isnan(ind.loc["n", "sessions_to_criterion"]) and not ind.loc["n", "reached_both"]
    assert ind["has_one_sided"].all()
    assert ind["longest_one_sided"].to_dict() == {"l": 7, "n": 6, "r": 7}
    assert ind["first_one_sided_side"].to_dict() == {"l": "left", "n": "left", "r": "right"}

    s = an.summary
    assert s["n_individuals"] == 3 and s["fraction_one_sided"] == 1.0
    assert s["n_both"] == 2 and s["fraction_both"] == pytest.approx(2 / 3)
    assert s["median_sessions_to_criterion"] == 10 and s["one_sided_durations"] == [6, 7, 7]
    assert sum(s["label_fractions"].values()) == pytest.approx(1.0)


def test_sessions_with_too_few_trials_on_a_side_are_other():
    table = agent("x", [BOTH], trials=400, seed=0)
    keep = (table["signed_contrast"] >= 0) | (np.cumsum(table["signed_contrast"] < 0) <= st.MIN_SIDE_TRIALS - 1)
    sessions = st.session_table(table[keep])
    assert sessions["n_left"].iloc[0] == st.MIN_SIDE_TRIALS - 1
    assert math.isnan(sessions["accuracy_left"].iloc[0]) and sessions["label"].iloc[0] == "other"


# ------------------------------------------------------------------------- early predicts late


def _sessions(plan: dict[str, list[tuple[float, float]]]) -> pd.DataFrame:
    """A session table with only what early_late reads: per individual, its (left, right) accuracy
    per session, sessions numbered from 1."""
    rows = [{"individual": ind, "session": k + 1, "accuracy_left": left, "accuracy_right": right}
            for ind, accs in plan.items() for k, (left, right) in enumerate(accs)]
    return pd.DataFrame(rows)


def test_early_late_asymmetries_follow_their_definitions():
    nan = float("nan")
    early = [(0.5, 0.7), (0.4, 0.6), (nan, 0.9)]  # asymmetries 0.2, 0.2 and undefined: mean 0.2
    later = [(0.5, 0.5)] * 4 + [(0.9, 0.1)] * 3 + [(0.2, 1.0)] * 14 + [(0.0, 1.0)] * 5  # sessions 4..29
    sides = st.early_late(_sessions({"a": early + later, "short": early[:2]})).set_index("individual")
    assert sides.loc["a", "early_asymmetry"] == pytest.approx(0.2)
    # sessions 8-21: three at -0.8 (sessions 8-10) and eleven at +0.8 (sessions 11-21); 22-29 are outside
    assert sides.loc["a", "late_asymmetry"] == pytest.approx((3 * -0.8 + 11 * 0.8) / 14)
    assert sides.loc["short", "early_asymmetry"] == pytest.approx(0.2)
    assert np.isnan(sides.loc["short", "late_asymmetry"])


def test_early_late_statistic_is_spearmans_rho():
    """Later asymmetry a monotone function of the early one: rho = 1; reversed: rho = -1, and the
    one-sided p (rho > 0) is then large; an individual without a later window is left out."""
    rank = {f"i{k}": [(0.5, 0.5 + 0.02 * k)] * 3 + [(0.5, 0.5)] * 4 + [(0.5 - 0.03 * k, 0.5 + 0.03 * k)] * 14
            for k in range(8)}
    rank["short"] = [(0.5, 0.9)] * 3
    stat = st.early_late_statistic(st.early_late(_sessions(rank)))
    assert stat["n"] == 8 and stat["rho"] == pytest.approx(1.0) and stat["p_greater"] < 0.001
    reverse = {k: v[:7] + [(r, left) for left, r in v[7:]] for k, v in rank.items() if k != "short"}
    stat = st.early_late_statistic(st.early_late(_sessions(reverse)))
    assert stat["rho"] == pytest.approx(-1.0) and stat["p_greater"] > 0.99
    few = st.early_late_statistic(st.early_late(_sessions({k: rank[k] for k in ("i0", "i1", "i2")})))
    assert few["n"] == 3 and np.isnan(few["rho"])


def test_correlations_compared_with_fishers_z():
    """z = (atanh 0.8 - atanh 0.2) / sqrt(1.06/27 + 1.06/17) = (1.0986 - 0.2027) / 0.3188 = 2.8105;
    two-sided p = 2 * (1 - Phi(2.8105)) = 0.00495."""
    out = st.compare_correlations({"rho": 0.8, "n": 30}, {"rho": 0.2, "n": 20})
    assert out["z"] == pytest.approx((math.atanh(0.8) - math.atanh(0.2)) / math.sqrt(1.06 / 27 + 1.06 / 17))
    assert out["z"] == pytest.approx(2.8105, abs=1e-3) and out["p"] == pytest.approx(0.00495, abs=1e-4)
    assert np.isnan(st.compare_correlations({"rho": 0.8, "n": 3}, {"rho": 0.2, "n": 20})["p"])


# -------------------------------------------------------------------------- cohorts compared


def test_compare_cohorts_returns_numbers_and_tells_different_cohorts_apart():
    a = st.analyse(_cohort())
    same = st.compare_cohorts(a, a)
    assert same["fraction_both"]["fisher_p"] == 1.0 and same["longest_one_sided"]["mannwhitney_p"] == 1.0
    fast = pd.concat([agent(f"f{k}", [NAIVE, RIGHT_LEARNED, BOTH, BOTH], trials=200, seed=k) for k in range(8)])
    slow = pd.concat([agent(f"s{k}", [NAIVE] * 2 + [LEFT_LEARNED] * 8, trials=200, seed=20 + k) for k in range(8)])
    res = st.compare_cohorts(st.analyse(fast), st.analyse(slow))
    assert res["fraction_both"]["k_a"] == 8 and res["fraction_both"]["k_b"] == 0
    assert res["fraction_both"]["fisher_p"] < 0.001
    assert res["longest_one_sided"]["median_a"] == 1 and res["longest_one_sided"]["median_b"] == 8
    assert res["longest_one_sided"]["mannwhitney_p"] < 0.001 and res["longest_one_sided"]["ks_p"] < 0.001
    assert res["sessions_to_criterion"]["n_b"] == 0 and math.isnan(res["sessions_to_criterion"]["mannwhitney_p"])
    for test in res.values():
        assert all(isinstance(v, (int, float)) for v in test.values())
    assert res["time_to_criterion"]["km_median_a"] == 3 and math.isnan(res["time_to_criterion"]["km_median_b"])
    assert res["time_to_criterion"]["n_reached_b"] == 0 and res["time_to_criterion"]["logrank_p"] < 0.001
    assert same["time_to_criterion"]["logrank_p"] == pytest.approx(1.0)


def _individuals(reached_at, trained):
    """An individual table: sessions to criterion (NaN: never) and sessions trained."""
    return pd.DataFrame({"sessions_to_criterion": np.asarray(reached_at, float), "n_sessions": trained})


def test_kaplan_meier_median_counts_the_individuals_whose_training_ended_first():
    """Without censoring the Kaplan-Meier median is the sample's (lower) median. Individuals whose
    training ended before criterion count as not yet reached for as long as they were trained:
    two reached at 10 and 12, two stopped at 5 and 6 without reaching it: at 10 one of the two still
    in training reaches it, S(10) = 1 - 1/2, so the median is 10 (the naive fraction reaching
    criterion is 1/2, and the median over those that reach it 11). With three of four trained to
    30 without reaching it, S(10) = 3/4 and the estimate never reaches one half."""
    full = _individuals([3, 1, 5, 2, 4], 40)
    assert st.km_median(st.criterion_survival(full)) == 3
    mixed = _individuals([10, 12, np.nan, np.nan], [20, 20, 5, 6])
    assert st.km_median(st.criterion_survival(mixed)) == 10
    late = _individuals([10, np.nan, np.nan, np.nan], [20, 30, 30, 30])  # S(10) = 3/4
    assert math.isnan(st.km_median(st.criterion_survival(late)))


def test_censored_comparison_does_not_depend_on_how_long_each_was_trained():
    """Two cohorts whose individuals reach criterion at the same sessions, one with as many again
    whose training stopped at session 6, before any reached it: the fraction reaching criterion
    differs (Fisher), the censored comparison does not (log-rank p = 1); a cohort that reaches it
    later does differ."""
    reach = np.tile([8.0, 10.0, 12.0, 14.0], 4)
    a = st.criterion_survival(_individuals(reach, 40))
    b = st.criterion_survival(_individuals(np.r_[reach, np.full(16, np.nan)], np.r_[np.full(16, 40), np.full(16, 6)]))
    assert st._fisher(16, 16, 16, 32)["fisher_p"] < 0.001
    res = st.compare_survival(a, b)
    assert res["n_reached_b"] == 16 and res["n_b"] == 32 and res["logrank_p"] == pytest.approx(1.0)
    later = st.criterion_survival(_individuals(reach + 15, 40))
    assert st.compare_survival(a, later)["logrank_p"] < 0.001


def test_figures_are_figures():
    an = st.analyse(_cohort())
    for fig in (st.trajectories_figure(an.sessions, title="synthetic"), st.psychometric_figure(an.trials),
                st.distributions_figure(an, an), st.distributions_figure(an)):
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        assert buf.tell() > 5000


# ------------------------------------------------------------------------------ tables in


def test_check_trial_table_names_the_problem():
    good = agent("x", [NAIVE], trials=20)
    with pytest.raises(ConfigError, match="choice_right"):
        st.check_trial_table(good.drop(columns="choice_right"))
    with pytest.raises(ConfigError, match=r"choice_right.*0 \(left\) or 1"):
        st.check_trial_table(good.assign(choice_right=2))
    with pytest.raises(ConfigError, match="session.*1-based"):
        st.check_trial_table(good.assign(session=0))
    with pytest.raises(ConfigError, match="signed_contrast"):
        st.check_trial_table(good.assign(signed_contrast=np.nan))
    typed = st.check_trial_table(good.assign(individual=b"x", session=1.0))
    assert typed["individual"].iloc[0] == "x" and typed["session"].dtype.kind == "i"


def test_read_trial_table_from_a_cohort_folder_and_a_run_folder(tmp_path):
    table = pd.concat([agent("a", [NAIVE, BOTH], trials=30), agent("b", [NAIVE], trials=30)], ignore_index=True)
    (tmp_path / "cohort").mkdir()
    table.assign(condition="control").to_csv(tmp_path / "cohort" / "table.csv", index=False)
    got = st.read_trial_table(tmp_path / "cohort")
    assert len(got) == len(table) and set(got["individual"]) == {"a", "b"} and "condition" in got
    (tmp_path / "run").mkdir()
    with h5py.File(tmp_path / "run" / "data.h5", "w") as f:
        f["trials/individual"] = np.array([s.encode() for s in table["individual"]])
        f["trials/session"] = table["session"].to_numpy()
        f["trials/signed_contrast"] = table["signed_contrast"].to_numpy()
        f["trials/choice_right"] = table["choice_right"].to_numpy()
        f["other/t_ms"] = np.arange(3.0)
    got = st.read_trial_table(tmp_path / "run")
    assert list(got["individual"].unique()) == ["a", "b"]
    assert got["choice_right"].tolist() == st.check_trial_table(table)["choice_right"].tolist()
    with pytest.raises(ConfigError, match="--sim"):
        st.read_trial_table(tmp_path / "missing", field="--sim")
    with pytest.raises(ConfigError, match="neither"):
        st.read_trial_table(tmp_path)


def _write_mouse(folder: Path, name: str, **change) -> None:
    folder.mkdir(exist_ok=True)
    df = agent(name, [NAIVE, BOTH], trials=30).drop(columns="individual").assign(response_time_s=0.5)
    df.assign(**change).to_csv(folder / f"{name}.csv", index=False)


def test_load_mice_reads_and_refuses(tmp_path):
    _write_mouse(tmp_path / "ok", "DAP001")
    _write_mouse(tmp_path / "ok", "DAP002")
    mice = load_mice(tmp_path / "ok")
    assert sorted(mice["individual"].unique()) == ["DAP001", "DAP002"] and len(mice) == 120
    assert {"individual", "session", "signed_contrast", "choice_right", "response_time_s", "trial"} <= set(mice)
    with pytest.raises(ConfigError, match="no such folder"):
        load_mice(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no \\*.csv"):
        load_mice(tmp_path / "empty", field="--mice")
    _write_mouse(tmp_path / "bad1", "DAP003", signed_contrast=0.3)
    with pytest.raises(ConfigError, match="DAP003.csv: signed_contrast.*one of -0.5, -0.25, 0, 0.25, 0.5"):
        load_mice(tmp_path / "bad1")
    _write_mouse(tmp_path / "bad2", "DAP004", choice_right=-1)
    with pytest.raises(ConfigError, match="choice_right"):
        load_mice(tmp_path / "bad2")
    (tmp_path / "bad3").mkdir()
    pd.DataFrame({"session": [1], "signed_contrast": [0.5], "choice_right": [1]}).to_csv(tmp_path / "bad3" / "x.csv")
    with pytest.raises(ConfigError, match="missing: response_time_s"):
        load_mice(tmp_path / "bad3")


# ------------------------------------------------------------------------------ the mice


@pytest.fixture(scope="module")
def mice():
    if not MICE.is_dir():
        pytest.skip(f"the mice's data are not at {MICE} (Liebana et al. 2025; see its README.md)")
    return st.analyse(load_mice(MICE))


def test_mice_reproduce_the_published_pattern(mice, record_property):
    """The README of the data states, for all 25 mice of the source: every mouse passes through a
    phase >= 0.8 correct on one side while < 0.5 on the other, and 14 of 25 reach >= 0.7 on both
    sides within a session. The 19 mice here are 19 of those 25 with the same criteria, so every
    one must have a one-sided session, and between 14 - 6 = 8 and 14 of them reach both: a
    fraction in [8/19, 14/19] = [0.42, 0.74] (the README's 0.56 lies inside)."""
    s = mice.summary
    numbers = {k: s[k] for k in ("n_individuals", "fraction_one_sided", "n_both", "fraction_both",
                                 "median_sessions_to_criterion", "median_one_sided_duration", "median_longest_one_sided")}
    numbers.update({f"early_late_{k}": v for k, v in s["early_late"].items()})
    print("measured on the mice:", numbers)
    for key, value in numbers.items():
        record_property(key, value)
    assert s["n_individuals"] == 19
    assert s["fraction_one_sided"] == 1.0
    assert 8 <= s["n_both"] <= 14
    assert 8 / 19 <= s["fraction_both"] <= 14 / 19
    assert s["median_sessions"] == pytest.approx(26, abs=3)  # README: median 24 (14-53) over all 25
    assert 0 <= s["early_late"]["p"] <= 1 and s["early_late"]["n"] > 10
