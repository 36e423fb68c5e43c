"""Named, independent random streams derived from one run seed.

One seed per run is split with :class:`numpy.random.SeedSequence` into streams named by what
they drive (``"connectivity"``, ``"noise"``, ``"task"``...). A stream's draws never depend on
what another stream did, so adding a recorder or a task does not change network noise. This is
the only module that creates generators; nothing in dopaspike uses the global ``np.random``.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def seed_sequence(seed: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` under run seed ``seed``."""
    if int(seed) < 0:
        raise ValueError(f"seed={seed!r} is invalid: allowed integers >= 0")
    return np.random.SeedSequence(entropy=int(seed), spawn_key=(_name_key(name),))


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for stream ``name`` of run ``seed``."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, name)))


def counter_key(seed: int, name: str) -> np.uint64:
    """A 64-bit key for the engine's counter-based noise (hash of key, step and neuron).

    Counter-based draws make input noise independent of chunk size: the value for
    (step, neuron) is a pure function of the key, whatever was run before.
    """
    words = seed_sequence(seed, name).generate_state(2, dtype=np.uint32)
    return np.uint64((int(words[0]) << 32) | int(words[1]))


def derive_seed(seed: int, name: str) -> int:
    """An integer seed for stream ``name`` of run ``seed`` (for APIs that take a plain seed)."""
    return int(seed_sequence(seed, name).generate_state(1, dtype=np.uint32)[0])
