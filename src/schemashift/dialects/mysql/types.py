"""Column kinds as MySQL types, and back again.

The choices, for MySQL 8 and MariaDB alike: ``Text`` is ``LONGTEXT`` (PostgreSQL's and
SQLite's TEXT have no length limit either), an ``Enum`` is a ``VARCHAR`` with a CHECK of
its values (a native ENUM would need a table copy for every new value), a ``UUID`` is its
36-character text in ``CHAR(36)`` (readable, and what applications print), ``DateTime``
is ``DATETIME(6)`` holding UTC (every connection sets ``time_zone = '+00:00'``).
"""

from __future__ import annotations

import re

from schemashift.dialects.values import ValueChange
from schemashift.schema.values import Column

#: A String or Enum without a length: MySQL has no VARCHAR without one.
DEFAULT_LENGTH = 255

_TYPES = {
    "text": "LONGTEXT",
    "integer": "INT",
    "biginteger": "BIGINT",
    "float": "DOUBLE",
    "boolean": "TINYINT(1)",
    "date": "DATE",
    "datetime": "DATETIME(6)",
    "time": "TIME(6)",
    "json": "JSON",
    "uuid": "CHAR(36)",
    "binary": "LONGBLOB",
}

#: Kinds whose values have no length limit: an index on one needs a prefix length.
UNBOUNDED = frozenset({"text", "json", "binary"})

#: Kinds of what ``information_schema.COLUMNS.COLUMN_TYPE`` says, display widths gone.
_KIND_OF_TYPE = {
    "tinyint(1)": "boolean",
    "bool": "boolean",
    "boolean": "boolean",
    "tinyint": "integer",
    "smallint": "integer",
    "mediumint": "integer",
    "int": "integer",
    "integer": "integer",
    "bigint": "biginteger",
    "double": "float",
    "float": "float",
    "real": "float",
    "date": "date",
    "datetime": "datetime",
    "timestamp": "datetime",
    "time": "time",
    "json": "json",
    "text": "text",
    "tinytext": "text",
    "mediumtext": "text",
    "longtext": "text",
    "blob": "binary",
    "tinyblob": "binary",
    "mediumblob": "binary",
    "longblob": "binary",
    "varbinary": "binary",
    "binary": "binary",
    "char(36)": "uuid",
}

_VARCHAR = re.compile(r"varchar\((\d+)\)\Z")
_DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)\Z")
_WIDTH = re.compile(r"\(\d+\)")


def enum_length(column: Column) -> int:
    """The VARCHAR length of an enum column: room for its longest value."""
    return max([DEFAULT_LENGTH, *(len(v) for v in column.choices)])


def column_type(column: Column) -> str:
    """The SQL type of ``column`` (``VARCHAR(255)``, ``DECIMAL(10, 2)``, ``JSON``...)."""
    if column.kind == "string":
        return f"VARCHAR({column.max_length or DEFAULT_LENGTH})"
    if column.kind == "enum":
        return f"VARCHAR({enum_length(column)})"
    if column.kind == "decimal":
        if column.max_digits is None:
            return "DECIMAL(65, 30)"
        return f"DECIMAL({column.max_digits}, {column.decimal_places or 0})"
    return _TYPES[column.kind]


def column_from_type(
    column_type_text: str,
) -> tuple[str, int | None, int | None, int | None]:
    """``(kind, max_length, max_digits, decimal_places)`` for a ``COLUMN_TYPE`` text.

    A type this dialect never writes reads as its nearest kind; anything else as text.
    """
    text = column_type_text.strip().lower().removesuffix(" unsigned")
    match = _VARCHAR.match(text)
    if match:
        return "string", int(match[1]), None, None
    match = _DECIMAL.match(text)
    if match:
        return "decimal", None, int(match[1]), int(match[2])
    if text in _KIND_OF_TYPE:
        return _KIND_OF_TYPE[text], None, None, None
    return _KIND_OF_TYPE.get(_WIDTH.sub("", text), "text"), None, None, None


# The conversion table: what MODIFY COLUMN may do to stored values in MySQL's strict mode
# (the default of MySQL 8 and MariaDB 10.11). A conversion not listed keeps every value
# or fails on a value it cannot hold (a number out of range, text that is no number, too
# long or not UTF-8); those that change a value silently get an SQL test for a row whose
# value would not survive, run before the conversion.
#
#   biginteger, decimal -> float      digits beyond a float's precision are rounded
#   float, decimal -> integer kinds   fractions are rounded to the nearest integer
#   float, decimal -> decimal(p, s)   digits beyond the (smaller) scale s are rounded
#   text kinds, binary -> numbers     text in another form of its number ('007', ' 7')
#   datetime -> date, time            the time, or the date, is dropped
#   other kinds -> binary             the value becomes the bytes of its text
#
# Conversions into text kinds keep every value (it reads back from its text; bytes that
# are not UTF-8 fail), and so do the widening ones, text to binary (the bytes of its
# UTF-8 text) and date to datetime. A number into boolean (TINYINT(1)) keeps its value,
# and fails beyond -128..127.

_NUMBERS = {"integer", "biginteger", "float", "decimal"}
_STRINGS = {"string", "text", "enum"}
_INTEGER_DIGITS = {"integer": 10, "biginteger": 19, "boolean": 1}
#: A DOUBLE's range, in integer digits.
_FLOAT_DIGITS = 309
#: What CAST turns a value into, for each numeric kind.
_CAST = {"integer": "SIGNED", "biginteger": "SIGNED", "float": "DOUBLE", "boolean": "SIGNED"}


def _integer_digits(column: Column) -> int:
    """How many digits before the decimal point ``column`` holds."""
    if column.kind == "decimal":
        if column.max_digits is None:
            return 35
        return column.max_digits - (column.decimal_places or 0)
    return _INTEGER_DIGITS.get(column.kind, _FLOAT_DIGITS)


def _scale(column: Column) -> int:
    """The scale a DECIMAL column rounds to (``DECIMAL(65, 30)`` without max_digits)."""
    return 30 if column.max_digits is None else column.decimal_places or 0


def _cast(column: Column) -> str:
    if column.kind == "decimal":
        return column_type(column)
    return _CAST[column.kind]


def _between_numbers(before: Column, after: Column) -> ValueChange | None:
    b, a = before.kind, after.kind
    if a == "decimal" and b in ("float", "decimal"):
        scale = _scale(after)
        if b == "float" or scale < _scale(before):
            return ValueChange(
                f"may change values: digits beyond scale {scale} are rounded",
                lambda c: f"{c} <> ROUND({c}, {scale})",
            )
    if a == "float" and b in ("biginteger", "decimal"):
        what = "integers beyond 2**53" if b == "biginteger" else "digits beyond a float's precision"
        return ValueChange(
            f"may change values: {what} are rounded",
            # Compared as DECIMAL, exactly: a comparison with a DOUBLE would round both.
            lambda c: f"CAST(CAST({c} AS DOUBLE) AS DECIMAL(65, 30)) <> {c}",
        )
    if a in ("integer", "biginteger", "boolean") and b in ("float", "decimal"):
        return ValueChange(
            "may change values: fractions are rounded to the nearest integer",
            lambda c: f"{c} <> ROUND({c})",
        )
    if a == "boolean" and b != "boolean":
        return ValueChange("fails the migration on a value beyond -128..127 (TINYINT)")
    room, needed = _integer_digits(after), _integer_digits(before)
    if room < needed:
        return ValueChange(f"fails the migration on a value with more than {room} integer digits")
    return None


def value_change(before: Column, after: Column) -> ValueChange | None:
    """What changing ``before`` into ``after`` may do to stored values (None: every
    value is kept). See the conversion table above."""
    b, a = before.kind, after.kind
    if b == "binary" and a in _STRINGS:
        return ValueChange("fails the migration on a value that is not UTF-8 text")
    if column_type(before) == column_type(after) or a in _STRINGS:
        return None
    if (b, a) in (("date", "datetime"), ("json", "text")) or (b in _STRINGS and a == "binary"):
        return None
    if (b in _NUMBERS or b == "boolean") and (a in _NUMBERS or a == "boolean"):
        return _between_numbers(before, after)
    if (b in _STRINGS or b == "binary") and (a in _NUMBERS or a == "boolean"):
        return ValueChange(
            "may change values: text in another form of its number ('007', ' 7') is "
            "rewritten; text that is no number fails the migration",
            lambda c: f"CAST(CAST({c} AS {_cast(after)}) AS CHAR) <> {c}",
        )
    if b == "datetime" and a == "date":
        return ValueChange(
            "may change values: the time of each value is dropped",
            lambda c: f"{c} <> CAST({c} AS DATE)",
        )
    if b == "datetime" and a == "time":
        return ValueChange("may change values: the date of each value is dropped", lambda c: "1")
    if a == "binary":
        return ValueChange(
            "may change values: each value becomes the bytes of its text", lambda c: "1"
        )
    return ValueChange(
        f"converts each value through its text; a value that does not read as {a} "
        "fails the migration"
    )
