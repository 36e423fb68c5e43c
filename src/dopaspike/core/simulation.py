"""A built network with its state: run it in chunks, talk to it between chunks.

The compiled loop (:mod:`dopaspike.core.kernel`, specialised by :mod:`~dopaspike.core.variants`)
runs a chunk of steps; between chunks Python code (a task, a reward rule, a recorder) reads what
happened and schedules dopamine or stimuli for later steps. Chunk boundaries never change
results: noise is counter-based, events are keyed to absolute steps, and recorders only read.
"""

from __future__ import annotations

import heapq
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numba
import numpy as np

from . import rng as rngmod
from . import variants
from .arrays import (
    MAX_EMISSION_SLOTS,
    NEVER,
    POST_HISTORY,
    ChunkEvents,
    ChunkOutput,
    NeuronState,
    RegionState,
    empty_events,
)
from .errors import ConfigError, check_range


@dataclass(frozen=True)
class ChunkResult:
    """What one kernel call produced, handed to every listener."""

    step0: int  # first step of the chunk
    n_steps: int
    dt_ms: float
    spike_steps: np.ndarray  # int64 absolute steps of recorded spikes
    spike_ids: np.ndarray  # global neuron ids
    pop_counts: np.ndarray  # (n_steps, n_pops) spikes per population per step
    da_conc: np.ndarray  # (n_steps, n_regions) concentration at the end of each step


Listener = Callable[[ChunkResult], None]


class Simulation:
    """State and clock of a built network. Create with :meth:`Network.build`."""

    def __init__(self, net, compiled, seed: int) -> None:
        self.net = net
        self.compiled = compiled
        self.seed = seed
        self.dt_ms = net.dt_ms
        self.step = 0
        self._key_noise = rngmod.counter_key(seed, "noise")
        self._key_poisson = rngmod.counter_key(seed, "poisson")
        neu = compiled.neurons
        n = neu.model.shape[0]
        v0 = np.array([_v_init(p) for p in net.populations for _ in range(p.n)], float)
        n_slots = compiled.max_delay + 1
        em_slots = min(compiled.max_delay + 2, MAX_EMISSION_SLOTS)
        n_plus, n_minus = compiled.rules.plus_rep.shape[0], compiled.rules.minus_rep.shape[0]
        self.state = NeuronState(
            v_mv=v0, u=neu.b * v0, i_syn_pa=np.zeros(n), i_stim_pa=np.zeros(n),
            ref_until=np.full(n, NEVER, np.int64), last_spike=np.full(n, NEVER, np.int64),
            post_trace=np.zeros((n_minus, n)),
            ring_count=np.zeros(n_slots, np.int64), ring_idx=np.zeros((n_slots, n), np.int64),
            em_head=np.zeros(n, np.int64), em_step=np.full((n, em_slots), NEVER, np.int64),
            em_x=np.zeros((n_plus, n, em_slots)), hist_len=np.zeros(n, np.int64),
            hist_step=np.zeros((n, POST_HISTORY), np.int64),
        )
        self._da_events: list[tuple[int, int, int, float]] = []  # heaps of (step, seq, target, amount)
        self._stim_events: list[tuple[int, int, int, float]] = []
        # (step, seq, population index, value, field of NeuronArrays): set_bias / set_input_gain
        self._population_events: list[tuple[int, int, int, float, str]] = []
        self._seq = 0
        self._listeners: list[Listener] = []
        self._stops: list[Callable[[int], int | None]] = []
        self._spike_capacity = max(4 * n, 1 << 16)
        self._out: ChunkOutput | None = None
        self._entry = None  # compiled entry point of run_chunk, once known
        self._log_bound = 1 << 62  # forces a real look at the dopamine log before the first chunk

    # -- checkpoints ----------------------------------------------------------------------
    def __getstate__(self) -> dict:
        """Everything that determines the future of the run: state, parameters, clock, queued
        events, listeners (pickled with the objects they belong to). Not pickled: the compiled
        entry point and the reusable output buffers, rebuilt on the next chunk. A simulation
        restored from a pickle continues exactly as the original would have."""
        state = self.__dict__.copy()
        state["_entry"] = None
        state["_out"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    # -- time -----------------------------------------------------------------------------
    @property
    def t_ms(self) -> float:
        """Model time reached, in ms (the start of the next step)."""
        return self.step * self.dt_ms

    def steps_for(self, duration_ms: float) -> int:
        return int(round(duration_ms / self.dt_ms))

    # -- inputs between chunks ------------------------------------------------------------
    def deliver_dopamine(self, region: str, amount: float, at_ms: float | None = None) -> None:
        """Add ``amount`` to ``region``'s concentration at the end of the step at ``at_ms``.

        Default: the next step. Times before the current time are refused.
        """
        r = self.net.region_index(region)
        check_range("amount", amount, -1e6, 1e6)
        k = self.step if at_ms is None else self.steps_for(at_ms)
        if k < self.step:
            raise ConfigError("at_ms", at_ms, f">= the current time {self.t_ms:g} ms")
        self._push(self._da_events, k, r, float(amount))

    def stimulate(self, neurons: Sequence[int] | np.ndarray, current_pa: float, at_ms: float | None = None) -> None:
        """Inject ``current_pa`` into global neuron ids ``neurons`` during the step at ``at_ms``."""
        ids = np.atleast_1d(np.asarray(neurons, np.int64))
        n = self.compiled.neurons.model.shape[0]
        if ids.size and (ids.min() < 0 or ids.max() >= n):
            raise ConfigError("neurons", int(ids.max() if ids.max() >= n else ids.min()), f"[0, {n - 1}]")
        k = self.step if at_ms is None else self.steps_for(at_ms)
        if k < self.step:
            raise ConfigError("at_ms", at_ms, f">= the current time {self.t_ms:g} ms")
        for i in ids:
            self._push(self._stim_events, k, int(i), float(current_pa))

    def set_bias(self, population: str, bias_pa: float, at_ms: float | None = None) -> None:
        """Set the constant input current of every neuron of ``population`` to ``bias_pa`` from
        the step at ``at_ms`` on (default: the next step), until changed again.

        For inputs that last: a sustained stimulus, a tonic drive. One call changes a whole
        population at once, however long the input lasts; a chunk always ends at such a change,
        so results do not depend on the chunk size.
        """
        check_range("bias_pa", bias_pa, -1e6, 1e6)
        self._population_event(population, float(bias_pa), "bias_pa", at_ms)

    def set_input_gain(self, population: str, gain: float, at_ms: float | None = None) -> None:
        """Multiply the synaptic current that every neuron of ``population`` receives by ``gain``
        from the step at ``at_ms`` on (default 1; 0 silences its synaptic input), until changed.

        A neuromodulatory gain (Servan-Schreiber, Printz & Cohen 1990, Science 249:892): it scales
        what synapses deliver without changing any weight, e.g. a motivational state scaling the
        drive of a learned cue (Zhang et al. 2009, PLoS Comput Biol 5:e1000437).
        """
        check_range("gain", gain, 0.0, 1e6)
        self._population_event(population, float(gain), "syn_gain", at_ms)

    def bias(self, population: str) -> float:
        """The constant input current (pA) a population receives now."""
        pop = self.net.population(population)
        return float(self.compiled.neurons.bias_pa[pop.start])

    def input_gain(self, population: str) -> float:
        """The gain on a population's synaptic input now."""
        pop = self.net.population(population)
        return float(self.compiled.neurons.syn_gain[pop.start])

    def _population_event(self, population: str, value: float, field: str, at_ms: float | None) -> None:
        index = next((i for i, p in enumerate(self.net.populations) if p.name == population), None)
        if index is None:
            self.net.population(population)  # raises, naming the populations
        k = self.step if at_ms is None else self.steps_for(at_ms)
        if k < self.step:
            raise ConfigError("at_ms", at_ms, f">= the current time {self.t_ms:g} ms")
        self._seq += 1
        heapq.heappush(self._population_events, (k, self._seq, int(index), value, field))

    def _apply_due_population_events(self) -> None:
        heap = self._population_events
        while heap and heap[0][0] <= self.step:
            _, _, index, value, field = heapq.heappop(heap)
            pop = self.net.populations[index]
            getattr(self.compiled.neurons, field)[pop.start:pop.start + pop.n] = value

    # -- observation ----------------------------------------------------------------------
    def add_listener(self, fn: Listener, stop_at: Callable[[int], int | None] | None = None) -> None:
        """Call ``fn(ChunkResult)`` after every chunk; ``stop_at(step)`` may name a step at which
        the next chunk must end (e.g. a snapshot time), or ``None``."""
        self._listeners.append(fn)
        if stop_at is not None:
            self._stops.append(stop_at)

    def record_spikes_of(self, ids: np.ndarray) -> None:
        """Also record the spikes of these global neuron ids."""
        self.compiled.neurons.record_mask[np.asarray(ids, np.int64)] = True

    def _pre_and_delay(self, synapse_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Presynaptic neuron and delay (steps) of synapses, from the CSR row and delay segments."""
        seg = self.compiled.synapses.seg
        pre = np.searchsorted(seg[:, 0], synapse_ids, side="right") - 1
        rows = seg[pre]  # (n, max_delay + 2): delay d occupies rows[:, d] <= s < rows[:, d + 1]
        delay = (rows <= synapse_ids[:, None]).sum(axis=1) - 1
        return pre.astype(np.int64), delay.astype(np.int64)

    def weights(self, synapse_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(weight, eligibility) of synapses as of the last completed step; changes nothing."""
        c = self.compiled
        ids = np.arange(c.synapses.weight.size) if synapse_ids is None else np.atleast_1d(np.asarray(synapse_ids, np.int64))
        pre, delay = self._pre_and_delay(ids)
        w = np.empty(ids.size)
        e = np.empty(ids.size)
        out = self._new_output(0)._replace(peek_syn=ids, peek_pre=pre, peek_delay=delay, peek_w=w, peek_c=e)
        self._kernel(self.step, 0, self.dt_ms, self._key_noise, self._key_poisson, c.neurons, self.state,
                     c.synapses, c.rules, c.regions, _NO_EVENTS, out)
        return w, e

    def synapse_ids(self, projection: str) -> np.ndarray:
        """Synapse ids of a projection (positions in the engine's synapse arrays)."""
        if projection not in self.compiled.proj_slices:
            self.net.projection(projection)
        return self.compiled.proj_slices[projection]

    def find_synapse(self, pre: int, post: int) -> int:
        """Id of a synapse from global neuron ``pre`` to ``post`` (first if several)."""
        syn = self.compiled.synapses
        row = slice(syn.seg[pre, 0], syn.seg[pre, -1])
        hit = np.flatnonzero(syn.target[row] == post)
        if hit.size == 0:
            raise ConfigError("synapse", (pre, post), "a pair connected in this network")
        return int(row.start + hit[0])

    # -- running --------------------------------------------------------------------------
    def run(self, duration_ms: float, *, chunk_ms: float = 100.0, progress: Callable[[float], None] | None = None) -> None:
        """Advance ``duration_ms`` of model time in chunks of at most ``chunk_ms``.

        ``progress(model_ms_done)`` is called after every chunk. Ctrl-C (SIGINT) is honoured at
        the end of the current chunk, after every listener has seen it, by raising
        ``KeyboardInterrupt``: the state and every recorder stay consistent.
        """
        check_range("duration_ms", duration_ms, 0.0, None)
        check_range("chunk_ms", chunk_ms, self.dt_ms, None)
        end = self.step + self.steps_for(duration_ms)
        chunk = max(1, self.steps_for(chunk_ms))
        start = self.step
        with _InterruptAtChunkEnd() as interrupt:
            while self.step < end:
                self._apply_due_population_events()
                stop = min(end, self.step + chunk)
                if self._population_events and self.step < self._population_events[0][0] < stop:
                    stop = self._population_events[0][0]
                for fn in self._stops:
                    s = fn(self.step)
                    if s is not None and self.step < s < stop:
                        stop = s
                self._run_steps(stop - self.step)
                if progress is not None:
                    progress((self.step - start) * self.dt_ms)
                if interrupt.requested:
                    raise KeyboardInterrupt
            self._apply_due_population_events()

    def _run_steps(self, n_steps: int) -> None:
        c = self.compiled
        self._grow_da_log(n_steps)
        done = 0
        while done < n_steps:
            k0 = self.step
            n = n_steps - done
            events = self._take_events(k0, k0 + n)
            out = self._new_output(n)
            ran = self._kernel(k0, n, self.dt_ms, self._key_noise, self._key_poisson, c.neurons,
                               self.state, c.synapses, c.rules, c.regions, events, out)
            if ran < 0:
                raise RuntimeError(
                    f"at t={(k0 - ran - 1) * self.dt_ms:g} ms a neuron fired more than {MAX_EMISSION_SLOTS - 1} "
                    f"times within the longest delay ({c.max_delay * self.dt_ms:g} ms); shorten the delays")
            self._return_events(events, k0 + ran)
            self.step += ran
            done += ran
            self._notify(k0, ran, out)

    def _kernel(self, *args) -> int:
        """Call the compiled loop, specialised to the tier of features this network uses
        (:mod:`~dopaspike.core.variants`). The first call goes through Numba's dispatcher
        (compiling or loading the cache); later calls go straight to the compiled entry point of
        that signature, which spares ~20 us of type dispatch per chunk. The argument types never
        change: every array is created here with a fixed dtype and layout."""
        if self._entry is not None:
            return self._entry(*args)
        run_chunk = variants.kernel_for(variants.tier_of(variants.features_of(self.compiled)))
        result = run_chunk(*args)
        self._entry = run_chunk.overloads[tuple(numba.typeof(a) for a in args)].entry_point
        return result

    def _grow_da_log(self, n_steps: int) -> None:
        """Make room for one log entry per region per step of the coming chunk."""
        reg = self.compiled.regions
        cap = reg.log_step.shape[1]
        self._log_bound += n_steps  # an upper bound of the log length after the chunk, cheap to keep
        if self._log_bound < cap:
            return
        self._log_bound = int(reg.log_len.max(initial=0)) + n_steps
        need = self._log_bound + 1
        if need <= cap:
            return
        new_cap = max(need, 2 * cap)
        step = np.zeros((reg.log_step.shape[0], new_cap), np.int64)
        val = np.zeros((reg.log_step.shape[0], new_cap))
        step[:, :cap], val[:, :cap] = reg.log_step, reg.log_val
        self.compiled.regions = RegionState(reg.decay, reg.baseline, reg.phasic, step, val, reg.log_len)

    def _push(self, heap: list, k: int, target: int, amount: float) -> None:
        """Queue an event; a sequence number keeps events of one step in the order given."""
        self._seq += 1
        heapq.heappush(heap, (k, self._seq, target, amount))

    def _take_events(self, k_lo: int, k_hi: int) -> ChunkEvents:
        """Events of steps before k_hi, in step order (then the order they were given)."""
        if not (self._da_events and self._da_events[0][0] < k_hi) and not (
                self._stim_events and self._stim_events[0][0] < k_hi):
            return _NO_EVENTS
        cols = []
        for heap in (self._da_events, self._stim_events):
            due = []
            while heap and heap[0][0] < k_hi:
                due.append(heapq.heappop(heap))
            cols += [np.array([e[0] for e in due], np.int64), np.array([e[2] for e in due], np.int64),
                     np.array([e[3] for e in due], float)]
        return ChunkEvents(*cols)

    def _return_events(self, ev: ChunkEvents, k_done: int) -> None:
        """Put back events the kernel did not reach (it stopped early on a full spike buffer)."""
        for k, r, a in zip(ev.da_step, ev.da_region, ev.da_amount):
            if k >= k_done:
                self._push(self._da_events, int(k), int(r), float(a))
        for k, i, a in zip(ev.stim_step, ev.stim_neuron, ev.stim_pa):
            if k >= k_done:
                self._push(self._stim_events, int(k), int(i), float(a))

    def _new_output(self, n: int) -> ChunkOutput:
        """Output buffers for a chunk of n steps, reused between chunks (re-entry stays cheap)."""
        cap = self._spike_capacity if self.compiled.neurons.record_mask.any() else 0
        cap = max(cap, self.compiled.neurons.model.shape[0] + 1)
        out = self._out
        if out is None or out.pop_counts.shape[0] < n or out.spk_step.shape[0] != cap:
            rows = max(n, 1)
            out = self._out = ChunkOutput(
                pop_counts=np.zeros((rows, len(self.net.populations)), np.int32),
                da_conc=np.zeros((rows, len(self.net.regions))),
                spk_step=np.empty(cap, np.int64), spk_idx=np.empty(cap, np.int32), spk_n=np.zeros(1, np.int64),
                peek_syn=np.zeros(0, np.int64), peek_pre=np.zeros(0, np.int64), peek_delay=np.zeros(0, np.int64),
                peek_w=np.zeros(0), peek_c=np.zeros(0),
            )
        out.pop_counts[:n] = 0
        out.spk_n[0] = 0
        return out

    def _notify(self, k0: int, ran: int, out: ChunkOutput) -> None:
        m = int(out.spk_n[0])
        res = ChunkResult(k0, ran, self.dt_ms, out.spk_step[:m].copy(), out.spk_idx[:m].astype(np.int64),
                          out.pop_counts[:ran].copy(), out.da_conc[:ran].copy())
        for fn in self._listeners:
            fn(res)


_NO_EVENTS = empty_events()


class _InterruptAtChunkEnd:
    """Defer SIGINT to a chunk boundary (main thread only; elsewhere signals are untouched)."""

    def __enter__(self):
        self.requested = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame) -> None:
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _v_init(pop) -> float:
    return pop.model.v_init_mv
