"""The SQLite migration lock: an OS lock on a file next to the database.

The OS releases it when the holder exits or is killed, so a stale lock never needs
cleaning; the file names the current holder for runs that wait.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from schemashift.dialects.sqlite.connection import LOCK_SUFFIX, SQLiteConnection, reason
from schemashift.dialects.sqlite.urls import MEMORY
from schemashift.errors import DatabaseError, LockTimeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from schemashift.url import DatabaseURL

#: How often a waiting run tries the lock again.
LOCK_POLL_SECONDS = 0.05


@contextmanager
def lock(conn: Any, url: DatabaseURL, timeout: float) -> Iterator[None]:
    """Hold an exclusive OS lock on ``<database file>.schemashift-lock`` for the
    duration. The OS releases it when the holder exits or is killed, so a stale lock
    never needs cleaning, and the file is never removed; it just names the current holder
    for waiting runs. Once the lock is held, ``conn`` is opened again on the file that is
    at the path now: a first run that failed while this one waited may have removed the
    (empty) file it had created, and nobody removes it while the lock is held."""
    if url.path == MEMORY:
        yield
        return
    import fcntl

    path = str(url.path) + LOCK_SUFFIX
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseError(
            f"Cannot create the migration lock file {path} ({reason(exc)}); check that "
            "the database folder is writable."
        ) from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _lock_timeout(fd, timeout) from None
                time.sleep(LOCK_POLL_SECONDS)
        try:
            _write_holder(fd)
            if isinstance(conn, SQLiteConnection):
                conn.reopen()
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _write_holder(fd: int) -> None:
    since = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    host = os.uname().nodename
    os.ftruncate(fd, 0)
    # What json.dumps writes for this dict: every migrate and evolve takes the lock, and
    # the json package costs more to import than writing three values by hand.
    text = f'{{"pid": {os.getpid()}, "host": {_json_string(host)}, "since": "{since}"}}'
    os.pwrite(fd, text.encode(), 0)


def _json_string(value: str) -> str:
    """``value`` as a JSON string literal, as ``json.dumps`` writes it."""
    try:
        from _json import encode_basestring_ascii
    except ImportError:  # an interpreter without the C accelerator
        from json.encoder import py_encode_basestring_ascii as encode_basestring_ascii
    return str(encode_basestring_ascii(value))


def read_holder(fd: int) -> dict[str, Any]:
    """Who holds the lock, as its holder wrote it (empty while it is being written)."""
    try:
        import json

        holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


def _lock_timeout(fd: int, timeout: float) -> LockTimeout:
    holder = read_holder(fd)
    pid = holder.get("pid", "unknown")
    host = holder.get("host", "unknown host")
    since = holder.get("since", "an unknown time")
    return LockTimeout(
        f"Another schemashift migrate (pid {pid} on host {host}, since {since} UTC) holds "
        f"the migration lock; waited {timeout:g} s. Try again when it has finished, or "
        "raise --lock-timeout."
    )
