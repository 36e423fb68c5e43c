"""Checkpoints: the whole state of a run in one file, written atomically.

A checkpoint holds a header (format, dopaspike version, experiment, seed, resolved config) and
a payload: any picklable object, for an experiment its session (the :class:`Simulation` with
its state, queued events and listeners, the task's random generator, the recorders). Loading
it and running on gives results identical to a run that was never stopped, because nothing
else carries over between chunks (noise is counter-based and keyed to absolute steps).

Checkpoints are Python pickles: load only checkpoints you wrote yourself. A checkpoint is tied
to the dopaspike version that wrote it; another version refuses it with a clear error rather
than continuing with different code.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from .core.errors import ConfigError

FORMAT = "dopaspike-checkpoint"
FORMAT_VERSION = 1


def save(path: Path, payload: Any, **header: Any) -> Path:
    """Pickle ``payload`` with ``header`` into ``path`` atomically (temporary file + rename)."""
    from . import __version__

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    head = {"format": FORMAT, "format_version": FORMAT_VERSION, "dopaspike_version": __version__, **header}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            pickle.dump(head, f, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_header(path: Path) -> dict[str, Any]:
    """The header of a checkpoint, without loading its payload."""
    with _open(path) as f:
        return _header(path, f)


def load(path: Path) -> tuple[dict[str, Any], Any]:
    """(header, payload) of a checkpoint written by this version of dopaspike."""
    from . import __version__

    with _open(path) as f:
        head = _header(path, f)
        if head.get("dopaspike_version") != __version__:
            raise ConfigError("checkpoint", str(path),
                              f"one written by dopaspike {__version__} (this one: {head.get('dopaspike_version')})")
        try:
            payload = pickle.load(f)
        except Exception as exc:  # truncated or corrupt file
            raise ConfigError("checkpoint", str(path), f"a complete checkpoint file ({type(exc).__name__}: {exc})") from None
    return head, payload


def _open(path: Path):
    try:
        return open(path, "rb")
    except OSError as exc:
        raise ConfigError("checkpoint", str(path), f"a readable checkpoint file ({exc.strerror})") from None


def _header(path: Path, f) -> dict[str, Any]:
    try:
        head = pickle.load(f)
    except Exception:
        head = None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise ConfigError("checkpoint", str(path), "a dopaspike checkpoint file")
    if head.get("format_version") != FORMAT_VERSION:
        raise ConfigError("checkpoint", str(path), f"checkpoint format {FORMAT_VERSION} (this: {head.get('format_version')})")
    return head
