"""The migration lock: a session-level advisory lock on a connection of its own.

Each schema has a lock of its own (one schema per tenant: tenants migrate side by side),
taken in the schema the connection's ``search_path`` makes current.

The lock is polled with ``pg_try_advisory_lock`` rather than waited for with
``pg_advisory_lock``: a session blocked on an advisory lock counts as an open
transaction, and ``CREATE INDEX CONCURRENTLY`` in the running migration would wait for
it forever. Being session-level, the lock goes away with the connection, so a killed
run never leaves it behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from schemashift.dialects.postgres.connection import PostgresConnection
from schemashift.errors import DatabaseError, LockTimeout

#: The advisory lock key of schema ``public``: the first 8 bytes of SHA-256("schemashift")
#: as a signed bigint, the key of the one lock earlier releases took for every schema.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"schemashift").digest()[:8], "big", signed=True)
POLL_INTERVAL = 0.1
# ``schemashift migrate pid=4242 host=web-2`` (earlier releases: no command).
_TAG = re.compile(r"schemashift(?: [a-z]+)? pid=(\d+) host=(.*)")

_HOLDER_SQL = """
SELECT a.pid, a.application_name, host(a.client_addr), a.backend_start, a.query_start
FROM pg_locks AS l
JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = %s AND l.objid::bigint = %s
"""


@dataclass(frozen=True)
class LockHolder:
    """Who holds the migration lock: the process (when it is a schemashift run that
    tagged its connection) or else the server backend serving it."""

    pid: int
    host: str
    since: str
    backend_pid: int
    client: str

    def describe(self) -> str:
        """``pid 123 on host web-1 (connected from ..., backend pid 456, since ...)``."""
        return (
            f"pid {self.pid} on host {self.host} (connected from {self.client}, server "
            f"backend pid {self.backend_pid}, holding it since {self.since})"
        )


def lock_key(schema: str) -> int:
    """The advisory lock key of ``schema``: that of earlier releases for ``public``, so
    that runs of both never migrate it at once."""
    if schema == "public":
        return LOCK_KEY
    digest = hashlib.sha256(b"schemashift:" + schema.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def application_name(run: str | None = None) -> str:
    """The tag a lock connection carries, so a waiting run can name the holder: ``run``
    (``schemashift migrate``) with this process's pid and host."""
    return f"{run or 'schemashift'} pid={os.getpid()} host={socket.gethostname()}"[:63]


@contextmanager
def advisory_lock(
    connect: Callable[[str], PostgresConnection],
    timeout: float,
    database: str,
    run: str | None = None,
) -> Iterator[None]:
    """Hold the migration lock of the connection's current schema on a new connection
    (``connect(application_name)``), polling every 0.1 s for up to ``timeout`` seconds."""
    conn = connect(application_name(run))
    try:
        key = lock_key(conn.current_schema())
        _acquire(conn, key, timeout, f"schema {conn.current_schema()} in database {database}")
        try:
            yield
        finally:
            # If this fails, the session ends just below and the lock with it.
            with suppress(DatabaseError):
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
    finally:
        conn.close()


def _try(conn: PostgresConnection, key: int) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row[0])


def _acquire(conn: PostgresConnection, key: int, timeout: float, where: str) -> None:
    deadline = time.monotonic() + timeout
    while not _try(conn, key):
        left = deadline - time.monotonic()
        if left <= 0:
            holder = find_holder(conn, key)
            if holder is None and _try(conn, key):
                return
            who = holder.describe() if holder else "a session that has since gone away"
            raise LockTimeout(
                f"Another migration run holds the migration lock of {where}: {who}. Gave up "
                f"after {timeout:g} s. Wait for it to finish (or stop it) and run the command "
                "again, or raise --lock-timeout; nothing was changed."
            )
        time.sleep(min(POLL_INTERVAL, left))


def find_holder(conn: PostgresConnection, key: int) -> LockHolder | None:
    """The session holding the migration lock ``key``, if any (seen through ``conn``)."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    row = conn.execute(_HOLDER_SQL, (unsigned >> 32, unsigned & 0xFFFF_FFFF)).fetchone()
    if row is None:
        return None
    backend_pid, app, client, backend_start, query_start = row
    pid, host = backend_pid, client or "local"
    tag = _TAG.fullmatch(app) if isinstance(app, str) else None
    if tag is not None:
        pid = int(tag.group(1))
        host = tag.group(2) or host
    since = _when(query_start or backend_start)
    return LockHolder(pid, host, since, backend_pid, client or "local")


def _when(moment: Any) -> str:
    if isinstance(moment, datetime):
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return "an unknown time"
