"""Interrupting or crashing a run and resuming it gives the results of a run never stopped.

Ctrl-C is simulated by the engine's own interrupt flag being raised after a chosen number of
chunks (the code path a real SIGINT takes; tests/test_cli.py sends a real one); a crash by an
exception inside the simulation loop after a chosen model time.
"""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from dopaspike.cli import EXIT_BAD_INPUT, EXIT_CRASHED, EXIT_INTERRUPTED, app
from dopaspike.core import simulation

runner = CliRunner()
ARGS = ["run", "distal-reward", "--seed", "4", "--set", "duration_s=30", "--set", "snapshot_every_s=5",
        "--set", "chunk_ms=250", "--no-progress"]
WALL_KEYS = {"wall_s_per_model_s", "provenance"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "run"
    res = runner.invoke(app, [*ARGS, "--out", str(out)])
    assert res.exit_code in (0, 1), res.output
    return out, res.exit_code


def _interrupt_after(monkeypatch, n_chunks: int) -> None:
    """Make the engine see a Ctrl-C at the end of chunk ``n_chunks`` of the next run."""
    original = simulation.Simulation._run_steps

    class Flag:  # stands in for the SIGINT handler: Simulation.run reads ``requested`` after each chunk
        requested = False
        chunks = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return None

    def run_steps(self, n):
        original(self, n)
        Flag.chunks += 1
        Flag.requested = Flag.chunks >= n_chunks

    monkeypatch.setattr(simulation.Simulation, "_run_steps", run_steps)
    monkeypatch.setattr(simulation, "_InterruptAtChunkEnd", Flag)


def _assert_same_run(a, b) -> None:
    with h5py.File(a / "data.h5") as fa, h5py.File(b / "data.h5") as fb:
        keys = set()
        fa.visititems(lambda k, v: keys.add(k) if isinstance(v, h5py.Dataset) else None)
        other = set()
        fb.visititems(lambda k, v: other.add(k) if isinstance(v, h5py.Dataset) else None)
        assert keys == other
        for k in sorted(keys):
            assert np.array_equal(fa[k][()], fb[k][()]), k
    ma, mb = (json.loads((p / "metrics.json").read_text()) for p in (a, b))
    assert {k: v for k, v in ma.items() if k not in WALL_KEYS} == {k: v for k, v in mb.items() if k not in WALL_KEYS}
    ca, cb = (json.loads((p / "config.json").read_text()) for p in (a, b))
    assert ca == cb


def _no_leftovers(folder) -> None:
    assert not [p.name for p in folder.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("stops", [(7,), (2, 40, 95)])
def test_interrupted_and_resumed_equals_uninterrupted(reference, tmp_path, monkeypatch, stops):
    ref, ref_code = reference
    out = tmp_path / "run"
    for i, n in enumerate(stops):
        with monkeypatch.context() as m:
            _interrupt_after(m, n)
            args = [*ARGS, "--out", str(out)] if i == 0 else ["run", "--resume", str(out), "--no-progress"]
            res = runner.invoke(app, args)
        assert res.exit_code == EXIT_INTERRUPTED, res.output
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["status"] == "interrupted" and 0 < metrics["model_s"] < 30
        assert (out / "checkpoint.pkl").is_file()
        _no_leftovers(out)
    res = runner.invoke(app, ["run", "--resume", str(out), "--no-progress"])
    assert res.exit_code == ref_code, res.output
    assert not (out / "checkpoint.pkl").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "complete" and metrics["provenance"]["resumed"] is True
    _assert_same_run(ref, out)
    _no_leftovers(out)


def test_crash_keeps_a_checkpoint_and_resumes_identically(reference, tmp_path, monkeypatch):
    ref, ref_code = reference
    out = tmp_path / "run"
    original = simulation.Simulation._run_steps

    def crashing(self, n):
        if self.t_ms >= 12_000:
            raise RuntimeError("simulated failure")
        original(self, n)

    with monkeypatch.context() as m:
        m.setattr(simulation.Simulation, "_run_steps", crashing)
        res = runner.invoke(app, [*ARGS, "--out", str(out), "--checkpoint-every", "0"])
    assert res.exit_code == EXIT_CRASHED, res.output
    assert "simulated failure" in res.output and "--resume" in res.output
    assert not out.exists()  # nothing half-written under the run's name
    assert (tmp_path / ".run.checkpoint.pkl").is_file()
    res = runner.invoke(app, ["run", "--resume", str(out), "--no-progress"])
    assert res.exit_code == ref_code, res.output
    _assert_same_run(ref, out)
    _no_leftovers(out)


def test_bad_resume_is_refused_before_any_work(reference, tmp_path):
    ref, _ = reference
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "checkpoint.pkl").write_bytes(b"not a checkpoint")
    cases = [
        ["run", "--resume", str(tmp_path / "missing")],
        ["run", "--resume", str(ref)],  # complete: nothing to resume
        ["run", "--resume", str(corrupt)],
        ["run", "distal-reward", "--resume", str(ref)],
        ["run", "--resume", str(ref), "--set", "duration_s=5"],
        ["run", "--resume", str(ref), "--seed", "0"],
        ["run"],
    ]
    for args in cases:
        res = runner.invoke(app, [*args, "--no-progress"])
        assert res.exit_code == EXIT_BAD_INPUT, (args, res.output)
        assert "error" in res.output and "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt"]


def test_checkpoint_round_trip_of_a_simulation(tmp_path):
    """The engine on its own: a pickled simulation continues exactly as the original."""
    from dopaspike import checkpoint
    from dopaspike.models.daspnet import DaspnetParams, daspnet_network

    a = daspnet_network(DaspnetParams(n_exc=80, n_inh=20, n_targets=10)).build(seed=9)
    a.run(300.0, chunk_ms=50.0)
    a.deliver_dopamine("cortex", 0.5, at_ms=450.0)
    checkpoint.save(tmp_path / "sim.pkl", a)
    _, b = checkpoint.load(tmp_path / "sim.pkl")
    for sim in (a, b):
        sim.run(700.0, chunk_ms=70.0)
    assert a.step == b.step
    for x, y in zip(a.state, b.state):
        assert np.array_equal(x, y)
    assert np.array_equal(a.compiled.synapses.weight, b.compiled.synapses.weight)
    assert np.array_equal(a.weights()[1], b.weights()[1])
