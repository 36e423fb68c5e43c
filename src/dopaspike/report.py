"""A run folder as one self-contained HTML page: ``RUN/report.html``.

The page holds the run's status, its checks (PASS/FAIL, the value behind each and what was
expected), its metrics, every figure of the folder, the resolved configuration and the
provenance. It needs no other file and no network: the CSS is inline and each figure is
embedded as a data URI (the PNG where there is one, otherwise the SVG), so the page can be
mailed, archived or opened anywhere. All text taken from the run is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import tempfile
from pathlib import Path
from string import Template
from typing import Any

from .core.errors import ConfigError

REPORT_NAME = "report.html"
FIGURE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}  # in order of preference
_NOT_METRICS = ("status", "checks", "provenance")
_PROVENANCE = (  # (key, label, unit)
    ("dopaspike_version", "dopaspike version", ""),
    ("git_commit", "git commit", ""),
    ("python", "Python", ""),
    ("numpy", "NumPy", ""),
    ("seed", "seed", ""),
    ("wall_s", "wall time", " s"),
    ("finished", "finished", ""),
)
_LIST_SHOWN = 12  # longer lists show their first items and their length

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2125;
       background: #f6f7f9; margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; min-height: 100vh;
       box-shadow: 0 0 12px rgba(0, 0, 0, .06); }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.15em; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #dde1e6; }
.sub { color: #5c6670; margin: 0 0 12px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: .8em; font-weight: 600;
         letter-spacing: .03em; vertical-align: middle; }
.ok { background: #dcf3e3; color: #146c2e; }
.bad { background: #fbe0e0; color: #a51d24; }
.warn { background: #fdf0d2; color: #7a5300; }
table { border-collapse: collapse; width: 100%; font-size: .93em; }
th, td { text-align: left; vertical-align: top; padding: 5px 10px; border-bottom: 1px solid #eceff2; }
th { background: #f2f4f6; font-weight: 600; }
td.key { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: nowrap; }
td.num { font-variant-numeric: tabular-nums; }
.value { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap;
         word-break: break-word; }
#checks td.value { min-width: 17em; }
#checks td:first-child { width: 3.5em; }
.none { color: #8a939c; }
figure { margin: 16px 0 28px; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; border: 1px solid #eceff2; }
figcaption { text-align: center; color: #5c6670; font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
             font-size: .9em; margin-top: 6px; }
</style>
</head>
<body>
<main>
<h1>$experiment <span class="badge $status_class">$status</span></h1>
<p class="sub">run <strong>$run_name</strong> &middot; $checks_summary</p>
<h2>Checks</h2>
$checks
<h2>Metrics</h2>
$metrics
<h2>Figures</h2>
$figures
<h2>Configuration</h2>
$config
<h2>Provenance</h2>
$provenance
</main>
</body>
</html>
""")


def render_report(run_dir: Path, *, name: str | None = None) -> str:
    """The HTML page of the run folder ``run_dir`` (``name`` is shown as the run's name; default
    the folder's name). Raises :class:`ConfigError` if ``run_dir`` is not a readable run folder."""
    run_dir = Path(run_dir)
    config, metrics = _read_json(run_dir, "config.json"), _read_json(run_dir, "metrics.json")
    checks = metrics.get("checks") if isinstance(metrics.get("checks"), dict) else {}
    status = str(metrics.get("status", "unknown"))
    experiment = str(config.get("experiment", "unknown experiment"))
    run_name = name or run_dir.resolve().name
    n_passed = sum(1 for c in checks.values() if isinstance(c, dict) and c.get("passed") is True)
    if checks:
        summary = f"{n_passed} of {len(checks)} checks passed"
    else:
        summary = "no checks recorded"
    esc = _esc
    return _PAGE.substitute(
        title=esc(f"{experiment} · {run_name} · {status}"),
        experiment=esc(experiment),
        status=esc(status),
        status_class="ok" if status == "complete" else "warn",
        run_name=esc(run_name),
        checks_summary=esc(summary),
        checks=_checks_table(checks),
        metrics=_key_value_table("metrics", _flatten({k: v for k, v in metrics.items() if k not in _NOT_METRICS})),
        figures=_figures(run_dir),
        config=_key_value_table("config", {k: v for k, v in config.items() if k != "experiment"}, exact=True),
        provenance=_provenance_table(metrics.get("provenance")),
    )


def write_report(run_dir: Path, out: Path | None = None, *, name: str | None = None) -> Path:
    """Render the report of ``run_dir`` and write it atomically to ``out`` (default
    ``RUN/report.html``); return the path written."""
    run_dir = Path(run_dir)
    page = render_report(run_dir, name=name)  # raises ConfigError unless run_dir is a run folder
    out = Path(out) if out is not None else run_dir / REPORT_NAME
    if out.is_dir():
        raise ConfigError("--out", str(out), "a file path for the HTML page (this is a folder)")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def figure_files(run_dir: Path) -> dict[str, Path]:
    """``{figure name: file}`` for every figure of the folder, one file per name (PNG preferred)."""
    found: dict[str, Path] = {}
    for suffix in FIGURE_TYPES:  # PNG first, so it wins over an SVG of the same name
        for path in sorted(Path(run_dir).glob(f"*{suffix}")):
            if path.is_file() and not path.name.startswith("."):
                found.setdefault(path.stem, path)
    return dict(sorted(found.items()))


# --- reading -------------------------------------------------------------------------------


def _read_json(run_dir: Path, name: str) -> dict[str, Any]:
    path = run_dir / name
    allowed = "a run folder with config.json and metrics.json (as written by `dopaspike run`)"
    if not run_dir.is_dir():
        raise ConfigError("RUN", str(run_dir), allowed)
    if not path.is_file():
        raise ConfigError("RUN", str(run_dir), f"{allowed}; {name} is missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError("RUN", str(run_dir), f"{allowed}; {name} cannot be read ({err})") from None
    if not isinstance(data, dict):
        raise ConfigError("RUN", str(run_dir), f"{allowed}; {name} does not hold a JSON object")
    return data


# --- formatting ----------------------------------------------------------------------------


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def format_value(v: Any, *, exact: bool = False) -> str:
    """A value as plain, readable text: numbers to 6 significant digits (``exact``: every digit
    that ``float`` needs to read it back), dicts as ``key: value`` lines, long lists shortened
    to their first items and their length."""
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return (repr(v) if exact else f"{v:.6g}") if math.isfinite(v) else str(v)
    if isinstance(v, dict):
        if not v:
            return "(empty)"
        return "\n".join(f"{k}: {_nested(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return _list(v)
    return str(v)


def _nested(v: Any) -> str:
    """A value inside a dict: nested dicts stay on one line."""
    if isinstance(v, dict) and v:
        return "{" + ", ".join(f"{k}: {_nested(x)}" for k, x in v.items()) + "}"
    return format_value(v)


def _list(v: list | tuple) -> str:
    if not v:
        return "[]"
    shown = ", ".join(_nested(x) for x in v[:_LIST_SHOWN])
    return f"[{shown}]" if len(v) <= _LIST_SHOWN else f"[{shown}, …] ({len(v)} items)"


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (empty dicts kept)."""
    flat: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            flat.update(_flatten(v, key + "."))
        else:
            flat[key] = v
    return flat


def _cell(v: Any, exact: bool = False) -> str:
    text = _esc(format_value(v, exact=exact))
    if v is None:
        return f'<td class="value none">{text}</td>'
    numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
    return f'<td class="value{" num" if numeric else ""}">{text}</td>'


# --- sections ------------------------------------------------------------------------------


def _checks_table(checks: dict[str, Any]) -> str:
    if not checks:
        return '<p class="none">This run recorded no checks.</p>'
    rows = []
    for name, c in checks.items():
        c = c if isinstance(c, dict) else {"value": c}
        passed = c.get("passed")
        badge = ('<span class="badge ok">PASS</span>' if passed is True else
                 '<span class="badge bad">FAIL</span>' if passed is False else '<span class="badge warn">?</span>')
        rows.append(f'<tr><td>{badge}</td><td class="key">{_esc(name)}</td>{_cell(c.get("value"))}'
                    f'<td>{_esc(format_value(c.get("expected")))}</td></tr>')
    return ('<table id="checks"><thead><tr><th>result</th><th>check</th><th>value</th><th>expected</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _key_value_table(table_id: str, items: dict[str, Any], exact: bool = False) -> str:
    if not items:
        return f'<p class="none">No {table_id} recorded.</p>'
    rows = "".join(f'<tr><td class="key">{_esc(k)}</td>{_cell(v, exact)}</tr>' for k, v in items.items())
    return f'<table id="{table_id}"><thead><tr><th>name</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>'


def _provenance_table(prov: Any) -> str:
    prov = prov if isinstance(prov, dict) else {}
    rows = []
    for key, label, unit in _PROVENANCE:
        v = prov.get(key)
        cell = _cell(v) if v is None or not unit else f'<td class="value num">{_esc(format_value(v) + unit)}</td>'
        rows.append(f'<tr><td class="key">{_esc(label)}</td>{cell}</tr>')
    known = {key for key, _, _ in _PROVENANCE}
    rows += [f'<tr><td class="key">{_esc(k)}</td>{_cell(v)}</tr>' for k, v in _flatten(prov).items() if k not in known]
    return f'<table id="provenance"><thead><tr><th>name</th><th>value</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _figures(run_dir: Path) -> str:
    files = figure_files(run_dir)
    if not files:
        return '<p class="none">This run has no figures.</p>'
    parts = []
    for name, path in files.items():
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        src = f"data:{FIGURE_TYPES[path.suffix]};base64,{data}"
        parts.append(f'<figure><img src="{src}" alt="{_esc(name)}"><figcaption>{_esc(name)}</figcaption></figure>')
    return "\n".join(parts)
