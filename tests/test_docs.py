"""The documentation site builds cleanly and keeps up with the code: every experiment has its
page in the navigation with every config field, every command and option of the command line
is documented, every example is on the examples page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from dopaspike.cli import app
from dopaspike.experiments import all_experiments


def _package_experiments():
    """The package's experiments (a test module may register its own, e.g. tests/test_cohort.py)."""
    return [e for e in all_experiments() if e.start.__module__.startswith("dopaspike.")]

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CONFIG = ROOT / "mkdocs.yml"

pytestmark = pytest.mark.skipif(not CONFIG.exists(), reason="mkdocs.yml not beside the tests (installed package)")


def _nav_files() -> list[str]:
    """Every page named in mkdocs.yml's nav (read with PyYAML, ignoring mkdocs' own YAML tags)."""
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read mkdocs.yml (pip install '.[docs]')")

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    nav = yaml.load(CONFIG.read_text(), Loader=Loader)["nav"]
    files: list[str] = []

    def walk(item) -> None:
        if isinstance(item, str):
            files.append(item)
        elif isinstance(item, list):
            for x in item:
                walk(x)
        elif isinstance(item, dict):
            for x in item.values():
                walk(x)

    walk(nav)
    return files


def _section(text: str, heading: str) -> str:
    """The text of a level-2 section, from its heading to the next level-2 heading."""
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end < 0 else text[start:end]


def test_site_builds_strict(tmp_path):
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason="the docs extra is not installed (pip install '.[docs]')")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(CONFIG), "-d", str(site)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    # the API reference was generated from the docstrings, not left as ::: directives
    network = (site / "api" / "network" / "index.html").read_text()
    assert "add_population" in network and ":::" not in network
    # the examples page holds each script's source (snippets resolved)
    examples = (site / "examples" / "index.html").read_text()
    for script in sorted((ROOT / "examples").glob("*.py")):
        first_line = script.read_text().split('"""')[1].strip().splitlines()[0]
        assert first_line.split(":")[0] in examples, script.name
    for exp in _package_experiments():
        assert (site / "experiments" / exp.name / "index.html").is_file()


def test_every_experiment_has_a_page_in_the_nav():
    nav = _nav_files()
    for page in nav:
        assert (DOCS / page).is_file(), f"the nav names {page}, which does not exist"
    for exp in _package_experiments():
        page = f"experiments/{exp.name}.md"
        assert (DOCS / page).is_file(), f"experiment {exp.name} has no page docs/{page}"
        assert page in nav, f"docs/{page} is not in mkdocs.yml's nav"


def test_every_config_field_is_on_its_experiment_page():
    """Fields of the circuits, which several experiments share, are documented once on the
    circuit's page; every other field on its experiment's page."""
    from dopaspike.experiments.avoidance import AGENT_FIELDS
    from dopaspike.experiments.avoidance import CIRCUIT_FIELDS as AVERSIVE_FIELDS
    from dopaspike.experiments.choice import ChoiceConfig
    from dopaspike.experiments.conditioning import CIRCUIT_FIELDS
    from dopaspike.experiments.two_afc import NETWORK_FIELDS

    choice_fields = tuple(f for f in ChoiceConfig.model_fields if f not in CIRCUIT_FIELDS)  # actor and choice sessions
    for page, fields in (("prediction-error.md", CIRCUIT_FIELDS), ("basal-ganglia.md", choice_fields),
                         ("two-afc-network.md", NETWORK_FIELDS), ("aversive-dopamine.md", AVERSIVE_FIELDS + AGENT_FIELDS)):
        circuit_text = (DOCS / "circuits" / page).read_text()
        missing = [f for f in fields if f"`{f}`" not in circuit_text]
        assert not missing, f"docs/circuits/{page} does not mention {missing}"
    shared = (set(CIRCUIT_FIELDS) | set(choice_fields) | set(NETWORK_FIELDS) | set(AVERSIVE_FIELDS)
              | set(AGENT_FIELDS)) - {"conditions"}  # each has its own conditions
    for exp in _package_experiments():
        text = (DOCS / "experiments" / f"{exp.name}.md").read_text()
        missing = [f for f in exp.config_model.model_fields if f"`{f}`" not in text and f not in shared]
        assert not missing, f"docs/experiments/{exp.name}.md does not mention {missing}"


def test_every_command_and_option_is_documented():
    text = (DOCS / "guide" / "cli.md").read_text()
    group = typer.main.get_command(app)
    assert group.commands, "no commands registered"
    for name, command in group.commands.items():
        heading = f"## `dopaspike {name}`"
        assert heading in text, f"docs/guide/cli.md has no section {heading!r}"
        section = _section(text, heading)
        for param in command.params:
            if param.param_type_name != "option" or "--help" in param.opts:
                continue
            flag = max(param.opts, key=len)  # the long name
            assert re.search(rf"`{re.escape(flag)}\b", section), f"dopaspike {name}: {flag} is not documented"


def test_every_example_is_on_the_examples_page():
    text = (DOCS / "examples.md").read_text()
    scripts = sorted((ROOT / "examples").glob("*.py"))
    assert scripts, "no examples"
    for script in scripts:
        assert f'--8<-- "examples/{script.name}"' in text, f"docs/examples.md does not include {script.name}"


def test_concepts_page_example_runs():
    """The network built at the top of the Concepts page runs as printed."""
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "guide" / "concepts.md").read_text(), re.S)
    assert blocks, "the Concepts page has no python example"
    namespace: dict = {}
    exec(compile(blocks[0], "docs/guide/concepts.md", "exec"), namespace)  # noqa: S102
    assert namespace["sim"].t_ms == 1000.0
