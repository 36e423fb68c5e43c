"""Time loops specialised to what a network uses.

:mod:`dopaspike.core.kernel` is the general loop. Its ``# <features>`` block lists, as module
constants, the parts a network may use (neuron models, Poisson input, dopamine-scaled
excitability, the plasticity modes, receptors, soft bounds, rising eligibility), and every
branch that only such a network needs is guarded by one of them. For a network that uses fewer,
:func:`kernel_for` writes a copy of ``kernel.py`` with the unused ones set to ``False`` and
imports it. Numba treats a module's globals as compile-time constants and prunes the branches
they guard before it types or lowers anything, so the copy compiles to less code, sooner: the
daspnet network of the speed benchmark (Izhikevich neurons, the exact rule, nothing else)
compiles in about 0.7-0.8 of the general loop's time (``benchmarks/README.md``).

Each copy compiles once per machine, and a copy for every combination a user meets would make
each new experiment pay a first compile that the general loop, once cached, spares it. So a
network does not get a copy of exactly its features: :func:`tier_of` gives the smallest of the
:data:`TIERS` that holds them, or all features (the general loop). There is one tier, the plain
networks of Izhikevich (2007) and the like: Izhikevich and LIF neurons, noise and Poisson
input, the exact and sweep rules with linear dopamine and hard bounds, nothing else. A machine
thus compiles the loop at most twice.

The copies live in one directory (``$DOPASPIKE_KERNEL_DIR``; else ``dopaspike-kernels`` under
``$NUMBA_CACHE_DIR`` when that is set; else ``~/.cache/dopaspike/kernels``), each named by its
features and a hash of its text and of the modules it calls, so a copy never outlives the code it
was made from, and Numba caches each one beside it like any other module. A directory that
cannot be written, or ``DOPASPIKE_GENERAL_KERNEL=1``, gives the general loop. Every copy runs
the same steps in the same order as the general loop: results are identical, bit for bit
(``tests/test_variants.py``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import kernel
from .arrays import MODE_EXACT, MODE_SWEEP, MODEL_IZHIKEVICH, MODEL_LIF

#: The feature constants of ``kernel.py``, in the order of its ``# <features>`` block.
FEATURES = ("IZHIKEVICH", "LIF", "POISSON", "MODULATION", "EXACT", "SWEEP", "RECEPTOR", "SOFT", "RISE")

#: Feature sets that get a copy of their own (see the module docstring), smallest first.
TIERS = (frozenset({"IZHIKEVICH", "LIF", "POISSON", "EXACT", "SWEEP"}),)

_BLOCK = re.compile(r"^# <features>[^\n]*\n.*?^# </features>\n", re.S | re.M)
_loaded: dict[str, object] = {}


def features_of(compiled) -> dict[str, bool]:
    """Which of :data:`FEATURES` the compiled network ``compiled`` uses."""
    neu, rules = compiled.neurons, compiled.rules
    return {
        "IZHIKEVICH": bool(np.any(neu.pop_model == MODEL_IZHIKEVICH)),
        "LIF": bool(np.any(neu.pop_model == MODEL_LIF)),
        "POISSON": bool(np.any(neu.pop_poisson)),
        "MODULATION": bool(np.any(neu.pop_mod_region >= 0)),
        "EXACT": bool(np.any(rules.mode == MODE_EXACT)),
        "SWEEP": bool(np.any(rules.mode == MODE_SWEEP)),
        "RECEPTOR": bool(np.any(rules.rec_sign != 0.0)),
        "SOFT": bool(np.any(rules.soft)),
        "RISE": bool(np.any(rules.has_rise)),
    }


def tier_of(features: dict[str, bool]) -> dict[str, bool]:
    """The features of the loop a network with ``features`` runs on: those of the smallest of
    :data:`TIERS` that holds every feature it uses, or all of them (the general loop)."""
    used = {name for name, on in features.items() if on}
    for tier in TIERS:
        if used <= tier:
            return {name: name in tier for name in FEATURES}
    return dict.fromkeys(FEATURES, True)


def kernel_dir() -> Path:
    """The directory the specialised copies are written to."""
    if os.environ.get("DOPASPIKE_KERNEL_DIR"):
        return Path(os.environ["DOPASPIKE_KERNEL_DIR"])
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]) / "dopaspike-kernels"
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "dopaspike" / "kernels"


def variant_source(features: dict[str, bool]) -> str:
    """The text of ``kernel.py`` with its feature block set to ``features`` and its relative
    imports made absolute (the copy lives outside the package)."""
    src = Path(kernel.__file__).read_text()
    lines = "".join(f"{name} = {bool(features[name])}\n" for name in FEATURES)
    block = f"# <features>  (set by dopaspike.core.variants)\n{lines}# </features>\n"
    if len(_BLOCK.findall(src)) != 1:
        raise RuntimeError(f"{kernel.__file__} must hold exactly one '# <features>' block")
    src = _BLOCK.sub(lambda _: block, src)
    return re.sub(r"^from \.(\w+) import", r"from dopaspike.core.\1 import", src, flags=re.M)


def _module_name(features: dict[str, bool], src: str) -> str:
    """Features as bits, and a hash of the copy's text and of the modules it calls: another
    version of any of them gets another file, so Numba never loads code compiled from stale
    sources."""
    bits = "".join("1" if features[name] else "0" for name in FEATURES)
    digest = hashlib.sha256(src.encode())
    here = Path(kernel.__file__).parent
    for callee in ("arrays.py", "neuron_step.py"):
        digest.update((here / callee).read_bytes())
    return f"dopaspike_kernel_{bits}_{digest.hexdigest()[:12]}"


def _write_once(path: Path, text: str) -> None:
    """Write ``path`` unless it exists; never replace it (a new modification time would make
    Numba discard what it cached for it), never leave it half-written."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        try:
            os.link(tmp, path)  # fails if another process made it first: theirs is identical
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system
            if not path.exists():
                os.replace(tmp, path)
                tmp = None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def kernel_for(features: dict[str, bool]):
    """The ``run_chunk`` dispatcher for a network with ``features`` (see :func:`features_of`):
    the general loop when every feature is used, when ``DOPASPIKE_GENERAL_KERNEL=1``, or when
    the copy cannot be written; otherwise the specialised copy.

    ``features`` must hold every feature the network uses: a copy without one skips that
    feature's code and runs such a network wrongly, without an error. The simulation passes
    ``tier_of(features_of(compiled))``, always a superset."""
    unknown = set(features) ^ set(FEATURES)
    if unknown:
        raise ValueError(f"features must name exactly {FEATURES}; differs in {sorted(unknown)}")
    if all(features.values()) or os.environ.get("DOPASPIKE_GENERAL_KERNEL", "") not in ("", "0"):
        return kernel.run_chunk
    src = variant_source(features)
    name = _module_name(features, src)
    if name in _loaded:
        return _loaded[name]
    path = kernel_dir() / f"{name}.py"
    try:
        _write_once(path, src)
    except OSError:
        return kernel.run_chunk
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _loaded[name] = module.run_chunk
    return module.run_chunk
