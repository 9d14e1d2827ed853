"""The ``conn`` object that migration functions receive."""

from __future__ import annotations

from schemashift.errors import MigrationFailed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from typing import Any

    from schemashift.dialects.base import Cursor, DBConnection, Dialect


class _EmptyCursor:
    """What a dry run's ``execute`` returns: no rows."""

    def fetchone(self) -> Any:
        return None

    def fetchall(self) -> list[Any]:
        return []

    def __iter__(self) -> Iterator[Any]:
        return iter(())


class MigrationConnection:
    """Passed to ``up(conn)`` and ``down(conn)``.

    ``execute(sql, params=None)`` runs one statement with the driver's own placeholders
    and returns its cursor; ``dialect`` is the database's name (``conn.dialect``). In a dry run
    statements are collected in :attr:`statements` instead of being run.
    """

    #: ``"named"`` while a migration that declares ``paramstyle = "named"`` runs: its
    #: statements use ``:name`` placeholders with a mapping on every database.
    paramstyle = "native"

    def __init__(self, db: DBConnection | None, dialect: str, *, dry_run: bool = False) -> None:
        self._db = db
        self.dialect = dialect
        self.dry_run = dry_run
        self.statements: list[str] = []
        self.last_statement: str | None = None

    @property
    def _dialect(self) -> Dialect:
        from schemashift.dialects import get_dialect

        return get_dialect(self.dialect)

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Cursor:
        """Run one SQL statement and return the cursor."""
        if self.paramstyle == "named" and params is not None:
            sql = self._dialect.named_placeholders(sql)
        self.last_statement = sql
        if self.dry_run or self._db is None:
            self.statements.append(sql if params is None else f"{sql}  -- params: {params!r}")
            return _EmptyCursor()
        if params is None:
            return self._db.execute(sql)
        # Both drivers take a mapping for named placeholders, though the contract of a
        # driver connection lists sequences only.
        driver_params: Any = params
        return self._db.execute(sql, driver_params)

    def table_options(self, table: str) -> str:
        """SQLite: the options after the column list of ``table`` (``" STRICT"``,
        ``" WITHOUT ROWID"``, both, or ``""``), for a rebuild to keep them; ``""`` on
        other databases."""
        if self.dry_run or self._db is None:
            return ""
        return self._dialect.table_options(self._db, table)

    def check_row_count(self, source: str, target: str) -> None:
        """Raise unless tables ``source`` and ``target`` hold as many rows (used by table
        rebuilds before the old table is dropped). Names are given unquoted."""
        if self.dry_run or self._db is None:
            self.statements.append(f"-- check: {target} holds as many rows as {source}")
            return
        counts = []
        for name in (source, target):
            row = self._db.execute(f"SELECT count(*) FROM {self._dialect.quote(name)}").fetchone()
            counts.append(row[0])
        if counts[0] != counts[1]:
            raise MigrationFailed(
                f"Table rebuild of {source} copied {counts[1]} rows instead of {counts[0]}; "
                "nothing was changed."
            )

    def rebuild_table(
        self,
        table: str,
        create: str,
        *,
        change: Mapping[str, str] | None = None,
        add: Mapping[str, str | None] | None = None,
        drop: Sequence[str] = (),
        drop_constraints: Sequence[str] = (),
        add_constraints: Sequence[str] = (),
    ) -> None:
        """SQLite: rebuild ``table`` for changes that ALTER TABLE cannot make, starting
        from the table as it is now. ``create`` is its CREATE TABLE as the migration files
        describe it after the change; the definitions of the columns in ``change`` (each
        with the expression giving its values from the old row) and ``add`` (each with the
        value for existing rows, None for its default) come from it, ``drop`` lists the
        dropped columns, and ``drop_constraints`` / ``add_constraints`` the table
        constraints. Every other column, constraint, index, trigger and the AUTOINCREMENT
        counter are kept as the live table has them; the rebuild refuses, changing
        nothing, when a view, trigger, index or foreign key uses a dropped column."""
        db = None if self.dry_run else self._db
        if db is not None:
            # A refusal names what is in the way; a statement run before it is no clue.
            self.last_statement = None
        self.statements.extend(
            self._dialect.rebuild_table(
                db,
                self.execute,
                table,
                create,
                dict(change or {}),
                dict(add or {}),
                tuple(drop),
                tuple(drop_constraints),
                tuple(add_constraints),
            )
        )

    def restore_kept(self, table: str, column: str) -> None:
        """PostgreSQL and MySQL: fill ``table.column``, just added back as a plain nullable
        column, with the value each row had when a migration dropped it (kept in a
        hidden table ``_schemashift_kept_<table>_<column>``, matched by the columns kept
        with it), give the rows with none new values after the largest, and drop the
        hidden table. Without a usable hidden table every row gets a new value. Names
        are given unquoted."""
        db = None if self.dry_run else self._db
        self.statements.extend(self._dialect.restore_kept(db, self.execute, table, column))

    #: ``table.column`` names whose conversions may change stored values: the migration
    #: file's ``accept_value_changes``, set by the loader.
    accepted_value_changes: frozenset[str] = frozenset()

    def check_dependents(self, table: str, column: str | None, change: str) -> None:
        """Raise, before ``change`` (``"drops"`` or ``"renames"``) of ``table`` or of its
        ``column``, when views or triggers use it that the database would keep, broken
        (MySQL does not look). Names are given unquoted."""
        what = f"table {table}" if column is None else f"column {column} of {table}"
        if self.dry_run or self._db is None:
            self.statements.append(f"-- check: no view or trigger uses {what}")
            return
        found = self._dialect.dependents(self._db, table, column)
        if not found:
            return
        one = len(found) == 1
        raise MigrationFailed(
            f"{', '.join(found)} {'uses' if one else 'use'} {what}, which this migration "
            f"{change}; the database would keep {'it' if one else 'them'}, broken. Drop or "
            f"change {'it' if one else 'them'} first (in the migration, before the change), "
            "then run the command again."
        )

    def check_values(self, table: str, column: str, unkept: str) -> None:
        """Raise, before a conversion that may change stored values, when rows of
        ``table`` hold a non-NULL ``column`` value for which the SQL condition ``unkept``
        holds (a value the conversion would not keep), unless the migration file lists
        ``table.column`` in ``accept_value_changes``. Names are given unquoted."""
        name = f"{table}.{column}"
        if name in self.accepted_value_changes:
            return
        quoted_table = self._dialect.quote(table)
        quoted_column = self._dialect.quote(column)
        where = f"{quoted_column} IS NOT NULL AND ({unkept})"
        if self.dry_run or self._db is None:
            self.statements.append(
                f"-- check: no row of {table} has {column} values where {unkept}"
            )
            return
        self.last_statement = f"SELECT count(*) FROM {quoted_table} WHERE {where}"
        count = self._db.execute(self.last_statement).fetchone()[0]
        if not count:
            return
        shown = self._db.execute(
            f"SELECT {quoted_column} FROM {quoted_table} WHERE {where} LIMIT 5"
        ).fetchall()
        samples = ", ".join(repr(row[0]) for row in shown) + (", ..." if count > 5 else "")
        rows = "1 row holds" if count == 1 else f"{count} rows hold"
        raise MigrationFailed(
            f"{rows} a value of {name} that changing its type would change ({samples}). "
            "Correct those rows first, or, once you have checked them, add "
            f'accept_value_changes = ["{name}"] to the migration file.'
        )
