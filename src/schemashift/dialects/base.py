"""The contract every dialect fulfils.

A dialect knows how to quote names, render operations as SQL steps, open a connection,
run a batch atomically, hold the migration lock and read a live schema back. It never
decides *what* changes: that is the differ's job.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

# Every command imports this module, so it loads neither ``dataclasses`` (with
# ``inspect``, ``ast`` and ``dis``) nor ``typing`` nor ``re`` nor ``contextlib``: together
# they cost more than `migrate --status` does. The protocols are for the type checker; a
# module that imports one at run time gets it from ``dialects.protocols`` (see
# ``__getattr__`` below).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from contextlib import AbstractContextManager
    from datetime import datetime
    from os import PathLike
    from pathlib import Path
    from typing import Any

    from schemashift.dialects.protocols import Cursor as Cursor
    from schemashift.dialects.protocols import DBConnection as DBConnection
    from schemashift.dialects.protocols import LockInfo as LockInfo
    from schemashift.dialects.protocols import OnlinePhase as OnlinePhase
    from schemashift.diff.operations import Operation
    from schemashift.schema.values import Column, Schema
    from schemashift.url import DatabaseURL

_PROTOCOLS = ("Cursor", "DBConnection", "LockInfo", "OnlinePhase")


def __getattr__(name: str) -> object:
    if name in _PROTOCOLS:
        from schemashift.dialects import protocols

        return getattr(protocols, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Step:
    """A step: immutable, and equal to a step of the same class with the same values, as
    a frozen dataclass would be. ``_fields`` names the values, in the order ``__init__``
    takes them."""

    __slots__ = ("_value",)
    _value: str
    _fields: tuple[str, ...] = ()

    def __init__(self, value: str) -> None:
        object.__setattr__(self, "_value", value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key() == other._key()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({values})"

    def __reduce__(self) -> tuple[type[_Step], tuple[object, ...]]:
        return (type(self), self._key())


class Execute(_Step):
    """Run one SQL statement: written as ``conn.execute("...")``."""

    __slots__ = ()
    __match_args__ = _fields = ("sql",)

    def __init__(self, sql: str) -> None:
        super().__init__(sql)

    @property
    def sql(self) -> str:
        """The statement."""
        return self._value


class Comment(_Step):
    """A comment line in the migration file (why a rebuild, what data is lost...)."""

    __slots__ = ()
    __match_args__: tuple[str, ...] = ("text",)
    _fields: tuple[str, ...] = ("text",)

    def __init__(self, text: str) -> None:
        super().__init__(text)

    @property
    def text(self) -> str:
        """The comment, without its ``#``."""
        return self._value


class Code(_Step):
    """A line of plain Python in the migration body, for the few things SQL cannot say
    (capturing a table's triggers before a rebuild, comparing row counts)."""

    __slots__ = ()
    __match_args__ = _fields = ("line",)

    def __init__(self, line: str) -> None:
        super().__init__(line)

    @property
    def line(self) -> str:
        """The line of Python."""
        return self._value


Step = Execute | Comment | Code

# Characters that a plain or triple-quoted literal cannot hold verbatim (a raw CR would
# even be turned into LF when the file is read back).
_UNSAFE = r'[\x00-\x09\x0b-\x1f\x7f]|"""'


def sql_literal(sql: str) -> str:
    """``sql`` as a readable Python string literal that evaluates to exactly ``sql``:
    double quotes preferred, triple quotes for multi-line statements, ``repr`` when the
    text holds anything those cannot carry verbatim."""
    import re

    if re.search(_UNSAFE, sql) or sql.endswith(("\\", '"')):
        return repr(sql)
    # Raw literals keep backslashes (PostgreSQL's '\x00ff') as they are in the SQL.
    prefix = "r" if "\\" in sql else ""
    if "\n" in sql:
        return prefix + '"""' + sql + '"""'
    if '"' not in sql:
        return prefix + '"' + sql + '"'
    if "'" not in sql:
        return prefix + "'" + sql + "'"
    return repr(sql)


class TemplateCopies(ABC):
    """The databases of the pytest plugin (:mod:`schemashift.testing`) on one server for
    one test session: an empty template that the migrations fill once, and a copy of it
    for each test. :meth:`Dialect.template_copies` makes it; :meth:`close` ends it."""

    @abstractmethod
    def create(self, name: str, folder: Path) -> DatabaseURL:
        """A new empty database called ``name``; a leftover of that name (from a run
        that was killed) is dropped first. A database kept in a file goes to ``folder``."""

    @abstractmethod
    def copy(self, template: DatabaseURL, name: str, folder: Path) -> DatabaseURL:
        """A copy called ``name`` of the ``template`` database, schema and rows, made as
        :meth:`create` makes a database."""

    @abstractmethod
    def drop(self, url: DatabaseURL) -> None:
        """Drop a database that :meth:`create` or :meth:`copy` made, ending the
        connections a test left open to it."""

    def close(self) -> None:
        """Release what the session holds (a connection to the server). Nothing by
        default."""
        return None


class Dialect(ABC):
    """One database family. Instances are stateless and shared.

    The URL schemes that name a dialect are listed with it in the registry
    (:mod:`schemashift.dialects`), so that reading a URL imports no other dialect."""

    #: ``"sqlite"``, ``"postgresql"`` or ``"mysql"``, also what ``conn.dialect`` says in
    #: migrations.
    name: str
    #: A URL of this database as messages show it (``postgresql://USER@HOST:PORT/DATABASE``).
    url_example: str
    #: Longest identifier the database accepts, in bytes of UTF-8.
    max_identifier_length: int
    #: The driver's placeholder, for the tracking table's queries.
    placeholder: str
    #: SQL for the tracking table's ``applied_at`` now (UTC), in its stored form.
    now_sql: str
    #: Statements a script applied by hand runs first, for what ``batch`` sets up on a
    #: connection (``migrate --sql``).
    script_preamble: tuple[str, ...] = ()

    # Capabilities: what the runtime may rely on, instead of asking for a dialect's name.
    #: Whether DDL statements take part in transactions. Without it (MySQL commits each
    #: DDL statement implicitly) a batch cannot be atomic: each migration runs and is
    #: recorded on its own, and one that fails part-way is recorded as failed.
    transactional_ddl: bool = True
    #: Whether indexes can be built without blocking writes (``CREATE INDEX CONCURRENTLY``).
    concurrent_index: bool = False
    #: The column type of long text in schemashift's own tables (a migration file's text).
    long_text_type: str = "TEXT"
    #: Whether changes have online forms (``make migration --online``): steps that each
    #: take only a brief lock, written as consecutive files (:meth:`online_phases`).
    online_changes: bool = False

    def parse_url(self, raw: str, root: str | PathLike[str]) -> DatabaseURL:
        """``raw``, a URL with one of this dialect's schemes, parsed; a path in it is
        taken relative to the project ``root``. By default the URL of a server:
        ``scheme://user:password@host:port/database?params``."""
        from schemashift.url import server_url

        return server_url(self.name, raw)

    @abstractmethod
    def quote(self, identifier: str) -> str:
        """``identifier`` as SQL: bare when it is a plain lowercase non-keyword name,
        otherwise double-quoted with embedded quotes doubled."""

    @abstractmethod
    def column_type(self, column: Column) -> str:
        """The SQL type of ``column`` (``TEXT``, ``VARCHAR(255)``, ``NUMERIC(10, 2)``...)."""

    @abstractmethod
    def render(self, operations: Sequence[Operation], before: Schema) -> list[Step]:
        """The steps that turn schema ``before`` into ``apply_all(before, operations)``."""

    @abstractmethod
    def connect(self, url: DatabaseURL, *, create: bool = True) -> DBConnection:
        """A connection in autocommit mode. With ``create=False`` a missing SQLite file is
        not created (``--dry-run``) and :class:`~schemashift.errors.DatabaseError` is
        raised instead."""

    @abstractmethod
    def database_exists(self, url: DatabaseURL) -> bool:
        """Whether the database can be opened without creating it."""

    @abstractmethod
    def driver_connection(self, url: DatabaseURL) -> Any:
        """A connection of the database's own DB-API driver to ``url``, as an application
        opens one (not in autocommit mode), for tests that look at the database
        themselves. The caller closes it."""

    @abstractmethod
    def template_copies(self, url: DatabaseURL) -> TemplateCopies:
        """Where the pytest plugin makes its template and test databases: next to the
        database of ``url`` (on its server, with its user), never in it."""

    @abstractmethod
    def batch(self, conn: DBConnection) -> AbstractContextManager[None]:
        """A context manager around one atomic batch: BEGIN on entry, COMMIT on clean
        exit, ROLLBACK on error. SQLite turns foreign-key enforcement off before BEGIN and
        runs ``PRAGMA foreign_key_check`` before COMMIT."""

    def outside_batch(self, conn: DBConnection) -> AbstractContextManager[None]:
        """The scope of a migration with ``atomic = False``: no transaction. SQLite still
        switches foreign-key enforcement off so that a rebuild there cannot cascade."""
        from contextlib import nullcontext

        return nullcontext()

    @abstractmethod
    def lock(
        self, conn: DBConnection, url: DatabaseURL, timeout: float
    ) -> AbstractContextManager[None]:
        """Hold the migration lock for the duration, waiting up to ``timeout`` seconds;
        raises :class:`~schemashift.errors.LockTimeout` naming the holder. The lock dies
        with the process, so a killed run never needs manual cleaning."""

    @abstractmethod
    def tracking_table_sql(self, table: str) -> list[str]:
        """Statements that create the tracking table (``IF NOT EXISTS``); ``table`` is its
        SQL name as :meth:`own_table` gives it."""

    def meta_table_sql(self, table: str) -> list[str]:
        """Statements that create schemashift's key/value table (``IF NOT EXISTS``)."""
        return [
            f"CREATE TABLE IF NOT EXISTS {table} "
            "(key VARCHAR(100) PRIMARY KEY, value TEXT NOT NULL)"
        ]

    def meta_upsert_sql(self, table: str) -> str:
        """One statement that keeps a value under a key in the key/value table, replacing
        the one there: its two parameters are the key and the value."""
        p = self.placeholder
        return (
            f"INSERT INTO {table} (key, value) VALUES ({p}, {p}) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )

    def applied_at_value(self, now: datetime) -> Any:
        """``now`` (UTC, aware) as the driver should receive it for the tracking table's
        ``applied_at``. By default the driver takes the datetime as it is."""
        return now

    def set_statement_lock_timeout(self, conn: DBConnection, timeout: str) -> None:
        """Have each DDL statement on ``conn`` wait at most ``timeout`` (e.g. ``"5s"``) for a
        table lock (``statement_lock_timeout``). By default there is no such setting."""
        return None

    def own_table(self, conn: DBConnection, table: str) -> str:
        """How SQL names ``table``, one of schemashift's own tables, so that it is the one
        of this connection's schema even when a search path reaches other schemas."""
        return self.quote(table)

    @abstractmethod
    def own_table_exists(self, conn: DBConnection, table: str) -> bool:
        """Whether schemashift's own ``table`` exists (in the connection's schema)."""

    @abstractmethod
    def table_names(self, conn: DBConnection) -> set[str]:
        """Names of the user's tables (schemashift's own left out): a cheap look before a
        full :meth:`introspect`."""

    @abstractmethod
    def introspect(self, conn: DBConnection, *, exclude: Sequence[str] = ()) -> Schema:
        """The live schema (tables whose names start with ``_schemashift`` and those in
        ``exclude`` left out), in the form :meth:`comparable` gives."""

    @abstractmethod
    def comparable(self, schema: Schema) -> Schema:
        """``schema`` reduced to what :meth:`introspect` can see on this database (for
        example ``string`` and ``text`` are both ``TEXT`` on SQLite), so that
        ``comparable(replayed) == introspect(conn)`` exactly when the live database
        matches the migration files."""

    def render_concurrently(self, operations: Sequence[Operation]) -> list[Step]:
        """Index changes built and dropped without blocking writes, for an ``atomic =
        False`` migration (where :attr:`concurrent_index` says they exist)."""
        raise NotImplementedError(f"{self.name} builds indexes inside the batch")

    def online_phases(self, operations: Sequence[Operation], before: Schema) -> list[OnlinePhase]:
        """The online files of ``operations`` applied to ``before``, in order (where
        :attr:`online_changes` says they exist); raises ConfigError, before anything is
        written, for a change that has none."""
        raise NotImplementedError(f"{self.name} has no online forms of changes")

    def table_options(self, db: DBConnection, table: str) -> str:
        """What a table rebuild must keep after the column list of ``table``; nothing
        by default."""
        return ""

    def rebuild_table(
        self,
        db: DBConnection | None,
        execute: Callable[[str], Any],
        table: str,
        create: str,
        change: dict[str, str],
        add: dict[str, str | None],
        drop: tuple[str, ...],
        drop_constraints: tuple[str, ...],
        add_constraints: tuple[str, ...],
    ) -> list[str]:
        """Rebuild ``table`` from the live table (``conn.rebuild_table`` of generated
        files, see :class:`~schemashift.runtime.connection.MigrationConnection`) through
        ``execute``; with no ``db`` (a dry run), only the statements it would run."""
        raise NotImplementedError(f"{self.name} changes tables in place, without rebuilds")

    def restore_kept(
        self,
        db: DBConnection | None,
        execute: Callable[[str], Any],
        table: str,
        column: str,
    ) -> list[str]:
        """Fill ``table.column`` from the values kept when it was dropped
        (``conn.restore_kept`` of generated files, see
        :class:`~schemashift.runtime.connection.MigrationConnection`) through ``execute``;
        with no ``db`` (a dry run), only what it would do."""
        raise NotImplementedError(f"{self.name} keeps an implicit id without help")

    def dependents(self, db: DBConnection, table: str, column: str | None) -> list[str]:
        """The views and triggers (``"view coded"``) that use ``table``, or its ``column``,
        and that the database would keep, broken, through a drop or rename of it (checked
        by ``conn.check_dependents`` of generated files). None by default: the database
        refuses such a change itself, or the dialect's own rebuild checks them."""
        return []

    def named_placeholders(self, sql: str) -> str:
        """``sql`` written with ``:name`` placeholders (a migration declaring
        ``paramstyle = "named"``) in the form the driver reads with a mapping of
        parameters. By default the driver reads ``:name`` itself."""
        return sql

    def remove_created(self, conn: DBConnection) -> None:
        """After a run on ``conn`` (closed by now) failed, remove the database that
        :meth:`connect` created for it, so that a mistake leaves the disk as it was. Never
        anything this process did not create, and nothing another run is about to use.
        By default there is nothing to remove: the database was there before."""
        return None

    def send_warnings(self, conn: DBConnection, warn: Callable[[str], None]) -> None:
        """Have batches on ``conn`` pass to ``warn`` what the user should know but what
        does not stop them (SQLite: rows whose foreign key already pointed at no row
        before the batch). By default a batch has nothing of the kind to say."""
        return None
