"""A table rebuild worked out from the table as it is when the migration runs.

A generated rebuild (:mod:`schemashift.dialects.sqlite.rebuild`) says what it changes:
the columns it redefines, adds and drops and the table constraints it drops and adds,
with the table's new CREATE TABLE for the definitions. Everything else comes from the
live table, read when the migration runs: columns that the migration files do not know
(added by hand, or by a migration merged out of order), generated columns, collations,
constraints, indexes, triggers and the ``sqlite_sequence`` entry are kept as they are.
The rows are copied with their rowids, so a rowid that nothing else records survives.

Before anything changes, the rebuild refuses what it cannot keep: a view, trigger,
index, foreign key or constraint that needs a column the migration drops (found the way
SQLite's own DROP COLUMN finds them: by renaming the column in a savepoint that is rolled
back, and looking at what SQLite rewrote), or a column the migration changes that the
live table does not have. The work itself runs in a savepoint, so that even a migration
with ``atomic = False`` never leaves a half-done rebuild behind.

The procedure is SQLite's generalized ALTER TABLE
(https://www.sqlite.org/lang_altertable.html, section 7); foreign-key enforcement is off
for the batch, so dropping the old table never cascades.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from schemashift.dialects.base import Cursor, DBConnection
from schemashift.dialects.sqlite.quoting import quote, string_literal
from schemashift.dialects.sqlite.sqltext import (
    Element,
    elements,
    mentions,
    options_text,
    table_options,
    tokenize,
)
from schemashift.errors import MigrationFailed

#: The rebuilt table's name until it replaces the old one.
TEMP_PREFIX = "_schemashift_new_"
_ROWID_NAMES = ("rowid", "_rowid_", "oid")

#: Runs one statement of the rebuild (the migration connection's ``execute``).
Run = Callable[..., Cursor]


@dataclass(frozen=True)
class Rebuild:
    """What a rebuild of ``table`` changes. ``create`` is the table's CREATE TABLE as
    the migration files describe it after the change; only the definitions of the
    columns in ``change`` and ``add`` are taken from it. ``change`` and ``add`` give each
    of those columns its values, as an expression over the old table's row (None: the
    column's default)."""

    table: str
    create: str
    change: Mapping[str, str] = field(default_factory=dict)
    add: Mapping[str, str | None] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    drop_constraints: tuple[str, ...] = ()
    add_constraints: tuple[str, ...] = ()

    @property
    def temp(self) -> str:
        """The new table's name until it replaces the old one."""
        return TEMP_PREFIX + self.table


def refused(table: str, problem: str) -> MigrationFailed:
    """The error that stops the rebuild of ``table`` before it changes anything."""
    return MigrationFailed(f"Cannot rebuild table {table}: {problem}.")


@dataclass(frozen=True)
class LiveTable:
    """The table as it is in the database."""

    sql: str
    columns: list[Element]
    constraints: list[Element]
    #: Column name (lower case) to ``hidden`` of PRAGMA table_xinfo (2, 3: generated).
    hidden: dict[str, int]


def read_live(db: DBConnection, spec: Rebuild) -> LiveTable:
    """The live table that ``spec`` rebuilds."""
    row = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (spec.table,)
    ).fetchone()
    if row is None or row[0] is None:
        raise refused(
            spec.table,
            "the database has no such table; run the migrations before this one, or "
            "check the table name in this migration",
        )
    sql: str = row[0]
    parts = elements(sql)
    info = db.execute("SELECT name, hidden FROM pragma_table_xinfo(?)", (spec.table,))
    hidden = {str(name).lower(): int(flag) for name, flag in info}
    return LiveTable(
        sql,
        [e for e in parts if e.column is not None],
        [e for e in parts if e.column is None],
        hidden,
    )


def generated_columns(spec: Rebuild) -> dict[str, Element]:
    """The column definitions of ``spec.create``, by lower-case name."""
    return {(e.column or "").lower(): e for e in elements(spec.create) if e.column is not None}


def check_columns(spec: Rebuild, live: LiveTable) -> None:
    """Refuse when the changes do not fit the live table's columns."""
    generated = generated_columns(spec)
    for name in (*spec.change, *spec.add):
        if name.lower() not in generated:
            raise refused(
                spec.table,
                f"column {name} is not in the migration's CREATE TABLE; make the two agree",
            )
    for name in spec.change:
        if name.lower() not in live.hidden:
            raise refused(
                spec.table,
                f"column {name}, which this migration changes, is not in the live table; "
                "compare the database with the migration files (schemashift check) and "
                "fix the migration",
            )
    for name in spec.add:
        if name.lower() in live.hidden:
            raise refused(
                spec.table,
                f"it already has a column {name}, which this migration adds; compare the "
                "database with the migration files (schemashift check) and fix the migration",
            )


# --- what needs a dropped column ------------------------------------------------------


def _schema(db: DBConnection) -> dict[tuple[str, str], str]:
    rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL")
    return {(str(kind), str(name)): str(sql) for kind, name, sql in rows}


def _renamed_schema(db: DBConnection, table: str, column: str) -> dict[tuple[str, str], str] | None:
    """The schema as SQLite rewrites it when ``column`` is renamed (None when SQLite
    refuses the rename, for instance because some other view is already broken). The
    rename is rolled back."""
    (legacy,) = db.execute("PRAGMA legacy_alter_table").fetchone()
    db.execute("SAVEPOINT schemashift_probe")
    try:
        db.execute("PRAGMA legacy_alter_table = OFF")
        stand_in = "_schemashift_probe_" + column
        db.execute(f"ALTER TABLE {quote(table)} RENAME COLUMN {quote(column)} TO {quote(stand_in)}")
        return _schema(db)
    except sqlite3.Error:
        return None
    finally:
        db.execute("ROLLBACK TO schemashift_probe")
        db.execute("RELEASE schemashift_probe")
        db.execute(f"PRAGMA legacy_alter_table = {'ON' if legacy else 'OFF'}")


def _described(kind: str, name: str) -> str:
    if kind == "table":
        return f"a foreign key of table {name}"
    return f"{kind} {name}"


def _own(element: Element) -> str:
    if element.column is not None:
        return f"its column {element.column}"
    return f"its constraint {element.text}"


def dependents(db: DBConnection, spec: Rebuild, live: LiveTable, column: str) -> list[str]:
    """What, besides the parts of the table this rebuild replaces, uses ``column``."""
    before = _schema(db)
    after = _renamed_schema(db, spec.table, column)
    kept = kept_elements(spec, live)
    found: list[str] = []
    if after is None:
        for (kind, name), sql in before.items():
            if name != spec.table and mentions(sql, spec.table) and mentions(sql, column):
                found.append(_described(kind, name))
        found.extend(_own(e) for e in kept if mentions(e.text, column))
        return found
    for (kind, name), sql in before.items():
        if name != spec.table and after.get((kind, name)) != sql:
            found.append(_described(kind, name))
    rewritten = {e.text for e in elements(after[("table", spec.table)])}
    found.extend(_own(e) for e in kept if e.text not in rewritten)
    return found


def check_dependents(db: DBConnection, spec: Rebuild, live: LiveTable) -> None:
    """Refuse when a view, trigger, index, foreign key or kept part of the table uses a
    column that the rebuild drops: SQLite's own DROP COLUMN refuses the same."""
    for column in spec.drop:
        if column.lower() not in live.hidden:
            continue
        users = dependents(db, spec, live, column)
        if users:
            them = "it" if len(users) == 1 else "them"
            raise refused(
                spec.table,
                f"{', '.join(users)} {'uses' if len(users) == 1 else 'use'} column {column}, "
                f"which this migration drops; drop or change {them} first (for example in "
                "this migration, before the rebuild), then run migrate again",
            )


# --- the new definition -----------------------------------------------------------------


def _names(names: Mapping[str, Any] | tuple[str, ...]) -> set[str]:
    return {n.lower() for n in names}


def kept_elements(spec: Rebuild, live: LiveTable) -> list[Element]:
    """The live columns and constraints this rebuild keeps exactly as they are. A
    PRIMARY KEY, UNIQUE or FOREIGN KEY constraint on a single changed or dropped column
    goes with the column: it is how that column's key, uniqueness or reference is
    written, and the column's new definition says what they become."""
    replaced = _names(spec.change) | _names(spec.drop)
    dropped = [elements(f"CREATE TABLE t ({c})")[0] for c in spec.drop_constraints]
    columns = [e for e in live.columns if (e.column or "").lower() not in replaced]
    constraints = [
        e
        for e in live.constraints
        if not any(_matches(e, d) for d in dropped)
        and not (len(e.key_columns) == 1 and e.key_columns[0].lower() in replaced)
    ]
    return columns + constraints


def _matches(live: Element, dropped: Element) -> bool:
    """Whether live table constraint ``live`` is the one the migration drops: by name
    when both have one, the primary key by kind, anything else by its text."""
    if live.constraint_name is not None and dropped.constraint_name is not None:
        return live.constraint_name.lower() == dropped.constraint_name.lower()
    if live.is_primary_key and dropped.is_primary_key:
        return True
    return live.same_as(dropped)


def _with_collation(generated: Element, live: Element) -> str:
    """A changed column's new definition, keeping the live one's collation (no model
    describes collations, so no migration means to change one)."""
    collation = live.clause("COLLATE")
    if collation is None or generated.clause("COLLATE") is not None:
        return generated.text
    return f"{generated.text} {collation}"


def new_definition(spec: Rebuild, live: LiveTable) -> str:
    """CREATE TABLE for the rebuilt table (under its temporary name): the live columns
    with the changed ones redefined and the dropped ones left out, then the added ones,
    the live constraints the rebuild keeps and the ones it adds. The live table's
    options (STRICT, WITHOUT ROWID) follow."""
    generated = generated_columns(spec)
    kept = kept_elements(spec, live)
    changed = _names(spec.change)
    lines = []
    for column in live.columns:
        key = (column.column or "").lower()
        if key in changed:
            lines.append(_with_collation(generated[key], column))
        elif column in kept:
            lines.append(column.text)
    added = _names(spec.add)
    lines.extend(e.text for key, e in generated.items() if key in added)
    constraints = [e for e in kept if e.column is None]
    lines.extend(e.text for e in constraints)
    for text in spec.add_constraints:
        new = elements(f"CREATE TABLE t ({text})")[0]
        if not any(e.same_as(new) for e in constraints):
            lines.append(text)
    body = ",\n    ".join(lines)
    return f"CREATE TABLE {quote(spec.temp)} (\n    {body}\n){options_text(live.sql)}"


# --- the copy ---------------------------------------------------------------------------


def copy_rows(db: DBConnection, spec: Rebuild, live: LiveTable) -> str:
    """INSERT ... SELECT copying every row into the new table: kept columns as they are,
    changed and added ones through their expressions, generated ones left to compute
    themselves, and the rowid carried along unless a column of the new table is it."""
    info = db.execute(
        "SELECT name, type, pk, hidden FROM pragma_table_xinfo(?)", (spec.temp,)
    ).fetchall()
    change = {k.lower(): v for k, v in spec.change.items()}
    add = {k.lower(): v for k, v in spec.add.items()}
    pairs: list[tuple[str, str]] = []
    for name, _type, _pk, hidden in info:
        key = str(name).lower()
        if hidden:
            continue
        expression = change[key] if key in change else add[key] if key in add else quote(name)
        if expression is not None:
            pairs.append((quote(name), expression))
    keys = [row for row in info if row[2]]
    alias = len(keys) == 1 and str(keys[0][1]).upper() == "INTEGER"
    taken = {str(row[0]).lower() for row in info} | set(live.hidden)
    free = next((n for n in _ROWID_NAMES if n not in taken), None)
    # The new table takes the live one's options: both have a rowid, or neither.
    rowids = "WITHOUT" not in table_options(live.sql)
    if rowids and not alias and free is not None:
        pairs.insert(0, (free, free))
    if not pairs:
        # Every column is generated or takes its default: still one new row per old row.
        first = next(row[0] for row in info if not row[3])
        pairs.append((quote(first), "NULL"))
    targets = ", ".join(name for name, _ in pairs)
    values = ", ".join(expression for _, expression in pairs)
    return f"INSERT INTO {quote(spec.temp)} ({targets})\nSELECT {values} FROM {quote(spec.table)}"


def _count(db: DBConnection, table: str) -> int:
    (count,) = db.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()
    return int(count)


def check_row_count(db: DBConnection, source: str, target: str) -> None:
    """Raise unless ``source`` and ``target`` hold as many rows."""
    counts = (_count(db, source), _count(db, target))
    if counts[0] != counts[1]:
        raise MigrationFailed(
            f"Table rebuild of {source} copied {counts[1]} rows instead of {counts[0]}; "
            "nothing was changed."
        )


def _sequence(db: DBConnection, table: str) -> int | None:
    """The table's AUTOINCREMENT counter in sqlite_sequence, if it has one."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
    ).fetchone()
    if exists is None:
        return None
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    return None if row is None else int(row[0])


# --- the rebuild ------------------------------------------------------------------------


@contextmanager
def _savepoint(db: DBConnection, name: str) -> Iterator[None]:
    db.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        try:
            db.execute(f"ROLLBACK TO {name}")
            db.execute(f"RELEASE {name}")
        except sqlite3.Error:
            pass  # SQLite rolled the whole transaction back already
        raise
    db.execute(f"RELEASE {name}")


def rebuild_live(spec: Rebuild, db: DBConnection, run: Run) -> None:
    """Rebuild ``spec.table`` in the database: refuse what cannot be kept, then copy the
    rows into the new table and swap it in. ``db`` reads and holds the savepoints;
    ``run`` executes the statements that change something."""
    live = read_live(db, spec)
    check_columns(spec, live)
    check_dependents(db, spec, live)
    definition = new_definition(spec, live)
    with _savepoint(db, "schemashift_rebuild"):
        saved = db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger')"
            " AND sql IS NOT NULL ORDER BY rowid",
            (spec.table,),
        ).fetchall()
        counter = _sequence(db, spec.table)
        try:
            run(definition)
        except sqlite3.Error as exc:
            raise refused(
                spec.table,
                f"the live table's definition with this migration's changes is not valid "
                f"({exc}); compare the database with the migration files (schemashift "
                "check) and fix the migration",
            ) from exc
        run(copy_rows(db, spec, live))
        check_row_count(db, spec.table, spec.temp)
        run(f"DROP TABLE {quote(spec.table)}")
        if counter is not None:
            # DROP TABLE leaves the row of a table without AUTOINCREMENT; the counter is
            # put back below, even on such a table, so that a rollback to AUTOINCREMENT
            # hands out no deleted id again.
            run(f"DELETE FROM sqlite_sequence WHERE name = {string_literal(spec.table)}")
        # Legacy mode leaves views and triggers that name the table untouched: they
        # read it again by name once the rename is done.
        run("PRAGMA legacy_alter_table = ON")
        run(f"ALTER TABLE {quote(spec.temp)} RENAME TO {quote(spec.table)}")
        run("PRAGMA legacy_alter_table = OFF")
        if counter is not None:
            _restore_sequence(db, run, spec.table, counter)
        for (sql,) in saved:
            run(sql)


def _restore_sequence(db: DBConnection, run: Run, table: str, counter: int) -> None:
    current = _sequence(db, table)
    name = string_literal(table)
    if current is None:
        run(f"INSERT INTO sqlite_sequence (name, seq) VALUES ({name}, {counter})")
    elif current < counter:
        run(f"UPDATE sqlite_sequence SET seq = {counter} WHERE name = {name}")


def planned(spec: Rebuild) -> list[str]:
    """The rebuild's statements as a dry run shows them, without a database: as if the
    live table were the one the migration files describe."""
    temp = quote(spec.temp)
    opening = next(t for t in tokenize(spec.create) if t.text == "(")
    definition = f"CREATE TABLE {temp} {spec.create[opening.start :]}"
    change = {k.lower(): v for k, v in spec.change.items()}
    add = {k.lower(): v for k, v in spec.add.items()}
    pairs = []
    for key, column in generated_columns(spec).items():
        expression = change.get(key, add.get(key, quote(column.column or "")))
        if key in add and add[key] is None:
            continue
        pairs.append((quote(column.column or ""), expression))
    targets = ", ".join(name for name, _ in pairs)
    values = ", ".join(str(expression) for _, expression in pairs)
    table = quote(spec.table)
    return [
        f"-- rebuild of {spec.table}: what this migration does not change is taken from the "
        "live table",
        definition,
        f"INSERT INTO {temp} ({targets})\nSELECT {values} FROM {table}",
        f"-- check: {spec.temp} holds as many rows as {spec.table}",
        f"DROP TABLE {table}",
        "PRAGMA legacy_alter_table = ON",
        f"ALTER TABLE {temp} RENAME TO {table}",
        "PRAGMA legacy_alter_table = OFF",
        f"-- indexes, triggers and the AUTOINCREMENT counter of {spec.table} re-created "
        "as they were",
    ]
