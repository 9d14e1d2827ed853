"""The migration lock: ``GET_LOCK()`` on the migration connection's own session.

A named lock is server-wide, so its name carries the database's: each database has a
lock of its own. It belongs to the session, so it goes away with the connection and a
killed run never leaves it behind. The connection is tagged (PyMySQL's ``program_name``
connection attribute) with this process's pid and host, which a waiting run reads from
``performance_schema.session_connect_attrs`` to name the holder; without the
performance schema it names the holder's connection id and client address instead.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from schemashift.dialects.mysql.connection import MySQLConnection
from schemashift.errors import DatabaseError, LockTimeout

# ``schemashift migrate pid=4242 host=web-2``.
_TAG = re.compile(r"schemashift(?: [a-z]+)? pid=(\d+) host=(.*)")
_MAX_LOCK_NAME = 64


def lock_name(database: str) -> str:
    """The named lock of ``database`` (at most 64 characters, as MySQL 8 requires)."""
    name = f"schemashift:{database}"
    if len(name) <= _MAX_LOCK_NAME:
        return name
    return "schemashift:" + hashlib.sha256(database.encode()).hexdigest()[:40]


def program_name(run: str | None = None) -> str:
    """The tag a migration connection carries: ``run`` with this process's pid and host."""
    return f"{run or 'schemashift'} pid={os.getpid()} host={socket.gethostname()}"[:64]


@dataclass(frozen=True)
class LockHolder:
    """Who holds the migration lock."""

    pid: int | None
    host: str
    since: str
    connection_id: int
    client: str

    def describe(self) -> str:
        """``pid 123 on host web-1 (connection id 45 from 10.0.0.7:51234, ...)``."""
        who = f"pid {self.pid} on host {self.host}" if self.pid else f"a client on {self.host}"
        return f"{who} (server connection id {self.connection_id} from {self.client}, {self.since})"


@contextmanager
def named_lock(conn: MySQLConnection, database: str, timeout: float) -> Iterator[None]:
    """Hold the migration lock of ``database`` on ``conn``, waiting up to ``timeout``
    seconds."""
    name = lock_name(database)
    row = conn.execute("SELECT GET_LOCK(%s, %s)", (name, max(timeout, 0))).fetchone()
    if not row or row[0] != 1:
        holder = find_holder(conn, name)
        who = holder.describe() if holder else "a session that has since gone away"
        raise LockTimeout(
            f"Another migration run holds the migration lock of database {database}: {who}. "
            f"Gave up after {timeout:g} s. Wait for it to finish (or stop it) and run the "
            "command again, or raise --lock-timeout; nothing was changed."
        )
    try:
        yield
    finally:
        # If this fails, the session ends when the connection closes, and the lock with it.
        with suppress(DatabaseError):
            conn.execute("SELECT RELEASE_LOCK(%s)", (name,))


def find_holder(conn: MySQLConnection, name: str) -> LockHolder | None:
    """The session holding the lock ``name``, if any (seen through ``conn``)."""
    row = conn.execute("SELECT IS_USED_LOCK(%s)", (name,)).fetchone()
    if not row or row[0] is None:
        return None
    connection_id = int(row[0])
    process = conn.execute(
        "SELECT HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = %s", (connection_id,)
    ).fetchone()
    client = str(process[0]) if process and process[0] else "an unknown address"
    since = f"connected {process[1]} s ago in its current state" if process else "since unknown"
    pid: int | None = None
    host = client.rsplit(":", 1)[0]
    for key, value in _attributes(conn, connection_id):
        if key == "_pid" and value.isdigit() and pid is None:
            pid = int(value)
        elif key == "program_name":
            tag = _TAG.fullmatch(value)
            if tag is not None:
                pid, host = int(tag.group(1)), tag.group(2) or host
    return LockHolder(pid, host, since, connection_id, client)


def _attributes(conn: MySQLConnection, connection_id: int) -> list[tuple[str, str]]:
    """The connection attributes the holder's client sent (none without the performance
    schema, which MariaDB leaves off by default)."""
    try:
        rows = conn.execute(
            "SELECT ATTR_NAME, ATTR_VALUE FROM performance_schema.session_connect_attrs "
            "WHERE PROCESSLIST_ID = %s ORDER BY ATTR_NAME",
            (connection_id,),
        ).fetchall()
    except DatabaseError:
        return []
    return [(str(k), str(v)) for k, v in rows]
