"""``dopaspike config NAME``: an experiment's configuration fields, as a table or a TOML file."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ..core.errors import ConfigError
from .app import app, fail_bad_input
from .app import out as stdout


@app.command("config")
def show_config(
    name: Annotated[str, typer.Argument(help="experiment name (see `dopaspike list`)")],
    quick: Annotated[bool, typer.Option("--quick", help="show the quick variant's values")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a config value: key=value (repeatable)")] = None,
    toml: Annotated[bool, typer.Option("--toml", help="print a TOML file that `dopaspike run NAME --config FILE` accepts")]
    = False,
) -> None:
    """Show an experiment's configuration: each field's type, value, allowed range and meaning.

    The values are the defaults (with --quick, the quick variant's), updated by any --set.

    Examples:

      dopaspike config distal-reward

      dopaspike config distal-reward --quick --toml > quick.toml

      dopaspike run distal-reward --config quick.toml --set duration_s=60
    """
    from ..config import build_config, parse_overrides
    from ..config_doc import field_rows, to_toml
    from ..experiments import get

    try:
        exp = get(name)
        base = exp.quick() if quick else exp.default()
        cfg = build_config(exp.config_model, base, parse_overrides(set_ or []))
    except ConfigError as err:
        raise fail_bad_input(err) from None
    if toml:
        variant = "quick variant" if quick else "defaults"
        title = (f"dopaspike {exp.name} configuration ({variant}{', with --set' if set_ else ''})\n"
                 f"use with: dopaspike run {exp.name} --config FILE  (--set on the command line overrides it)")
        typer.echo(to_toml(cfg, experiment=exp.name, title=title), nl=False)
        return
    value_col = "value" if set_ else "quick value" if quick else "default"
    rows = field_rows(cfg)
    table = Table(title=f"{exp.name} configuration")
    table.add_column("name", no_wrap=True, min_width=max(len(r.name) for r in rows))  # names stay whole
    table.add_column("type", no_wrap=True)
    table.add_column(value_col, overflow="fold")
    table.add_column("allowed", overflow="fold")
    table.add_column("description")
    for row in rows:
        value = repr(row.value) if isinstance(row.value, str) else str(row.value)
        table.add_row(*(Text(x) for x in (row.name, row.type, value, row.allowed, row.description)))
    stdout.print(table)
