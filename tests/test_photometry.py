"""Simulated fiber photometry (dopaspike.analysis.photometry): sensor kernels, filtering,
normalisation, alignment on events, learning stages, the per-group summary and its figure, on
hand-made arrays whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dopaspike.analysis import photometry as ph
from dopaspike.core.errors import ConfigError

# ------------------------------------------------------------------------------------ kernels


@pytest.mark.parametrize("rise, decay", [(10.0, 100.0), (40.0, 1300.0), (0.0, 50.0), (1.0, 3.0)])
def test_kernel_has_unit_area_and_holds_its_area(rise, decay):
    dt = 1.0
    k = ph.sensor_kernel(dt, rise, decay)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(k >= 0)
    # long enough: the continuous tail beyond the kernel is below 0.1 % of the area
    length = (k.size - 1) * dt
    tail = (decay * math.exp(-length / decay) - (rise * math.exp(-length / rise) if rise else 0.0)) / (decay - rise)
    assert tail <= 1 - ph.KERNEL_AREA


def test_kernel_peaks_after_zero_at_the_difference_of_exponentials_peak():
    rise, decay = 10.0, 100.0
    k = ph.sensor_kernel(1.0, rise, decay)
    assert k[0] == 0.0
    peak = rise * decay / (decay - rise) * math.log(decay / rise)  # where d/dt (e^-t/d - e^-t/r) = 0: 25.6 ms
    assert abs(int(np.argmax(k)) - peak) <= 1


@pytest.mark.parametrize("rise, decay", [(10.0, 100.0), (40.0, 1300.0)])
def test_kernel_decays_with_decay_ms(rise, decay):
    k = ph.sensor_kernel(1.0, rise, decay)
    t = np.arange(k.size, dtype=float)
    late = t > 10 * rise  # where the rise has gone (e^-10)
    slope = np.polyfit(t[late], np.log(k[late]), 1)[0]
    assert -1.0 / slope == pytest.approx(decay, rel=1e-3)


def test_rise_zero_is_a_pure_exponential():
    k = ph.sensor_kernel(0.5, 0.0, 20.0)
    assert np.argmax(k) == 0
    assert np.allclose(k[1:] / k[:-1], math.exp(-0.5 / 20.0))
    assert ph.sensor_kernel(1.0, 0.0, 20.0, length_ms=10.0).size == 11


# ------------------------------------------------------------------------------------ filtering


@pytest.mark.parametrize("sensor", ["dlight1.1", "grab_da2m", (5.0, 30.0)])
def test_constant_maps_to_itself_after_the_kernel(sensor):
    c = np.full(20000, 3.5)
    y = ph.sensor_signal(c, 1.0, sensor)
    n = ph.sensor_kernel(1.0, *ph._kinetics(sensor)).size
    assert y.shape == c.shape
    assert np.allclose(y[n:], 3.5, rtol=1e-9)
    assert y[0] < 3.5  # it starts from 0: causal


def test_impulse_gives_the_kernel_and_rows_are_filtered_on_their_own():
    k = ph.sensor_kernel(1.0, *ph.SENSORS["dlight1.1"])
    c = np.zeros((2, 3000))
    c[0, 100] = 1.0
    c[1, 500] = 2.0
    y = ph.sensor_signal(c, 1.0, "dlight1.1")
    assert np.allclose(y[0, 100:100 + k.size], k, atol=1e-12)
    assert np.allclose(y[0, :100], 0.0, atol=1e-12)
    assert np.allclose(y[1, 500:500 + k.size], 2 * k, atol=1e-12)
    assert np.allclose(y[1], ph.sensor_signal(c[1], 1.0, "dlight1.1"), atol=1e-12)


def test_none_is_the_identity():
    c = np.random.default_rng(0).normal(size=(3, 50))
    y = ph.sensor_signal(c, 1.0, "none")
    assert np.array_equal(y, c) and y is not c


def test_slow_sensor_smears_a_dip():
    """The module's example: a 200 ms dip keeps ~85 % of its depth in dLight1.1, ~14 % in GRAB-DA2m."""
    c = np.ones(12000)
    c[8000:8200] = 0.0
    depth = {s: 1.0 - ph.sensor_signal(c, 1.0, s)[6000:].min() for s in ("dlight1.1", "grab_da2m")}
    assert 0.75 < depth["dlight1.1"] < 0.9
    assert 0.1 < depth["grab_da2m"] < 0.16


# ------------------------------------------------------------------------------------ normalise


def test_dff_uses_the_median_of_the_baseline():
    f = np.array([[1.0, 2.0, 2.0, 4.0, 10.0], [2.0, 2.0, 2.0, 2.0, 4.0]])
    assert np.allclose(ph.normalise(f, 1.0), [[-0.5, 0, 0, 1, 4], [0, 0, 0, 0, 1]])
    # baseline: the samples at 0 and 1 ms (dt 1): median 1.5 in row 0
    assert np.allclose(ph.normalise(f[0], 1.0, baseline=(0.0, 2.0)), (f[0] - 1.5) / 1.5)
    assert np.allclose(ph.normalise(f[0], 2.0, baseline=[(0.0, 1.0), (8.0, 9.0)]), (f[0] - 5.5) / 5.5)


def test_zscore_uses_the_mean_and_sd_of_the_baseline():
    f = np.array([1.0, 3.0, 5.0, 7.0])
    z = ph.normalise(f, 1.0, kind="zscore")
    assert np.allclose(z, (f - 4.0) / np.sqrt(5.0))
    assert np.allclose(ph.normalise(f, 1.0, kind="zscore", baseline=(0, 2)), (f - 2.0) / 1.0)


# ------------------------------------------------------------------------------------ alignment


def test_peri_event_rows_are_aligned_on_the_event():
    dt = 2.0
    x = np.zeros(1000)
    events = [400.0, 1000.0, 1201.0]  # the last between samples 600 and 601: the later
    for e in events:
        x[int(np.floor(e / dt + 0.5)):] += 1.0
    times, m = ph.peri_event(x, dt, events, (-10.0, 20.0))
    assert np.array_equal(times, np.arange(-10.0, 20.1, 2.0))
    assert m.shape == (3, 16)
    zero = int(np.flatnonzero(times == 0)[0])
    for i in range(3):
        assert np.all(m[i, zero:] - m[i, zero - 1] == 1.0)  # the step is at time 0 in every row
        assert np.all(np.diff(m[i, :zero]) == 0)
    assert np.array_equal(m[0], np.where(times >= 0, 1.0, 0.0))


def test_peri_event_pads_off_the_edges_with_nan_and_takes_no_events():
    x = np.arange(10.0)
    times, m = ph.peri_event(x, 1.0, [1.0, 8.0, 50.0], (-3.0, 3.0))
    assert np.array_equal(m[0], [np.nan, np.nan, 0, 1, 2, 3, 4], equal_nan=True)
    assert np.array_equal(m[1], [5, 6, 7, 8, 9, np.nan, np.nan], equal_nan=True)
    assert np.isnan(m[2]).all()
    times0, m0 = ph.peri_event(x, 1.0, [], (-3.0, 3.0))
    assert m0.shape == (0, 7) and np.array_equal(times0, times)


def test_baseline_subtract_removes_the_pre_event_mean():
    times = np.array([-2.0, -1.0, 0.0, 1.0])
    m = np.array([[1.0, 3.0, 10.0, 20.0], [np.nan, 4.0, 5.0, 6.0], [np.nan, np.nan, 1.0, 1.0]])
    out = ph.baseline_subtract(m, times, (-2.0, 0.0))
    assert np.allclose(out[0], [-1, 1, 8, 18])
    assert np.array_equal(out[1], [np.nan, 0, 1, 2], equal_nan=True)
    assert np.isnan(out[2]).all()  # no baseline sample


# ------------------------------------------------------------------------------------ stages


def test_learning_stages_split_ten_sessions_four_three_three():
    labels = ph.learning_stages(range(1, 11))
    assert list(labels) == ["early"] * 4 + ["middle"] * 3 + ["expert"] * 3
    # per trial: the label of its session, whatever the order and repetition
    trials = np.array([10, 1, 1, 5, 4, 8, 7])
    assert list(ph.learning_stages(trials)) == ["expert", "early", "early", "middle", "early", "expert", "middle"]
    assert list(ph.learning_stages([1, 2, 3, 4, 5], 2, ("a", "b"))) == ["a", "a", "a", "b", "b"]
    assert list(ph.learning_stages([1, 2, 3, 4], 4)) == ["stage 1", "stage 2", "stage 3", "stage 4"]


# ------------------------------------------------------------------------------------ summary and figure


def _recording(seed: int = 1):
    """Two regions, 1 ms samples over 200 s; an event "cue" every 10 s (stage by tertile of the 19
    cues), "shock" 2 s after each; region "core" rises by 1 for 500 ms after each cue, "shell"
    dips by 0.5; Gaussian noise of SD 0.05."""
    gen = np.random.default_rng(seed)
    n = 200_000
    cues = np.arange(10_000.0, 200_000.0 - 9000, 10_000.0)
    core, shell = gen.normal(0, 0.05, n), gen.normal(0, 0.05, n)
    for t in cues.astype(int):
        core[t:t + 500] += 1.0
        shell[t:t + 500] -= 0.5
    stage = ph.learning_stages(np.arange(cues.size))
    events = pd.DataFrame({"t_ms": np.r_[cues, cues + 2000.0], "event": ["cue"] * cues.size + ["shock"] * cues.size,
                           "stage": np.r_[stage, stage]})
    return {"core": core, "shell": shell}, events


def test_peri_event_table_means_have_the_right_sign_and_n():
    signals, events = _recording()
    s = ph.peri_event_table(signals, 1.0, events, (-1000.0, 3000.0), (-1000.0, 0.0), by=["stage"])
    assert s.mean.shape == s.sem.shape == s.count.shape == (len(s.groups), s.times_ms.size)
    assert len(s.groups) == 2 * 2 * 3
    after = (s.times_ms >= 0) & (s.times_ms < 500)
    for region, sign, size in (("core", 1, 1.0), ("shell", -1, 0.5)):
        for stage, n in zip(ph.STAGE_LABELS, (7, 6, 6)):
            row = s.select(region=region, event="cue", stage=stage)
            assert len(row) == 1 and int(row["n"].iloc[0]) == n
            i = row.index[0]
            assert np.all(s.count[i] == n)
            assert s.mean[i, after].mean() == pytest.approx(sign * size, abs=0.05)
            assert np.all(s.sem[i, after] < 0.05)
            # shock: 2 s after the cue, the response is in its baseline window: subtracted
            j = s.select(region=region, event="shock", stage=stage).index[0]
            assert abs(s.mean[j, after].mean()) < 0.05
    frame = s.to_frame()
    assert len(frame) == s.mean.size and set(frame.columns) >= {"region", "event", "stage", "n", "t_ms", "mean", "sem", "count"}


def test_peri_event_table_counts_events_near_the_edges_and_groups_by_every_column():
    signals, events = _recording()
    events = events.assign(outcome="x")
    late = pd.DataFrame({"t_ms": [199_500.0], "event": ["cue"], "stage": ["expert"], "outcome": ["x"]})
    s = ph.peri_event_table(signals, 1.0, pd.concat([events, late]), (-1000.0, 3000.0), None)
    assert s.by == ("stage", "outcome")
    i = s.select(region="core", event="cue", stage="expert").index[0]
    assert s.groups.at[i, "n"] == 7
    assert s.count[i, 0] == 7 and s.count[i, -1] == 6  # the late cue's window runs off the recording
    one = ph.peri_event_table(signals, 1.0, events.iloc[:1], (-10.0, 10.0), by=[])
    assert np.isnan(one.sem).all() and np.all(one.count == 1)


def test_figure_has_one_panel_per_region_and_event():
    signals, events = _recording()
    s = ph.peri_event_table(signals, 1.0, events, (-1000.0, 3000.0), by=["stage"])
    fig = ph.photometry_figure(s, title="synthetic")
    assert len(fig.axes) == 4
    assert len(fig.axes[0].get_lines()) == 3 + 2  # three stages, the event line and zero
    assert len(ph.photometry_figure(s, regions=["shell"], events=["cue"], stages=["expert"]).axes) == 1
    assert len(ph.photometry_figure(ph.peri_event_table(signals, 1.0, events, by=[])).axes) == 4
    fig.savefig(__import__("io").BytesIO(), format="png")


# ------------------------------------------------------------------------------------ validation


_SIGNALS, _EVENTS = {"a": np.zeros(100)}, pd.DataFrame({"t_ms": [50.0], "event": ["cue"]})


@pytest.mark.parametrize("call, field", [
    (lambda: ph.sensor_kernel(0.0, 1.0, 10.0), "dt_ms"),
    (lambda: ph.sensor_kernel(1.0, -1.0, 10.0), "sensor: rise_ms"),
    (lambda: ph.sensor_kernel(1.0, 20.0, 10.0), "sensor: rise_ms"),
    (lambda: ph.sensor_kernel(1.0, 1.0, 10.0, length_ms=0.0), "length_ms"),
    (lambda: ph.sensor_signal(np.ones(10), 1.0, "gcamp"), "sensor"),
    (lambda: ph.sensor_signal(np.ones(10), -1.0), "dt_ms"),
    (lambda: ph.sensor_signal(np.array([1.0, np.nan]), 1.0), "concentration"),
    (lambda: ph.sensor_signal(np.ones((2, 2, 2)), 1.0), "concentration: shape"),
    (lambda: ph.normalise(np.ones(10), 1.0, kind="raw"), "kind"),
    (lambda: ph.normalise(np.zeros(10), 1.0), "baseline"),
    (lambda: ph.normalise(np.ones(10), 1.0, kind="zscore"), "baseline"),
    (lambda: ph.normalise(np.arange(10.0), 1.0, baseline=(50.0, 60.0)), "baseline"),
    (lambda: ph.normalise(np.arange(10.0), 1.0, baseline=(5.0, 1.0)), "baseline"),
    (lambda: ph.peri_event(np.ones(10), 1.0, [1.0], (5.0, -5.0)), "window_ms"),
    (lambda: ph.peri_event(np.ones(10), 1.0, [1.0], (0.2, 0.8)), "window_ms"),
    (lambda: ph.peri_event(np.ones(10), 1.0, [np.nan]), "event_ms"),
    (lambda: ph.peri_event(np.ones((2, 10)), 1.0, [1.0]), "signal: shape"),
    (lambda: ph.baseline_subtract(np.ones((2, 3)), [0.0, 1.0], (0.0, 1.0)), "times_ms: length"),
    (lambda: ph.baseline_subtract(np.ones((2, 2)), [0.0, 1.0], (5.0, 6.0)), "window_ms"),
    (lambda: ph.learning_stages([1, 2], 3), "values"),
    (lambda: ph.learning_stages([1, 2, 3], 0), "n_stages"),
    (lambda: ph.learning_stages([1, 2, 3], 3, ("a", "b")), "labels"),
    (lambda: ph.learning_stages([], 1), "values"),
    (lambda: ph.peri_event_table({}, 1.0, _EVENTS), "signals"),
    (lambda: ph.peri_event_table(_SIGNALS, 0.0, _EVENTS), "dt_ms"),
    (lambda: ph.peri_event_table(_SIGNALS, 1.0, _EVENTS.rename(columns={"t_ms": "t"})), "events"),
    (lambda: ph.peri_event_table(_SIGNALS, 1.0, _EVENTS, by=["stage"]), "by"),
    (lambda: ph.peri_event_table(_SIGNALS, 1.0, _EVENTS, baseline_window_ms=(0.0, 0.0)), "baseline_window_ms"),
    (lambda: ph.peri_event_table(_SIGNALS, 1.0, _EVENTS.assign(t_ms=[np.inf])), "events: t_ms"),
    (lambda: ph.photometry_figure("summary"), "summary"),
    (lambda: ph.photometry_figure(ph.peri_event_table(_SIGNALS, 1.0, _EVENTS), regions=["b"]), "regions"),
    (lambda: ph.photometry_figure(ph.peri_event_table(_SIGNALS, 1.0, _EVENTS), stages=["early"]), "stages"),
    (lambda: ph.photometry_figure(ph.peri_event_table(_SIGNALS, 1.0, _EVENTS.assign(x=1))), "summary: by"),
])
def test_bad_arguments_raise_config_error_naming_them(call, field):
    with pytest.raises(ConfigError) as err:
        call()
    assert err.value.field == field


def test_unknown_sensor_lists_the_known_ones():
    with pytest.raises(ConfigError, match="dlight1.1.*grab_da2m.*none"):
        ph.sensor_signal(np.ones(3), 1.0, "gcamp6")
