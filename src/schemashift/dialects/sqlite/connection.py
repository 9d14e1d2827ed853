"""Opening SQLite files, running a batch atomically, and the migration lock."""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

from schemashift.errors import DatabaseError, LockTimeout
from schemashift.url import DatabaseURL

MEMORY = ":memory:"
#: How long a statement waits for another connection's write lock to clear.
BUSY_TIMEOUT_MS = 10_000
#: How often a waiting ``migrate`` tries the migration lock again.
LOCK_POLL_SECONDS = 0.05
LOCK_SUFFIX = ".schemashift-lock"
_SHOWN_VIOLATIONS = 10


class SQLiteConnection:
    """A sqlite3 connection in autocommit mode: BEGIN and COMMIT are always explicit."""

    dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection, path: str) -> None:
        self.raw = raw
        self.path = path

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> sqlite3.Cursor:
        """Run one statement and return its cursor."""
        return self.raw.execute(sql) if params is None else self.raw.execute(sql, params)

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        return self.raw.in_transaction

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()


def database_exists(url: DatabaseURL) -> bool:
    """Whether the SQLite file exists (an in-memory database always does)."""
    return url.path == MEMORY or Path(str(url.path)).is_file()


def connect(url: DatabaseURL, *, create: bool = True) -> SQLiteConnection:
    """Open the database of ``url``; create its file (mode 0600) only if ``create``."""
    path = str(url.path)
    if path == MEMORY:
        raw = sqlite3.connect(MEMORY, isolation_level=None)
    else:
        _ensure_file(Path(path), create)
        raw = _open(Path(path))
    conn = SQLiteConnection(raw, path)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _ensure_file(path: Path, create: bool) -> None:
    if path.is_file():
        return
    if path.exists():
        raise DatabaseError(f"SQLite database path {path} is not a file; point the URL at a file.")
    if not create:
        raise DatabaseError(
            f"SQLite database {path} does not exist; run schemashift migrate to create it."
        )
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(
            f"Cannot create SQLite database {path} ({_reason(exc)}); check that its folder "
            "exists and is writable."
        ) from exc


def _open(path: Path) -> sqlite3.Connection:
    for target, access in ((path, os.R_OK | os.W_OK), (path.parent, os.W_OK | os.X_OK)):
        if not os.access(target, access):
            raise DatabaseError(
                f"Cannot open SQLite database {path}: {target} is not writable; fix its "
                "permissions or point the URL elsewhere."
            )
    uri = "file:" + url_quote(str(path)) + "?mode=rw"
    try:
        raw = sqlite3.connect(uri, uri=True, isolation_level=None)
        raw.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(
            f"Cannot open SQLite database {path} ({exc}); check that it is an SQLite file "
            "that this user can read and write."
        ) from exc
    return raw


def _reason(exc: OSError) -> str:
    return exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))


def _as_sqlite(conn: Any) -> SQLiteConnection:
    if not isinstance(conn, SQLiteConnection):
        raise TypeError("the SQLite dialect needs a connection made by its connect()")
    return conn


@contextmanager
def batch(conn: Any) -> Iterator[None]:
    """One atomic batch. Foreign-key enforcement is switched off before BEGIN (SQLite
    ignores the switch inside a transaction), so that rebuilding a parent table never
    cascades into its children; ``PRAGMA foreign_key_check`` runs before COMMIT."""
    db = _as_sqlite(conn)
    (enforced,) = db.execute("PRAGMA foreign_keys").fetchone()
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        _begin(db)
        try:
            yield
            _check_foreign_keys(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    finally:
        db.execute("PRAGMA legacy_alter_table = OFF")
        if not db.in_transaction:
            db.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")


@contextmanager
def foreign_keys_off(conn: Any) -> Iterator[None]:
    """Foreign-key enforcement off (and restored after) for a migration that runs outside
    the batch transaction, so that a table rebuild in it never cascades."""
    db = _as_sqlite(conn)
    (enforced,) = db.execute("PRAGMA foreign_keys").fetchone()
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        if not db.in_transaction:
            db.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")


def _begin(db: SQLiteConnection) -> None:
    (still_enforced,) = db.execute("PRAGMA foreign_keys").fetchone()
    if still_enforced or db.in_transaction:
        raise DatabaseError(
            "Refusing to run migrations inside an open transaction: SQLite cannot switch "
            "foreign keys off there, and a table rebuild could then cascade deletes. "
            "Commit or roll back first."
        )
    db.execute("BEGIN IMMEDIATE")


def _check_foreign_keys(db: SQLiteConnection) -> None:
    violations = db.execute("PRAGMA foreign_key_check").fetchall()
    if not violations:
        return
    shown = [f"{table} row {rowid} -> {parent}" for table, rowid, parent, _fkid in violations][
        :_SHOWN_VIOLATIONS
    ]
    more = len(violations) - len(shown)
    details = "\n".join(shown + ([f"... and {more} more"] if more else []))
    raise DatabaseError(
        f"The batch would leave {len(violations)} row(s) whose foreign key points at no "
        "row; it was rolled back. Fix those rows or the migration, then run migrate again.",
        details,
    )


def tracking_table_sql(table: str) -> list[str]:
    """CREATE TABLE IF NOT EXISTS for the tracking table (``table``: its SQL name)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {table} (\n"
        "    name TEXT PRIMARY KEY NOT NULL,\n"
        "    batch INTEGER NOT NULL,\n"
        "    applied_at TEXT NOT NULL,\n"
        "    checksum TEXT NOT NULL,\n"
        "    duration_ms INTEGER NOT NULL\n"
        ")"
    ]


@contextmanager
def lock(url: DatabaseURL, timeout: float) -> Iterator[None]:
    """Hold an exclusive OS lock on ``<database file>.schemashift-lock`` for the
    duration. The OS releases it when the holder exits or is killed, so a stale lock
    never needs cleaning; the file just names the current holder for waiting runs."""
    if url.path == MEMORY:
        yield
        return
    import fcntl

    path = str(url.path) + LOCK_SUFFIX
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseError(
            f"Cannot create the migration lock file {path} ({_reason(exc)}); check that "
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
        _write_holder(fd)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _write_holder(fd: int) -> None:
    since = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    holder = {"pid": os.getpid(), "host": os.uname().nodename, "since": since}
    os.ftruncate(fd, 0)
    import json

    os.pwrite(fd, json.dumps(holder).encode(), 0)


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
