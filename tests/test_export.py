"""``dopaspike export``: a run's data as NWB or as one HDF5 file, with nothing lost on the way."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from dopaspike import store
from dopaspike.cli import app
from dopaspike.core.errors import ConfigError
from dopaspike.export import export_run
from dopaspike.export.layout import classify

runner = CliRunner()


def _flat(text: str) -> str:
    """CLI output with the console's line wrapping undone."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def dr_run(tmp_path_factory):
    """A short real distal-reward run (seed 1 has rewards within 20 s), written by the CLI."""
    root = tmp_path_factory.mktemp("export")
    out = root / "dr-run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOPASPIKE_RUNS", str(root / "store"))
        res = runner.invoke(app, ["run", "distal-reward", "--quick", "--seed", "1", "--set", "duration_s=20", "--set",
                                  "raster_window_s=2", "--set", "snapshot_every_s=5", "--out", str(out), "--no-progress"])
    assert res.exit_code in (0, 1), res.output
    return out


@pytest.fixture(scope="module")
def dr_nwb(dr_run):
    pytest.importorskip("pynwb")
    return export_run(dr_run, "nwb")


def _read_nwb(path):
    from pynwb import NWBHDF5IO

    io = NWBHDF5IO(str(path), "r")
    return io, io.read()


def _synthetic_run(path, data: dict, experiment: str = "two-armed-task"):
    """A run folder as an experiment with trials and several dopamine regions would write it."""
    config = {"seed": 4, "quick": False, "duration_s": 3.0}
    metrics = {"choices_right": 0.5, "status": "complete", "checks": {}, "provenance": store.provenance(4, 1.5)}
    return store.write_run(path, experiment=experiment, config=config, metrics=metrics, data=data, figures={})


def _synthetic_data():
    rng = np.random.default_rng(0)
    t = np.arange(0.0, 3000.0, 10.0)
    return {
        "trials/start_ms": np.array([0.0, 1000.0, 2000.0]),
        "trials/stop_ms": np.array([800.0, 1900.0, 2950.0]),
        "trials/choice": np.array(["left", "right", "left"]),
        "trials/rewarded": np.array([True, False, True]),
        "trials/reward_ms": np.array([650.0, np.nan, 2600.0]),
        "dopamine/t_ms": t,
        "dopamine/conc": rng.random((t.size, 3)),
        "dopamine/regions": np.array(["VTA", "SNc", "NAc"]),
        "cues/t_ms": np.array([5.0, 1004.0, 2011.0]),
        "cues/arm": np.array([1, 0, 1]),
        "raster/t_ms": np.array([3.0, 7.5, 7.5, 12.0]),
        "raster/ids": np.array([2, 0, 2, 9]),
        "raster/unit_ids": np.arange(12),
        "values/t_ms": t,
        "values/q": rng.random((t.size, 2)),
        "values/latency_ms": rng.random(t.size) * 100,
        "values/label": np.array(["a", "b", "c"])[rng.integers(0, 3, t.size)],
        "dopamine/release": rng.random(t.size),
        "bias": np.array(0.25),
    }


# --- the data.h5 convention -------------------------------------------------------------


def test_classify_follows_the_convention_and_keeps_every_array():
    t_reg, t_irr = np.arange(0.0, 50.0, 10.0), np.array([3.0, 40.0, 41.0, 97.0])
    data = {"raster/t_ms": t_irr, "raster/ids": np.array([1, 2, 1, 0]), "raster/amp": np.ones(4),
            "dopamine/t_ms": t_reg, "dopamine/conc": np.ones(5), "trials/start_ms": np.ones(2), "trials/stop_ms": np.ones(2),
            "rewards/t_ms": t_irr, "rewards/delay_ms": np.ones(4), "pairings/t_ms": np.array([1.0, 2.0]),
            "sig/t_ms": t_reg, "sig/w": np.ones(5), "rates/t_ms": t_irr, "rates/hz": np.ones((4, 2)),
            "w/t_ms": t_reg, "w/mean": np.ones(5), "w/final": np.ones(7), "free/x": np.ones(3), "top": np.ones(2)}
    parts = classify(data)
    kinds = {(p.kind, p.group): set(p.columns) for p in parts}
    assert kinds[("spikes", "raster")] == {"t_ms", "ids"} and kinds[("misc", "raster")] == {"amp"}
    assert kinds[("dopamine", "dopamine")] == {"t_ms", "conc"}
    assert kinds[("trials", "trials")] == {"start_ms", "stop_ms"}
    assert kinds[("events", "rewards")] == {"t_ms", "delay_ms"} and kinds[("events", "pairings")] == {"t_ms"}
    assert kinds[("timeseries", "sig")] == {"t_ms", "w"} and kinds[("timeseries", "rates")] == {"t_ms", "hz"}
    assert kinds[("timeseries", "w")] == {"t_ms", "mean"} and kinds[("misc", "w")] == {"final"}
    assert kinds[("misc", "free")] == {"x"} and kinds[("misc", "")] == {"top"}
    keys = [p.key(c) for p in parts for c in p.columns]
    assert sorted(keys) == sorted(data)  # each array in exactly one part


def test_a_stated_kind_wins_and_a_wrong_one_is_refused():
    data = {"cues/t_ms": np.arange(0.0, 50.0, 10.0), "cues/arm": np.arange(5)}
    assert classify(data)[0].kind == "timeseries"
    assert classify(data, {"cues": {"kind": "events"}})[0].kind == "events"
    with pytest.raises(ConfigError, match="kind"):
        classify(data, {"cues": {"kind": "bogus"}})
    with pytest.raises(ConfigError, match="ids"):
        classify(data, {"cues": {"kind": "spikes"}})


# --- NWB: a real run --------------------------------------------------------------------


def test_nwb_spikes_are_the_same_spikes(dr_run, dr_nwb):
    data = store.read_data(dr_run)
    io, nwb = _read_nwb(dr_nwb)
    with io:
        units = nwb.units.to_dataframe()
    assert set(units["source"]) == {"raster"}
    assert sorted(units["neuron_id"]) == sorted(np.unique(data["raster/ids"]).tolist())
    assert sum(len(s) for s in units["spike_times"]) == data["raster/t_ms"].size > 0
    for nid, spikes in zip(units["neuron_id"], units["spike_times"]):
        expected = np.sort(data["raster/t_ms"][data["raster/ids"] == nid]) / 1000.0
        np.testing.assert_allclose(spikes, expected, rtol=0, atol=1e-12)


def test_nwb_dopamine_events_and_signals_match_data_h5(dr_run, dr_nwb):
    data = store.read_data(dr_run)
    io, nwb = _read_nwb(dr_nwb)
    with io:
        da = nwb.processing["dopamine"]["concentration"]
        np.testing.assert_array_equal(da.data[:], data["dopamine/conc"])
        np.testing.assert_allclose(da.timestamps[:], data["dopamine/t_ms"] / 1000.0, rtol=0, atol=1e-12)
        assert da.unit == "a.u."
        rewards = nwb.intervals["rewards"].to_dataframe()
        assert list(rewards.columns) == ["start_time", "stop_time", "delay_s"]
        np.testing.assert_allclose(rewards["start_time"], data["rewards/t_ms"] / 1000.0)
        np.testing.assert_array_equal(rewards["stop_time"], rewards["start_time"])
        np.testing.assert_allclose(rewards["delay_s"], data["rewards/delay_ms"] / 1000.0)
        pairings = nwb.intervals["pairings"].to_dataframe()
        np.testing.assert_allclose(pairings["start_time"], data["pairings/t_ms"] / 1000.0)
        analysis = nwb.processing["analysis"]
        np.testing.assert_array_equal(analysis["target.weight"].data[:], data["target/weight"])
        np.testing.assert_allclose(analysis["target.weight"].timestamps[:], data["target/t_ms"] / 1000.0)
        np.testing.assert_array_equal(analysis["rates.hz"].data[:], data["rates/hz"])
        assert analysis["rates.hz"].unit == "Hz"
        np.testing.assert_array_equal(nwb.scratch["weights.final_exc_exc"].data[:], data["weights/final_exc_exc"])


def test_nwb_session_config_and_metrics_are_recoverable(dr_run, dr_nwb):
    config = json.loads((dr_run / "config.json").read_text())
    metrics = json.loads((dr_run / "metrics.json").read_text())
    io, nwb = _read_nwb(dr_nwb)
    with io:
        assert json.loads(nwb.scratch["dopaspike_config"].data) == config
        assert json.loads(nwb.scratch["dopaspike_metrics"].data) == metrics
        assert nwb.identifier == "dr-run-seed1"
        assert "distal-reward" in nwb.session_description
        prov = metrics["provenance"]
        start = dt.datetime.fromisoformat(prov["finished"]) - dt.timedelta(seconds=prov["wall_s"])
        assert nwb.session_start_time.tzinfo is not None
        assert nwb.session_start_time == start.astimezone()
        assert prov["dopaspike_version"] in nwb.source_script


def test_nwb_holds_every_array_of_data_h5(dr_run, dr_nwb):
    with h5py.File(dr_nwb, "r") as f:
        mapping = json.loads(f["scratch/dopaspike_mapping"][()])
        assert set(mapping) == set(store.read_data(dr_run))
        for key, paths in mapping.items():
            assert paths and all(p in f for p in paths), key


def test_nwb_file_passes_the_nwb_validator(dr_nwb):
    from pynwb import NWBHDF5IO, validate

    with NWBHDF5IO(str(dr_nwb), "r") as io:
        assert list(validate(io=io)) == []


# --- NWB: trials and several dopamine regions --------------------------------------------


def test_nwb_trials_regions_units_and_misc_from_a_synthetic_run(tmp_path):
    pytest.importorskip("pynwb")
    from pynwb import NWBHDF5IO, validate

    data = _synthetic_data()
    run = _synthetic_run(tmp_path / "task", data)
    path = export_run(run, "nwb", out=tmp_path / "out" / "task.nwb")
    io, nwb = _read_nwb(path)
    with io:
        trials = nwb.trials.to_dataframe()
        assert list(trials.columns[:2]) == ["start_time", "stop_time"]
        assert set(trials.columns[2:]) == {"choice", "rewarded", "reward_s"}
        np.testing.assert_allclose(trials["start_time"], data["trials/start_ms"] / 1000.0)
        np.testing.assert_allclose(trials["stop_time"], data["trials/stop_ms"] / 1000.0)
        assert list(trials["choice"]) == ["left", "right", "left"]
        assert list(trials["rewarded"]) == [True, False, True]
        np.testing.assert_allclose(trials["reward_s"], data["trials/reward_ms"] / 1000.0, equal_nan=True)
        da = nwb.processing["dopamine"]
        assert sorted(da.data_interfaces) == ["NAc", "SNc", "VTA", "dopamine.release"]
        for i, region in enumerate(["VTA", "SNc", "NAc"]):
            np.testing.assert_array_equal(da[region].data[:], data["dopamine/conc"][:, i])
            np.testing.assert_allclose(da[region].timestamps[:], data["dopamine/t_ms"] / 1000.0)
        units = nwb.units.to_dataframe()
        assert list(units["neuron_id"]) == list(range(12))  # silent listed neurons are units too
        assert [len(s) for s in units["spike_times"]] == [1, 0, 2] + [0] * 6 + [1, 0, 0]
        cues = nwb.intervals["cues"].to_dataframe()
        assert list(cues["arm"]) == [1, 0, 1]
        analysis = nwb.processing["analysis"]
        np.testing.assert_array_equal(analysis["values.q"].data[:], data["values/q"])
        np.testing.assert_allclose(analysis["values.latency_s"].data[:], data["values/latency_ms"] / 1000.0)
        assert analysis["values.latency_s"].unit == "s" and analysis["values.q"].unit == "a.u."
        assert list(nwb.scratch["values.label"].data[:]) == list(data["values/label"])
        np.testing.assert_array_equal(da["dopamine.release"].data[:], data["dopamine/release"])
        assert float(nwb.scratch["bias"].data) == 0.25
        assert "two-armed-task" in nwb.session_description
    with h5py.File(path, "r") as f:
        assert set(json.loads(f["scratch/dopaspike_mapping"][()])) == set(data)
    with NWBHDF5IO(str(path), "r") as io:
        assert list(validate(io=io)) == []


def test_region_names_may_be_an_attribute_and_a_stated_kind_is_used(tmp_path):
    pytest.importorskip("pynwb")
    run = _synthetic_run(tmp_path / "attrs", {"dopamine/t_ms": np.arange(4.0), "dopamine/conc": np.ones((4, 2)),
                                              "ticks/t_ms": np.arange(0.0, 40.0, 10.0), "ticks/n": np.arange(4)})
    with h5py.File(run / "data.h5", "a") as f:
        f["dopamine/conc"].attrs["regions"] = ["dorsal", "ventral"]
        f["ticks"].attrs["kind"] = "events"
    io, nwb = _read_nwb(export_run(run, "nwb"))
    with io:
        assert sorted(nwb.processing["dopamine"].data_interfaces) == ["dorsal", "ventral"]
        assert list(nwb.intervals["ticks"].to_dataframe()["n"]) == [0, 1, 2, 3]
        assert "analysis" not in nwb.processing


# --- HDF5 --------------------------------------------------------------------------------


def test_h5_export_is_self_contained(tmp_path):
    data = _synthetic_data()
    run = _synthetic_run(tmp_path / "task", data)
    path = export_run(run, "h5")
    assert path == run / "task.export.h5"
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "dopaspike-run" and f.attrs["format_version"] == 1
        assert json.loads(f.attrs["config"]) == json.loads((run / "config.json").read_text())
        assert json.loads(f.attrs["metrics"]) == json.loads((run / "metrics.json").read_text())
        assert f.attrs["run"] == "task" and f.attrs["experiment"] == "two-armed-task"
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "data.h5").write_bytes(path.read_bytes())  # read back with the same reader as a run folder
    back = store.read_data(copy)
    assert set(back) == set(data)
    for key, arr in data.items():
        np.testing.assert_array_equal(back[key], arr)


def test_store_keeps_text_arrays_as_text(tmp_path):
    run = _synthetic_run(tmp_path / "t", {"dopamine/regions": np.array(["VTA", "SNc", "Nucleus accumbens é"])})
    back = store.read_data(run)["dopamine/regions"]
    assert back.dtype.kind == "U" and back.tolist() == ["VTA", "SNc", "Nucleus accumbens é"]


# --- the command line ----------------------------------------------------------------------


def test_cli_export_writes_default_files_and_prints_them(tmp_path):
    run = _synthetic_run(tmp_path / "task", _synthetic_data())
    res = runner.invoke(app, ["export", str(run), "--format", "h5"])
    assert res.exit_code == 0, res.output
    assert str(run / "task.export.h5") in _flat(res.output)
    assert (run / "task.export.h5").is_file()
    if _has_pynwb():
        res = runner.invoke(app, ["export", str(run)])
        assert res.exit_code == 0, res.output
        assert (run / "task.nwb").is_file()
    assert not list(run.glob(".*partial*"))


def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path):
    run = _synthetic_run(tmp_path / "task", _synthetic_data())
    (tmp_path / "exists.h5").write_text("mine")
    (tmp_path / "empty").mkdir()
    broken = _synthetic_run(tmp_path / "broken", {"x/t_ms": np.ones(2)})
    (broken / "data.h5").write_text("not hdf5")
    badkind = _synthetic_run(tmp_path / "badkind", {"x/t_ms": np.ones(2)})
    with h5py.File(badkind / "data.h5", "a") as f:
        f["x"].attrs["kind"] = "spikes"
    cases = [
        ([str(tmp_path / "nowhere"), "--format", "h5"], "not an existing folder"),
        ([str(tmp_path / "empty"), "--format", "h5"], "missing: config.json, metrics.json, data.h5"),
        ([str(broken), "--format", "h5"], "is an HDF5 file"),
        ([str(run), "--format", "csv"], "'nwb', 'h5'"),
        ([str(run), "--format", "h5", "--out", str(tmp_path / "exists.h5")], "exists"),
        ([str(run), "--format", "h5", "--out", str(tmp_path / "exists.h5" / "x.h5")], "a parent of this one is a file"),
    ]
    if _has_pynwb():
        cases.append(([str(badkind), "--format", "nwb"], "kind spikes"))
    for args, says in cases:
        res = runner.invoke(app, ["export", *args])
        assert res.exit_code == 2, (args, res.output)
        text = _flat(res.output)
        assert "error:" in text and says in text and "Traceback" not in text, (args, text)
    assert (tmp_path / "exists.h5").read_text() == "mine"
    for folder in (run, broken, badkind):
        assert sorted(p.name for p in folder.iterdir() if p.suffix in (".nwb", ".h5") and p.name != "data.h5") == []
        assert not list(folder.glob(".*partial*"))


def _has_pynwb() -> bool:
    try:
        import pynwb  # noqa: F401
    except ImportError:
        return False
    return True


def test_nwb_without_pynwb_says_how_to_install_it(tmp_path, monkeypatch):
    run = _synthetic_run(tmp_path / "task", _synthetic_data())
    monkeypatch.setitem(sys.modules, "pynwb", None)  # `import pynwb` now fails as when it is not installed
    res = runner.invoke(app, ["export", str(run), "--format", "nwb"])
    assert res.exit_code == 2
    assert "pip install 'dopaspike[nwb]'" in _flat(res.output) and "Traceback" not in res.output
    assert not (run / "task.nwb").exists()
    assert runner.invoke(app, ["export", str(run), "--format", "h5"]).exit_code == 0  # h5 needs no pynwb


def test_importing_dopaspike_does_not_import_pynwb():
    code = "import sys, dopaspike, dopaspike.cli, dopaspike.export; print('pynwb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    import dopaspike.export.h5 as h5mod

    run = _synthetic_run(tmp_path / "task", _synthetic_data())

    def half_write(dest, **kw):
        dest.write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(h5mod, "write_h5", half_write)
    with pytest.raises(OSError, match="disk full"):
        export_run(run, "h5")
    assert not (run / "task.export.h5").exists()
    assert not list(run.glob(".*partial*"))
