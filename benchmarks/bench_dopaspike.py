"""dopaspike entry of the daspnet speed benchmark (Izhikevich 2007, Cereb Cortex 17:2443).

Runs :func:`dopaspike.bench.bench_daspnet` (the same measurement as ``dopaspike bench``) with
the main environment's Python, under the protocol the peers follow: build, a 1 s warm-up run
(the first call compiles the Numba kernel or loads it from the cache), then the timed run. The
reward is the shared fixed schedule: DA += 0.5 every 2 s. The plasticity mode is the package
default unless ``--mode exact|sweep`` is given (sweep = daspnet.m's 10 ms sweep).
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import daspnet_common as dc  # noqa: E402

try:
    import dopaspike  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))


def main() -> None:
    parser = dc.peer_parser(__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["exact", "sweep"], default=None,
                        help="plasticity mode (default: the package's)")
    args = parser.parse_args()
    from dopaspike.bench import bench_daspnet

    result = bench_daspnet(args.n, args.model_seconds, mode=args.mode, seed=args.seed)
    dc.emit({"peer": "dopaspike", **result})


if __name__ == "__main__":
    main()
