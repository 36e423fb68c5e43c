"""Configurations from TOML files, `dopaspike config`, and `run --dry-run`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dopaspike.cli import app
from dopaspike.config import build_config, load_toml, parse_overrides, resolve_config
from dopaspike.config_doc import field_rows, to_toml
from dopaspike.core.errors import ConfigError
from dopaspike.experiments import get

runner = CliRunner()
EXP = get("distal-reward")
MODEL = EXP.config_model


def dry_run(*args: str) -> dict:
    res = runner.invoke(app, ["run", "distal-reward", *args, "--dry-run", "--no-progress"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_precedence_defaults_then_file_then_set(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('experiment = "distal-reward"\nseed = 5\nduration_s = 30.0\nn_targets = 50\ncontrol = "shuffled"\n')
    got = dry_run("--quick", "--config", str(f), "--set", "duration_s=20")
    quick = EXP.quick().model_dump()
    assert got["duration_s"] == 20.0  # --set beats the file
    assert got["n_targets"] == 50 and got["control"] == "shuffled"  # the file beats the quick variant
    untouched = {k: v for k, v in quick.items() if k not in ("duration_s", "n_targets", "control")}
    assert {k: got[k] for k in untouched} == untouched  # the rest is the quick variant's
    assert got["seed"] == 5 and got["quick"] is True and got["experiment"] == "distal-reward"
    assert dry_run("--config", str(f), "--seed", "0")["seed"] == 0  # an explicit --seed (even 0) beats the file
    assert dry_run("--set", "duration_s=20")["seed"] == 0  # neither: 0


@pytest.mark.parametrize("args", [[], ["--quick"], ["--set", "control=no_reward", "--set", "n_exc=500"]])
def test_config_toml_round_trips_through_run_config(tmp_path, args):
    res = runner.invoke(app, ["config", "distal-reward", *args, "--toml"])
    assert res.exit_code == 0, res.output
    f = tmp_path / "c.toml"
    f.write_text(res.stdout)
    got = dry_run("--config", str(f))
    base = EXP.quick() if "--quick" in args else EXP.default()
    sets = [a for a in args if "=" in a]
    expected = build_config(MODEL, base, parse_overrides(sets)).model_dump()
    assert {k: got[k] for k in expected} == expected  # exact, floats included (e.g. tau_c_ms)
    assert set(got) == {"experiment", "seed", "quick", *expected}


def test_to_toml_is_read_back_by_load_toml(tmp_path):
    cfg = build_config(MODEL, EXP.default(), {"duration_s": 12.5, "plasticity": "sweep"})
    f = tmp_path / "c.toml"
    f.write_text(to_toml(cfg, experiment="distal-reward", title="two\nlines"))
    data = load_toml(f, MODEL)
    assert data.pop("experiment") == "distal-reward"
    assert MODEL.model_validate(data) == cfg


BAD_FILES = [  # (content, field named by the error, words in the error)
    ("duration_s = \n", "--config", ["line 1, column 14"]),
    ('duration_s = 10.0\ncontrol = "none\n', "--config", ["line 2"]),
    ("duraton_s = 3\n", "c.toml: duraton_s", ["did you mean 'duration_s'"]),
    ("[network]\nn_exc = 100\n", "c.toml: [network]", ["top level"]),
    ("duration_s = { value = 3 }\n", "c.toml: [duration_s]", ["top level"]),
    ('experiment = "distal-rewards"\n', "c.toml: experiment", ["'distal-reward'"]),
    ("experiment = 3\n", "c.toml: experiment", ["string"]),
    ("seed = -1\n", "c.toml: seed", [">= 0"]),
    ("seed = 1.5\n", "c.toml: seed", [">= 0"]),
    ("seed = true\n", "c.toml: seed", [">= 0"]),
    ('duration_s = "long"\n', "c.toml: duration_s", []),
    ("duration_s = -3.0\n", "c.toml: duration_s", ["> 0"]),
    ("duration_s = nan\n", "c.toml: duration_s", []),
    ("n_exc = 2.5\n", "c.toml: n_exc", []),
    ('control = "maybe"\n', "c.toml: control", ["no_reward"]),
    ("reward_delay_max_ms = 500.0\n", "c.toml: reward_delay_max_ms", ["reward_delay_min_ms"]),
]


@pytest.mark.parametrize(("content", "field", "words"), BAD_FILES)
def test_bad_toml_is_refused_naming_the_field(tmp_path, monkeypatch, content, field, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text(content)
    with pytest.raises(ConfigError) as info:
        resolve_config(MODEL, EXP.default(), experiment="distal-reward", toml="c.toml")
    assert info.value.field == field
    for w in words:
        assert w in str(info.value)
    res = runner.invoke(app, ["run", "distal-reward", "--config", "c.toml", "--out", "out", "--no-progress"])
    assert res.exit_code == 2 and "error:" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_unreadable_files_are_refused(tmp_path):
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00duration_s")
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "huge.toml").write_text("n_exc = " + "9" * 5000 + "\n")
    for name, words in [("missing.toml", "no such file"), ("binary.toml", "UTF-8"), ("folder.toml", "folder"),
                        ("huge.toml", "valid TOML")]:
        with pytest.raises(ConfigError, match=words) as info:
            load_toml(tmp_path / name, MODEL)
        assert info.value.field == "--config"


def test_cross_field_error_names_a_field_and_its_value():
    with pytest.raises(ConfigError) as info:
        build_config(MODEL, EXP.default(), parse_overrides(["reward_delay_max_ms=500"]))
    assert info.value.field == "reward_delay_max_ms" and info.value.value == 500.0
    assert "reward_delay_min_ms" in str(info.value)


def test_override_values_that_are_not_json_stay_strings():
    assert parse_overrides(["a=" + "9" * 5000, "b=" + "[" * 100_000, "c=NaN"])["a"] == "9" * 5000
    with pytest.raises(ConfigError) as info:
        build_config(MODEL, EXP.default(), parse_overrides(["n_exc=" + "9" * 5000]))
    assert info.value.field == "n_exc"


def test_dry_run_writes_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["run", "distal-reward", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["duration_s"] == EXP.default().duration_s
    res = runner.invoke(app, ["run", "distal-reward", "--dry-run", "--out", "a/b"])
    assert res.exit_code == 0
    assert list(tmp_path.iterdir()) == []  # no default runs/ folder, no --out folder, no partial folder


def test_dry_run_still_checks_the_destination(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    for out in (tmp_path, tmp_path / "keep.txt", tmp_path / "keep.txt" / "sub"):
        res = runner.invoke(app, ["run", "distal-reward", "--dry-run", "--out", str(out)])
        assert res.exit_code == 2 and "--out" in res.output, res.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_config_table_shows_types_values_ranges_and_choices():
    rows = {r.name: r for r in field_rows(EXP.quick())}
    assert list(rows) == list(MODEL.model_fields)
    assert rows["duration_s"].allowed == "> 0, <= 1000000" and rows["duration_s"].type == "float"
    assert rows["n_exc"].type == "int" and rows["n_exc"].allowed.startswith(">= 2")
    assert rows["control"].type == "choice" and "'short_eligibility'" in rows["control"].allowed
    assert rows["duration_s"].value == EXP.quick().duration_s != EXP.default().duration_s
    for quick in (False, True):
        res = runner.invoke(app, ["config", "distal-reward", *(["--quick"] if quick else [])])
        assert res.exit_code == 0, res.output
        line = next(ln for ln in res.stdout.splitlines() if " duration_s " in ln)
        value = (EXP.quick() if quick else EXP.default()).duration_s
        assert str(value) in line and "model time" in line
        assert ("quick value" in res.stdout) == quick
        for name in MODEL.model_fields:
            assert name in res.stdout


def test_config_command_refuses_bad_input():
    for args in (["config", "distal-rewrd"], ["config", "distal-reward", "--set", "n_exc=-1"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2 and "error:" in res.output and "Traceback" not in res.output
