"""Every script in examples/ runs as a user would start it: exit 0, a figure in the folder it was
given, nothing written into the directory it was started from."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples/ not beside the tests (installed package)")
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_example_runs(script, tmp_path):
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    cwd.mkdir()
    env = {**os.environ, "MPLBACKEND": "Agg", "DOPASPIKE_RUNS": str(tmp_path / "runs")}
    res = subprocess.run([sys.executable, str(script), "--quick", "--out", str(out)], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    figures = list(out.glob("*.png"))
    assert figures, f"{script.name} wrote no figure into --out: {sorted(p.name for p in out.iterdir())}"
    for fig in figures:
        assert fig.stat().st_size > 10_000, fig  # a real plot, not an empty canvas
        assert str(fig) in res.stdout, f"{script.name} does not say where its figure is"
    assert not any(cwd.iterdir()), f"{script.name} wrote into the current directory: {list(cwd.iterdir())}"


def test_every_example_documents_how_to_run_it():
    for script in SCRIPTS:
        doc = script.read_text().split('"""')[1]
        assert f"python examples/{script.name}" in doc, f"{script.name}: its docstring shows no command line"
