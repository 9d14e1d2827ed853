"""Paths as ``pathlib`` writes them, worked out on strings.

Every command reads its settings, its database URL and its migrations folder at start-up;
``pathlib`` (with ``fnmatch``, ``urllib.parse`` and ``ipaddress``) costs about a third of
what `migrate --status` may take, so on POSIX these give ``pathlib``'s text without it.
This module imports nothing of schemashift, so any package may use it.
"""

from __future__ import annotations

import os


def path_text(path: str | os.PathLike[str]) -> str:
    """``str(Path(path))`` (repeated slashes and ``.`` parts dropped, ``..`` kept), without
    importing ``pathlib`` on POSIX."""
    text = os.fspath(path)
    if os.name != "posix":
        from pathlib import Path

        return str(Path(text))
    # POSIX leaves the meaning of exactly two leading slashes open, so pathlib keeps them.
    root = "//" if text.startswith("//") and not text.startswith("///") else "/" * (text[:1] == "/")
    return root + "/".join(p for p in text.split("/") if p not in ("", ".")) or "."


def joined(root: str | os.PathLike[str], target: str) -> str:
    """``str(Path(root) / target)``: ``target`` taken relative to ``root`` unless it is
    absolute, written as :func:`path_text` writes it."""
    if os.name != "posix":
        from pathlib import Path

        return str(Path(root) / target)
    path = path_text(target)
    if path.startswith("/"):
        return path
    base = path_text(root)
    if path == ".":
        return base
    return base + path if base.endswith("/") else f"{base}/{path}"
