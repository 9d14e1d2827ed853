"""Column kinds as SQLite declared types, and back."""

from __future__ import annotations

import re

from schemashift.schema.values import Column

_DECLARED = {
    "string": "TEXT",
    "text": "TEXT",
    "enum": "TEXT",
    "json": "TEXT",
    "uuid": "TEXT",
    "integer": "INTEGER",
    "biginteger": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
    "time": "TIME",
    "binary": "BLOB",
}

#: The kind each declared type reads back as; several kinds share one declared type.
_KIND_OF_DECLARED = {
    "TEXT": "text",
    "INTEGER": "integer",
    "REAL": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "DATETIME": "datetime",
    "TIME": "time",
    "BLOB": "binary",
}

_NUMERIC = re.compile(r"NUMERIC\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\Z", re.IGNORECASE)

# How values are stored, which decides whether a kind change must convert them.
# Dates and times have no storage class of their own in SQLite: they stay as written.
_STORAGE = {
    "string": "TEXT",
    "text": "TEXT",
    "enum": "TEXT",
    "json": "TEXT",
    "uuid": "TEXT",
    "integer": "INTEGER",
    "biginteger": "INTEGER",
    "boolean": "INTEGER",
    "float": "REAL",
    "decimal": "NUMERIC",
    "binary": "BLOB",
}


def declared_type(column: Column) -> str:
    """The type written in the column definition (``TEXT``, ``NUMERIC(10, 2)``...)."""
    if column.kind == "decimal":
        if column.max_digits is None:
            return "NUMERIC"
        if column.decimal_places is None:
            return f"NUMERIC({column.max_digits})"
        return f"NUMERIC({column.max_digits}, {column.decimal_places})"
    return _DECLARED[column.kind]


def is_rowid_alias(column: Column, primary_key: tuple[str, ...]) -> bool:
    """Whether ``column`` is the table's single INTEGER PRIMARY KEY (the rowid)."""
    return primary_key == (column.name,) and declared_type(column) == "INTEGER"


def column_type(column: Column) -> str:
    """The SQL type of ``column``; the implicit key reads ``INTEGER PRIMARY KEY
    AUTOINCREMENT`` as in the SPEC's type table."""
    if column.primary_key and column.autoincrement and declared_type(column) == "INTEGER":
        return "INTEGER PRIMARY KEY AUTOINCREMENT"
    return declared_type(column)


def kind_of_declared(declared: str) -> tuple[str, int | None, int | None]:
    """The kind, max_digits and decimal_places a declared type reads back as. A type
    schemashift never writes comes back verbatim as the kind, so it never compares equal
    to a modelled column."""
    numeric = _NUMERIC.match(declared.strip())
    if numeric:
        digits, places = numeric.groups()
        return "decimal", int(digits) if digits else None, int(places) if places else None
    kind = _KIND_OF_DECLARED.get(declared.strip().upper())
    return (kind or declared), None, None


def conversion(before: Column, after: Column) -> str | None:
    """The type to CAST values to when ``before`` becomes ``after``, or None when they
    can be copied as they are."""
    target = _STORAGE.get(after.kind)
    if target is None or _STORAGE.get(before.kind) == target:
        return None
    return target


def copy_expression(before: Column, after: Column, expression: str) -> str:
    """The SELECT expression that carries the values of ``expression`` (column ``before``)
    into column ``after`` when a rebuild copies the rows."""
    target = conversion(before, after)
    return expression if target is None else f"CAST({expression} AS {target})"


def placeholder(column: Column) -> str:
    """A value for existing rows of a new NOT NULL column that has neither a default nor
    a fill (a dropped column restored by ``down()``): the kind's zero value, or the row
    number for a UNIQUE or primary key column, where one zero value would collide."""
    if column.kind == "enum" and column.choices:
        return "'" + column.choices[0].replace("'", "''") + "'"
    storage = _STORAGE.get(column.kind, "TEXT")
    # Even a boolean: with more than two rows only distinct values fit.
    if column.unique or column.primary_key:
        return "rowid" if storage in ("INTEGER", "REAL", "NUMERIC") else f"CAST(rowid AS {storage})"
    return {"INTEGER": "0", "REAL": "0.0", "NUMERIC": "0", "BLOB": "X''"}.get(storage, "''")
