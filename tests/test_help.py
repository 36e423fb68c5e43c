"""Every command's --help shows at least one example."""

from __future__ import annotations

import click
import pytest
import typer
from typer.testing import CliRunner

from dopaspike.cli import app

runner = CliRunner()


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the app, subcommands of command groups included."""
    out = []
    for name, cmd in group.commands.items():
        out.append((*path, name))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, (*path, name))
    return out


COMMANDS = _commands(typer.main.get_command(app))


def test_the_app_has_the_commands_users_are_told_about():
    assert {("list",), ("run",), ("config",), ("bench",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_shows_an_example(path):
    res = runner.invoke(app, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert "Example" in res.output, f"`dopaspike {' '.join(path)} --help` has no example"
