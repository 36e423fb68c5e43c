"""Cohort throughput: individuals per hour of the D1/D2 bandit in this process, a local pool and a local Dask cluster.

One cohort (``dopaspike.cohort``) of the ``bandit`` experiment (Frank 2005: D1/D2 basal-ganglia
loop with its own dopamine critic), one condition (``conditions=["control"]``, one loop per
individual) and ``--trials`` trials per individual, run three ways:

1. ``single``: the first ``--single`` individuals one after the other in this process (after an
   untimed warm-up that loads the Numba cache): the single-run speed;
2. ``pool``: all ``--n`` individuals on a local process pool of ``--workers`` processes (default:
   every core), the default backend of ``dopaspike cohort``;
3. ``dask``: the same cohort on a ``distributed.LocalCluster`` of ``--workers`` processes
   (``--scheduler local``); its start-up is reported apart.

Each is reported as individuals per hour and as the ratio to ``workers x`` the single-run speed
(1.0: perfect scaling). The pool's and Dask's ``table.csv`` must be byte-identical, and the
single runs' rows must equal the same individuals' rows of the pool. Results go to
``<out>/bench_cohort.json`` and ``<out>/bench_cohort.md`` (the table, also printed), with the
load average before each phase: other work on the machine shows there.

    python benchmarks/bench_cohort.py                  # 64 individuals, 250 trials each
    python benchmarks/bench_cohort.py --n 16 --trials 100
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import dopaspike  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=64, help="individuals in the cohort (pool and Dask)")
    p.add_argument("--trials", type=int, default=250, help="bandit trials per individual")
    p.add_argument("--single", type=int, default=2, help="individuals timed one after the other in this process")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes of the pool and of the Dask cluster")
    p.add_argument("--seed", type=int, default=0, help="cohort seed")
    p.add_argument("--skip-dask", action="store_true", help="measure the single run and the pool only")
    p.add_argument("--out", default=os.path.join(HERE, "results"), help="folder for bench_cohort.json and .md")
    p.add_argument("--keep", default=None, help="keep the cohort folders under this folder (default: a temporary one)")
    return p.parse_args(argv)


def overrides(trials: int) -> list[str]:
    return ['conditions=["control"]', f"n_trials={trials}", f"score_trials={min(50, trials)}"]


def main(argv=None) -> dict:
    args = parse_args(argv)
    from dopaspike import cohort as co

    plan = co.plan_cohort("bandit", args.n, seed=args.seed, overrides=overrides(args.trials))
    root = args.keep or tempfile.mkdtemp(prefix="bench-cohort-")
    os.makedirs(root, exist_ok=True)
    rows, phases = [], {}
    try:
        # untimed warm-up: Numba compiles or loads its cache in this process
        warm = co.plan_cohort("bandit", 1, seed=args.seed + 1, overrides=overrides(10))
        co.run_cohort(warm, os.path.join(root, "warmup"), workers=1)

        single = co.plan_cohort("bandit", args.single, seed=args.seed, overrides=overrides(args.trials))
        phases["single"] = _phase(co, single, os.path.join(root, "single"), workers=1)
        base = phases["single"]["individuals_per_hour"]
        phases["pool"] = _phase(co, plan, os.path.join(root, "pool"), workers=args.workers)
        if not args.skip_dask:
            phases["dask"] = _phase(co, plan, os.path.join(root, "dask"), workers=args.workers, scheduler="local")
        for name, ph in phases.items():
            w = 1 if name == "single" else args.workers
            ph["ratio_to_cores_x_single"] = ph["individuals_per_hour"] / (w * base)
            rows.append((name, ph))
        pool_table = open(os.path.join(root, "pool", "table.csv"), "rb").read()
        identical = None
        if "dask" in phases:
            identical = pool_table == open(os.path.join(root, "dask", "table.csv"), "rb").read()
        single_rows = open(os.path.join(root, "single", "table.csv"), "rb").read().splitlines()
        same_single = pool_table.splitlines()[:len(single_rows)] == single_rows
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    result = {
        "meta": {"machine": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                 "platform": platform.platform(), "python": platform.python_version(),
                 "date": datetime.datetime.now().isoformat(timespec="seconds"), "args": vars(args),
                 "experiment": "bandit", "overrides": overrides(args.trials),
                 "model_s_per_individual": plan.individuals[0].config.duration_s},
        "phases": phases,
        "pool_and_dask_tables_identical": identical,
        "single_rows_equal_pool_rows": same_single,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench_cohort.json"), "w") as f:
        json.dump(result, f, indent=2)
    md = _markdown(result, args)
    with open(os.path.join(args.out, "bench_cohort.md"), "w") as f:
        f.write(md)
    print(md)
    return result


def _phase(co, plan, out: str, **kw) -> dict:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = co.run_cohort(plan, out, **kw)
    total = time.perf_counter() - t0
    if not res.status == "complete" or res.failed:
        raise SystemExit(f"the {kw} cohort did not complete: {res.status}, failed {res.failed}")
    s = res.manifest["sessions"][-1]
    recs = [json.load(open(os.path.join(out, "individuals", f"{i:04d}.json"))) for i in range(plan.n)]
    walls = [r["wall_s"] for r in recs]
    cpus = [r.get("cpu_s") or float("nan") for r in recs]
    return {"n": plan.n, "backend": s["backend"], "workers": s["workers"], "wall_s": s["wall_s"],
            "wall_s_with_startup": total, "individuals_per_hour": plan.n / s["wall_s"] * 3600.0,
            "mean_individual_wall_s": sum(walls) / len(walls), "mean_individual_cpu_s": sum(cpus) / len(cpus),
            "load_avg_1min_before": load, "load_avg_1min_after": os.getloadavg()[0]}


def _markdown(r: dict, args) -> str:
    m = r["meta"]
    lines = [f"Cohort throughput: `bandit`, {', '.join(m['overrides'])} ({m['model_s_per_individual']:.0f} model s per "
             f"individual); {m['cores']} cores, {m['date']}", "",
             "| backend | individuals | workers | wall s | wall s incl. start-up | mean wall s per individual "
             "| mean CPU s per individual | individuals / hour | ratio to workers x single | load before, after |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, ph in r["phases"].items():
        lines.append(f"| {name} ({ph['backend']}) | {ph['n']} | {ph['workers']} | {ph['wall_s']:.1f} | "
                     f"{ph['wall_s_with_startup']:.1f} | {ph['mean_individual_wall_s']:.1f} | "
                     f"{ph['mean_individual_cpu_s']:.1f} | {ph['individuals_per_hour']:.0f} | "
                     f"{ph['ratio_to_cores_x_single']:.2f} | {ph['load_avg_1min_before']:.2f}, "
                     f"{ph['load_avg_1min_after']:.2f} |")
    lines += ["", f"pool and Dask tables byte-identical: {r['pool_and_dask_tables_identical']}; "
                  f"single-run rows equal the pool's: {r['single_rows_equal_pool_rows']}", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
