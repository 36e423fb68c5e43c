"""Griffe extension for the API reference: dopaspike's docstrings use a few reStructuredText
constructs (they read well in ``help()``), which mkdocstrings would show as Markdown verbatim.

This rewrites, in every docstring of the package, before it is rendered:

- roles ``:class:`~dopaspike.x.Y``` (also ``func``, ``meth``, ``mod``, ``attr``, ``data``,
  ``exc``, ``obj``; relative targets like ``.runner``) into links to the API reference when the
  target is a dopaspike object with a place in it, else into code;
- simple tables (``=== ===`` borders) into Markdown tables;
- ``Text::`` before a literal block into ``Text:`` (the indented block is a code block as is);
- doctest lines (``>>>``) into a ``pycon`` code block;
- section titles underlined with ``---`` into bold text (a heading would enter the page's TOC);
- definition lists (a term line, its definition indented below) into Markdown definition lists.

Loaded by mkdocs.yml (``extensions:`` of the python handler).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj):`(~?)([^`]+)`")
TABLE_BORDER = re.compile(r"^\s*=+(?: +=+)+\s*$")
UNDERLINE = re.compile(r"^\s*([-=~^])\1{2,}\s*$")


class RstDocstrings(griffe.Extension):
    """Rewrite the reStructuredText constructs above in every docstring of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = rewrite(obj.docstring.value, obj, loader)


def _walk(obj: griffe.Object):
    yield obj
    for member in obj.members.values():
        if not member.is_alias and member.parent is obj:
            yield from _walk(member)


def _module_path(obj: griffe.Object) -> str:
    return obj.path if obj.is_module else obj.module.path


def _resolve(target: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> str | None:
    """The full path of ``target`` if it names an object of the loaded package, else None."""
    target = target.rstrip("()")
    parts = _module_path(obj).split(".")
    around = [".".join(parts[:i]) + ("" if target.startswith(".") else ".") + target for i in range(len(parts), 0, -1)]
    candidates = around if target.startswith(".") else [target, *around]
    for path in candidates:
        try:
            found = loader.modules_collection.get_member(path)
            return found.target_path if found.is_alias else path  # an imported name: where it is defined
        except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            continue
    return None


def _roles(text: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> str:
    def one(m: re.Match) -> str:
        short, target = m.group(1) == "~", m.group(2)
        shown = target.rstrip("()").rsplit(".", 1)[-1] if short else target.lstrip(".")
        if m.group(0).startswith((":func:", ":meth:", ":py:func:", ":py:meth:")) and not shown.endswith(")"):
            shown += "()"
        path = _resolve(target, obj, loader)
        # optional: a target without a page in the reference is shown as code, without a warning
        return f'<autoref identifier="{path}" optional><code>{shown}</code></autoref>' if path else f"`{shown}`"

    return ROLE.sub(one, text)


def _table(lines: list[str]) -> list[str]:
    """A simple table (first line a border) as Markdown rows."""
    border = lines[0]
    starts = [m.start() for m in re.finditer(r"=+", border)]  # a column runs to the next one's start
    rows: list[list[str]] = []
    header: list[str] | None = None
    for line in lines[1:]:
        if TABLE_BORDER.match(line):
            if header is None and rows:
                header, rows = rows[0], rows[1:]
            continue
        cells = [line[a:end].strip() for a, end in zip(starts, [*starts[1:], len(line)])]
        if rows and not cells[0]:  # a continuation line: the first column is empty
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells)]
        else:
            rows.append(cells)
    header = header or [""] * len(starts)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in starts) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def rewrite(text: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> str:
    """The docstring ``text`` with the reStructuredText constructs rewritten for Markdown."""
    lines = _roles(text, obj, loader).splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if TABLE_BORDER.match(line):  # border, header, border, rows, border
            j, borders = i + 1, 1
            while j < len(lines) and borders < 3:
                borders += bool(TABLE_BORDER.match(lines[j]))
                j += 1
            out += ["", *_table([x.strip("\n") for x in _dedent(lines[i:j])]), ""]
            i = j
            continue
        if line.lstrip().startswith(">>>"):
            j = i
            while j < len(lines) and lines[j].lstrip().startswith((">>>", "...")):
                j += 1
            out += ["```pycon", *(x.strip() for x in lines[i:j]), "```"]
            i = j
            continue
        if line.strip() and UNDERLINE.match(nxt) and len(nxt.strip()) == len(line.strip()):
            out.append(f"**{line.strip()}**")
            i += 2
            continue
        if line.rstrip().endswith("::"):
            stripped = line.rstrip()[:-2].rstrip()
            out.append(stripped + ":" if stripped else "")
            i += 1
            continue
        prev = out[-1] if out else ""
        starts_block = not prev.strip() or prev.startswith(":   ")
        if (starts_block and line.strip() and not line.startswith((" ", "-", "*", "|", "`" * 3))
                and nxt.startswith("    ") and nxt.strip()):
            out.append(line)  # a term, then its definition
            j = i + 1
            first = True
            while j < len(lines) and lines[j].startswith("    ") and lines[j].strip():
                out.append((":   " if first else "    ") + lines[j].strip())
                first = False
                j += 1
            out.append("")
            i = j
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _dedent(lines: list[str]) -> list[str]:
    indent = min(len(x) - len(x.lstrip()) for x in lines if x.strip())
    return [x[indent:] for x in lines]
