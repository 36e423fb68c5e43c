"""Connectivity rules: which (pre, post) pairs a projection creates.

Each rule is a small frozen dataclass with ``pairs(n_pre, n_post, rng, same) -> (pre, post)``
giving local indices; ``same`` tells whether pre and post are the same neurons (autapses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError, check_range


@dataclass(frozen=True)
class FixedOutDegree:
    """Every presynaptic neuron gets ``k`` distinct random targets (daspnet.m: 100)."""

    k: int
    allow_autapses: bool = False

    def count(self, n_pre: int, n_post: int) -> int:
        return n_pre * int(self.k)

    def pairs(self, n_pre, n_post, rng, same):
        available = n_post - (1 if same and not self.allow_autapses else 0)
        if not 0 <= self.k <= available:
            raise ConfigError("connectivity.k", self.k, f"[0, {available}] (targets available)")
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), self.k)
        post = _distinct_targets(n_pre, n_post, self.k, rng, same and not self.allow_autapses)
        return pre, post.ravel()


def _distinct_targets(n_pre, n_post, k, rng, forbid_self):
    """(n_pre, k) targets, distinct within each row; redraw clashes until none remain."""
    post = rng.integers(0, n_post, size=(n_pre, k), dtype=np.int64)
    rows = np.arange(n_pre)[:, None]
    while True:
        order = np.argsort(post, axis=1, kind="stable")
        sorted_post = np.take_along_axis(post, order, axis=1)
        bad_sorted = np.zeros_like(sorted_post, dtype=bool)
        bad_sorted[:, 1:] = sorted_post[:, 1:] == sorted_post[:, :-1]
        bad = np.zeros_like(bad_sorted)
        np.put_along_axis(bad, order, bad_sorted, axis=1)
        if forbid_self:
            bad |= post == rows
        n_bad = int(bad.sum())
        if n_bad == 0:
            return post
        post[bad] = rng.integers(0, n_post, size=n_bad, dtype=np.int64)


@dataclass(frozen=True)
class FixedProbability:
    """Each pair is connected independently with probability ``p``."""

    p: float
    allow_autapses: bool = False

    def count(self, n_pre: int, n_post: int) -> int:
        return int(n_pre * n_post * self.p)

    def pairs(self, n_pre, n_post, rng, same):
        check_range("connectivity.p", self.p, 0.0, 1.0)
        pre_list, post_list = [], []
        for i in range(n_pre):
            post = np.flatnonzero(rng.random(n_post) < self.p)
            if same and not self.allow_autapses:
                post = post[post != i]
            pre_list.append(np.full(post.size, i, np.int64))
            post_list.append(post)
        if not pre_list:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(pre_list), np.concatenate(post_list).astype(np.int64)


@dataclass(frozen=True)
class AllToAll:
    """Every presynaptic neuron to every postsynaptic neuron."""

    allow_autapses: bool = False

    def count(self, n_pre: int, n_post: int) -> int:
        return n_pre * n_post

    def pairs(self, n_pre, n_post, rng, same):
        pre, post = np.divmod(np.arange(n_pre * n_post, dtype=np.int64), n_post)
        if same and not self.allow_autapses:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post


@dataclass(frozen=True)
class OneToOne:
    """Neuron i to neuron i; both sides must be the same size."""

    def count(self, n_pre: int, n_post: int) -> int:
        return n_pre

    def pairs(self, n_pre, n_post, rng, same):
        if n_pre != n_post:
            raise ConfigError("connectivity", "OneToOne", f"equal sizes (got {n_pre} -> {n_post})")
        idx = np.arange(n_pre, dtype=np.int64)
        return idx, idx.copy()


@dataclass(frozen=True)
class Explicit:
    """Given local index pairs."""

    pre: tuple[int, ...]
    post: tuple[int, ...]

    def count(self, n_pre: int, n_post: int) -> int:
        return len(self.pre)

    def pairs(self, n_pre, n_post, rng, same):
        pre = np.asarray(self.pre, np.int64)
        post = np.asarray(self.post, np.int64)
        if pre.shape != post.shape:
            raise ConfigError("connectivity.post", len(post), f"same length as pre ({len(pre)})")
        if pre.size and (pre.min() < 0 or pre.max() >= n_pre):
            raise ConfigError("connectivity.pre", int(pre.max()), f"[0, {n_pre - 1}]")
        if post.size and (post.min() < 0 or post.max() >= n_post):
            raise ConfigError("connectivity.post", int(post.max()), f"[0, {n_post - 1}]")
        return pre, post


Connectivity = FixedOutDegree | FixedProbability | AllToAll | OneToOne | Explicit


def onto_group(n_pre: int, first: int, group_size: int) -> Explicit:
    """Every one of ``n_pre`` presynaptic neurons onto every neuron of one group of the target
    population (local indices ``first`` to ``first + group_size - 1``): what starts a chain."""
    return Explicit(tuple(np.repeat(np.arange(n_pre), group_size).tolist()),
                    tuple(np.tile(np.arange(first, first + group_size), n_pre).tolist()))


def synfire_links(n_groups: int, group_size: int, first: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(pre, post) local indices of a synfire chain inside one population (Abeles 1991, Corticonics):
    every neuron of group ``j`` (``first + j * group_size`` onwards) onto every neuron of group
    ``j + 1``, for ``j < n_groups - 1``. With a delay per link, one volley into the first group
    runs down the chain, each group marking one moment after the start."""
    if n_groups < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = first + group_size * np.arange(n_groups - 1)
    pre = (starts[:, None] + np.repeat(np.arange(group_size), group_size)[None, :]).ravel()
    post = (starts[:, None] + group_size + np.tile(np.arange(group_size), group_size)[None, :]).ravel()
    return pre, post
