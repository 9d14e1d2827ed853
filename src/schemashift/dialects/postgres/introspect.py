"""Reading a live schema back from the catalog, and the modelled schema in that form.

:func:`introspect` and :func:`comparable` are two halves of one agreement: for a database
built by this dialect's SQL, ``comparable(replayed) == introspect(conn)``. Both sort
indexes, foreign keys and checks by name, spell defaults canonically, and drop what the
other side cannot express (a primary key is NOT NULL, a NUMERIC(p) has scale 0).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from schemashift.dialects.base import DBConnection
from schemashift.dialects.postgres.connection import current_schema
from schemashift.dialects.postgres.defaults import canonical_default, string_value
from schemashift.dialects.postgres.names import enum_check_name
from schemashift.dialects.postgres.types import column_from_type, formatted_type
from schemashift.schema.record import replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table

#: Tables of schemashift's own bookkeeping, never part of the user's schema.
INTERNAL_PREFIX = "_schemashift"

#: The access method of ``CREATE INDEX`` without ``USING``, the only one models make.
_DEFAULT_METHOD = "btree"

_ON_DELETE = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}

# The tables of one schema (the parameter); partitions belong to their parent.
_TABLES = """
WITH tables AS (
    SELECT c.oid, c.relname
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
)
"""

_COLUMNS = (
    _TABLES
    + """
SELECT t.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity <> ''
FROM tables AS t
JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
ORDER BY t.relname, a.attnum
"""
)

_CONSTRAINTS = (
    _TABLES
    + """
SELECT t.relname, con.conname, con.contype, con.conkey, pg_get_constraintdef(con.oid),
       con.confdeltype, f.relname,
       (SELECT attname FROM pg_attribute
        WHERE attrelid = con.confrelid AND attnum = con.confkey[1]),
       obj_description(con.oid, 'pg_constraint')
FROM tables AS t
JOIN pg_constraint AS con ON con.conrelid = t.oid
LEFT JOIN pg_class AS f ON f.oid = con.confrelid
WHERE con.contype IN ('p', 'u', 'f', 'c')
ORDER BY t.relname, con.conname
"""
)

# Indexes of their own: not the ones behind a primary key or unique constraint.
_INDEXES = (
    _TABLES
    + """
SELECT t.relname, i.relname, ix.indisunique, ix.indkey::int2[],
       ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
             FROM generate_series(1, ix.indnkeyatts) AS k),
       pg_get_expr(ix.indpred, ix.indrelid, true), am.amname, ix.indisvalid
FROM tables AS t
JOIN pg_index AS ix ON ix.indrelid = t.oid
JOIN pg_class AS i ON i.oid = ix.indexrelid
JOIN pg_am AS am ON am.oid = i.relam
WHERE NOT EXISTS (
    SELECT 1 FROM pg_constraint AS con
    WHERE con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid
      AND con.contype IN ('p', 'u', 'x')
)
ORDER BY t.relname, i.relname
"""
)

# A text constant: '...' as PostgreSQL prints it back, or E'...' with escapes.
_LITERAL = re.compile(r"(?:E'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*')::text", re.DOTALL)
# The shapes PostgreSQL gives ``col IN ('a', 'b')`` and ``col IN ('a')`` back in.
_ENUM_SHAPES = (
    re.compile(r"CHECK \(\((\S+|\"(?:[^\"]|\"\")+\") = ANY \(ARRAY\[\?(?:, \?)*\]\)\)\)"),
    re.compile(r"CHECK \(\((\S+|\"(?:[^\"]|\"\")+\") = \?\)\)"),
)


@dataclass
class _TableParts:
    columns: list[Column] = field(default_factory=list)
    attnames: dict[int, str] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def introspect(conn: DBConnection, exclude: Sequence[str] = ()) -> Schema:
    """The tables of the connection's current schema (and only those, whatever else the
    search path reaches), in the form :func:`comparable` gives."""
    skipped = set(exclude)
    schema = (current_schema(conn),)

    def wanted(name: str) -> bool:
        return not name.startswith(INTERNAL_PREFIX) and name not in skipped

    parts: dict[str, _TableParts] = {}
    for row in conn.execute(_COLUMNS, schema).fetchall():
        table, attnum, name = row[0], row[1], row[2]
        if wanted(table):
            entry = parts.setdefault(table, _TableParts())
            entry.attnames[attnum] = name
            entry.columns.append(_column(row))
    for row in conn.execute(_CONSTRAINTS, schema).fetchall():
        if row[0] in parts:
            _constraint(parts[row[0]], row)
    for row in conn.execute(_INDEXES, schema).fetchall():
        if row[0] in parts:
            _index(parts[row[0]], row)
    return Schema.of(
        Table(
            name,
            tuple(p.columns),
            tuple(sorted(p.indexes, key=lambda i: i.name)),
            tuple(sorted(p.foreign_keys, key=lambda f: f.name)),
            tuple(sorted(p.checks, key=lambda c: c.name)),
        )
        for name, p in parts.items()
    )


def _column(row: Sequence[Any]) -> Column:
    _, _, name, formatted, not_null, default, identity = row
    kind, max_length, digits, places = column_from_type(formatted)
    serial = isinstance(default, str) and default.startswith("nextval(")
    return Column(
        name,
        kind,
        nullable=not not_null,
        default=None if identity or serial else canonical_default(default, kind),
        autoincrement=bool(identity or serial),
        max_length=max_length,
        max_digits=digits,
        decimal_places=places,
        db_type=formatted,
    )


def _set_column(parts: _TableParts, name: str, **changes: Any) -> None:
    parts.columns = [replace(c, **changes) if c.name == name else c for c in parts.columns]


def _constraint(parts: _TableParts, row: Sequence[Any]) -> None:
    table, name, kind, keys, definition, on_delete, ref_table, ref_column, comment = row
    columns = [parts.attnames.get(k, "?") for k in keys or ()]
    if kind == "p":
        for column in columns:
            _set_column(parts, column, primary_key=True)
    elif kind == "u" and len(columns) == 1:
        _set_column(parts, columns[0], unique=True)
    elif kind == "u":
        parts.indexes.append(Index(name, tuple(columns), unique=True))
    elif kind == "f" and len(columns) == 1:
        parts.foreign_keys.append(
            ForeignKey(name, columns[0], ref_table, ref_column, _ON_DELETE.get(on_delete, "?"))
        )
    elif kind == "c":
        choices = _enum_choices(table, name, columns, definition)
        if choices is not None:
            _set_column(parts, columns[0], kind="enum", choices=choices)
        else:
            parts.checks.append(Check(name, comment if comment is not None else _body(definition)))


def _enum_choices(
    table: str, name: str, columns: Sequence[str], definition: str
) -> tuple[str, ...] | None:
    """The values of an enum column's check, if this constraint is one."""
    if len(columns) != 1 or name != enum_check_name(table, columns[0]):
        return None
    shape = _LITERAL.sub("?", definition)
    if not any(p.fullmatch(shape) for p in _ENUM_SHAPES):
        return None
    values = (string_value(m[0].removesuffix("::text")) for m in _LITERAL.finditer(definition))
    return tuple(v for v in values if v is not None)


def _body(definition: str) -> str:
    """``CHECK ((a > 0)) NOT VALID`` -> ``(a > 0)``."""
    text = definition.removesuffix(" NOT VALID")
    if text.startswith("CHECK (") and text.endswith(")"):
        return text[len("CHECK (") : -1]
    return text


def _index(parts: _TableParts, row: Sequence[Any]) -> None:
    _, name, unique, keys, expressions, where, method, valid = row
    # ``keys`` also lists INCLUDE columns, which come after the key columns.
    columns = tuple(
        parts.attnames.get(key, expression) if key else expression
        for key, expression in zip(keys, expressions, strict=False)
    )
    parts.indexes.append(
        Index(
            name,
            columns,
            unique=bool(unique),
            where=where,
            method=None if method == _DEFAULT_METHOD else method,
            valid=bool(valid),
        )
    )


def comparable(schema: Schema) -> Schema:
    """``schema`` as :func:`introspect` would read it back from PostgreSQL."""
    return Schema.of(
        Table(
            t.name,
            tuple(_comparable_column(c) for c in t.columns),
            tuple(sorted(t.indexes, key=lambda i: i.name)),
            tuple(sorted(t.foreign_keys, key=lambda f: f.name)),
            tuple(sorted(t.checks, key=lambda c: c.name)),
        )
        for t in schema.tables.values()
    )


def _comparable_column(column: Column) -> Column:
    kind = column.kind
    if kind == "enum" and not column.choices:
        kind = "text"
    digits = column.max_digits if kind == "decimal" else None
    places = column.decimal_places if kind == "decimal" else None
    if digits is not None and places is None:
        places = 0
    exact = replace(column, kind=kind, max_digits=digits, decimal_places=places)
    return Column(
        column.name,
        kind,
        nullable=column.nullable and not column.primary_key,
        default=None if column.autoincrement else canonical_default(column.default, kind),
        unique=column.unique and not column.primary_key,
        primary_key=column.primary_key,
        autoincrement=column.autoincrement,
        max_length=column.max_length if kind == "string" else None,
        max_digits=digits,
        decimal_places=places,
        choices=column.choices if kind == "enum" else (),
        db_type=formatted_type(exact),
    )
