"""Recorders: read what a simulation did, never change it.

Each recorder attaches itself to a :class:`~dopaspike.core.simulation.Simulation` as a listener
and keeps bounded memory (bins, sampling strides, windows, caps). Bins are aligned to absolute
steps, so results do not depend on chunk size. Reading synapses uses the engine's non-mutating
peek, so adding a recorder leaves the dynamics bit-for-bit unchanged. Recorders are picklable
(bound methods, no lambdas): they are part of a run's checkpoint.
"""

from __future__ import annotations

import numpy as np

from .errors import check_range


class NextMultiple:
    """``stop_at`` of a sampling recorder: the next multiple of ``every`` steps after ``step``
    (a class rather than a lambda, so that recorders stay picklable for checkpoints)."""

    def __init__(self, every: int):
        self.every = every

    def __call__(self, step: int) -> int:
        return (step // self.every + 1) * self.every


class SpikeRecorder:
    """Spike times (ms) and global ids of chosen neurons, inside optional time windows.

    Stops storing (and sets ``truncated``) after ``max_spikes``.
    """

    def __init__(self, sim, ids=None, windows_ms: list[tuple[float, float]] | None = None, max_spikes: int = 10_000_000):
        n = sim.compiled.neurons.model.shape[0]
        ids = np.arange(n) if ids is None else np.asarray(ids, np.int64)
        sim.record_spikes_of(ids)
        self._wanted = np.zeros(n, bool)
        self._wanted[ids] = True
        self.windows = [(sim.steps_for(a), sim.steps_for(b)) for a, b in (windows_ms or [])]
        self.max_spikes = int(max_spikes)
        self.truncated = False
        self._steps: list[np.ndarray] = []
        self._ids: list[np.ndarray] = []
        self._n = 0
        self.dt_ms = sim.dt_ms
        sim.add_listener(self._on_chunk)

    def _on_chunk(self, res) -> None:
        keep = self._wanted[res.spike_ids]
        if self.windows:
            inside = np.zeros_like(keep)
            for a, b in self.windows:
                inside |= (res.spike_steps >= a) & (res.spike_steps < b)
            keep &= inside
        steps, ids = res.spike_steps[keep], res.spike_ids[keep]
        room = self.max_spikes - self._n
        if steps.size > room:
            steps, ids, self.truncated = steps[:room], ids[:room], True
        self._steps.append(steps)
        self._ids.append(ids)
        self._n += steps.size

    @property
    def times_ms(self) -> np.ndarray:
        return np.concatenate(self._steps or [np.zeros(0, np.int64)]) * self.dt_ms

    @property
    def ids(self) -> np.ndarray:
        return np.concatenate(self._ids or [np.zeros(0, np.int64)])


class _Binned:
    """Sum per-step rows into bins of ``bin_steps`` aligned to absolute step 0; a recorder
    attached mid-run starts at the next bin boundary."""

    def __init__(self, bin_steps: int, width: int):
        self.bin_steps = bin_steps
        self.first_bin: int | None = None
        self._bins: list[np.ndarray] = []
        self._partial = np.zeros(width)
        self._partial_n = 0

    def add(self, step0: int, rows: np.ndarray) -> None:
        if self.first_bin is None:
            skip = (-step0) % self.bin_steps
            if skip >= rows.shape[0]:
                return
            rows = rows[skip:]
            self.first_bin = (step0 + skip) // self.bin_steps
        i = 0
        while i < rows.shape[0]:
            take = min(self.bin_steps - self._partial_n, rows.shape[0] - i)
            self._partial += rows[i:i + take].sum(axis=0)
            self._partial_n += take
            i += take
            if self._partial_n == self.bin_steps:
                self._bins.append(self._partial.copy())
                self._partial[:] = 0
                self._partial_n = 0

    def sums(self) -> np.ndarray:
        return np.array(self._bins).reshape(len(self._bins), self._partial.size)

    def centers(self, bin_ms: float) -> np.ndarray:
        return ((self.first_bin or 0) + np.arange(len(self._bins)) + 0.5) * bin_ms


class RateRecorder:
    """Population firing rates (Hz) in bins of ``bin_ms``."""

    def __init__(self, sim, bin_ms: float = 100.0):
        check_range("bin_ms", bin_ms, sim.dt_ms, None)
        self.bin_ms = sim.steps_for(bin_ms) * sim.dt_ms
        self.names = [p.name for p in sim.net.populations]
        self._sizes = np.array([p.n for p in sim.net.populations], float)
        self._bins = _Binned(sim.steps_for(bin_ms), len(self.names))
        sim.add_listener(self._on_chunk)

    def _on_chunk(self, res) -> None:
        self._bins.add(res.step0, res.pop_counts)

    @property
    def t_ms(self) -> np.ndarray:
        """Bin centres."""
        return self._bins.centers(self.bin_ms)

    @property
    def rates_hz(self) -> np.ndarray:
        """(n_bins, n_populations) mean rate per neuron."""
        return self._bins.sums() / self._sizes / (self.bin_ms / 1000.0)

    def total_spikes(self) -> np.ndarray:
        return self._bins.sums().sum(axis=0) + self._bins._partial


class DopamineRecorder:
    """Dopamine concentration per region, averaged over bins of ``bin_ms``."""

    def __init__(self, sim, bin_ms: float = 10.0):
        check_range("bin_ms", bin_ms, sim.dt_ms, None)
        self.bin_steps = sim.steps_for(bin_ms)
        self.bin_ms = self.bin_steps * sim.dt_ms
        self.names = [r.name for r in sim.net.regions]
        self._bins = _Binned(self.bin_steps, len(self.names))
        sim.add_listener(self._on_chunk)

    def _on_chunk(self, res) -> None:
        self._bins.add(res.step0, res.da_conc)

    @property
    def conc(self) -> np.ndarray:
        """(n_bins, n_regions) mean concentration."""
        return self._bins.sums() / self.bin_steps

    @property
    def t_ms(self) -> np.ndarray:
        """Bin centres."""
        return self._bins.centers(self.bin_ms)


class SynapseRecorder:
    """Weight and eligibility of chosen synapses at every multiple of ``every_ms`` (step ends).

    Chunks are split at the sampling steps and the synapses are read with the engine's peek, so
    sampling often (every step) costs a return to Python per sample but never changes results.
    """

    def __init__(self, sim, synapse_ids, every_ms: float = 1.0):
        check_range("every_ms", every_ms, sim.dt_ms, None)
        self.synapse_ids = np.atleast_1d(np.asarray(synapse_ids, np.int64))
        n_syn = sim.compiled.synapses.weight.size
        if self.synapse_ids.size and (self.synapse_ids.min() < 0 or self.synapse_ids.max() >= n_syn):
            from .errors import ConfigError

            raise ConfigError("synapse_ids", int(self.synapse_ids.max()), f"[0, {n_syn - 1}]")
        self._every = sim.steps_for(every_ms)
        self._sim = sim
        self._rows: list[tuple] = []  # (step, weights, eligibilities), appended whole
        self.dt_ms = sim.dt_ms
        if sim.step == 0:  # the state before any step
            self._sample(0)
        sim.add_listener(self._on_chunk, stop_at=NextMultiple(self._every))

    def _sample(self, step: int) -> None:
        w, c = self._sim.weights(self.synapse_ids)
        self._rows.append((step, w, c))

    def _on_chunk(self, res) -> None:
        end = res.step0 + res.n_steps
        if end % self._every == 0:
            self._sample(end)

    @property
    def t_ms(self) -> np.ndarray:
        """Sample times: the state at the end of step ``t/dt - 1`` (0: the initial state)."""
        return np.array([r[0] for r in self._rows], float) * self.dt_ms

    @property
    def weight(self) -> np.ndarray:
        return np.array([r[1] for r in self._rows]).reshape(len(self._rows), self.synapse_ids.size)

    @property
    def eligibility(self) -> np.ndarray:
        return np.array([r[2] for r in self._rows]).reshape(len(self._rows), self.synapse_ids.size)


class WeightStatsRecorder:
    """Mean and percentiles of a set of synapses' weights every ``every_ms`` (at step ends);
    with ``keep_weights`` also the full weight vector at each sample (memory grows with it).

    Chunks are split at the sampling steps; the weights are read with the engine's peek.
    """

    def __init__(self, sim, synapse_ids, every_ms: float = 1000.0, percentiles=(1, 50, 99), keep_weights: bool = False):
        check_range("every_ms", every_ms, sim.dt_ms, None)
        self.synapse_ids = np.asarray(synapse_ids, np.int64)
        self.percentiles = tuple(percentiles)
        self.keep_weights = keep_weights
        self._every = sim.steps_for(every_ms)
        self._sim = sim
        self._rows: list[tuple] = []  # one tuple per sample, appended whole
        sim.add_listener(self._on_chunk, stop_at=NextMultiple(self._every))

    def _on_chunk(self, res) -> None:
        end = res.step0 + res.n_steps
        if end % self._every == 0:
            w, _ = self._sim.weights(self.synapse_ids)
            pct = np.percentile(w, self.percentiles) if w.size else np.full(len(self.percentiles), np.nan)
            self._rows.append((end * self._sim.dt_ms, float(w.mean()) if w.size else np.nan, pct,
                               w if self.keep_weights else None))

    @property
    def t_ms(self) -> np.ndarray:
        return np.array([r[0] for r in self._rows])

    @property
    def mean(self) -> np.ndarray:
        return np.array([r[1] for r in self._rows])

    @property
    def pct(self) -> np.ndarray:
        """(n_samples, n_percentiles)."""
        return np.array([r[2] for r in self._rows]).reshape(len(self._rows), len(self.percentiles))

    @property
    def weights(self) -> np.ndarray:
        """(n_samples, n_synapses) full weights; only with ``keep_weights=True``."""
        if not self.keep_weights:
            raise ValueError("weights were not kept: create the recorder with keep_weights=True")
        return np.array([r[3] for r in self._rows]).reshape(len(self._rows), self.synapse_ids.size)
