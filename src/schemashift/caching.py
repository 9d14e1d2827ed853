"""Where schemashift keeps what it may cache: outside the project, per user."""

from __future__ import annotations

import os


def cache_root() -> str:
    """``$XDG_CACHE_HOME/schemashift``, else ``~/.cache/schemashift``. Every cache there
    is keyed by content and may be deleted at any time: it makes commands faster, never
    answers differently."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "schemashift")


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so that a reader never sees
    half of it; a cache that cannot be written is simply not written."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        # Only here: the settings cache is read at every start, contextlib need not be.
        import contextlib

        with contextlib.suppress(OSError):
            os.unlink(tmp)
