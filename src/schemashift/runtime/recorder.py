"""The tracking table ``_schemashift_migrations``: one row per applied migration."""

from __future__ import annotations

from schemashift.errors import DatabaseError
from schemashift.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from schemashift.dialects.base import DBConnection, Dialect

TRACKING_TABLE = "_schemashift_migrations"
#: Holds ``tracking_version``, so that a later release can upgrade the tracking table in
#: place and an older release refuses a layout it does not know.
META_TABLE = "_schemashift_meta"
TRACKING_VERSION = 3
COLUMNS = ("name", "batch", "applied_at", "checksum", "duration_ms")
#: The statements that bring the tracking table from layout ``version - 1`` to
#: ``version``. The dialect's ``tracking_table_sql`` creates layout 1, so a new table and
#: an old one reach the current layout by the same steps.
_UPGRADES = {
    # The applied file's text, so that a host without the file can write it back.
    2: ("ALTER TABLE {table} ADD COLUMN source {text}",),
    # On a database without transactional DDL, a migration that failed part-way: the
    # statements that took effect (JSON), NULL for an applied migration. A migration
    # still running (or whose run ended without a word) holds an object instead, see
    # Recorder.record_started.
    3: ("ALTER TABLE {table} ADD COLUMN failed {text}",),
}
#: A migration's name; compiled when the table is read, so that an application calling
#: ``evolve()`` need not import ``re`` for it.
_NAME = r"^\d{4,}_[a-z0-9_]+$"
#: How many statements an interrupted record lists; beyond them it counts. Its row is
#: written before every statement, so its size must not grow with the migration's.
LISTED = 20


class Interrupted(NamedTuple):
    """What the record of a migration whose run ended while applying it says beyond
    the statements it lists."""

    #: The statement that was running: it may or may not have taken effect.
    running: str | None
    #: Statements that took effect after the listed ones.
    more: int


class AppliedRecord(NamedTuple):
    """One row of the tracking table. ``applied_at`` is UTC, ``YYYY-MM-DD HH:MM:SS``."""

    name: str
    batch: int
    applied_at: str
    checksum: str
    duration_ms: int
    #: Whether the tracking table keeps the applied file's text (records written before
    #: layout 2 do not).
    stored: bool = False
    #: For a migration that failed part-way on a database without transactional DDL, the
    #: statements that took effect before it failed; None for an applied migration.
    failed: tuple[str, ...] | None = None
    #: Set when the run ended (killed, connection lost) while applying it: ``failed``
    #: then lists the statements known to have taken effect.
    interrupted: Interrupted | None = None
    #: Whether ``failed`` lists statements of its ``down()``: it failed (or its run
    #: ended) part-way through a rollback, so it is neither applied nor rolled back.
    rollback: bool = False

    @property
    def number(self) -> int:
        """The migration's number (``0003_x`` -> 3)."""
        return int(self.name.split("_", 1)[0])


def _order(record: AppliedRecord) -> tuple[int, int, str]:
    """Oldest batch first, by number within a batch."""
    name = record[0]
    return (record[1], int(name[: name.index("_")]), name)


def _format_time(value: Any) -> str:
    if hasattr(value, "astimezone"):  # a datetime, from a timestamp column
        from datetime import timezone

        # A DATETIME without a zone (MySQL) already holds UTC.
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return str(value.strftime("%Y-%m-%d %H:%M:%S"))
    return str(value)


def setup_statements(dialect: Dialect, table: str, meta: str) -> list[str]:
    """The statements that create the tracking and meta tables when they are missing (the
    layout they create is 1; :meth:`Recorder.ensure` then upgrades it)."""
    key = dialect.quote("key")
    return [
        *dialect.tracking_table_sql(table),
        *dialect.meta_table_sql(meta),
        # A tracking table without a version row predates the meta table: layout 1.
        f"INSERT INTO {meta} ({key}, value) SELECT 'tracking_version', '1' "
        f"WHERE NOT EXISTS (SELECT 1 FROM {meta} WHERE {key} = 'tracking_version')",
    ]


def record_statement(dialect: Dialect, table: str, name: str, checksum: str, *, first: bool) -> str:
    """An INSERT of the tracking row of ``name``, with its values written in, for a script
    applied by hand: the first migration of the script opens a new batch, the others join
    it. The row keeps no copy of the file (as a record of layout 1)."""
    batch = (
        f"(SELECT COALESCE(MAX(batch), 0) + 1 FROM {table})"
        if first
        else f"(SELECT MAX(batch) FROM {table})"
    )
    return (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ("
        f"'{name}', {batch}, {dialect.now_sql}, '{checksum}', 0)"
    )


class Recorder:
    """Reads and writes the tracking table through one connection."""

    def __init__(self, conn: DBConnection, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect
        self._p = dialect.placeholder
        self.table = dialect.own_table(conn, TRACKING_TABLE)
        self.meta = dialect.own_table(conn, META_TABLE)
        self._key = dialect.quote("key")

    def exists(self, table: str = TRACKING_TABLE) -> bool:
        """Whether the tracking table (or ``table``) exists."""
        return self.dialect.own_table_exists(self.conn, table)

    def ensure(self) -> None:
        """Create the tracking and meta tables if they are missing and upgrade an older
        layout in place (inside the batch transaction, so a failed batch leaves the
        tables as they were)."""
        for sql in setup_statements(self.dialect, self.table, self.meta):
            self.conn.execute(sql)
        version = self._known_version()
        for target in range(version + 1, TRACKING_VERSION + 1):
            for sql in _UPGRADES[target]:
                self.conn.execute(sql.format(table=self.table, text=self.dialect.long_text_type))
            self.conn.execute(
                f"UPDATE {self.meta} SET value = '{target}' WHERE {self._key} = 'tracking_version'"
            )

    def version(self) -> int:
        """The tracking table's layout version (1 when the meta table is absent)."""
        if not self.exists(META_TABLE):
            return 1
        row = self.conn.execute(
            f"SELECT value FROM {self.meta} WHERE {self._key} = 'tracking_version'"
        ).fetchone()
        try:
            return int(row[0]) if row is not None else 1
        except (TypeError, ValueError):
            raise DatabaseError(
                f"{self.meta} holds a tracking_version that is not a number ({row[0]!r}). "
                "Fix that row by hand; nothing was changed."
            ) from None

    def _known_version(self) -> int:
        """The layout version, refusing one newer than this release knows."""
        version = self.version()
        if version > TRACKING_VERSION:
            raise DatabaseError(
                f"The tracking table was written by a newer schemashift (layout version "
                f"{version}; this one knows {TRACKING_VERSION}). Upgrade schemashift; nothing "
                "was changed."
            )
        return version

    def meta_value(self, key: str) -> str | None:
        """The value kept under ``key`` in the meta table (None when there is none)."""
        if not self.exists(META_TABLE):
            return None
        row = self.conn.execute(
            f"SELECT value FROM {self.meta} WHERE {self._key} = {self._p}", (key,)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_meta_value(self, key: str, value: str) -> None:
        """Keep ``value`` under ``key`` in the meta table, which must exist (one statement,
        so it needs no transaction of its own)."""
        self.conn.execute(self.dialect.meta_upsert_sql(self.meta), (key, value))

    def applied(self) -> list[AppliedRecord]:
        """Every applied migration, oldest batch first, by number within a batch. An
        absent table means nothing is applied; a malformed one is refused. An older
        layout is read as it is (its records keep no file text)."""
        if not self.exists():
            return []
        version = self._known_version()
        stored = "source IS NOT NULL" if version >= 2 else "0"
        failed = "failed" if version >= 3 else "NULL"
        try:
            rows = self.conn.execute(
                f"SELECT {', '.join(COLUMNS)}, {stored}, {failed} FROM {self.table}"
            ).fetchall()
        except Exception as exc:
            raise DatabaseError(
                f"The tracking table {TRACKING_TABLE} is malformed ({exc}). It may have been "
                "changed by hand; restore it from a backup or fix its columns "
                f"({', '.join(COLUMNS)}). Nothing was changed."
            ) from exc
        import re

        records = []
        valid_name = re.compile(_NAME).match
        for row in rows:
            name, batch, applied_at, checksum, duration, has_source, ran = row
            if (
                not isinstance(name, str)
                or not valid_name(name)
                or not isinstance(batch, int)
                or not isinstance(checksum, str)
            ):
                raise DatabaseError(
                    f"The tracking table {TRACKING_TABLE} holds a row that schemashift did "
                    f"not write: {tuple(row)!r}. Fix or delete that row by hand; nothing was "
                    "changed."
                )
            records.append(
                AppliedRecord(
                    name,
                    batch,
                    # SQLite keeps text: most rows need no conversion.
                    applied_at if applied_at.__class__ is str else _format_time(applied_at),
                    checksum,
                    int(duration or 0),
                    bool(has_source),
                    *_failed(ran),
                )
            )
        records.sort(key=_order)
        return records

    def record(
        self, name: str, batch: int, checksum: str, duration_ms: int, source: bytes | None = None
    ) -> None:
        """Add the row for a migration just applied (inside the batch transaction, after
        :meth:`ensure`), keeping ``source``, the file's bytes, when they can be kept."""
        from datetime import datetime, timezone

        now = self.dialect.applied_at_value(datetime.now(timezone.utc).replace(microsecond=0))
        p = self._p
        columns = ", ".join((*COLUMNS, "source"))
        self.conn.execute(
            f"INSERT INTO {self.table} ({columns}) VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
            (name, batch, now, checksum, duration_ms, _as_text(source)),
        )

    def record_started(
        self, name: str, batch: int, checksum: str, source: bytes | None = None
    ) -> None:
        """Record ``name`` as failed before its first statement runs, on a database
        without transactional DDL: should the run end without a word (killed, the
        connection lost), the next one finds the record and refuses to run statements
        that may already have taken effect. :meth:`record_progress` keeps it current,
        :meth:`mark_applied` clears it."""
        self.record(name, batch, checksum, 0, source)
        self.record_progress(name, [], None)

    def record_rolling_back(self, name: str) -> None:
        """Record the applied ``name`` as failed before the first statement of its
        ``down()`` runs, on a database without transactional DDL, for the reason given
        at :meth:`record_started`. :meth:`forget` ends it once ``down()`` is done."""
        self.record_progress(name, [], None, rollback=True)

    def record_progress(
        self, name: str, ran: Sequence[str], running: str | None, *, rollback: bool = False
    ) -> None:
        """Before statement ``running`` of ``name`` (of its ``down()`` when ``rollback``):
        ``ran`` have taken effect."""
        import json

        value: dict[str, object] = {
            "ran": list(ran[:LISTED]),
            "more": max(0, len(ran) - LISTED),
            "running": running,
        }
        if rollback:
            value["rollback"] = True
        self.conn.execute(
            f"UPDATE {self.table} SET failed = {self._p} WHERE name = {self._p}",
            (json.dumps(value), name),
        )

    def mark_applied(self, name: str, duration_ms: int) -> None:
        """``name``, recorded by :meth:`record_started`, ran to its end."""
        from datetime import datetime, timezone

        now = self.dialect.applied_at_value(datetime.now(timezone.utc).replace(microsecond=0))
        p = self._p
        self.conn.execute(
            f"UPDATE {self.table} SET failed = NULL, applied_at = {p}, duration_ms = {p} "
            f"WHERE name = {p}",
            (now, duration_ms, name),
        )

    def record_failed(self, name: str, ran: list[str], *, rollback: bool = False) -> None:
        """Record ``name`` (recorded by :meth:`record_started`, or by
        :meth:`record_rolling_back` when ``rollback``) as failed part-way, with the
        statements ``ran`` that took effect."""
        import json

        value = json.dumps({"ran": ran, "rollback": True} if rollback else ran)
        self.conn.execute(
            f"UPDATE {self.table} SET failed = {self._p} WHERE name = {self._p}",
            (value, name),
        )

    def restore_applied(self, name: str) -> None:
        """``name``'s rollback failed before any statement of its ``down()`` took effect:
        it is applied as it was."""
        self.conn.execute(f"UPDATE {self.table} SET failed = NULL WHERE name = {self._p}", (name,))

    def source(self, name: str) -> bytes | None:
        """The bytes of the file applied as ``name``, as they were when it was recorded
        (None when the record keeps no text)."""
        if not self.exists() or self._known_version() < 2:
            return None
        row = self.conn.execute(
            f"SELECT source FROM {self.table} WHERE name = {self._p}", (name,)
        ).fetchone()
        if row is None or not isinstance(row[0], str):
            return None
        return row[0].encode("utf-8")

    def forget(self, name: str) -> None:
        """Remove the row of a rolled-back (or missing) migration."""
        self.conn.execute(f"DELETE FROM {self.table} WHERE name = {self._p}", (name,))

    def set_checksum(self, name: str, checksum: str, source: bytes | None = None) -> None:
        """Accept an edited applied file (``migrate --repair``): its checksum and text
        (inside a transaction, after :meth:`ensure`)."""
        p = self._p
        self.conn.execute(
            f"UPDATE {self.table} SET checksum = {p}, source = {p} WHERE name = {p}",
            (checksum, _as_text(source), name),
        )


def _failed(value: Any) -> tuple[tuple[str, ...] | None, Interrupted | None, bool]:
    """The ``failed`` column, parsed once: the statements that took effect (None for an
    applied migration), what an interrupted run's record says beyond them (None when the
    run did not end while the migration ran), and whether they are of its ``down()``."""
    if value is None:
        return None, None, False
    import json

    try:
        state = json.loads(value)
    except (TypeError, ValueError):
        return (str(value),), None, False
    ran = state.get("ran", []) if isinstance(state, dict) else state
    statements = tuple(str(s) for s in ran) if isinstance(ran, list) else (str(ran),)
    if not isinstance(state, dict):
        return statements, None, False
    rollback = state.get("rollback") is True
    # A failed rollback's record is an object too, but one without "running".
    if "running" not in state:
        return statements, None, rollback
    running, more = state.get("running"), state.get("more")
    interrupted = Interrupted(
        running if isinstance(running, str) else None, more if isinstance(more, int) else 0
    )
    return statements, interrupted, rollback


def _as_text(source: bytes | None) -> str | None:
    """The file's bytes as the text column keeps them; None for bytes that a text column
    cannot hold exactly (not UTF-8, or a NUL byte), so the write-back stays byte-exact."""
    if source is None or b"\0" in source:
        return None
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError:
        return None
