"""``dopaspike compare two-afc``: learning strategies of a simulated cohort against mice."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..core.errors import ConfigError
from .app import app, console, fail_bad_input
from .app import out as stdout

#: What can be compared, with the data set each is compared with.
COMPARISONS = {"two-afc": "mice learning a 2-alternative visual decision task (Liebana et al. 2025, Cell 188:3789)"}


@app.command()
def compare(
    name: Annotated[str, typer.Argument(metavar="NAME", help="what to compare: two-afc")],
    mice: Annotated[Path, typer.Option(
        help="folder of the mice's CSV files (DAPxxx.csv: session, signed_contrast, choice_right, response_time_s)")],
    sim: Annotated[Path | None, typer.Option(
        help="simulated cohort: a cohort folder holding table.csv, or a run folder holding data.h5 with trials/; "
             "omitted: the mice alone")] = None,
    condition: Annotated[str | None, typer.Option(
        help="the condition of the simulated table to compare (required when it has several)")] = None,
    out: Annotated[Path | None, typer.Option(
        help="folder to create (default: ROOT/compare/two-afc-TIME; ROOT is $DOPASPIKE_RUNS, else runs)")] = None,
) -> None:
    """Compare the learning strategies of a simulated cohort with those of mice (Liebana et al.
    2025): per session, the accuracy on each side, a psychometric fit and a strategy label
    (both sides learned, one side only, other); per individual, its one-sided phases, sessions
    to criterion and early and late side; per cohort, their distributions, with tests between
    the two cohorts.

    Writes OUT/summary.json (both summaries and the tests), the session, phase and individual
    tables as CSV and the figures as PNG; prints the key numbers.

    Examples:

      dopaspike compare two-afc --mice ../shared/data/liebana2025

      dopaspike compare two-afc --mice ../shared/data/liebana2025 --sim runs/cohort/two-afc --out cmp

      dopaspike compare two-afc --mice ../shared/data/liebana2025 --sim runs/two-afc/RUN --condition heterogeneous
    """
    from ..analysis.strategy import compare_folder, read_trial_table
    from ..datasets.liebana2025 import load_mice
    from ..runindex import default_root
    from ..store import check_destination

    try:
        if name not in COMPARISONS:
            raise ConfigError("NAME", name, "one of " + ", ".join(COMPARISONS))
        dest = out if out is not None else default_root() / "compare" / f"{name}-{dt.datetime.now():%Y%m%d-%H%M%S-%f}"
        check_destination(dest)
        mice_table = load_mice(mice, field="--mice")
        sim_table = read_trial_table(sim, field="--sim") if sim is not None else None
        if condition is not None and sim_table is None:
            raise ConfigError("--condition", condition, "used with --sim")
        if sim_table is not None and "condition" in sim_table.columns:
            present = sorted(sim_table["condition"].astype(str).unique())
            if condition is None and len(present) > 1:
                raise ConfigError("--condition", None, "one of the simulated table's conditions: " + ", ".join(present))
            if condition is not None:
                if condition not in present:
                    raise ConfigError("--condition", condition, "one of " + ", ".join(present))
                sim_table = sim_table[sim_table["condition"].astype(str) == condition].reset_index(drop=True)
    except ConfigError as err:
        raise fail_bad_input(err) from None
    console.print(f"analysing {mice_table['individual'].nunique()} mice"
                  + (f" and {sim_table['individual'].nunique()} simulated individuals" if sim_table is not None else ""),
                  markup=False, highlight=False)
    sources = {"mice": str(mice), **({"sim": str(sim)} if sim is not None else {})}
    summary = compare_folder(dest, mice_table, sim_table, sources=sources)
    stdout.print(_table(summary))
    stdout.print(str(dest), markup=False, highlight=False, soft_wrap=True)


def _table(summary: dict) -> Table:
    """The key numbers: one row each, a column per cohort, and the test's p where there is one."""
    cohorts = [c for c in ("mice", "sim") if c in summary]
    table = Table("measure", *cohorts, *(["p (sim vs mice)"] if "comparison" in summary else []))
    cmp = summary.get("comparison", {})
    rows = [
        ("individuals", lambda s: f"{s['n_individuals']}", None),
        ("with a one-sided phase", lambda s: f"{s['n_one_sided']}/{s['n_individuals']}",
         ("fraction_one_sided", "fisher_p")),
        ("reaching both sides", lambda s: f"{s['n_both']}/{s['n_individuals']}", ("fraction_both", "fisher_p")),
        ("median sessions to criterion", lambda s: _num(s["median_sessions_to_criterion"]),
         ("sessions_to_criterion", "mannwhitney_p")),
        ("Kaplan-Meier median sessions to criterion",
         lambda s: _num(s["km_median_sessions_to_criterion"]), ("time_to_criterion", "logrank_p")),
        ("median longest one-sided phase", lambda s: _num(s["median_longest_one_sided"]),
         ("longest_one_sided", "mannwhitney_p")),
        ("median one-sided phase", lambda s: _num(s["median_one_sided_duration"]), ("one_sided_durations", "mannwhitney_p")),
        ("early vs later asymmetry (Spearman rho)", lambda s: f"{_num(s['early_late']['rho'], 2)} "
                                                              f"(p={_num(s['early_late']['p'], 3)}, n={s['early_late']['n']})",
         ("early_late", "p")),
    ]
    for label, show, test in rows:
        cells = [show(summary[c]) for c in cohorts]
        if cmp:
            cells.append(_num(cmp[test[0]][test[1]], 3) if test else "")
        table.add_row(label, *cells)
    return table


def _num(x, digits: int = 1) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}" if digits > 1 else f"{x:g}"
