"""The HTML report of a run folder: content, escaping, embedding, the `report` command, and
the page as a real browser renders it."""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

from dopaspike import store
from dopaspike.cli import app
from dopaspike.report import format_value, render_report

runner = CliRunner()


class Page(HTMLParser):
    """What a reader of the page sees: tables as rows of cell texts, images, captions, title."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict[str, str]] = []
        self.captions: list[str] = []
        self.title = ""
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._in_title = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "figcaption":
            self._caption = []
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "figcaption":
            self.captions.append("".join(self._caption))
            self._caption = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        for buf in (self._cell, self._caption):
            if buf is not None:
                buf.append(data)
        if self._in_title:
            self.title += data

    def rows(self, table: str) -> dict[str, list[str]]:
        """Body rows of a table keyed by their first text cell (the second for checks)."""
        body = self.tables[table][1:]
        key = 1 if table == "checks" else 0
        return {r[key]: r for r in body}


def _figure(title: str) -> Figure:
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0, 1, 0])
    ax.set_title(title)
    return fig


def _figure_names(run: Path) -> set[str]:
    return {p.stem for p in run.iterdir() if p.suffix in (".png", ".svg")}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A real (short) distal-reward run written by the CLI (indexed in a throwaway run store)."""
    out = tmp_path_factory.mktemp("report") / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOPASPIKE_RUNS", str(tmp_path_factory.mktemp("run-store")))
        res = runner.invoke(app, ["run", "distal-reward", "--quick", "--set", "duration_s=20", "--set", "snapshot_every_s=5",
                                  "--out", str(out), "--no-progress"])
    assert res.exit_code in (0, 1), res.output
    return out


@pytest.fixture
def run_copy(run_dir, tmp_path) -> Path:
    """A copy of the real run that a test may change."""
    return Path(shutil.copytree(run_dir, tmp_path / "run"))


def test_run_leaves_its_report_in_the_folder(run_dir):
    report = run_dir / "report.html"
    assert report.stat().st_size > 10_000
    # written under the run's final name (not the temporary folder's), and current
    assert report.read_text(encoding="utf-8") == render_report(run_dir)
    assert not [p.name for p in run_dir.iterdir() if p.name.startswith(".")]
    assert not [p.name for p in run_dir.parent.iterdir() if "partial" in p.name]


def test_report_shows_checks_metrics_config_and_provenance(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    page = Page((run_dir / "report.html").read_text(encoding="utf-8"))
    for part in (config["experiment"], run_dir.name, metrics["status"]):
        assert part in page.title

    checks = page.rows("checks")
    assert set(checks) == set(metrics["checks"])
    for name, check in metrics["checks"].items():
        result, _, value, expected = checks[name]
        assert result == ("PASS" if check["passed"] else "FAIL")
        assert expected == check["expected"]
        assert isinstance(check["value"], dict)  # the distal-reward checks report several numbers
        for k, v in check["value"].items():
            assert f"{k}: {v:.6g}" in value.splitlines()

    shown = page.rows("metrics")
    for key, v in metrics.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            assert shown[key][1] == (f"{v:.6g}" if isinstance(v, float) else str(v)), key
    for k, v in metrics["target_synapse"].items():  # nested dicts flattened
        assert shown[f"target_synapse.{k}"][1] == str(v)
    assert not {"checks", "provenance", "status"} & set(shown)

    conf = page.rows("config")
    assert set(conf) == set(config) - {"experiment"}
    for key, v in config.items():  # every digit of the configuration, not a rounded copy
        if isinstance(v, float):
            assert float(conf[key][1]) == v, key
        elif key != "experiment":
            assert conf[key][1] == format_value(v), key
    assert any(isinstance(v, float) and v != float(f"{v:.6g}") for v in config.values())  # so the above can fail

    prov = {label: row[1] for label, row in page.rows("provenance").items()}
    p = metrics["provenance"]
    assert prov["dopaspike version"] == p["dopaspike_version"]
    assert prov["git commit"] == (p["git_commit"] or "–")
    assert (prov["Python"], prov["NumPy"], prov["seed"]) == (p["python"], p["numpy"], str(p["seed"]))
    assert prov["wall time"] == f"{p['wall_s']:.6g} s" and prov["finished"] == p["finished"]


def test_every_figure_is_embedded_once_with_its_caption(run_copy):
    (run_copy / "weight_histogram.png").unlink()  # a figure with only an SVG is embedded as SVG
    names = _figure_names(run_copy)
    assert len(names) >= 3
    page = Page(render_report(run_copy))
    assert len(page.images) == len(names)
    assert sorted(page.captions) == sorted(names)
    for img in page.images:
        name = img["alt"]
        mime, _, data = img["src"].removeprefix("data:").partition(";base64,")
        suffix = ".png" if (run_copy / f"{name}.png").exists() else ".svg"
        assert mime == {".png": "image/png", ".svg": "image/svg+xml"}[suffix]
        assert base64.b64decode(data) == (run_copy / f"{name}{suffix}").read_bytes()
    # self-contained: nothing that would load another file or reach the network
    assert not {"link", "script", "a", "iframe", "object"} & set(page.tags)


def test_text_with_html_special_characters_is_escaped(tmp_path):
    nasty = "<script>alert('x & y')</script>"
    run = store.write_run(
        tmp_path / "run", experiment="exp<b>", config={"seed": 0, "label": nasty},
        metrics={"note": nasty, "a<b": {"c&d": 1.5}, "status": "complete",
                 "checks": {"<i>check</i>": {"passed": True, "value": [nasty, 2], "expected": "x < 3 & y > 1"}},
                 "provenance": {"finished": nasty}},
        data={}, figures={"fig": _figure("a figure")})
    text = (run / "report.html").read_text(encoding="utf-8")
    assert "<script" not in text and "<i>" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text
    page = Page(text)
    assert not {"script", "i", "b"} & set(page.tags)
    assert page.rows("config")["label"][1] == nasty
    assert page.rows("metrics")["note"][1] == nasty
    assert page.rows("metrics")["a<b.c&d"][1] == "1.5"
    assert page.rows("checks")["<i>check</i>"][2:] == [f"[{nasty}, 2]", "x < 3 & y > 1"]
    assert page.rows("provenance")["finished"][1] == nasty
    assert "exp<b>" in page.title


def test_values_are_readable():
    assert format_value(0.1234567891) == "0.123457"
    assert format_value(3) == "3" and format_value(True) == "true" and format_value(None) == "–"
    assert format_value(float("nan")) == "nan"
    assert format_value({"a": 1.0, "b": {"c": [1, 2]}}) == "a: 1\nb: {c: [1, 2]}"
    assert format_value({}) == "(empty)" and format_value([]) == "[]"
    long = format_value(list(range(100)))
    assert long.startswith("[0, 1, 2") and long.endswith("(100 items)") and "99" not in long


def test_a_failing_report_does_not_lose_the_run(tmp_path, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("cannot render")

    monkeypatch.setattr("dopaspike.report.render_report", broken)
    run = store.write_run(tmp_path / "run", experiment="exp", config={"seed": 0}, metrics={"status": "complete"},
                          data={"x": [1, 2, 3]}, figures={"fig": _figure("a figure")})
    assert {"config.json", "metrics.json", "data.h5", "fig.png", "fig.svg"} <= {p.name for p in run.iterdir()}
    assert not (run / "report.html").exists()
    assert "report.html" in caplog.text and "cannot render" in caplog.text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_report_command_writes_prints_and_opens(run_copy, tmp_path, monkeypatch):
    (run_copy / "report.html").unlink()
    res = runner.invoke(app, ["report", str(run_copy)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == str(run_copy / "report.html")
    assert (run_copy / "report.html").read_text(encoding="utf-8") == render_report(run_copy)

    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    dest = tmp_path / "elsewhere" / "r.html"
    res = runner.invoke(app, ["report", str(run_copy), "--out", str(dest), "--open"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == str(dest)
    assert dest.read_text(encoding="utf-8") == render_report(run_copy)
    assert opened == [dest.resolve().as_uri()] and opened[0].startswith("file://")
    assert [p.name for p in dest.parent.iterdir()] == ["r.html"]  # no temporary file left


def test_report_without_run_takes_the_latest_run_of_the_store(run_copy, tmp_path, monkeypatch):
    store_root = tmp_path / "store"
    monkeypatch.setenv("DOPASPIKE_RUNS", str(store_root))
    res = runner.invoke(app, ["report"])  # no run store yet
    assert res.exit_code == 2 and "error" in res.output and "Traceback" not in res.output
    from dopaspike import runindex

    older = Path(shutil.copytree(run_copy, store_root / "older"))
    newer = Path(shutil.copytree(run_copy, store_root / "newer"))
    for folder, finished in ((older, "2026-01-01T10:00:00"), (newer, "2026-01-02T10:00:00")):
        metrics = json.loads((folder / "metrics.json").read_text())
        metrics["provenance"]["finished"] = finished
        (folder / "metrics.json").write_text(json.dumps(metrics))
        (folder / "report.html").unlink()
        runindex.add_run(folder)
    res = runner.invoke(app, ["report"])
    assert res.exit_code == 0, res.output
    assert Path(res.stdout.strip()) == newer / "report.html"
    assert (newer / "report.html").is_file() and not (older / "report.html").exists()


def test_report_command_refuses_what_is_not_a_run(run_copy, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("x")
    half = Path(shutil.copytree(run_copy, tmp_path / "half"))
    (half / "metrics.json").unlink()
    (half / "report.html").unlink()
    corrupt = Path(shutil.copytree(run_copy, tmp_path / "corrupt"))
    (corrupt / "metrics.json").write_text('{"status": ')
    (corrupt / "report.html").write_text("the previous report")
    cases = [
        [str(tmp_path / "missing")],
        [str(tmp_path / "empty")],
        [str(tmp_path / "file.txt")],
        [str(half)],
        [str(corrupt)],
        [str(run_copy), "--out", str(tmp_path)],  # a folder is not a file to write
    ]
    for args in cases:
        res = runner.invoke(app, ["report", *args])
        assert res.exit_code == 2, (args, res.output)
        assert "error:" in res.stderr and "Traceback" not in res.output and res.stdout == "", args
        assert res.exception is None or isinstance(res.exception, SystemExit)
    assert not (tmp_path / "empty" / "report.html").exists() and not (half / "report.html").exists()
    assert (corrupt / "report.html").read_text() == "the previous report"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def chromium() -> str:
    """Path of a headless-capable Chromium; skips the test where there is none."""
    from headless_chromium import find_chromium

    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium); the report is not checked in a browser")
    pytest.importorskip("websocket", reason="websocket-client is not installed (pip install '.[test]')")
    return path


def test_report_renders_in_headless_chromium(chromium, run_dir, tmp_path):
    """The page alone (copied away from its run folder) in a real browser: every figure loads
    at its full size and readable width, nothing but the page itself is requested."""
    from headless_chromium import Chromium

    alone = tmp_path / "alone"
    alone.mkdir()
    page = shutil.copy(run_dir / "report.html", alone / "report.html")
    figures = {name: _png_size((run_dir / f"{name}.png").read_bytes()) for name in _figure_names(run_dir)}
    with Chromium(chromium, tmp_path / "browser", width=1200, height=900) as browser:
        browser.open(Path(page).as_uri())
        images = browser.evaluate("Array.from(document.images, i => ({name: i.alt, complete: i.complete, "
                                  "w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width}))")
        headings = browser.evaluate("Array.from(document.querySelectorAll('h2'), h => h.textContent)")
        shot = browser.screenshot(tmp_path / "report.png")
        requests = [e["params"]["request"]["url"] for e in browser.events if e["method"] == "Network.requestWillBeSent"]

    assert headings == ["Checks", "Metrics", "Figures", "Configuration", "Provenance"]
    assert sorted(i["name"] for i in images) == sorted(figures)
    for img in images:
        assert img["complete"] and (img["w"], img["h"]) == figures[img["name"]], img
        assert img["shown"] >= min(img["w"], 500), img  # not shrunk below a readable width
    assert [u for u in requests if not u.startswith("data:")] == [Path(page).as_uri()]

    data = shot.read_bytes()
    width, height = _png_size(data)
    assert width == 1200 and height > 900  # the whole page, longer than one screen
    assert len(data) > 50_000
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.std() > 0.05  # not a blank page
    if os.environ.get("DOPASPIKE_SCREENSHOT_DIR"):
        keep = Path(os.environ["DOPASPIKE_SCREENSHOT_DIR"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / "report.png")
