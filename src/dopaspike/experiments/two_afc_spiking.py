"""Liebana et al. (2025)'s 2-alternative visual task learned by a cohort of spiking deep networks.

Each individual is one :func:`~dopaspike.circuits.two_afc_network.add_two_afc_network` (its own
neurons, connectivity, dopamine regions and DA gains ``(g_left, g_right)``) facing its own copy of
:class:`~dopaspike.tasks.two_afc.TwoAFC` (seeded with ``derive_seed(seed, f"task{k}")``); all
individuals live in one network so that one compiled loop advances them together, as in
:class:`~dopaspike.experiments.choice.ChoiceSession`.

A trial, for every individual at the same model time ``t0`` (the first at 1000 ms, after the
network settles):

1. at ``t0`` the grating of the trial comes on: each side's stimulus neurons fire at
   ``contrast * stim_rate_hz`` until ``t0 + hold_ms`` (nothing fires on a zero-contrast trial);
   the weights are read (``w_*`` and ``assoc_*`` columns: their values at the trial's onset);
2. at ``t0 + decision_ms`` the choice is read out: the choice population with more spikes since
   ``t0`` (ties broken with the individual's own generator). The task is stepped with it; the
   chosen population is driven (``efference_pa``) until ``t0 + hold_ms``; an optogenetic pulse
   (``opto``) is given to one DA subpopulation at this moment on the trials it selects;
3. at ``t0 + outcome_ms`` the teaching signal ``r - V``: a burst of the shown side's DA
   subpopulation when positive (a reward), a pause when negative (none); both subpopulations on
   zero-contrast trials (see the circuit); the DA rates of each subpopulation are measured in the ``da_window_ms`` after it;
4. the next trial's onset is ``hold_ms`` plus an inter-trial interval (uniform integer ms in
   ``[iti_min_ms, iti_max_ms]``, the same for every individual) after ``t0``.

The choice logic runs in Python between chunks, at each onset and read-out (a listener that ends
a chunk there), so the session pickles (checkpoints) and resumes like any other.

:meth:`SpikingTwoAFCSession.trial_table` has one row per trial and individual: ``individual``,
``condition`` (its label), ``session`` (1-based), ``trial`` (0-based, the task's index),
``signed_contrast``, ``choice_right`` (0/1), ``reward``, ``rpe`` (the teaching signal's
``r - V``), ``opto`` (an optogenetic pulse was given), ``out_left_spikes``/``out_right_spikes``
(the read-out's counts), ``start_ms`` (the onset), the mean weights at the onset ``w_stim_left``,
``w_stim_right`` (stimulus -> hidden), ``w_out_left``, ``w_out_right`` (hidden -> choice), the
associations ``assoc_left``/``assoc_right`` (for stimulus s: the mean over hidden neurons of their
mean weight from ``stim_s`` times the difference of their mean weights to ``out_s`` and to the
other choice population, i.e. how much s drives its correct choice through the hidden layer), and
the rate of each DA subpopulation (both halves) in the ``da_window_ms`` after the outcome,
``da_left_hz`` and ``da_right_hz``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..circuits.two_afc_network import SIDES, TwoAFCNetwork, TwoAFCNetworkConfig, add_two_afc_network
from ..core import rng as rngmod
from ..core.network import Network
from ..tasks.two_afc import TwoAFC, TwoAFCConfig

#: Model time before the first trial (the network settles: DA neurons reach their tonic rate).
SETTLE_MS = 1000.0


class TwoAFCOpto(BaseModel):
    """Optogenetic stimulation of one DA subpopulation at choice time (``t0 + decision_ms``),
    with the circuit's ``opto_pa`` for ``opto_ms``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    side: Literal["left", "right"] = Field(description="the DA subpopulation stimulated")
    stimulus: Literal["any", "left", "right", "zero"] = Field(
        "any", description="trials on which it is given, by the stimulus shown (left: signed contrast < 0)")
    p: float = Field(1.0, ge=0, le=1, description="probability per selected trial (own generator per individual)")


class SpikingTwoAFCSession:
    """Individuals ``[(label, (g_left, g_right)), ...]``, one network, their tasks and the
    measures (picklable). Run with :meth:`run` (or ``sim.run`` up to ``end_ms``), then read
    :meth:`trial_table`."""

    def __init__(self, cfg: TwoAFCNetworkConfig, seed: int, individuals: Sequence[tuple[str, tuple[float, float]]],
                 task_config: TwoAFCConfig, opto: TwoAFCOpto | None = None):
        if not individuals:
            raise ValueError("individuals must name at least one (label, (g_left, g_right))")
        self.cfg, self.seed, self.opto = cfg, int(seed), opto
        self.individuals = [(str(label), (float(g[0]), float(g[1]))) for label, g in individuals]
        self.task_config = task_config
        net = Network(dt_ms=1.0)
        self.tasks: list[TwoAFC] = []
        self.nets: list[TwoAFCNetwork] = []
        for k, (_label, gains) in enumerate(self.individuals):
            task = TwoAFC(task_config)
            task.reset(seed=rngmod.derive_seed(seed, f"task{k}"))
            self.tasks.append(task)
            self.nets.append(add_two_afc_network(net, cfg, prefix=f"i{k}_", seed=rngmod.derive_seed(seed, f"net{k}"),
                                                 da_gains=gains))
        self.net = net
        self.sim = sim = net.build(self.seed)
        n = len(self.individuals)
        self.tie_rng = [np.random.default_rng(rngmod.derive_seed(seed, f"ties{k}")) for k in range(n)]
        self.opto_rng = [np.random.default_rng(rngmod.derive_seed(seed, f"opto{k}")) for k in range(n)]
        self.iti_rng = np.random.default_rng(rngmod.derive_seed(seed, "iti"))
        # population columns read from each chunk's counts: per individual out_left, out_right,
        # then the two halves of da_left and of da_right
        index = {p.name: i for i, p in enumerate(net.populations)}
        roles = ("out_left", "out_right", "da_left", "da_left_shared", "da_right", "da_right_shared")
        self._cols = np.array([index[h.pop(r)] for h in self.nets for r in roles], np.int64)
        self._n_roles = len(roles)
        self._buf: list[tuple[int, np.ndarray]] = []  # (step0, counts of self._cols per step)
        self._layout_synapses()
        sim.add_listener(self._on_chunk, stop_at=self._stop_at)
        self.rows: list[dict] = []
        self.pending: list[dict] = []
        self.trial_index = 0
        self.max_trials = task_config.n_trials
        self.done = [False] * n
        self.t0 = SETTLE_MS
        self._await = "onset"  # the next stop: the onset of trial t0, then its read-out
        self._start_w: list[dict] = [{} for _ in range(n)]
        self._present(self.t0)
        self.end_ms = self.t0 + self.max_trials * (cfg.hold_ms + cfg.iti_max_ms) + cfg.iti_max_ms
        self.chunk_ms = cfg.chunk_ms
        self.wall_s = 0.0

    # -- synapses read at each onset ------------------------------------------------------------
    def _layout_synapses(self) -> None:
        """Synapse ids of the plastic projections of every individual (one peek reads them all)
        and, per synapse, its hidden neuron (local index: the target of stimulus -> hidden, the
        source of hidden -> out)."""
        sim = self.sim
        syn = sim.compiled.synapses
        parts, self._syn_slices, self._syn_hidden = [], [], []
        pos = 0
        for h in self.nets:
            hidden_start = self.net.population(h.pop("hidden")).start
            sl, hid = {}, {}
            for which in ("stim_left", "stim_right", "out_left", "out_right"):
                ids = np.asarray(h.synapse_ids(sim, which), np.int64)
                parts.append(ids)
                sl[which] = slice(pos, pos + ids.size)
                pos += ids.size
                if which.startswith("stim"):
                    hid[which] = syn.target[ids].astype(np.int64) - hidden_start
                else:
                    pre = np.searchsorted(syn.seg[:, 0], ids, side="right") - 1
                    hid[which] = pre.astype(np.int64) - hidden_start
            self._syn_slices.append(sl)
            self._syn_hidden.append(hid)
        self._syn_all = np.concatenate(parts)

    def _read_weights(self) -> list[dict]:
        """Per individual: the mean weight of each plastic projection and the association of each
        stimulus with its correct choice, ``assoc_<s>``: the mean over hidden neurons of (mean
        weight from stimulus s) x (mean weight to out_s - mean weight to the other choice)."""
        w_all = self.sim.weights(self._syn_all)[0]
        n_hidden = self.cfg.n_hidden_total
        out = []
        for sl, hid in zip(self._syn_slices, self._syn_hidden):
            w = {which: w_all[s] for which, s in sl.items()}
            row = {f"w_{which}": float(v.mean()) for which, v in w.items()}
            per_h = {which: np.bincount(hid[which], weights=w[which], minlength=n_hidden)
                     / np.maximum(np.bincount(hid[which], minlength=n_hidden), 1) for which in w}
            to_left = per_h["out_left"] - per_h["out_right"]
            row["assoc_left"] = float(np.mean(per_h["stim_left"] * to_left))
            row["assoc_right"] = float(np.mean(per_h["stim_right"] * -to_left))
            out.append(row)
        return out

    def set_weights(self, individual: int, which: str, weight: float, *, hidden_side: str | None = None) -> None:
        """Set the weights of one plastic projection of individual ``individual`` by hand, before the
        run starts: ``which`` is ``stim_left``, ``stim_right`` (-> hidden), ``out_left`` or
        ``out_right`` (hidden ->); ``hidden_side`` (``"left"``/``"right"``) limits it to the
        synapses of the hidden groups that choice population feeds back to."""
        if self.sim.step != 0:
            raise RuntimeError("set_weights is for the initial weights: call it before the run starts")
        h = self.nets[individual]
        sl, hid = self._syn_slices[individual][which], self._syn_hidden[individual][which]
        ids = self._syn_all[sl]
        if hidden_side is not None:
            side_of_group = np.array(h.hidden_group_side)
            ids = ids[side_of_group[hid // self.cfg.n_hidden_per_group] == hidden_side]
        w_max = self.cfg.stim_hidden_w_max if which.startswith("stim") else self.cfg.hidden_out_w_max
        if not 0 <= weight <= w_max:
            raise ValueError(f"weight={weight} must be in [0, {w_max}]")
        self.sim.compiled.synapses.weight[ids] = weight

    # -- closed loop ------------------------------------------------------------------------------
    def _present(self, t0: float) -> None:
        """Schedule the stimuli of trial ``trial_index`` (onset ``t0``) of every individual not done."""
        for k, (task, h) in enumerate(zip(self.tasks, self.nets)):
            if not self.done[k]:
                s = task.signed_contrast
                h.present(self.sim, max(-s, 0.0), max(s, 0.0), t0, t0 + self.cfg.hold_ms)

    def _stop_at(self, step: int):
        if all(self.done):
            return None
        return int(round(self.t0 + (0 if self._await == "onset" else self.cfg.decision_ms)))

    def _on_chunk(self, res) -> None:
        self._buf.append((res.step0, res.pop_counts[:, self._cols]))
        if all(self.done):
            return
        now = res.step0 + res.n_steps
        if now != self._stop_at(now):
            return
        if self._await == "onset":
            self._finish_pending()
            self._start_w = self._read_weights()
            self._await = "decision"
            t0 = int(round(self.t0))
            self._buf = [(s0, c) for s0, c in self._buf if s0 + c.shape[0] > t0]
        else:
            self._decide()

    def _window(self, lo: float, hi: float) -> np.ndarray:
        """Spike counts per column of ``_cols`` in steps ``[lo, hi)`` from the buffer."""
        lo, hi = int(round(lo)), int(round(hi))
        total = np.zeros(self._cols.size, np.int64)
        for s0, c in self._buf:
            a, b = max(lo - s0, 0), min(hi - s0, c.shape[0])
            if a < b:
                total += c[a:b].sum(axis=0)
        return total

    def _decide(self) -> None:
        cfg, t0, sim = self.cfg, self.t0, self.sim
        t_dec = t0 + cfg.decision_ms
        counts = self._window(t0, t_dec)
        for k, (task, h) in enumerate(zip(self.tasks, self.nets)):
            if self.done[k]:
                continue
            n_left, n_right = (int(x) for x in counts[k * self._n_roles:k * self._n_roles + 2])
            if n_left != n_right:
                action = int(n_right > n_left)
            else:
                action = int(self.tie_rng[k].integers(0, 2))
            s = task.signed_contrast
            _, reward, terminated, _, info = task.step(action)
            self.done[k] = bool(terminated)
            h.drive_choice(sim, SIDES[action], t_dec, t0 + cfg.hold_ms)
            rewarded = reward > 0
            delta = h.schedule_outcome(sim, s, rewarded, t0 + cfg.outcome_ms)
            opto = False
            if self.opto is not None:
                shown = "zero" if s == 0 else ("right" if s > 0 else "left")
                if self.opto.stimulus in ("any", shown) and self.opto_rng[k].random() < self.opto.p:
                    h.stimulate_da(sim, self.opto.side, t_dec)
                    opto = True
            trial = info["trial"]
            self.pending.append({
                "individual": k, "condition": self.individuals[k][0], "session": int(trial.session),
                "trial": int(trial.index), "signed_contrast": float(s), "choice_right": action,
                "reward": float(reward), "rpe": float(delta), "opto": opto, "out_left_spikes": n_left,
                "out_right_spikes": n_right, "start_ms": float(t0), **self._start_w[k]})
        self.trial_index += 1
        if all(self.done) or self.trial_index >= self.max_trials:
            self.done = [True] * len(self.done)
            self.end_ms = t0 + cfg.hold_ms + cfg.iti_max_ms  # room for the last outcome window
            return
        self.t0 = t0 + cfg.hold_ms + float(self.iti_rng.integers(cfg.iti_min_ms, cfg.iti_max_ms + 1))
        self._await = "onset"
        self._present(self.t0)

    def _finish_pending(self) -> None:
        """DA rates of the trials whose outcome window has ended (by the time reached)."""
        cfg = self.cfg
        now = self.sim.step
        still = []
        for row in self.pending:
            lo = row["start_ms"] + cfg.outcome_ms
            if lo + cfg.da_window_ms > now:
                still.append(row)
                continue
            c = self._window(lo, lo + cfg.da_window_ms)[row["individual"] * self._n_roles:][:self._n_roles]
            scale = 1000.0 / (2 * cfg.n_da * cfg.da_window_ms)
            row["da_left_hz"] = float((c[2] + c[3]) * scale)
            row["da_right_hz"] = float((c[4] + c[5]) * scale)
            self.rows.append(row)
        self.pending = still

    # -- running and results ----------------------------------------------------------------------
    def run(self, progress: Callable[[float], None] | None = None) -> None:
        """Run to the end of the last trial's outcome window (``end_ms``), adding to ``wall_s``."""
        while self.sim.t_ms < self.end_ms:
            t = time.perf_counter()
            self.sim.run(min(10_000.0, self.end_ms - self.sim.t_ms), chunk_ms=self.chunk_ms)
            self.wall_s += time.perf_counter() - t
            if progress is not None:
                progress(self.sim.t_ms)

    def trial_table(self) -> dict[str, np.ndarray]:
        """One row per finished trial per individual (sorted by individual, then trial): the
        columns of the module docstring, all of the same length."""
        self._finish_pending()
        rows = sorted(self.rows, key=lambda r: (r["individual"], r["trial"]))
        if not rows:
            return {}
        out: dict[str, np.ndarray] = {}
        for name in rows[0]:
            vals = [r[name] for r in rows]
            if isinstance(vals[0], str):
                out[name] = np.array(vals, dtype=str)
            elif isinstance(vals[0], (bool, np.bool_)):
                out[name] = np.array(vals, bool)
            elif isinstance(vals[0], (int, np.integer)):
                out[name] = np.array(vals, np.int64)
            else:
                out[name] = np.array(vals, float)
        return out

    @property
    def wall_s_per_trial(self) -> float:
        """Wall seconds per trial per individual so far."""
        n = max(len(self.rows) + len(self.pending), 1)
        return self.wall_s / n
