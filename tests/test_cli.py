"""The command line as a user types it."""

from __future__ import annotations

import json

import h5py
from typer.testing import CliRunner

from dopaspike.cli import app

runner = CliRunner()


def test_list_names_experiments_with_citations():
    res = runner.invoke(app, ["list"])
    assert res.exit_code == 0
    assert "distal-reward" in res.output and "Izhikevich" in res.output


def test_run_writes_complete_folder(tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", "distal-reward", "--quick", "--seed", "2", "--set", "duration_s=20",
                              "--set", "snapshot_every_s=5", "--out", str(out), "--no-progress"])
    assert res.exit_code in (0, 1), res.output
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("target_weight_final", "exc_weight_mean_final", "exc_weight_p99_final", "n_rewards", "rate_hz",
                "wall_s_per_model_s", "checks", "provenance"):
        assert key in metrics
    for check in metrics["checks"].values():
        assert set(check) == {"passed", "value", "expected"}
    assert res.exit_code == (0 if all(c["passed"] for c in metrics["checks"].values()) else 1)
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 2 and config["duration_s"] == 20
    with h5py.File(out / "data.h5") as f:
        assert f["target/weight"].shape == f["target/t_ms"].shape
        assert f["weights/mean"].shape == (4,)
    for fig in ("weight_trajectory", "weight_histogram", "raster_dopamine"):
        assert (out / f"{fig}.png").stat().st_size > 5000
        assert (out / f"{fig}.svg").exists()
    assert not list(tmp_path.glob(".*partial*"))


def test_bad_input_exits_2_without_traceback_or_folder(tmp_path):
    cases = [
        ["run", "distal-reward", "--set", "duration_s=-3"],
        ["run", "distal-reward", "--set", "duraton_s=3"],
        ["run", "distal-reward", "--set", "control=maybe"],
        ["run", "distal-reward", "--set", "novalue"],
        ["run", "distal-rewrd"],
    ]
    for args in cases:
        out = tmp_path / "never"
        res = runner.invoke(app, [*args, "--out", str(out), "--no-progress"])
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output and "error" in res.output
        assert not out.exists()
    res = runner.invoke(app, ["run", "distal-reward", "--seed", "-1", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2


def test_existing_output_folder_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    res = runner.invoke(app, ["run", "distal-reward", "--quick", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "not empty" in res.output
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_interrupted_run_keeps_what_it_had(tmp_path):
    """Ctrl-C during a long run: exit 130, a complete folder marked interrupted, data so far."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "long"
    proc = subprocess.Popen([sys.executable, "-m", "dopaspike.cli", "run", "distal-reward", "--set", "duration_s=100000",
                             "--out", str(out), "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = proc.stderr.readline()  # the CLI says "running ..." once the configuration is valid
    assert started.startswith("running distal-reward"), started
    time.sleep(4.0)  # past the network build, into the simulation
    os.kill(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stdout + stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "interrupted"
    assert 0 < metrics["model_s"] < 100000
    assert (out / "checkpoint.pkl").is_file() and "--resume" in stderr
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folder or checkpoint left
    with h5py.File(out / "data.h5") as f:
        assert f["weights/t_ms"].shape[0] == f["weights/mean"].shape[0]
        assert f["target/t_ms"][-1] <= metrics["model_s"] * 1000.0
