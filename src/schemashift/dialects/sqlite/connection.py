"""Opening SQLite files, running a batch atomically, and the migration lock."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from contextlib import contextmanager, suppress

from schemashift.dialects.sqlite.urls import MEMORY
from schemashift.errors import DatabaseError

# Every command that opens a database imports this module: paths are plain strings
# (``pathlib`` and ``urllib.parse`` bring ``re``, ``ipaddress`` and more), and
# ``typing`` is for the type checker only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any

    from schemashift.url import DatabaseURL

#: How long a statement waits for another connection's lock to clear, in seconds, unless
#: the URL says otherwise (``?timeout=SECONDS``).
BUSY_TIMEOUT = 10.0
#: The migration lock file is the database file's path with this suffix (see ``lock``).
LOCK_SUFFIX = ".schemashift-lock"
#: Files SQLite keeps beside a database while it is in use (journal, write-ahead log).
_SIDECARS = ("-journal", "-wal", "-shm")
#: SQLITE_BUSY and SQLITE_LOCKED: another connection holds a lock.
_BUSY_CODES = (5, 6)
#: The first bytes of every SQLite database file (a new, empty one has none).
_HEADER = b"SQLite format 3\x00"
#: How often opening a file that a failed first run removes meanwhile is tried again.
_OPEN_ATTEMPTS = 5

#: ``(st_dev, st_ino)`` of a file.
Identity = tuple[int, int]


class SQLiteConnection:
    """A sqlite3 connection in autocommit mode: BEGIN and COMMIT are always explicit.

    ``timeout`` is the busy timeout in seconds; ``created`` is the identity of the file
    when this connection created it (so that only that file is ever removed again);
    ``warn`` receives what a batch reports without stopping (see
    :meth:`~schemashift.dialects.base.Dialect.send_warnings`).
    """

    dialect = "sqlite"

    def __init__(
        self,
        raw: sqlite3.Connection,
        path: str,
        *,
        timeout: float = BUSY_TIMEOUT,
        may_create: bool = False,
        created: Identity | None = None,
    ) -> None:
        self.raw = raw
        self.path = path
        self.timeout = timeout
        self.may_create = may_create
        self.created = created
        self.warn: Callable[[str], None] = _ignore

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> sqlite3.Cursor:
        """Run one statement and return its cursor. Waiting in vain for another
        connection's lock is a DatabaseError that says so; other errors are the driver's."""
        try:
            return self.raw.execute(sql) if params is None else self.raw.execute(sql, params)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise _locked(self.path, self.timeout) from exc
            raise

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        return self.raw.in_transaction

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()

    def reopen(self) -> None:
        """Open the file that is at the path now, in place of the one opened before (a
        failed first run of another process may have removed that one meanwhile)."""
        if self.path == MEMORY:
            return
        self.raw.close()
        self.raw, created = _open_file(self.path, self.may_create, self.timeout)
        if created is not None:
            self.created = created


def _ignore(message: str) -> None:
    return None


def busy_timeout(url: DatabaseURL) -> float:
    """The busy timeout of ``url`` in seconds: its ``?timeout=``, else the default."""
    value = dict(url.query).get("timeout")
    return BUSY_TIMEOUT if value is None else float(value)


def connect(url: DatabaseURL, *, create: bool = True) -> SQLiteConnection:
    """Open the database of ``url``; create its file (mode 0600) only if ``create``. The
    busy timeout (``?timeout=`` in the URL) is set as the connection opens, before any
    query; opening reads only the file's header, so it never waits for another
    connection."""
    path = str(url.path)
    timeout = busy_timeout(url)
    if path == MEMORY:
        raw = sqlite3.connect(MEMORY, isolation_level=None, timeout=timeout)
        raw.execute("PRAGMA foreign_keys = ON")
        return SQLiteConnection(raw, path, timeout=timeout)
    raw, created = _open_file(path, create, timeout)
    return SQLiteConnection(raw, path, timeout=timeout, may_create=create, created=created)


def _open_file(
    path: str, create: bool, timeout: float
) -> tuple[sqlite3.Connection, Identity | None]:
    """The open database at ``path`` and, if this call created the file, its identity."""
    for _ in range(_OPEN_ATTEMPTS):
        created = _ensure_file(path, create)
        raw = _open(path, timeout)
        if raw is not None:
            return raw, created
    raise DatabaseError(
        f"SQLite database {path} keeps disappearing while it is opened; check what else "
        "removes it, then run the command again."
    )


def _ensure_file(path: str, create: bool) -> Identity | None:
    """Make sure the file exists; its identity if this call created it. ``O_EXCL`` makes
    the creator unique when several first runs start at once."""
    # One stat, not is_file() then exists(): another first run may create the file
    # between two calls, which would read as "exists but is not a file".
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None:
        if stat.S_ISREG(mode):
            return None
        raise DatabaseError(f"SQLite database path {path} is not a file; point the URL at a file.")
    if not create:
        raise DatabaseError(
            f"SQLite database {path} does not exist; run schemashift migrate to create it."
        )
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return None
    except OSError as exc:
        raise DatabaseError(
            f"Cannot create SQLite database {path} ({reason(exc)}); check that its folder "
            "exists and is writable."
        ) from exc
    try:
        info = os.fstat(fd)
    finally:
        os.close(fd)
    return info.st_dev, info.st_ino


def _open(path: str, timeout: float) -> sqlite3.Connection | None:
    """An open connection, or None when the file vanished before SQLite opened it.

    The file is recognised by its header rather than by a query: a query would wait for
    (and fail on) a connection that holds the database exclusively, and a run that is
    about to wait for the migration lock must not fail here while another run's batch
    is writing."""
    for target, access in ((path, os.R_OK | os.W_OK), (os.path.dirname(path), os.W_OK | os.X_OK)):
        if not os.access(target, access):
            if not os.path.exists(path):
                return None
            raise DatabaseError(
                f"Cannot open SQLite database {path}: {target} is not writable; fix its "
                "permissions or point the URL elsewhere."
            )
    try:
        with open(path, "rb") as file:
            header = file.read(len(_HEADER))
    except FileNotFoundError:
        return None
    if header not in (b"", _HEADER):
        raise DatabaseError(
            f"Cannot open SQLite database {path} (file is not a database); check that it is "
            "an SQLite file that this user can read and write."
        )
    uri = "file:" + _uri_path(path) + "?mode=rw"
    try:
        raw = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout)
    except sqlite3.OperationalError as exc:
        if not os.path.exists(path):
            return None
        raise DatabaseError(
            f"Cannot open SQLite database {path} ({exc}); check that it is an SQLite file "
            "that this user can read and write."
        ) from exc
    raw.execute("PRAGMA foreign_keys = ON")
    return raw


#: What ``urllib.parse.quote`` leaves as it is in a path.
_URI_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/")


def _uri_path(path: str) -> str:
    """``path`` percent-encoded for a ``file:`` URI, as ``urllib.parse.quote`` does."""
    return "".join(chr(b) if b in _URI_SAFE else f"%{b:02X}" for b in path.encode("utf-8"))


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _BUSY_CODES
    # Python 3.10 gives no error code: SQLite's own texts for the two codes.
    return str(exc).startswith(("database is locked", "database table is locked"))


def _locked(path: str, timeout: float) -> DatabaseError:
    return DatabaseError(
        f"SQLite database {path} is locked by another connection (an application holding "
        f"a transaction open?); gave up after {timeout:g} s. Let that transaction finish "
        "or stop the program holding it, then run the command again; or wait longer with "
        "?timeout=SECONDS in the database URL. Nothing was changed."
    )


def remove_created(conn: Any) -> None:
    """After a failed run, remove the database file that ``conn`` (closed by now)
    created, so that a mistake leaves the disk as it was: only that very file, only
    while it holds nothing (no byte written, no journal or write-ahead log beside it),
    and only under the migration lock taken without waiting. When another run holds the
    lock it is about to use the file, which then stays. The lock file always stays."""
    if not isinstance(conn, SQLiteConnection) or conn.created is None:
        return
    import fcntl

    path = conn.path
    try:
        fd = os.open(conn.path + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return
    try:
        with suppress(OSError):
            info = os.stat(path)
            unused = not any(os.path.exists(path + s) for s in _SIDECARS)
            if (info.st_dev, info.st_ino) == conn.created and info.st_size == 0 and unused:
                os.unlink(path)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def reason(exc: OSError) -> str:
    return exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))


def _as_sqlite(conn: Any) -> SQLiteConnection:
    if not isinstance(conn, SQLiteConnection):
        raise TypeError("the SQLite dialect needs a connection made by its connect()")
    return conn


@contextmanager
def batch(conn: Any) -> Iterator[None]:
    """One atomic batch. Foreign-key enforcement is switched off before BEGIN (SQLite
    ignores the switch inside a transaction), so that rebuilding a parent table never
    cascades into its children. Before COMMIT, :func:`~.verify.verify` refuses what the
    batch broke: rows whose foreign key it left pointing at nothing, views and triggers
    that no longer compile, tables that fail ``PRAGMA quick_check``."""
    from schemashift.dialects.sqlite import verify

    db = _as_sqlite(conn)
    (enforced,) = db.execute("PRAGMA foreign_keys").fetchone()
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        _begin(db)
        try:
            before = verify.baseline(db)
            yield
            verify.verify(db, before, db.warn)
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
