"""The tracking table ``_schemashift_migrations``: one row per applied migration."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from schemashift.errors import DatabaseError

if TYPE_CHECKING:
    from schemashift.dialects.base import DBConnection, Dialect

TRACKING_TABLE = "_schemashift_migrations"
#: Holds ``tracking_version``, so that a later release can upgrade the tracking table in
#: place and an older release refuses a layout it does not know.
META_TABLE = "_schemashift_meta"
TRACKING_VERSION = 1
COLUMNS = ("name", "batch", "applied_at", "checksum", "duration_ms")
_NAME = re.compile(r"^\d{4,}_[a-z0-9_]+$")


class AppliedRecord(NamedTuple):
    """One row of the tracking table. ``applied_at`` is UTC, ``YYYY-MM-DD HH:MM:SS``."""

    name: str
    batch: int
    applied_at: str
    checksum: str
    duration_ms: int

    @property
    def number(self) -> int:
        """The migration's number (``0003_x`` -> 3)."""
        return int(self.name.split("_", 1)[0])


def _format_time(value: Any) -> str:
    if hasattr(value, "astimezone"):  # a datetime, from PostgreSQL's TIMESTAMPTZ
        from datetime import timezone

        return str(value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"))
    return str(value)


class Recorder:
    """Reads and writes the tracking table through one connection."""

    def __init__(self, conn: DBConnection, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect = dialect
        self._p = dialect.placeholder
        self.table = dialect.own_table(conn, TRACKING_TABLE)
        self.meta = dialect.own_table(conn, META_TABLE)

    def exists(self, table: str = TRACKING_TABLE) -> bool:
        """Whether the tracking table (or ``table``) exists."""
        return self.dialect.own_table_exists(self.conn, table)

    def ensure(self) -> None:
        """Create the tracking and meta tables if they are missing, recording the layout
        version (inside the batch transaction, so a failed first batch leaves neither)."""
        for sql in self.dialect.tracking_table_sql(self.table):
            self.conn.execute(sql)
        self.conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.meta} "
            "(key VARCHAR(100) PRIMARY KEY, value TEXT NOT NULL)"
        )
        self.conn.execute(
            f"INSERT INTO {self.meta} (key, value) SELECT 'tracking_version', "
            f"'{TRACKING_VERSION}' WHERE NOT EXISTS "
            f"(SELECT 1 FROM {self.meta} WHERE key = 'tracking_version')"
        )

    def version(self) -> int:
        """The tracking table's layout version (1 when the meta table is absent)."""
        if not self.exists(META_TABLE):
            return 1
        row = self.conn.execute(
            f"SELECT value FROM {self.meta} WHERE key = 'tracking_version'"
        ).fetchone()
        try:
            return int(row[0]) if row is not None else 1
        except (TypeError, ValueError):
            raise DatabaseError(
                f"{self.meta} holds a tracking_version that is not a number ({row[0]!r}). "
                "Fix that row by hand; nothing was changed."
            ) from None

    def applied(self) -> list[AppliedRecord]:
        """Every applied migration, oldest batch first, by number within a batch. An
        absent table means nothing is applied; a malformed one is refused."""
        if not self.exists():
            return []
        version = self.version()
        if version > TRACKING_VERSION:
            raise DatabaseError(
                f"The tracking table was written by a newer schemashift (layout version "
                f"{version}; this one knows {TRACKING_VERSION}). Upgrade schemashift; nothing "
                "was changed."
            )
        try:
            rows = self.conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {self.table}"
            ).fetchall()
        except Exception as exc:
            raise DatabaseError(
                f"The tracking table {TRACKING_TABLE} is malformed ({exc}). It may have been "
                "changed by hand; restore it from a backup or fix its columns "
                f"({', '.join(COLUMNS)}). Nothing was changed."
            ) from exc
        records = []
        for row in rows:
            name, batch, applied_at, checksum, duration = row
            if (
                not isinstance(name, str)
                or not _NAME.match(name)
                or not isinstance(batch, int)
                or not isinstance(checksum, str)
            ):
                raise DatabaseError(
                    f"The tracking table {TRACKING_TABLE} holds a row that schemashift did "
                    f"not write: {tuple(row)!r}. Fix or delete that row by hand; nothing was "
                    "changed."
                )
            records.append(
                AppliedRecord(name, batch, _format_time(applied_at), checksum, int(duration or 0))
            )
        records.sort(key=lambda r: (r.batch, r.number, r.name))
        return records

    def record(self, name: str, batch: int, checksum: str, duration_ms: int) -> None:
        """Add the row for a migration just applied (inside the batch transaction)."""
        from datetime import datetime, timezone

        now: Any = datetime.now(timezone.utc).replace(microsecond=0)
        if self.dialect.name == "sqlite":
            now = now.strftime("%Y-%m-%d %H:%M:%S")
        p = self._p
        self.conn.execute(
            f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) VALUES ({p}, {p}, {p}, {p}, {p})",
            (name, batch, now, checksum, duration_ms),
        )

    def forget(self, name: str) -> None:
        """Remove the row of a rolled-back (or missing) migration."""
        self.conn.execute(f"DELETE FROM {self.table} WHERE name = {self._p}", (name,))

    def set_checksum(self, name: str, checksum: str) -> None:
        """Accept an edited applied file (``migrate --repair``)."""
        p = self._p
        self.conn.execute(
            f"UPDATE {self.table} SET checksum = {p} WHERE name = {p}", (checksum, name)
        )
