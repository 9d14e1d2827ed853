"""Reading a live schema back from ``information_schema``, and the modelled schema in
that form.

:func:`introspect` and :func:`comparable` are two halves of one agreement: for a database
built by this dialect's SQL, ``comparable(replayed) == introspect(conn)``. Both sort
indexes, foreign keys and checks by name, spell defaults and check expressions in one
canonical form (:mod:`schemashift.dialects.mysql.defaults`), and drop what the other side
cannot express (a primary key is NOT NULL, a String has a length).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from schemashift.dialects.base import DBConnection
from schemashift.dialects.mysql.defaults import canonical, mysql_string, squeezed_sql
from schemashift.dialects.mysql.quoting import enum_check_name, unique_name
from schemashift.dialects.mysql.types import DEFAULT_LENGTH, column_from_type
from schemashift.schema.record import replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table

#: Tables of schemashift's own bookkeeping, never part of the user's schema.
INTERNAL_PREFIX = "_schemashift"

_COLUMNS = """
SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_DEFAULT, c.EXTRA,
       c.DATA_TYPE
FROM information_schema.COLUMNS AS c
JOIN information_schema.TABLES AS t
  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION
"""

# A prefix index (``code(5)``) has a SUB_PART; an index of another type than BTREE
# (FULLTEXT, SPATIAL, HASH) says so in INDEX_TYPE. Both are drift from a model's index.
_INDEXES = """
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, INDEX_TYPE
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""

_FOREIGN_KEYS = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME,
       k.REFERENCED_COLUMN_NAME, r.DELETE_RULE
FROM information_schema.KEY_COLUMN_USAGE AS k
JOIN information_schema.REFERENTIAL_CONSTRAINTS AS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""

# MariaDB lists a column-level check (JSON's json_valid) with the column's name.
_CHECKS = """
SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS AS c
JOIN information_schema.TABLE_CONSTRAINTS AS t
  ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME
 AND t.CONSTRAINT_TYPE = 'CHECK'
WHERE c.CONSTRAINT_SCHEMA = DATABASE()
ORDER BY t.TABLE_NAME, c.CONSTRAINT_NAME
"""

_LITERAL = re.compile(r"'((?:[^'\\]|''|\\.)*)'", re.DOTALL)
_ENUM_SHAPE = re.compile(r"`?([^`]+)`?\s+in\s*\((.*)\)\Z", re.IGNORECASE | re.DOTALL)
# MariaDB keeps ``col IN ('a')``, an enum of one value, as ``col = 'a'``.
_ONE_VALUE_SHAPE = re.compile(r"`?([^`]+)`?\s*=\s*('.*')\Z", re.DOTALL)
_JSON_VALID = re.compile(r"json_valid\(`?([^`]+)`?\)\Z", re.IGNORECASE)


@dataclass
class _TableParts:
    columns: list[Column] = field(default_factory=list)
    indexes: dict[str, Index] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def introspect(conn: DBConnection, exclude: Sequence[str] = ()) -> Schema:
    """The tables of the connection's database, in the form :func:`comparable` gives."""
    skipped = set(exclude)
    parts: dict[str, _TableParts] = {}
    version = conn.execute("SELECT VERSION()").fetchone()
    mariadb = "mariadb" in str(version[0] if version else "").lower()
    for row in conn.execute(_COLUMNS).fetchall():
        table = row[0]
        if not table.startswith(INTERNAL_PREFIX) and table not in skipped:
            parts.setdefault(table, _TableParts()).columns.append(_column(row, mariadb))
    for table, name, non_unique, column, sub_part, index_type in conn.execute(_INDEXES).fetchall():
        entry = parts.get(table)
        if entry is None:
            continue
        if name == "PRIMARY" and sub_part is None:
            _set_column(entry, column, primary_key=True)
            continue
        method = str(index_type or "BTREE").lower()
        unique = not int(non_unique)
        index = entry.indexes.get(
            name, Index(name, (), unique=unique, method=None if method == "btree" else method)
        )
        # MySQL 8 lists a functional key part with no column (its expression elsewhere).
        key = column if sub_part is None else f"{column}({sub_part})"
        entry.indexes[name] = replace(index, columns=(*index.columns, key or "(expression)"))
    for table, name, column, ref_table, ref_column, rule in conn.execute(_FOREIGN_KEYS).fetchall():
        if table in parts:
            parts[table].foreign_keys.append(ForeignKey(name, column, ref_table, ref_column, rule))
    for table, name, clause in conn.execute(_CHECKS).fetchall():
        if table in parts:
            _check(table, parts[table], name, clause)
    return Schema.of(_table(name, p) for name, p in parts.items())


def _table(name: str, parts: _TableParts) -> Table:
    columns = list(parts.columns)
    indexes = []
    fk_names = {fk.name: fk.column for fk in parts.foreign_keys}
    for index in parts.indexes.values():
        column = index.columns[0] if len(index.columns) == 1 else None
        if index.unique and column is not None and index.name == unique_name(name, column):
            columns = [replace(c, unique=True) if c.name == column else c for c in columns]
        elif column is not None and fk_names.get(index.name) == column and not index.unique:
            # The index MySQL made for a foreign key that had none of its own.
            continue
        else:
            indexes.append(index)
    return Table(
        name,
        tuple(columns),
        tuple(sorted(indexes, key=lambda i: i.name)),
        tuple(sorted(parts.foreign_keys, key=lambda f: f.name)),
        tuple(sorted(parts.checks, key=lambda c: c.name)),
    )


def _column(row: Sequence[Any], mariadb: bool) -> Column:
    _, name, type_text, nullable, default, extra, data_type = row
    kind, max_length, digits, places = column_from_type(type_text)
    extra = (extra or "").lower()
    autoincrement = "auto_increment" in extra
    # MySQL 8 gives a constant default unquoted (an expression is DEFAULT_GENERATED);
    # MariaDB gives every default as SQL, and no default as the text NULL.
    if (
        not mariadb
        and default is not None
        and "default_generated" not in extra
        and data_type in _QUOTED_TYPES
        and not str(default).startswith("'")
    ):
        default = "'" + str(default).replace("\\", "\\\\").replace("'", "''") + "'"
    return Column(
        name,
        kind,
        nullable=nullable == "YES",
        default=None if autoincrement else canonical(default, kind, from_server=True),
        autoincrement=autoincrement,
        max_length=max_length,
        max_digits=digits,
        decimal_places=places,
    )


# Types whose constant defaults MySQL 8 lists without quotes (MariaDB quotes them).
_QUOTED_TYPES = {"char", "varchar", "date", "datetime", "time", "timestamp", "enum"}


def _set_column(parts: _TableParts, name: str, **changes: Any) -> None:
    parts.columns = [replace(c, **changes) if c.name == name else c for c in parts.columns]


def _check(table: str, parts: _TableParts, name: str, clause: str) -> None:
    json_valid = _JSON_VALID.match(clause.strip())
    if json_valid and json_valid[1] == name:
        _set_column(parts, name, kind="json")
        return
    shape = _ENUM_SHAPE.match(clause.strip()) or _ONE_VALUE_SHAPE.match(clause.strip())
    if shape is not None and name == enum_check_name(table, shape[1]):
        # The server writes a quote in a value as \' (and a backslash as \\).
        values = tuple(mysql_string(m[0]) or "" for m in _LITERAL.finditer(shape[2]))
        _set_column(parts, shape[1], kind="enum", choices=values, max_length=None)
        return
    parts.checks.append(Check(name, squeezed_sql(clause)))


def dependents(conn: DBConnection, table: str, column: str | None) -> list[str]:
    """The views that use ``table`` (or its ``column``), and the triggers of ``table``
    that use ``column``: MySQL drops and renames under them and leaves them broken.

    The server keeps a view's query with every name quoted and every column qualified
    (```shop`.`users`.`code``` or ```u`.`code```), so a view uses the table when it names
    it in this database, and the column when it also names a qualified column of that
    name. A view joining another table with a column of the same name is counted too:
    better a refusal to check than a broken view."""
    found: list[str] = []
    database = conn.execute("SELECT DATABASE()").fetchone()[0]
    named = f"`{_backticked(database)}`.`{_backticked(table)}`"
    qualified = f"`.`{_backticked(column)}`" if column is not None else None
    rows = conn.execute(
        "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
        "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME"
    ).fetchall()
    for name, definition in rows:
        text = str(definition or "")
        if named in text and (qualified is None or qualified in text):
            found.append(f"view {name}")
    if column is not None:
        uses = re.compile(
            rf"\b(?:NEW|OLD)\s*\.\s*(?:`{re.escape(_backticked(column))}`|"
            rf"{re.escape(column)}\b)",
            re.IGNORECASE,
        )
        triggers = conn.execute(
            "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS "
            "WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = %s "
            "ORDER BY TRIGGER_NAME",
            (table,),
        ).fetchall()
        found.extend(f"trigger {name}" for name, body in triggers if uses.search(str(body)))
    return found


def _backticked(name: str) -> str:
    return name.replace("`", "``")


def comparable(schema: Schema) -> Schema:
    """``schema`` as :func:`introspect` would read it back from MySQL."""
    return Schema.of(
        Table(
            t.name,
            tuple(_comparable_column(c) for c in t.columns),
            tuple(sorted(t.indexes, key=lambda i: i.name)),
            tuple(sorted(t.foreign_keys, key=lambda f: f.name)),
            tuple(
                sorted((Check(c.name, squeezed_sql(c.sql)) for c in t.checks), key=lambda c: c.name)
            ),
        )
        for t in schema.tables.values()
    )


def _comparable_column(column: Column) -> Column:
    kind = column.kind
    max_length = None
    if kind == "enum" and not column.choices:
        kind, max_length = "string", DEFAULT_LENGTH
    if kind == "string":
        max_length = column.max_length or DEFAULT_LENGTH
    digits, places = None, None
    if kind == "decimal":
        digits = column.max_digits if column.max_digits is not None else 65
        places = column.decimal_places or 0 if column.max_digits is not None else 30
    return Column(
        column.name,
        kind,
        nullable=column.nullable and not column.primary_key,
        default=None
        if column.autoincrement
        else canonical(column.default, kind, from_server=False),
        unique=column.unique and not column.primary_key,
        primary_key=column.primary_key,
        autoincrement=column.autoincrement,
        max_length=max_length,
        max_digits=digits,
        decimal_places=places,
        choices=column.choices if kind == "enum" else (),
    )
