"""Run an experiment from the command line, then read its run folder in Python and plot it.

A run folder holds ``config.json`` (the resolved configuration), ``metrics.json`` (metrics,
named checks, status and provenance), ``data.h5`` (recorded arrays, one dataset per key,
grouped by "/") and the experiment's figures. ``dopaspike.store.read_data`` loads every
dataset of ``data.h5`` into a dict of numpy arrays.

    python examples/read_a_run.py              # distal-reward, 2 min of model time
    python examples/read_a_run.py --quick      # 20 s
    python examples/read_a_run.py --out DIR    # where the run and the figure go (default: a temp dir)

The command line is what a user types; the same run from Python is
``get("distal-reward").run(config, seed)`` (see dopaspike.experiments).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dopaspike.store import read_data  # noqa: E402


def run_experiment(run_dir: Path, duration_s: float) -> int:
    """``dopaspike run distal-reward ...`` as a user would type it; returns the exit code."""
    cmd = [sys.executable, "-m", "dopaspike.cli", "run", "distal-reward", "--seed", "1",
           "--set", f"duration_s={duration_s:g}", "--set", "snapshot_every_s=5",
           "--out", str(run_dir), "--no-progress"]
    print("$", " ".join(["dopaspike", *cmd[3:]]))
    # Every run is also listed in the run index of the run store root ($DOPASPIKE_RUNS, else ./runs);
    # this example keeps that index in its own folder too.
    env = {**os.environ, "DOPASPIKE_RUNS": str(run_dir.parent)}
    return subprocess.run(cmd, env=env).returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 s of model time instead of 2 min")
    parser.add_argument("--out", type=Path, default=None, help="folder for the run and the figure (default: a new temp dir)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="dopaspike-read-"))
    out.mkdir(parents=True, exist_ok=True)
    run_dir = out / "distal-reward-run"

    code = run_experiment(run_dir, 20.0 if args.quick else 120.0)
    # Exit codes: 0 every check passed, 1 a check failed (a short run may not pass them),
    # 2 invalid input (nothing written), 130 interrupted (the folder holds what was recorded).
    if code not in (0, 1):
        sys.exit(code)

    config = json.loads((run_dir / "config.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    data = read_data(run_dir)  # {"target/weight": array, "weights/mean": array, ...}

    print(f"experiment {config['experiment']}, seed {config['seed']}, {config['duration_s']:g} s, "
          f"status {metrics['status']}")
    for name, check in metrics["checks"].items():
        print(f"  check {name}: {'passed' if check['passed'] else 'failed'} (expected {check['expected']})")
    print("datasets:", ", ".join(f"{k} {v.shape}" for k, v in sorted(data.items())))

    fig, (ax_w, ax_d) = plt.subplots(2, 1, figsize=(6.4, 5.0), sharex=True, layout="constrained")
    seconds = data["target/t_ms"] / 1000.0
    ax_w.plot(seconds, data["target/weight"], color="C3", label="rewarded synapse")
    ax_w.plot(data["weights/t_ms"] / 1000.0, data["weights/mean"], color="0.4", label="E->E mean")
    ax_w.vlines(data["rewards/t_ms"] / 1000.0, 0.0, 0.2, color="C0", label="rewards")
    ax_w.set(ylabel="weight", title=f"distal-reward, seed {config['seed']}")
    ax_w.legend(frameon=False)
    ax_d.plot(data["dopamine/t_ms"] / 1000.0, data["dopamine/conc"], color="C2", lw=0.6)
    ax_d.set(xlabel="time (s)", ylabel="dopamine")
    path = out / "read_a_run.png"
    fig.savefig(path)
    print(f"rewards: {data['rewards/t_ms'].size}, final weight of the rewarded synapse "
          f"{metrics['target_weight_final']:.3f} (E->E mean {np.mean(data['weights/final_exc_exc']):.3f})")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
