"""Brian2 peer of the daspnet speed benchmark (Izhikevich 2007, Cereb Cortex 17:2443).

The network follows daspnet.m (ModelDB 84167) step by step, written with Brian2's documented
API (``NeuronGroup``, ``Synapses``, ``run_regularly``) at dt = 1 ms:

* groups slot: I += 13*(rand()-0.5); two 0.5 ms Euler half-steps of v; u += a(0.2 v - u);
  STDP trace x *= 0.95; I = 0 (the spike input of the previous step was collected in I);
* after the threshold: x = 0.1 for neurons with v >= 30 (so coincident spikes see it);
* synapses slot (delay 0 in Brian2's schedule = daspnet's "1 ms": the spike detected at the
  end of step t enters I before the integration of step t+1): I_post += w, and for plastic
  synapses c -= 1.5 x_post on a presynaptic spike, c += x_pre on a postsynaptic spike;
* reset: v = c, u += d;
* end slot: DA *= 0.995 every ms; every 10 ms w = clip(w + (0.002 + DA) c, 0, 4), c *= 0.99;
  DA += 0.5 every 2 s (fixed reward schedule shared by all peers).

Devices: ``--device standalone`` (cpp_standalone; code generation + C++ build timed as
compile_s, the simulation time taken from the binary's own run timer) or ``--device runtime``
(Cython; a 1 s warm-up run carries the compile, its excess over the steady rate is compile_s).
Both run single-threaded (``--threads N`` gives standalone N OpenMP threads). Divergence from
daspnet.m: none intended beyond the random streams (Brian2's own ``rand()``) and the fixed
reward schedule.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daspnet_common as dc  # noqa: E402

# Runs the standalone binary and writes its own peak RSS (KiB), so that the C++ compiler's
# memory is not counted as the simulation's.
_RSS_WRAPPER = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "open(os.environ['BENCH_RSS_FILE'], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)

NEURON_STEP = """
I = I + 13*(rand() - 0.5)
v = v + 0.5*((0.04*v + 5)*v + 140 - u + I)
v = v + 0.5*((0.04*v + 5)*v + 140 - u + I)
u = u + a*(0.2*v - u)
x = 0.95*x
I = 0
"""


def build_network(b2, n_exc: int, n_inh: int, seed: int):
    """Create the daspnet objects in an explicit ``Network``; return (net, neurons)."""
    n = n_exc + n_inh
    neurons = b2.NeuronGroup(
        n, "v : 1\nu : 1\nI : 1\nx : 1\na : 1 (constant)\nd : 1 (constant)\nnspk : 1",
        threshold=f"v >= {dc.V_PEAK}", reset="v = -65\nu = u + d\nnspk = nspk + 1",
        name="neurons")
    neurons.run_regularly(NEURON_STEP, when="groups", name="neuron_step")
    neurons.run_regularly(f"x = {dc.STDP_TRACE}*int(v >= {dc.V_PEAK}) + x*int(v < {dc.V_PEAK})",
                          when="thresholds", order=1, name="trace_set")
    neurons.a = [dc.A_EXC] * n_exc + [dc.A_INH] * n_inh
    neurons.d = [dc.D_EXC] * n_exc + [dc.D_INH] * n_inh
    neurons.v = -65.0
    neurons.u = 0.2 * -65.0

    exc_pre, exc_post, inh_pre, inh_post = dc.connectivity(n_exc, n_inh, seed)
    plastic = b2.Synapses(
        neurons, neurons, "w : 1\nc : 1\nDA : 1 (shared)",
        on_pre=f"I_post = I_post + w\nc = c - {dc.LTD_FACTOR}*x_post",
        on_post="c = c + x_pre", delay=0 * b2.ms, name="plastic")
    plastic.connect(i=exc_pre, j=exc_post)
    plastic.w = dc.W_EXC
    plastic.run_regularly("DA = DA*0.995", when="end", order=0, name="da_decay")
    plastic.run_regularly(
        f"w = clip(w + ({dc.DA_TONIC} + DA)*c, 0, {dc.W_MAX})\nc = 0.99*c",
        dt=dc.SWEEP_MS * b2.ms, when="end", order=1, name="sweep")
    plastic.run_regularly(f"DA = DA + {dc.DA_PULSE}*int(t > 0.5*ms)",
                          dt=dc.REWARD_PERIOD_MS * b2.ms, when="end", order=2, name="reward")
    static = b2.Synapses(neurons, neurons, "w : 1 (constant)", on_pre="I_post = I_post + w",
                         delay=0 * b2.ms, name="static")
    static.connect(i=inh_pre, j=inh_post)
    static.w = dc.W_INH
    return b2.Network(neurons, plastic, static), neurons


def main() -> None:
    parser = dc.peer_parser(__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["standalone", "runtime"], default="standalone")
    parser.add_argument("--make-jobs", type=int, default=1, help="parallel C++ build jobs")
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads (standalone)")
    parser.add_argument("--cache-dir", default=None, help="Cython cache (runtime device)")
    args = opts = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench_brian2_")
    os.makedirs(workdir, exist_ok=True)

    import brian2 as b2
    b2.prefs.logging.file_log = False
    b2.prefs.logging.delete_log_on_exit = True
    b2.defaultclock.dt = 1 * b2.ms
    b2.seed(args.seed)
    if opts.device == "standalone":
        b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{opts.make_jobs}"]
        threads = 0 if args.threads == 1 else args.threads  # 0: no OpenMP at all
        b2.prefs.devices.cpp_standalone.openmp_threads = threads
    else:
        b2.prefs.codegen.target = "cython"
        if opts.cache_dir:
            b2.prefs.codegen.runtime.cython.cache_dir = opts.cache_dir

    n_exc, n_inh = dc.split_sizes(args.n)
    t0 = time.perf_counter()
    net, neurons = build_network(b2, n_exc, n_inh, args.seed)
    result = {"peer": f"brian2-{opts.device}", "n": args.n, "model_s": args.model_seconds,
              "version": b2.__version__}

    if opts.device == "runtime":
        result["build_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        net.run(dc.WARMUP_MODEL_S * b2.second)
        result["first_run_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        net.run(args.model_seconds * b2.second)
        result["wall_s"] = time.perf_counter() - t2
        steady = result["wall_s"] / args.model_seconds
        result["compile_s"] = max(0.0, result["first_run_s"] - dc.WARMUP_MODEL_S * steady)
        result["sim_peak_mb"] = dc.self_peak_mb()  # before the read-out below
    else:
        net.run(dc.WARMUP_MODEL_S * b2.second)
        net.run(args.model_seconds * b2.second)
        result["build_s"] = time.perf_counter() - t0  # object creation + code generation
        t1 = time.perf_counter()
        b2.device.build(directory=workdir, compile=True, run=False, clean=True,
                        with_output=False)
        result["compile_s"] = time.perf_counter() - t1  # code generation + C++ build
        rss_file = os.path.join(workdir, "main_rss_kib.txt")
        os.environ["BENCH_RSS_FILE"] = rss_file
        b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", _RSS_WRAPPER,
                                                        "./main"]
        t2 = time.perf_counter()
        b2.device.run(directory=workdir, with_output=False)
        result["binary_wall_s"] = time.perf_counter() - t2  # incl. loading arrays, writing
        result["wall_s"] = b2.device._last_run_time  # the binary's timer of the last run()
        with open(rss_file) as f:
            binary_mb = int(f.read()) / 1024.0
        result["sim_peak_mb"] = max(binary_mb, dc.self_peak_mb())
        result["binary_peak_mb"] = binary_mb
    total_s = dc.WARMUP_MODEL_S + args.model_seconds
    result["rate_hz"] = float(neurons.nspk[:].sum()) / args.n / total_s
    result["mean_exc_w"] = float(net["plastic"].w[:].mean())
    compilers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    result["children_peak_mb"] = compilers
    dc.emit(result)


if __name__ == "__main__":
    main()
