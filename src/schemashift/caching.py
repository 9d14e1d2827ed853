"""Where schemashift keeps what it may cache: outside the project, per user."""

from __future__ import annotations

import os
import sys

# Only for annotations: status and evolve import this module at every start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType


def cache_root() -> str:
    """``$XDG_CACHE_HOME/schemashift``, else ``~/.cache/schemashift``. Every cache there
    is keyed by content (the checksums of migration files by each file's size, times and
    inode, under the rule of ``runtime.startup``) and may be deleted at any time: it
    makes commands faster, never answers differently."""
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
        # Not contextlib.suppress: evolve writes here at application start-up, where
        # every import counts.
        try:  # noqa: SIM105
            os.unlink(tmp)
        except OSError:
            pass


def compiled(path: str, source: bytes, folder: str) -> CodeType:
    """``source`` compiled as the file ``path``, reusing the code compiled from exactly
    these bytes before: a checked-hash cache (as PEP 552's checked ``.pyc`` files, never
    trusting file times, so an edit within the same second that keeps the size is seen)
    in ``folder`` of the cache root, outside the project. The interpreter's exact
    version, the optimisation level and the SHA-256 of the path and of the source must
    all match, so a cached code object is the one compiling would give."""
    import marshal

    from schemashift.hashing import sha256

    path_hash = sha256(path.encode("utf-8", "surrogateescape"))
    header = b"".join(
        (
            sha256(sys.version.encode("utf-8", "surrogateescape")).digest(),
            bytes([sys.flags.optimize & 0xFF]),
            path_hash.digest(),
            sha256(source).digest(),
        )
    )
    cached = os.path.join(cache_root(), folder, f"{path_hash.hexdigest()[:24]}.pyc")
    try:
        with open(cached, "rb") as f:
            data = f.read()
        if data.startswith(header):
            code: CodeType = marshal.loads(memoryview(data)[len(header) :])
            return code
    except (OSError, EOFError, ValueError, TypeError):
        pass
    code = compile(source, path, "exec", dont_inherit=True)
    write_atomically(cached, header + marshal.dumps(code))
    return code
