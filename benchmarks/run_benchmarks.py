"""Side-by-side speed of the daspnet network (Izhikevich 2007, Cereb Cortex 17:2443) in
dopaspike, Brian2 (cpp_standalone and Cython runtime) and NEST, in one run.

Every peer runs at every size in its own subprocess, one at a time: Brian2 and NEST with the
peer virtualenv's Python (``install_peers.sh``), dopaspike with this Python. Each process's
peak memory comes from ``os.wait4`` (the per-child form of RUSAGE_CHILDREN ru_maxrss). Results
go to ``<out>/latest.json`` and ``<out>/latest.md``; a peer that cannot be imported is reported
as "not installed". See benchmarks/README.md for the protocol and the meaning of each column.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import daspnet_common as dc  # noqa: E402

PEERS = {  # name -> (script, extra arguments, runs in the peer virtualenv, module to probe)
    "dopaspike": ("bench_dopaspike.py", [], False, "dopaspike.models.daspnet"),
    "dopaspike-sweep": ("bench_dopaspike.py", ["--mode", "sweep"], False,
                        "dopaspike.models.daspnet"),
    "brian2-standalone": ("bench_brian2.py", ["--device", "standalone"], True, "brian2"),
    "brian2-runtime": ("bench_brian2.py", ["--device", "runtime"], True, "brian2"),
    "nest": ("bench_nest.py", [], True, "nest"),
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--model-seconds", type=float, nargs="+", default=None,
                   help="timed model time per size (one value, or one per size); "
                        "default 10 s at N<=1000, 3 s above")
    p.add_argument("--peers", nargs="+", default=list(PEERS), choices=list(PEERS))
    p.add_argument("--out", default=os.path.join(HERE, "results"), help="output folder")
    venv_python = os.path.join(HERE, ".venv-peers", "bin", "python")
    p.add_argument("--peer-python", default=venv_python if os.path.exists(venv_python) else sys.executable,
                   help="Python with Brian2 and NEST (default: benchmarks/.venv-peers if present, else this one, "
                        "e.g. after pip install '.[bench]')")
    p.add_argument("--threads", type=int, default=1, help="threads per simulator")
    p.add_argument("--make-jobs", type=int, default=1, help="parallel jobs of the C++ build")
    p.add_argument("--deliver-interval", type=int, default=1000,
                   help="NEST volume_transmitter deliver_interval (ms at min_delay 1 ms)")
    p.add_argument("--cold", action="store_true",
                   help="start from empty Numba and Cython caches (the first size then shows "
                        "first-ever compile times)")
    p.add_argument("--repeats", type=int, default=3,
                   help="rounds per size, each running every peer once in turn; the table gives each "
                        "peer's median run and the median of its ratios within a round (range in brackets)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per peer run")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.model_seconds is None:
        args.model_seconds = [10.0 if n <= 1000 else 3.0 for n in args.sizes]
    elif len(args.model_seconds) == 1:
        args.model_seconds = args.model_seconds * len(args.sizes)
    elif len(args.model_seconds) != len(args.sizes):
        p.error("--model-seconds takes one value or one per size")
    return args


def probe(python: str, module: str) -> str | None:
    """Return None if ``python`` can import ``module``, else the reason it cannot."""
    if not os.path.exists(python):
        return f"{python} missing (run benchmarks/install_peers.sh)"
    code = (f"import sys; sys.path.append({os.path.join(os.path.dirname(HERE), 'src')!r}); "
            f"import {module}")
    env = dict(os.environ, PYNEST_QUIET="1")
    r = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    return None if r.returncode == 0 else (r.stderr.strip().splitlines() or ["?"])[-1]


def run_child(cmd: list[str], env: dict, timeout: float) -> dict:
    """Run one peer process; return its parsed result plus whole-process measurements."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=HERE, start_new_session=True)
        killed = threading.Event()
        timer = threading.Timer(timeout, lambda: (killed.set(),
                                                  os.killpg(proc.pid, signal.SIGKILL)))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        process_s = time.perf_counter() - t0
        out.seek(0)
        text = out.read()
    lines = [ln for ln in text.splitlines() if ln.startswith(dc.RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(text.strip().splitlines()[-15:])
        status = (f"timed out after {timeout:g} s" if killed.is_set()
                  else f"failed (exit {proc.returncode})")
        return {"status": status, "log_tail": tail}
    result = json.loads(lines[-1][len(dc.RESULT_PREFIX):])
    result.update(status="ok", process_s=process_s, tree_peak_mb=usage.ru_maxrss / 1024.0)
    return result


def peer_command(peer: str, n: int, model_s: float, args, workdir: str, caches: str):
    """Command line of one peer run."""
    script, extra, in_venv, _ = PEERS[peer]
    cmd = [args.peer_python if in_venv else sys.executable, os.path.join(HERE, script),
           "--n", str(n), "--model-seconds", str(model_s), "--seed", str(args.seed),
           "--workdir", workdir, *extra]
    if peer == "nest":
        cmd += ["--deliver-interval", str(args.deliver_interval), "--threads", str(args.threads)]
    elif peer == "brian2-standalone":
        cmd += ["--make-jobs", str(args.make_jobs), "--threads", str(args.threads)]
    elif peer == "brian2-runtime":
        cmd += ["--cache-dir", os.path.join(caches, "cython")]
    return cmd


def run_all(args) -> list[dict]:
    """Run every peer at every size, one process at a time; return one row per run."""
    workroot = os.path.join(HERE, "work")
    os.makedirs(workroot, exist_ok=True)
    caches = tempfile.mkdtemp(prefix="cold-", dir=workroot) if args.cold else workroot
    env = dict(os.environ, PYNEST_QUIET="1", OMP_NUM_THREADS=str(args.threads),
               NUMBA_NUM_THREADS=str(args.threads))
    if args.cold:
        env["NUMBA_CACHE_DIR"] = os.path.join(caches, "numba")
    missing = {}
    for peer in args.peers:
        _, _, in_venv, module = PEERS[peer]
        missing[peer] = probe(args.peer_python if in_venv else sys.executable, module)
    results = []
    for n, model_s in zip(args.sizes, args.model_seconds, strict=True):
        rounds = []  # one {peer: row} per round: the peers of a round ran within minutes of each other
        for rep in range(args.repeats):
            rounds.append({})
            for peer in args.peers:
                row = {"peer": peer, "n": n, "model_s": model_s}
                if missing[peer]:
                    row.update(status="not installed", reason=missing[peer])
                    rounds[-1][peer] = row
                    continue
                workdir = os.path.join(workroot, f"{peer}-{n}")
                shutil.rmtree(workdir, ignore_errors=True)
                cmd = peer_command(peer, n, model_s, args, workdir, caches)
                print(f"[bench] {peer} N={n} model {model_s:g} s, round {rep + 1}/{args.repeats} ...",
                      file=sys.stderr, flush=True)
                row.update(run_child(cmd, env, args.timeout), peer=peer)
                print(f"[bench]   {row['status']} {row.get('wall_per_model_s', '')}",
                      file=sys.stderr, flush=True)
                rounds[-1][peer] = row
        results += [summarise(peer, rounds) for peer in args.peers]
    if args.cold:
        shutil.rmtree(caches, ignore_errors=True)
    return results


def summarise(peer: str, rounds: list[dict]) -> dict:
    """One row for ``peer`` at one size from its runs in every round: the run with the median
    wall s per model s (the lower middle one for an even number; its other columns with it), the
    first run's compile and build times (with ``--cold``, the first-ever ones), every run's
    speed, and the ratio to dopaspike computed within each round (both ran minutes apart, so a
    slow phase of a shared machine hits both), as its median and range."""
    runs = [r[peer] for r in rounds]
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        return runs[0]
    row = dict(sorted(ok, key=lambda r: r["wall_per_model_s"])[(len(ok) - 1) // 2])
    row["compile_s"], row["build_s"] = ok[0].get("compile_s"), ok[0].get("build_s")
    row["runs_wall_per_model_s"] = [r["wall_per_model_s"] for r in ok]
    ratios = [r[peer]["wall_per_model_s"] / r["dopaspike"]["wall_per_model_s"] for r in rounds
              if r[peer].get("status") == "ok" and r.get("dopaspike", {}).get("status") == "ok"]
    if ratios:
        row["ratio_vs_dopaspike"] = statistics.median(ratios)
        row["ratio_range"] = [min(ratios), max(ratios)]
        row["ratios"] = ratios
    return row


def _f(value, fmt="{:.3g}") -> str:
    return "–" if value is None else fmt.format(value)


def _peak(r: dict) -> str:
    text = _f(r.get("sim_peak_mb"), "{:.0f}")
    if r.get("binary_peak_mb") is not None:
        text += f" (binary {r['binary_peak_mb']:.0f})"
    return text


def _ratio(r: dict) -> str:
    text = _f(r.get("ratio_vs_dopaspike"), "{:.2f}")
    lo_hi = r.get("ratio_range")
    if lo_hi and len(r.get("ratios", [])) > 1 and r["peer"] != "dopaspike":
        text += f" ({lo_hi[0]:.2f}–{lo_hi[1]:.2f})"
    return text


def markdown(results: list[dict], meta: dict) -> str:
    head = ("| peer | N | wall s per model s | ratio vs dopaspike | peak MB | compile/build s "
            "| model s | rate Hz | mean exc w |\n|---|---|---|---|---|---|---|---|---|")
    rows = []
    for r in results:
        if r.get("status") != "ok":
            rows.append(f"| {r['peer']} | {r['n']} | {r['status']} | – | – | – | "
                        f"{r['model_s']:g} | – | – |")
            continue
        rows.append(" | ".join([
            f"| {r['peer']}", str(r["n"]), _f(r["wall_per_model_s"], "{:.4f}"),
            _ratio(r), _peak(r),
            f"{_f(r.get('compile_s'), '{:.1f}')} + {_f(r.get('build_s'), '{:.1f}')}",
            f"{r['model_s']:g}", _f(r.get("rate_hz"), "{:.2f}"),
            _f(r.get("mean_exc_w"), "{:.3f}") + " |"]))
    notes = (f"\n\n{meta['date']} · {meta['cpu']} ({meta['cores']} cores) · "
             f"threads {meta['args']['threads']} · NEST deliver_interval "
             f"{meta['args']['deliver_interval']} · Numba/Cython caches "
             f"{'emptied (--cold)' if meta['args']['cold'] else 'kept from earlier runs'} · "
             f"{meta['args']['repeats']} round(s) per size"
             "\n\nwall s per model s: the median run. ratio = peer's wall s per model s / dopaspike's in the same "
             "round (above 1: dopaspike is faster), median over rounds (range). "
             "compile/build s = compile (or first-run overhead) + network construction.\n")
    return "\n".join([head, *rows]) + notes


def machine() -> dict:
    from dopaspike.bench import machine as describe  # this Python runs dopaspike, so it has the package

    return describe()


def main(argv=None) -> None:
    args = parse_args(argv)
    results = run_all(args)
    meta = dict(machine(), date=datetime.datetime.now().isoformat(timespec="seconds"),
                args=vars(args))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    table = markdown(results, meta)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write("# daspnet speed benchmark\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
