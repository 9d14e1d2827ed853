"""Column kinds as PostgreSQL types, back again, and what changing one costs."""

from __future__ import annotations

import re

from schemashift.dialects.postgres.quoting import quote
from schemashift.schema.values import Column

_TYPES = {
    "text": "TEXT",
    "enum": "TEXT",
    "integer": "INTEGER",
    "biginteger": "BIGINT",
    "float": "DOUBLE PRECISION",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMPTZ",
    "time": "TIME",
    "json": "JSONB",
    "uuid": "UUID",
    "binary": "BYTEA",
}

#: Kinds of what ``format_type()`` prints, for the types this dialect never writes too.
_KIND_OF_TYPE = {
    "text": "text",
    "smallint": "integer",
    "integer": "integer",
    "bigint": "biginteger",
    "real": "float",
    "double precision": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp with time zone": "datetime",
    "timestamp without time zone": "datetime",
    "time without time zone": "time",
    "time with time zone": "time",
    "jsonb": "json",
    "json": "json",
    "uuid": "uuid",
    "bytea": "binary",
}

_VARCHAR = re.compile(r"(?:character varying|character|varchar|char)(?:\((\d+)\))?\Z")
_NUMERIC = re.compile(r"numeric(?:\((\d+)(?:,(\d+))?\))?\Z")
# Precision modifiers such as timestamp(3) do not change the kind.
_PRECISION = re.compile(r"\(\d+\)")

_NUMBERS = {"integer", "biginteger", "float", "decimal"}
_STRINGS = {"string", "text", "enum"}
# Date and time conversions PostgreSQL makes on assignment, with no USING clause.
_TEMPORAL = {("date", "datetime"), ("datetime", "date"), ("datetime", "time")}


def column_type(column: Column) -> str:
    """The SQL type of ``column`` (``VARCHAR(255)``, ``NUMERIC(10, 2)``, ``JSONB``...)."""
    if column.kind == "string":
        return "VARCHAR" if column.max_length is None else f"VARCHAR({column.max_length})"
    if column.kind == "decimal":
        if column.max_digits is None:
            return "NUMERIC"
        if column.decimal_places is None:
            return f"NUMERIC({column.max_digits})"
        return f"NUMERIC({column.max_digits}, {column.decimal_places})"
    return _TYPES[column.kind]


def column_from_type(
    formatted: str,
) -> tuple[str, int | None, int | None, int | None]:
    """``(kind, max_length, max_digits, decimal_places)`` for a ``format_type()`` text.

    A type this dialect never writes reads as its nearest kind (``smallint`` as
    ``integer``, ``json`` as ``json``); anything else reads as ``text``.
    """
    text = formatted.strip().lower()
    match = _VARCHAR.match(text)
    if match:
        return "string", int(match[1]) if match[1] else None, None, None
    match = _NUMERIC.match(text)
    if match:
        digits = int(match[1]) if match[1] else None
        places = int(match[2]) if match[2] else (0 if digits is not None else None)
        return "decimal", None, digits, places
    return _KIND_OF_TYPE.get(_PRECISION.sub("", text), "text"), None, None, None


def using_clause(before: Column, after: Column) -> str | None:
    """The ``USING`` expression a type change from ``before`` to ``after`` needs, or
    None when PostgreSQL converts the values on assignment."""
    b, a = before.kind, after.kind
    col = quote(after.name)
    if a in _STRINGS or (b in _NUMBERS and a in _NUMBERS) or (b, a) in _TEMPORAL:
        return None
    if b in _NUMBERS and a == "boolean":
        return f"{col} <> 0"
    if b == "boolean" and a in _NUMBERS:
        return f"{col}::INTEGER"
    if b in _STRINGS:
        return f"{col}::{column_type(after)}"
    # No direct cast between the two types: go through their text forms.
    return f"{col}::TEXT::{column_type(after)}"


def rewrites_table(before: Column, after: Column) -> bool:
    """Whether changing the type of ``before`` into ``after`` rewrites the whole table
    (PostgreSQL skips the rewrite only when the stored bytes stay valid as they are)."""
    old, new = column_type(before), column_type(after)
    if old == new:
        return False
    if before.kind in _STRINGS and after.kind in _STRINGS:
        # Text to text of any length, or a longer limit, keeps every value as it is.
        return (
            after.kind == "string"
            and after.max_length is not None
            and (
                before.kind != "string"
                or before.max_length is None
                or after.max_length < before.max_length
            )
        )
    if before.kind == "decimal" and after.kind == "decimal":
        if after.max_digits is None:
            return False
        return not (
            before.max_digits is not None
            and after.max_digits >= before.max_digits
            and (after.decimal_places or 0) == (before.decimal_places or 0)
        )
    return True
