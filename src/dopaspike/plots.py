"""All matplotlib in one place: figures built from plain arrays, never from a simulation.

Every function returns a :class:`matplotlib.figure.Figure`; the run store saves it as PNG and
SVG. The Agg backend is used, so nothing needs a screen.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

_STYLE = {"axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 110, "font.size": 9}


def _figure(rows: int = 1, cols: int = 1, size=(6.4, 3.6), **kw):
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(rows, cols, figsize=size, layout="constrained", **kw)
    return fig, ax


def weight_trajectory(t_ms, w_target, ts_ms, mean, p1, p99, reward_ms, w_max) -> Figure:
    """The rewarded synapse's weight over time against the population (Izhikevich 2007 Fig. 1d)."""
    fig, ax = _figure()
    minutes = np.asarray(ts_ms) / 60000.0
    ax.fill_between(minutes, p1, p99, color="0.85", label="E→E weights, 1st–99th percentile")
    ax.plot(minutes, mean, color="0.4", lw=1, label="E→E mean")
    ax.plot(np.asarray(t_ms) / 60000.0, w_target, color="C3", lw=1.5, label="rewarded synapse")
    r = np.asarray(reward_ms) / 60000.0
    if r.size:
        ax.plot(r, np.full(r.size, w_max * 1.04), "|", color="C0", ms=4, label="rewards")
    ax.set(xlabel="time (min)", ylabel="synaptic weight", ylim=(0, w_max * 1.08))
    ax.legend(loc="center right", frameon=False, fontsize=8)
    return fig


def weight_histogram(weights, w_target, w_max) -> Figure:
    """Final excitatory weight distribution with the rewarded synapse marked (Fig. 1c)."""
    fig, ax = _figure(size=(5.0, 3.4))
    ax.hist(weights, bins=np.linspace(0, w_max, 81), color="0.6", log=True)
    ax.axvline(w_target, color="C3", lw=2, label=f"rewarded synapse ({w_target:.2f})")
    ax.set(xlabel="synaptic weight", ylabel="number of synapses (log)")
    ax.legend(frameon=False)
    return fig


def raster_dopamine(t_ms, ids, da_t_ms, da, n_exc, window_ms: float) -> Figure:
    """Spike rasters of the first and last window (excitatory grey, inhibitory blue) above the
    dopamine concentration over the whole run."""
    with plt.rc_context(_STYLE):
        fig = plt.figure(figsize=(6.4, 4.8), layout="constrained")
        grid = fig.add_gridspec(2, 2, height_ratios=(3, 1.2))
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])]
        ax_d = fig.add_subplot(grid[1, :])
    t = np.asarray(t_ms)
    ids = np.asarray(ids)
    end = float(np.asarray(da_t_ms).max(initial=0.0)) + 1.0
    for ax, (lo, title) in zip(axes, [(0.0, "first"), (max(0.0, end - window_ms), "last")]):
        sel = (t >= lo) & (t < lo + window_ms)
        exc = sel & (ids < n_exc)
        inh = sel & (ids >= n_exc)
        ax.plot(t[exc] / 1000.0, ids[exc], ",", color="0.3")
        ax.plot(t[inh] / 1000.0, ids[inh], ",", color="C0")
        ax.set(title=f"{title} {window_ms / 1000:g} s", xlabel="time (s)")
    axes[0].set_ylabel("neuron")
    ax_d.plot(np.asarray(da_t_ms) / 60000.0, da, color="C2", lw=0.6)
    ax_d.set(xlabel="time (min)", ylabel="dopamine")
    return fig


_STAGE_TITLES = {"early": "before training (CS1 → US)", "mid": "middle of training (CS1 → US)",
                 "late": "after training (CS1 → US)",
                 "omission": "after training, US omitted", "unexpected": "after training, US with no CS",
                 "cs2": "CS2 → CS1 → US"}


def schultz_panels(data: dict, cs_us_interval_ms: float, max_trials: int = 30) -> Figure:
    """Per training stage: the raster of one DA neuron of the first individual over trials, and
    the PSTH of all DA neurons of all individuals, aligned to CS1 (to the US for unexpected
    rewards): the layout of Schultz, Dayan & Montague 1997, Fig. 1."""
    stages = [s for s in ("early", "mid", "late", "omission", "unexpected", "cs2")
              if f"psth/{s}/cs1_on_ms" in data or (s == "unexpected" and f"psth/{s}/us_on_ms" in data)]
    fig, axes = _figure(len(stages) * 2, 1, size=(5.5, 1.9 * len(stages) + 0.6),
                        gridspec_kw={"height_ratios": [1.2, 1] * len(stages)}, sharex=True)
    axes = np.atleast_1d(axes)
    tab_ind = data.get("trials/individual")
    label = next((k.split("/")[0][len("raster_"):] for k in data if k.startswith("raster_")), None)
    rt = data.get(f"raster_{label}/t_ms", np.zeros(0))
    rn = data.get(f"raster_{label}/neuron", np.zeros(0))
    one = np.sort(rt[rn == 0]) if rn.size else rt  # one neuron, as in single-unit recordings
    for i, stage in enumerate(stages):
        ax_r, ax_p = axes[2 * i], axes[2 * i + 1]
        align = "us_on_ms" if stage == "unexpected" else "cs1_on_ms"
        t, r = data[f"psth/{stage}/{align}_t_ms"], data[f"psth/{stage}/{align}"]
        sel = _stage_rows(data, stage) & (tab_ind == 0) if tab_ind is not None else np.zeros(0, bool)
        onsets = data[f"trials/{align}"][sel] if sel.size else np.zeros(0)
        half = (t[1] - t[0]) / 2
        for row, t0 in enumerate(onsets[:max_trials]):
            lo, hi = np.searchsorted(one, [t0 + t[0] - half, t0 + t[-1] + half])
            ax_r.plot(one[lo:hi] - t0, np.full(hi - lo, row), "|", color="k", ms=2.5, mew=0.6)
        ax_r.set(ylabel="trial", title=_STAGE_TITLES[stage])
        ax_r.title.set_fontsize(8)
        ax_p.bar(t, r, width=t[1] - t[0], color="C3" if stage != "omission" else "C0", alpha=0.8)
        ax_p.set(ylabel="Hz")
        for ax in (ax_r, ax_p):
            if stage == "unexpected":
                ax.axvline(0, color="C2", lw=0.8)
            else:
                ax.axvline(0, color="C1", lw=0.8)
                ax.axvline(cs_us_interval_ms, color="C2", lw=0.8, ls="--" if stage == "omission" else "-")
                if stage == "cs2":
                    ax.axvline(-_cs2_lead(data), color="C4", lw=0.8)
    axes[-1].set_xlabel("ms from CS1 (US for 'no CS'); orange CS1, green US, purple CS2")
    return fig


def _cs2_lead(data: dict) -> float:
    d = data["trials/cs1_on_ms"] - data["trials/cs2_on_ms"]
    d = d[np.isfinite(d)]
    return float(d[0]) if d.size else 0.0


def _stage_rows(data: dict, stage: str) -> np.ndarray:
    key = f"stages/{stage}"
    return np.asarray(data[key], bool) if key in data else np.zeros(data["trials/trial"].size, bool)


def response_learning_curves(data: dict) -> Figure:
    """CS1, CS2 and US responses over trials (mean over individuals, with the range) and the mean
    weights of the two learned paths."""
    fig, (ax, axw) = _figure(2, 1, size=(6.4, 5.0), sharex=True)
    tr, ty, ind = data["trials/trial"], data["trials/type"], data["trials/individual"]
    for col, name, color, types in (("cs1_hz", "CS1", "C1", ("cs_us", "omission", "cs_only", "extinction")),
                                    ("cs2_hz", "CS2", "C4", ("cs_us", "omission", "cs_only", "extinction")),
                                    ("us_hz", "US", "C2", ("cs_us",)), ("expected_us_hz", "omitted US", "C0", ("omission",))):
        sel = np.isin(ty, types) & np.isfinite(data[f"trials/{col}"])
        if not sel.any():
            continue
        x, lo, mid, hi = _binned_over_individuals(tr[sel], ind[sel], data[f"trials/{col}"][sel], 10)
        ax.plot(x, mid, color=color, label=name)
        ax.fill_between(x, lo, hi, color=color, alpha=0.15)
    base = data["trials/baseline_hz"]
    ax.axhline(np.nanmean(base), color="0.5", lw=0.8, ls=":", label="tonic")
    ax.set(ylabel="DA rate in window (Hz)")
    ax.legend(frameon=False, fontsize=7, ncol=5)
    for col, name, color in (("value_w_cs1", "cue CS1 → value", "C1"), ("value_w_cs2", "cue CS2 → value", "C4"),
                             ("strio_w", "chain → striosome", "C0")):
        key = f"trials/{col}"
        if key in data and np.isfinite(data[key]).any():
            x, lo, mid, hi = _binned_over_individuals(tr, ind, data[key], 10)
            axw.plot(x, mid, color=color, label=name)
            axw.fill_between(x, lo, hi, color=color, alpha=0.15)
    axw.set(xlabel="trial", ylabel="mean weight")
    axw.legend(frameon=False, fontsize=7)
    return fig


def _binned_over_individuals(trial, individual, value, width: int):
    """(bin centre, min, mean, max over individuals) of per-individual means in bins of trials."""
    bins = trial // width
    xs, lo, mid, hi = [], [], [], []
    for b in np.unique(bins):
        means = [np.nanmean(value[(bins == b) & (individual == k)]) for k in np.unique(individual[bins == b])]
        means = [m for m in means if np.isfinite(m)]
        if means:
            xs.append(b * width + width / 2)
            lo.append(min(means))
            mid.append(float(np.mean(means)))
            hi.append(max(means))
    return np.array(xs), np.array(lo), np.array(mid), np.array(hi)


def dopamine_trace(data: dict, n_trials: int = 4) -> Figure:
    """Dopamine concentration of each region of the first individual over its first and last
    few trials, with cue and reward times."""
    fig, axes = _figure(1, 2, size=(7.5, 2.8), sharey=True)
    t, conc, names = data["dopamine/t_ms"], data["dopamine/conc"], [str(n) for n in data["dopamine/regions"]]
    cols = [i for i, n in enumerate(names) if n.startswith("i0_")] or list(range(len(names)))
    first = data["trials/individual"] == 0
    starts = data["trials/start_ms"][first]
    if starts.size == 0:
        return fig
    spans = [(max(0.0, starts[0] - 1000), starts[min(n_trials, starts.size - 1)]),
             (starts[max(0, starts.size - n_trials - 1)], t[-1] if t.size else starts[-1] + 5000)]
    for ax, (a, b), title in zip(axes, spans, ("first trials", "last trials")):
        sel = (t >= a) & (t < b)
        for j in cols:
            ax.plot(t[sel] / 1000.0, conc[sel, j], lw=0.8, label=names[j])
        for col, color in (("cs1_on_ms", "C1"), ("cs2_on_ms", "C4"), ("us_on_ms", "C2")):
            x = data[f"trials/{col}"][first]
            x = x[(x >= a) & (x < b)]
            ax.plot(x / 1000.0, np.zeros(x.size), "^", color=color, ms=4)
        ax.set(xlabel="time (s)", title=title)
    axes[0].set_ylabel("DA concentration")
    axes[0].legend(frameon=False, fontsize=7)
    return fig


def probability_responses(metrics: dict) -> Figure:
    """CS, US and omitted-US responses and the sustained CS-US activity against reward
    probability: individuals as dots, the mean as a line (Fiorillo et al. 2003, Fig. 2)."""
    fig, axes = _figure(1, 4, size=(10.0, 2.8))
    ps = metrics["probabilities"]
    for ax, key, title, color in zip(axes, ("cs_hz", "us_hz", "omitted_us_hz", "sustained_minus_baseline_hz"),
                                     ("CS", "US (rewarded)", "expected US (unrewarded)", "sustained CS→US − tonic"),
                                     ("C1", "C2", "C0", "C4")):
        xs, ms = [], []
        for p in ps:
            rows = metrics["individuals"].get(f"p{p:g}", [])
            vals = [r[key] for r in rows if np.isfinite(r[key])]
            ax.plot([p] * len(vals), vals, "o", color=color, alpha=0.35, ms=3)
            if vals:
                xs.append(p)
                ms.append(float(np.mean(vals)))
        ax.plot(xs, ms, "-o", color=color, ms=4)
        base = [r["baseline_hz"] for rows in metrics["individuals"].values() for r in rows]
        if key != "sustained_minus_baseline_hz" and base:
            ax.axhline(float(np.nanmean(base)), color="0.5", lw=0.8, ls=":")
        ax.set(xlabel="reward probability", title=title)
    axes[0].set_ylabel("DA rate (Hz)")
    return fig


def probability_psths(data: dict) -> Figure:
    """PSTHs aligned to CS onset per reward probability, rewarded and unrewarded trials."""
    keys = sorted({k[len("psth/"):].rsplit("_", 1)[0] for k in data if k.startswith("psth/") and not k.endswith("_t_ms")},
                  key=lambda s: float(s[1:]))
    fig, axes = _figure(len(keys), 1, size=(5.5, 1.3 * len(keys) + 0.6), sharex=True, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, lab in zip(axes, keys):
        for kind, color in (("rewarded", "C3"), ("unrewarded", "C0")):
            k = f"psth/{lab}_{kind}"
            if k in data:
                ax.plot(data[k + "_t_ms"], data[k], color=color, lw=1, label=kind)
        ax.set(ylabel=f"p = {lab[1:]}")
        ax.axvline(0, color="C1", lw=0.8)
        ax.axvline(1000, color="C2", lw=0.8, ls="--")
    axes[0].legend(frameon=False, fontsize=7)
    axes[-1].set_xlabel("time from CS onset (ms); dashed: US time")
    return fig


def motivation_switch(data: dict, n_train: int, before: int = 20) -> Figure:
    """Cue-evoked DA response (response minus tonic rate) over the trials around the change of
    motivational state, per condition (mean and individuals), with the cue -> value weight."""
    fig, (ax, axw) = _figure(2, 1, size=(6.0, 4.6), sharex=True)
    tr, ind, cond = data["trials/trial"], data["trials/individual"], data["trials/condition"]
    evoked = data["trials/cs1_hz"] - data["trials/baseline_hz"]
    for j, c in enumerate(sorted(set(cond.tolist()))):
        color = {"raised": "C3", "lowered": "C0", "unchanged": "0.4"}.get(c, f"C{j}")
        rows = []
        for k in np.unique(ind[cond == c]):
            sel = (ind == k) & (tr >= n_train - before)
            ax.plot(tr[sel], evoked[sel], color=color, alpha=0.25, lw=0.7)
            axw.plot(tr[sel], data["trials/value_w_cs1"][sel], color=color, alpha=0.5, lw=0.8)
            rows.append((tr[sel], evoked[sel]))
        if rows:
            x = rows[0][0]
            ax.plot(x, np.mean([r[1][:x.size] for r in rows if r[1].size >= x.size], axis=0), color=color, lw=1.8, label=c)
    for a in (ax, axw):
        a.axvline(n_train - 0.5, color="k", lw=0.8, ls="--")
    ax.set(ylabel="cue-evoked DA (Hz above tonic)")
    ax.legend(frameon=False, fontsize=7)
    axw.set(xlabel="trial (dashed: state switch; CS only from then on)", ylabel="mean cue → value weight")
    return fig


def group_learning_curve(t_ms, s1, mean, p5, p95, onset_ms, group, response) -> Figure:
    """S1's response against the distractors' over time (Izhikevich 2007 Fig. 5b): per bin, S1's
    mean, the distractors' mean and the 5th-95th percentile band of the distractor groups' means;
    S1's single presentations as dots."""
    fig, ax = _figure(size=(6.4, 4.0))
    minutes = np.asarray(t_ms) / 60000.0
    ax.fill_between(minutes, p5, p95, color="0.85", label="distractor groups, 5th–95th percentile")
    ax.plot(minutes, mean, color="0.4", lw=1, label="distractors, mean")
    on, grp, r = np.asarray(onset_ms), np.asarray(group), np.asarray(response)
    sel = grp == 0
    ax.plot(on[sel] / 60000.0, r[sel], ".", color="C3", ms=2.5, alpha=0.4, label="S1, single presentations")
    s1 = np.asarray(s1, float)
    ok = np.isfinite(s1)  # bins without an S1 presentation are bridged
    ax.plot(minutes[ok], s1[ok], color="C3", lw=1.5, label="S1, mean per bin")
    ax.set(xlabel="time (min)", ylabel="evoked spikes (baseline subtracted)")
    _legend_below(ax)
    return fig


def _legend_below(ax) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False, fontsize=8)


def group_response_histogram(final, window_s: float) -> Figure:
    """Mean response of every group over the last assessment window, S1 marked."""
    fig, ax = _figure(size=(5.0, 3.4))
    final = np.asarray(final, float)
    d = final[1:][np.isfinite(final[1:])]
    top = max(float(np.nanmax(final)) if np.isfinite(final).any() else 1.0, 1.0)
    ax.hist(d, bins=np.linspace(min(0.0, float(d.min(initial=0.0))), top * 1.05, 60), color="0.6",
            label="distractor groups")
    if np.isfinite(final[0]):
        ax.axvline(final[0], color="C3", lw=2, label=f"S1 ({final[0]:.1f})")
    ax.set(xlabel=f"mean response over the last {window_s:g} s (evoked spikes)", ylabel="number of groups")
    ax.legend(frameon=False)
    return fig


def group_outgoing_weights(t_ms, s1, mean, p5, p95, reward_ms) -> Figure:
    """Mean weight of the excitatory synapses out of S1's excitatory neurons against the other groups'."""
    fig, ax = _figure(size=(6.4, 4.0))
    minutes = np.asarray(t_ms) / 60000.0
    ax.fill_between(minutes, p5, p95, color="0.85", label="distractor groups, 5th–95th percentile")
    ax.plot(minutes, mean, color="0.4", lw=1, label="distractors, mean")
    ax.plot(minutes, s1, color="C3", lw=1.5, label="S1")
    r = np.asarray(reward_ms) / 60000.0
    if r.size:
        top = float(np.nanmax(np.concatenate([np.asarray(s1, float), np.asarray(p95, float)])))
        ax.plot(r, np.full(r.size, top * 1.05), "|", color="C0", ms=4, label="rewards")
    ax.set(xlabel="time (min)", ylabel="mean outgoing weight")
    _legend_below(ax)
    return fig


# ----------------------------------------------------------------------------- choice experiments
def _trials(data: dict) -> dict:
    return {k[len("trials/"):]: v for k, v in data.items() if k.startswith("trials/")}


def choice_learning_curves(data: dict, conditions, window: int = 20, measure: str = "chose_best",
                           ylabel: str = "P(best option)", vlines=()) -> Figure:
    """Per condition: the cohort's mean of ``measure`` in bins of ``window`` trials, with the
    spread (25th-75th percentile of the individuals) shaded; feedback trials only."""
    tab = _trials(data)
    fig, ax = _figure()
    if not tab:
        return fig
    train = tab["feedback"].astype(bool)
    for cond in conditions:
        sel = train & (tab["condition"] == cond)
        if not sel.any():
            continue
        bins = tab["trial"][sel] // window
        ind = tab["individual"][sel]
        val = tab[measure][sel].astype(float)
        xs, mid, lo, hi = [], [], [], []
        for b in np.unique(bins):
            means = np.array([val[(bins == b) & (ind == k)].mean() for k in np.unique(ind[bins == b])])
            xs.append(b * window + window / 2)
            mid.append(means.mean())
            lo.append(np.percentile(means, 25))
            hi.append(np.percentile(means, 75))
        line, = ax.plot(xs, mid, label=f"{cond} (n={np.unique(ind).size})")
        ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.15)
    for x in vlines:
        ax.axvline(x, color="0.5", lw=0.8, ls="--")
    ax.axhline(0.5, color="0.7", lw=0.6)
    ax.set(xlabel="trial", ylabel=ylabel, ylim=(0, 1))
    ax.legend(frameon=False, fontsize=7)
    return fig


def d1_d2_weights(data: dict, condition: str) -> Figure:
    """Mean corticostriatal weight onto D1 (Go) and D2 (NoGo) neurons of each option's channel
    over trials, averaged over the individuals of ``condition``."""
    tab = _trials(data)
    fig, axes = _figure(1, 2, size=(9.6, 3.6), sharey=True)
    if not tab:
        return fig
    sel = tab["condition"] == condition
    options = sorted({k[len("d1_w_"):] for k in tab if k.startswith("d1_w_")})
    trial = tab["trial"][sel]
    for ax, role, title in ((axes[0], "d1", "D1 (Go)"), (axes[1], "d2", "D2 (NoGo)")):
        for o in options:
            v = tab[f"{role}_w_{o}"][sel]
            uniq = np.unique(trial)
            ax.plot(uniq, [np.nanmean(v[trial == t]) for t in uniq], label=o)
        ax.set(title=f"cortex -> {title}, {condition}", xlabel="trial")
    axes[0].set_ylabel("mean weight")
    axes[0].legend(frameon=False, fontsize=7, ncol=2)
    return fig


def choice_raster(data: dict) -> Figure:
    """Spikes of the first individual around its last recorded choices: D1, D2, GPi, thalamus and
    DA neurons, time from the offer (the decision read-out and outcome times as lines)."""
    roles = ("d1", "d2", "gpi", "thal", "da")
    n_trials = len({k.split("_")[1] for k in data if k.startswith("raster_") and k.endswith("/t_ms")})
    fig, axes = _figure(len(roles), 1, size=(6.4, 8.0), sharex=True)
    for j in range(n_trials):
        for ax, role in zip(axes, roles):
            t = data.get(f"raster_{j}_{role}/t_ms", np.zeros(0))
            n = data.get(f"raster_{j}_{role}/neuron", np.zeros(0))
            ax.plot(t, n + j * 0.15, "|", ms=2, color=f"C{j}")
    for ax, role in zip(axes, roles):
        ax.set_ylabel(role.upper() if role != "thal" else "thalamus")
    axes[-1].set_xlabel("ms from offer")
    return fig


def choose_avoid_bars(per_condition: dict) -> Figure:
    """Choose-A and avoid-B accuracy per condition (mean and SEM over individuals)."""
    fig, ax = _figure()
    conds = list(per_condition)
    x = np.arange(len(conds))
    for off, key, label in ((-0.18, "choose_a", "choose A"), (0.18, "avoid_b", "avoid B")):
        vals = [np.array([r[key] for r in per_condition[c]], float) for c in conds]
        mean = [np.nanmean(v) if v.size else np.nan for v in vals]
        sem = [np.nanstd(v) / np.sqrt(max(np.isfinite(v).sum(), 1)) if v.size else np.nan for v in vals]
        ax.bar(x + off, mean, 0.36, yerr=sem, label=label, capsize=3)
    ax.axhline(0.5, color="0.7", lw=0.6)
    ax.set(xticks=x, xticklabels=conds, ylabel="accuracy on novel pairs", ylim=(0, 1))
    ax.legend(frameon=False, fontsize=7)
    return fig


def two_afc_phase_fractions(per_condition: dict, min_sessions: int) -> Figure:
    """Per condition of the two-afc experiment: each individual's longest one-sided phase (dots)
    and the fraction of individuals whose longest lasts >= ``min_sessions`` sessions (bars)."""
    fig, ax = _figure(size=(5.2, 3.4))
    names = list(per_condition)
    for i, cond in enumerate(names):
        longest = np.asarray(per_condition[cond]["longest_one_sided"], float)
        ax.bar(i, np.mean(longest >= min_sessions) * max(longest.max(initial=1), 1), color="0.85", width=0.6)
        jitter = (np.arange(longest.size) % 7 - 3) * 0.05
        ax.plot(i + jitter, longest, "o", ms=3, color="C0", alpha=0.7)
        ax.text(i, longest.max(initial=0) + 0.5, f"{np.mean(longest >= min_sessions):.0%} >= {min_sessions}",
                ha="center", fontsize=7)
    ax.set_xticks(range(len(names)), names)
    ax.set(ylabel="longest one-sided phase (sessions)",
           title="bar: fraction with a long one-sided phase (scaled to the tallest dot)")
    ax.title.set_fontsize(7)
    return fig


def two_afc_opto_probe(probe: dict) -> Figure:
    """The optogenetic probe: per arm, the change of each dopamine subpopulation's weights (left)
    and of the accuracy on each side (right), mean and individuals, relative to the probe in
    which nothing teaches."""
    fig, (ax_w, ax_a) = _figure(1, 2, size=(8.0, 3.4))
    arms = list(probe["arms"])
    width = 0.25
    for j, sub in enumerate(("left", "right", "shared")):
        vals = [np.asarray(probe["arms"][a][f"weight_change_{sub}"]) for a in arms]
        ax_w.bar(np.arange(len(arms)) + (j - 1) * width, [v.mean() for v in vals], width, label=f"{sub} weights")
    ax_w.set_xticks(range(len(arms)), arms)
    ax_w.set(ylabel="weight change (norm)", title="what each manipulation changes")
    ax_w.legend(frameon=False, fontsize=7)
    for j, side in enumerate(("left", "right")):
        vals = [np.asarray(probe["arms"][a][f"accuracy_change_{side}"]) for a in arms]
        ax_a.bar(np.arange(len(arms)) + (j - 0.5) * width, [v.mean() for v in vals], width,
                 label=f"{side}-grating trials")
    ax_a.axhline(0, color="0.5", lw=0.6)
    ax_a.set_xticks(range(len(arms)), arms)
    ax_a.set(ylabel="change of P(correct)", title="effect on the choices")
    ax_a.legend(frameon=False, fontsize=7)
    return fig


def two_afc_fixed_points(association, fixed_points: dict, longest) -> Figure:
    """The heterogeneous cohort's trajectories in the plane of the two associations (left, right;
    one point per session end), and, for the analysed individuals, the fixed points found (open
    circle saddle, filled stable, x flat), the slow point reached from its longest one-sided phase
    (open diamond) and the learning speed per session. Grey arrows: the direction of the mean-field
    flow on a slice through the first analysed individual's plateau state (its two stimuli's
    first-layer weights scaled; darker is faster)."""
    fig, (ax, ax_s) = _figure(1, 2, size=(9.0, 4.0))
    assoc = np.asarray(association)
    flow = fixed_points.get("flow")
    if flow:
        u, w = np.asarray(flow["rate_left"]), np.asarray(flow["rate_right"])
        norm = np.hypot(u, w)
        ax.quiver(flow["left"], flow["right"], u / np.where(norm > 0, norm, 1), w / np.where(norm > 0, norm, 1),
                  np.log10(np.maximum(norm, 1e-12)), cmap="Greys", alpha=0.6, scale=30, width=0.003, zorder=0)
    for k in range(assoc.shape[0]):
        ax.plot(assoc[k, :, 0], assoc[k, :, 1], color="0.75", lw=0.6, zorder=1)
    marker = {"saddle": dict(marker="o", mfc="none"), "stable": dict(marker="o"), "flat": dict(marker="x"),
              "unstable": dict(marker="^", mfc="none")}
    for i, row in enumerate(fixed_points["individuals"]):
        k, color = row["individual"], f"C{i % 10}"
        ax.plot(assoc[k, :, 0], assoc[k, :, 1], "-", color=color, lw=1.2, zorder=2,
                label=f"individual {k} (longest one-sided {longest[k]})")
        ax.annotate("", xy=assoc[k, -1], xytext=assoc[k, -2], arrowprops=dict(arrowstyle="->", color=color))
        for f in row["fixed_points"]:
            ax.plot(*f["association"], ls="none", ms=7, color=color, zorder=3, **marker.get(f["kind"], {}))
        for sp in row.get("slow_points", []):
            ax.plot(*sp["association"], ls="none", marker="D", ms=5, mfc="none", color=color, zorder=3)
        ax_s.semilogy(np.arange(1, len(row["speed"]) + 1), row["speed"], color=color)
        one_sided = [j + 1 for j, lab in enumerate(row["labels"]) if lab in ("left_only", "right_only")]
        ax_s.plot(one_sided, [row["speed"][j - 1] for j in one_sided if j - 1 < len(row["speed"])], "s", ms=3, color=color)
    ax.axhline(0, color="0.5", lw=0.5)
    ax.axvline(0, color="0.5", lw=0.5)
    ax.set(xlabel="left association (logit per unit contrast)", ylabel="right association",
           title="trajectories, fixed points (o saddle, ● stable, x flat), slow points (◇)")
    ax.title.set_fontsize(8)
    ax.legend(frameon=False, fontsize=6)
    ax_s.set(xlabel="session", ylabel="learning speed |F| / learning rate", title="speed; squares: one-sided sessions")
    ax_s.title.set_fontsize(8)
    return fig
