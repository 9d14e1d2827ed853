"""Column kinds as PostgreSQL types, back again, and what changing one costs."""

from __future__ import annotations

import re
from collections.abc import Callable

from schemashift.dialects.postgres.quoting import quote
from schemashift.dialects.values import ValueChange
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

#: How ``format_type()`` prints each type this dialect writes.
_FORMATTED = {
    "TEXT": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE PRECISION": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMPTZ": "timestamp with time zone",
    "TIME": "time without time zone",
    "JSONB": "jsonb",
    "UUID": "uuid",
    "BYTEA": "bytea",
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


def formatted_type(column: Column) -> str:
    """The type of ``column`` as ``format_type()`` prints it back once it is created
    (``character varying(255)``, ``numeric(10,2)``, ``timestamp with time zone``...)."""
    if column.kind == "string":
        size = "" if column.max_length is None else f"({column.max_length})"
        return f"character varying{size}"
    if column.kind == "decimal":
        if column.max_digits is None:
            return "numeric"
        return f"numeric({column.max_digits},{column.decimal_places or 0})"
    return _FORMATTED[_TYPES[column.kind]]


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
    if b == "float" and a == "decimal":
        # float8 to numeric keeps only 15 digits; the text form keeps every one.
        return f"{col}::TEXT::{column_type(after)}"
    if a in _STRINGS or (b in _NUMBERS and a in _NUMBERS) or (b, a) in _TEMPORAL:
        return None
    if b in _NUMBERS and a == "boolean":
        return f"{col} <> 0"
    if b == "boolean" and a in _NUMBERS:
        return f"{col}::INTEGER"
    if b in _STRINGS:
        return f"{col}::{column_type(after)}"
    # Bytes and another kind meet through the other kind's text, taken as UTF-8 bytes
    # (not read for escapes, nor shown as hex), so that each way reverts the other.
    if a == "binary":
        return f"convert_to({col}::TEXT, 'UTF8')"
    if b == "binary":
        return f"convert_from({col}, 'UTF8')::{column_type(after)}"
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


# The conversion table: what ALTER COLUMN ... TYPE (with the USING clause above) may do
# to stored values. A conversion not listed keeps every value or fails on a value it
# cannot convert (the batch then rolls back); those that change a value silently get an
# SQL test for a row whose value would not survive, run before the conversion.
#
#   biginteger -> float               integers beyond 2**53 are rounded
#   decimal -> float                  digits beyond a float's precision are rounded
#   float, decimal -> integer kinds   fractions are rounded to the nearest integer
#   float, decimal -> decimal(p, s)   digits beyond the (smaller) scale s are rounded
#   numbers -> boolean                every value other than 0 becomes true
#   text kinds -> numbers             text in another form of its number ('007', ' 7')
#   datetime -> date, time            the time, or the date, is dropped
#   text kinds -> binary              backslash sequences are read as escapes (but the
#                                     hex form binary -> text writes is its bytes)
#   any other kind -> binary          the value becomes the bytes of its text (UTF-8)
#   binary -> other kinds             the bytes are read as UTF-8 text of the new kind
#
# Conversions into text kinds keep every value (it reads back from its text), and so do
# the widening ones: integer to biginteger, float or decimal, boolean to numbers, date to
# datetime. A number that does not fit the new kind's digits, and, between other kinds,
# a value whose text does not read as the new kind, fail the migration.

_INTEGER_DIGITS = {"integer": 10, "biginteger": 19, "boolean": 1}


def _scale(column: Column) -> int | None:
    """The scale a decimal column rounds to (None for an unbounded NUMERIC)."""
    if column.max_digits is None:
        return None
    return column.decimal_places or 0


def _integer_digits(column: Column) -> int | None:
    """How many digits before the decimal point ``column`` holds (None: no limit)."""
    if column.kind == "decimal":
        scale = _scale(column)
        return None if column.max_digits is None or scale is None else column.max_digits - scale
    return _INTEGER_DIGITS.get(column.kind)


def _unkept_float(column: str) -> str:
    # float8 to text gives the shortest text that reads back as the same float.
    return f"{column}::DOUBLE PRECISION::TEXT::NUMERIC <> {column}"


def _unkept_fraction(column: str) -> str:
    return f"{column} <> round({column})"


def _rounds(scale: int, template: str) -> Callable[[str], str]:
    def unkept(column: str) -> str:
        value = template.format(c=column)
        return f"{value} <> round({value}, {scale})"

    return unkept


def _between_numbers(before: Column, after: Column) -> ValueChange | None:
    b, a = before.kind, after.kind
    scale = _scale(after)
    if a == "decimal" and scale is not None and b in ("float", "decimal"):
        old_scale = _scale(before)
        if b == "float" or old_scale is None or scale < old_scale:
            template = "{c}::TEXT::NUMERIC" if b == "float" else "{c}"
            return ValueChange(
                f"may change values: digits beyond scale {scale} are rounded",
                _rounds(scale, template),
            )
    if a == "float" and b in ("biginteger", "decimal"):
        what = "integers beyond 2**53" if b == "biginteger" else "digits beyond a float's precision"
        return ValueChange(f"may change values: {what} are rounded", _unkept_float)
    if a in ("integer", "biginteger") and b in ("float", "decimal"):
        return ValueChange(
            "may change values: fractions are rounded to the nearest integer", _unkept_fraction
        )
    room, needed = _integer_digits(after), _integer_digits(before)
    if room is not None and (needed is None or room < needed):
        return ValueChange(f"fails the migration on a value with more than {room} integer digits")
    return None


def value_change(before: Column, after: Column) -> ValueChange | None:
    """What changing ``before`` into ``after`` may do to stored values (None: every
    value is kept). See the conversion table above."""
    b, a = before.kind, after.kind
    if column_type(before) == column_type(after) or a in _STRINGS or (b, a) == ("date", "datetime"):
        return None
    if (b in _NUMBERS or b == "boolean") and a in _NUMBERS:
        return _between_numbers(before, after)
    if b in _NUMBERS and a == "boolean":
        return ValueChange(
            "may change values: every value other than 0 becomes true",
            lambda c: f"{c} NOT IN (0, 1)",
        )
    if b in _STRINGS and a in _NUMBERS:
        return ValueChange(
            "may change values: text in another form of its number ('007', ' 7') is "
            "rewritten; text that is no number fails the migration",
            lambda c: f"{c}::{column_type(after)}::TEXT <> {c}",
        )
    if b == "datetime" and a in ("date", "time"):
        if a == "date":
            return ValueChange(
                "may change values: the time of each value is dropped",
                lambda c: f"{c} <> {c}::DATE",
            )
        return ValueChange("may change values: the date of each value is dropped", lambda c: "TRUE")
    if a == "binary":
        if b in _STRINGS:
            # Text in the hex form that binary -> text writes turns back into its bytes:
            # that is the value, so rolling such a change back is never refused.
            return ValueChange(
                "may change values: backslash sequences in the text are read as escapes",
                lambda c: f"strpos({c}, '\\') > 0 AND {c} !~ '^\\\\x([0-9a-fA-F]{{2}})*$'",
            )
        return ValueChange(
            "may change values: each value becomes the bytes of its text", lambda c: "TRUE"
        )
    return ValueChange(
        f"converts each value through its text; a value that does not read as {a} "
        "fails the migration"
    )
