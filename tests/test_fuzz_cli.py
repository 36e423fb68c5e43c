"""Fuzzed command-line input: malformed keys, values, TOML files, seeds and destinations.

Whatever is typed, the CLI must answer exit 2 with an ``error:`` naming the field (or exit 0
under ``--dry-run`` when the input is in fact valid), never a traceback, and never leave a run
folder or a partial folder behind. Which answer is right is decided by the library's own
validation (``parse_overrides``/``build_config``, ``resolve_config``, ``check_destination``),
never by the CLI's output. ``--dry-run`` keeps valid inputs from starting simulations.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import typing
from pathlib import Path

import tomli_w
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from typer.testing import CliRunner

from dopaspike import store
from dopaspike.cli import app
from dopaspike.config import build_config, parse_overrides, resolve_config
from dopaspike.core.errors import ConfigError
from dopaspike.experiments import get

runner = CliRunner()
EXP = get("distal-reward")
MODEL = EXP.config_model
FIELDS = list(MODEL.model_fields)
FUZZ = settings(max_examples=150, deadline=None)

# --- strategies --------------------------------------------------------------------------------

ALPHABET = "abcdefghijklmnopqrstuvwxyz_0123456789"


@st.composite
def near_miss(draw) -> str:
    """A real key with one typo: a deletion, insertion, substitution or swap."""
    key = draw(st.sampled_from(FIELDS))
    i = draw(st.integers(0, len(key) - 1))
    c = draw(st.sampled_from(ALPHABET))
    kind = draw(st.sampled_from(["delete", "insert", "replace", "swap", "case"]))
    if kind == "delete":
        return key[:i] + key[i + 1:]
    if kind == "insert":
        return key[:i] + c + key[i:]
    if kind == "replace":
        return key[:i] + c + key[i + 1:]
    if kind == "swap" and i + 1 < len(key):
        return key[:i] + key[i + 1] + key[i] + key[i + 2:]
    return key.upper()


@st.composite
def unit_mistake(draw) -> str:
    """A real key with the wrong unit suffix: duration_ms for duration_s, tau_c_s for tau_c_ms..."""
    key = draw(st.sampled_from([f for f in FIELDS if f.endswith(("_s", "_ms"))]))
    stem = key.rsplit("_", 1)[0]
    return stem + draw(st.sampled_from(["_ms", "_s", "_sec", "_seconds", "_us", "_min", "_hz", "", "_S", "ms"]))


KEYS = st.one_of(
    st.sampled_from(FIELDS),
    near_miss(),
    unit_mistake(),
    st.text(max_size=20).filter(lambda k: "=" not in k),  # random unicode
)

JSON_FRAGMENTS = ["", " ", "true", "false", "null", "None", "NaN", "-NaN", "nan", "Infinity", "-Infinity", "inf", "-inf",
                  "1e999", "-1e999", "1e-999", "[1, 2]", "[]", "{}", '{"a": 1}', '"quoted"', "'single'", "[1,", '{"a":',
                  "]]", "1_000", "0x10", "1,5", "3 s", "20ms", "1.0.0", "--", "\x00", "exact",
                  "sweep", "none", "no_reward", "shuffled", "short_eligibility", "Shuffled", "no-reward"]
VALUES = st.one_of(
    st.sampled_from(JSON_FRAGMENTS),
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-1e7, 1e7).map(lambda x: f"{x:.6g}"),
    st.integers(-5, 5000).map(str),
    st.lists(st.integers(-5, 5), max_size=3).map(json.dumps),
    st.text(max_size=20),
    st.integers(1, 6000).map(lambda n: "9" * n),  # past Python's 4300-digit limit on int() from text
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),  # past the JSON parser's nesting limit
)


@st.composite
def plausible(draw) -> tuple[str, object]:
    """A real key with a value near its default (or one of its choices): often, not always, valid."""
    key = draw(st.sampled_from(FIELDS))
    default = getattr(EXP.default(), key)
    if isinstance(default, str):
        return key, draw(st.sampled_from(typing.get_args(MODEL.model_fields[key].annotation)))
    value = default * draw(st.sampled_from([0.5, 0.9, 1.0, 1.1, 2.0]))
    return key, int(value) if isinstance(default, int) else value


PAIRS = st.one_of(st.tuples(KEYS, VALUES).map(lambda kv: f"{kv[0]}={kv[1]}"), st.text(max_size=20),
                  plausible().map(lambda kv: f"{kv[0]}={json.dumps(kv[1])}"))

toml_scalar = st.one_of(
    st.integers(-10**18, 10**18), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.text(max_size=10),
    st.datetimes(), st.dates(), st.sampled_from(["none", "shuffled", "exact", "sweep", "distal-reward"]),
)
toml_value = st.recursive(toml_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                               st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                          max_leaves=6)
TOML_DOCS = st.dictionaries(st.one_of(KEYS, st.sampled_from(["experiment", "seed"])), toml_value, max_size=5)


@st.composite
def toml_bytes(draw) -> bytes:
    """Random bytes, random text, valid TOML of random content, or valid TOML broken at a random place."""
    kind = draw(st.sampled_from(["bytes", "text", "random", "plausible", "broken", "extreme"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "extreme":  # past the parser's nesting limit or Python's 4300-digit limit on int() from text
        n = draw(st.integers(1, 6000))
        key = draw(st.sampled_from(FIELDS))
        return draw(st.sampled_from([f"{key} = {'[' * n}{']' * n}", f"{key} = {'9' * n}", f"{key} = {{{'a = {' * n}"])).encode()
    if kind == "text":
        return draw(st.text(max_size=200)).encode("utf-8")
    if kind == "plausible":
        doc = dict(draw(st.lists(plausible(), max_size=4)))
        doc |= draw(st.fixed_dictionaries({}, optional={"experiment": st.just("distal-reward"), "seed": st.integers(0, 99)}))
        return tomli_w.dumps(doc).encode("utf-8")
    text = tomli_w.dumps(draw(TOML_DOCS))
    if kind == "broken" and text:
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(["=", "[", "]", '"', "\n=", "{", "'''", "= =", "\\"])) + text[i:]
    return text.encode("utf-8")


# --- what every answer must satisfy -------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check_answer(res, expected_error: ConfigError | None, *, field: str | None = None) -> None:
    """Exit 0 and the resolved config when valid; else exit 2 with an error naming the field."""
    event("valid" if res.exit_code == 0 else "refused")  # --hypothesis-show-statistics shows the mix
    assert "Traceback" not in res.output and "Traceback" not in res.stderr
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    if expected_error is None:
        assert res.exit_code == 0, res.output
        return
    assert res.exit_code == 2, res.output
    assert "error" in res.output.lower()
    name = field if field is not None else expected_error.field
    if name.isprintable():  # control characters may be shown differently; the rest must appear as typed
        assert _squash(name) in _squash(res.output), (name, res.output)


def library_error(fn, *args, **kwargs) -> ConfigError | None:
    try:
        fn(*args, **kwargs)
    except ConfigError as err:
        return err
    return None


class Sandbox:
    """A temporary folder whose contents must not change, except where a test allows it."""

    def __enter__(self) -> Path:
        self._tmp = tempfile.TemporaryDirectory()
        self.path = Path(self._tmp.name)
        (self.path / "full").mkdir()
        (self.path / "full" / "keep.txt").write_text("mine")
        (self.path / "empty").mkdir()
        (self.path / "a_file").write_text("not a folder")
        self.before = self.snapshot()
        return self.path

    def snapshot(self) -> list[str]:
        return sorted(str(p.relative_to(self.path)) for p in self.path.rglob("*"))

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                assert self.snapshot() == self.before  # no run folder, no partial folder, nothing else
                assert (self.path / "full" / "keep.txt").read_text() == "mine"
        finally:
            self._tmp.cleanup()


def dry_run(sandbox: Path, *args: str):
    return runner.invoke(app, ["run", "distal-reward", *args, "--out", str(sandbox / "new"), "--dry-run", "--no-progress"])


# --- the tests ----------------------------------------------------------------------------------


@FUZZ
@given(pairs=st.lists(PAIRS, min_size=1, max_size=3), quick=st.booleans())
def test_fuzzed_set_overrides(pairs, quick):
    base = EXP.quick() if quick else EXP.default()
    expected = library_error(lambda: build_config(MODEL, base, parse_overrides(pairs)))
    args = [f"--set={p}" for p in pairs] + (["--quick"] if quick else [])
    with Sandbox() as box:
        res = dry_run(box, *args)
        check_answer(res, expected)
        if expected is None:
            got = json.loads(res.stdout)
            assert {k: got[k] for k in FIELDS} == build_config(MODEL, base, parse_overrides(pairs)).model_dump()
        check_answer(runner.invoke(app, ["config", "distal-reward", *args, "--toml"]), expected)


@FUZZ
@given(content=toml_bytes(), sets=st.lists(PAIRS, max_size=1), seed=st.one_of(st.none(), st.integers(0, 10)))
def test_fuzzed_toml_files(content, sets, seed):
    with Sandbox() as box:
        path = box.parent / f"{box.name}.toml"  # beside the sandbox, so the sandbox stays as it was
        path.write_bytes(content)
        try:
            expected = library_error(resolve_config, MODEL, EXP.default(), experiment="distal-reward", toml=path,
                                     overrides=sets, seed=seed)
            seed_args = [] if seed is None else ["--seed", str(seed)]
            res = dry_run(box, "--config", str(path), *[f"--set={p}" for p in sets], *seed_args)
            check_answer(res, expected)
            if expected is None:
                cfg, resolved_seed = resolve_config(MODEL, EXP.default(), experiment="distal-reward", toml=path,
                                                    overrides=sets, seed=seed)
                got = json.loads(res.stdout)
                assert {k: got[k] for k in FIELDS} == cfg.model_dump() and got["seed"] == resolved_seed
        finally:
            path.unlink()


@FUZZ
@given(seed=st.one_of(st.integers(-10**6, 10**30).map(str), st.floats(allow_nan=True).map(repr), st.text(max_size=12),
                      st.sampled_from(["", " 3", "3 ", "1_000", "0x10", "1e3", "-0", "+4", "٣"])))
def test_fuzzed_seed(seed):
    """An integer >= 0 is accepted, anything else refused. Spellings that Python's ``int`` and
    pydantic read differently ('0.0', '1_000', ' 3', Arabic digits) depend on the Typer version
    (older ones convert with ``int``, newer ones with pydantic): either answer is allowed for
    them, but when accepted they must mean the integer both would read."""
    readings = set()
    for read in (int, TypeAdapter(int).validate_python):
        try:
            readings.add(read(seed))
        except (ValueError, ValidationError):
            readings.add(None)
    with Sandbox() as box:
        res = dry_run(box, f"--seed={seed}")
        if len(readings) == 1:
            (value,) = readings
            valid = value is not None and value >= 0
            check_answer(res, None if valid else ConfigError("--seed", seed, ""), field="--seed")
        else:
            check_answer(res, None if res.exit_code == 0 else ConfigError("--seed", seed, ""), field="--seed")
        if res.exit_code == 0:
            assert json.loads(res.stdout)["seed"] in readings - {None}
            assert json.loads(res.stdout)["seed"] >= 0


@FUZZ
@given(where=st.sampled_from(["full", "empty", "a_file", "a_file/sub", "new", "new/deeper", "NUL", "LONG", "RANDOM"]),
       name=st.text(min_size=1, max_size=30))
def test_fuzzed_destination(where, name):
    with Sandbox() as box:
        out = {"NUL": f"{box}/bad\x00name", "LONG": f"{box}/{'x' * 300}", "RANDOM": f"{box}/{name}"}.get(where, f"{box}/{where}")
        expected = library_error(store.check_destination, Path(out))
        res = runner.invoke(app, ["run", "distal-reward", "--quick", "--out", out, "--dry-run", "--no-progress"])
        check_answer(res, expected, field="--out")


@FUZZ
@given(path=st.one_of(st.text(max_size=40), st.sampled_from(["", ".", "/", "/dev/null", "missing.toml", "a\x00b.toml",
                                                             "x" * 300])))
def test_fuzzed_config_path(path):
    cwd = os.getcwd()
    with Sandbox() as box:
        os.chdir(box)  # relative paths land in the sandbox, which holds no TOML file
        try:
            expected = library_error(resolve_config, MODEL, EXP.default(), experiment="distal-reward", toml=path)
            check_answer(dry_run(box, f"--config={path}"), expected)
        finally:
            os.chdir(cwd)
