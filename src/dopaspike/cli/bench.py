"""``dopaspike bench``: dopaspike's speed on this machine, alone or beside Brian2 and NEST."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from ..core.errors import ConfigError, check_range
from .app import app, console, fail_bad_input
from .app import out as stdout


def _numbers(field: str, values: list[str], kind: type) -> list:
    """``["1000,10000", "300"]`` -> ``[1000, 10000, 300]`` (repeated or comma-separated)."""
    out = []
    for text in values:
        for part in text.replace(",", " ").split():
            try:
                out.append(kind(part))
            except ValueError:
                raise ConfigError(field, part, "an integer" if kind is int else "a number") from None
    return out


@app.command()
def bench(
    sizes: Annotated[list[str] | None, typer.Option(
        "--sizes", help="network sizes N, comma-separated or repeated [default: 1000,10000]")] = None,
    mode: Annotated[str | None, typer.Option(help="plasticity mode: exact or sweep [default: the package's]")] = None,
    model_seconds: Annotated[list[str] | None, typer.Option(
        "--model-seconds", help="timed model seconds: one value, or one per size [default: 10 at N<=1000, 3 above]")] = None,
    seed: Annotated[int, typer.Option(help="network seed", min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    peers: Annotated[bool, typer.Option(
        "--peers", help="run the side-by-side benchmark with Brian2 and NEST (source checkout only)")] = False,
    out: Annotated[Path | None, typer.Option(
        help="with --peers: folder for latest.json and latest.md [default: benchmarks/results]")] = None,
    repeats: Annotated[int | None, typer.Option(
        help="with --peers: rounds per size; the ratios are taken within each round [default: 3]")] = None,
) -> None:
    """Measure dopaspike's speed on the daspnet network (Izhikevich 2007): build time, the 1 s
    warm-up (Numba compile or cache load) and wall seconds per model second.

    With --peers, runs benchmarks/run_benchmarks.py (dopaspike in both plasticity modes, Brian2,
    NEST; peers installed by benchmarks/install_peers.sh).

    Examples:

      dopaspike bench

      dopaspike bench --sizes 1000,100000 --mode sweep --json

      dopaspike bench --peers --sizes 1000 --model-seconds 2 --repeats 1
    """
    from .. import bench as b

    try:
        ns = _numbers("--sizes", sizes, int) if sizes else [1000, 10000]
        secs = _numbers("--model-seconds", model_seconds, float) if model_seconds else [b.default_model_seconds(n) for n in ns]
        if len(secs) == 1:
            secs = secs * len(ns)
        b.validate(ns, secs, mode)
        if peers and mode is not None:
            raise ConfigError("--mode", mode, "no --mode with --peers (the comparison runs both modes)")
        if not peers and out is not None:
            raise ConfigError("--out", str(out), "only with --peers (without it, nothing is written)")
        if repeats is not None:
            if not peers:
                raise ConfigError("--repeats", repeats, "only with --peers")
            check_range("--repeats", repeats, 1, 100)
        harness = b.peer_harness() if peers else None
        if peers and harness is None:
            raise ConfigError("--peers", True, "a source checkout: the comparison with Brian2 and NEST runs "
                                               "benchmarks/run_benchmarks.py, after benchmarks/install_peers.sh")
    except ConfigError as err:
        raise fail_bad_input(err) from None
    if harness is not None:
        _run_peers(harness, ns, secs, seed, out, as_json, repeats)
        return
    results = []
    for n, s in zip(ns, secs):
        console.print(f"[bench] N={n:,} {b.daspnet_params(n, mode).rule.mode}: build, 1 s warm-up, {s:g} s timed ...",
                      markup=False)
        results.append(b.bench_daspnet(n, s, mode=mode, seed=seed))
    if as_json:
        typer.echo(json.dumps({"machine": b.machine(), "results": results}, indent=2))
        return
    table = Table(title="dopaspike, daspnet network (Izhikevich 2007)", box=box.SIMPLE_HEAD)
    for col in ("N", "mode", "build s", "warm-up s", "compile s", "model s", "wall/model", "rate Hz"):
        table.add_column(col, justify="left" if col == "mode" else "right", no_wrap=True, min_width=len(col))
    for r in results:
        table.add_row(f"{r['n']:,}", r["mode"], f"{r['build_s']:.2f}", f"{r['first_run_s']:.2f}", f"{r['compile_s']:.2f}",
                      f"{r['model_s']:g}", f"{r['wall_per_model_s']:.4f}", f"{r['rate_hz']:.2f}")
    stdout.print(table)
    console.print("warm-up s: wall time of the first 1 s of model time, with the Numba compile or cache load; "
                  "compile s: its excess over the steady rate; wall/model: wall seconds per model second", markup=False)


def _run_peers(harness: Path, ns: list[int], secs: list[float], seed: int, out: Path | None, as_json: bool,
               repeats: int | None = None) -> None:
    """Run the side-by-side harness; its progress goes to stderr, its table (or JSON) to stdout."""
    cmd = [sys.executable, str(harness), "--sizes", *map(str, ns), "--model-seconds", *map(str, secs), "--seed", str(seed)]
    if repeats is not None:
        cmd += ["--repeats", str(repeats)]
    results_dir = Path(out) if out is not None else harness.parent / "results"
    cmd += ["--out", str(results_dir)]
    console.print(f"[bench] {' '.join(cmd)}", markup=False)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        console.print(f"error: the side-by-side benchmark failed (exit {proc.returncode})", markup=False)
        raise typer.Exit(proc.returncode)
    if as_json:
        typer.echo((results_dir / "latest.json").read_text())
    else:
        typer.echo(proc.stdout, nl=False)
