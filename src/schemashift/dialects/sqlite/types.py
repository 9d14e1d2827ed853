"""Column kinds as SQLite declared types, and back."""

from __future__ import annotations

import re

from schemashift.dialects.values import ValueChange
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


# The conversion table. SQLite stores each value in one of its storage classes and
# converts a value on its way into a column only where the column's affinity can do so
# without loss (https://www.sqlite.org/datatype3.html, section 3), so a rebuild copies
# values as they are and lets the new column's affinity convert them, as sqlite-utils'
# transform does; a blanket CAST would turn 'N/A' into 0. By storage of the kinds:
#
#   from \ to    text             numeric          float               binary
#   text         keeps            may change (1)   may change (1)      keeps
#   numeric      may change (2)   keeps            may change (3)      keeps
#   float        may change (2)   keeps            keeps               keeps
#   binary       may change (2)   may change (1)   may change (1, 3)   keeps
#
#   (1) text that reads as a number is stored as that number: it changes when the number
#       reads back as other text ('007' and ' 7' become 7, '1e3' becomes 1000); any other
#       text ('N/A', '12abc') stays as it is.
#   (2) a float is written as text that reads back as the same number (17 significant
#       digits where 15 are not enough); SQLite cannot do so for a few floats of very
#       large or very small magnitude.
#   (3) an integer beyond 2**53 is rounded to the nearest float.
#
# "numeric" are Integer, BigInteger, Decimal, Boolean, Date, DateTime and Time (INTEGER
# and NUMERIC affinity store alike); "text" are String, Text, Enum, JSON and UUID. A NULL
# is always kept. docs/models.md shows the same table.


def affinity(column: Column) -> str:
    """The affinity SQLite gives ``column``'s declared type (section 3.1 of its datatype
    page), with INTEGER reported as NUMERIC: the two store values alike."""
    declared = (
        declared_type(column)
        if column.kind in _DECLARED or column.kind == "decimal"
        else column.kind
    ).upper()
    if "INT" in declared:
        return "NUMERIC"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in declared or not declared:
        return "BLOB"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _float_text(value: str) -> str:
    """SQL for the text of float ``value`` that reads back as the same number."""
    return (
        f"CASE WHEN typeof({value}) = 'real' AND CAST(CAST({value} AS TEXT) AS REAL) <> {value}"
        f" THEN printf('%!.17g', {value}) ELSE {value} END"
    )


def _text_changes(column: str, into_float: bool) -> str:
    """A text value that the new column's affinity stores as a number that does not
    read back as the same text (or, for a float column, as the same number)."""
    number = f"CAST({column} AS NUMERIC)"
    # A number stored as an integer reads back in one form only ('0.0' becomes 0, which
    # reads '0'); a float may read back in its shortest form or with all its digits.
    changes = (
        f"CAST({number} AS TEXT) <> {column} AND (typeof({number}) = 'integer'"
        f" OR (printf('%!.16g', {number}) <> {column}"
        f" AND printf('%!.17g', {number}) <> {column}))"
    )
    if into_float:
        changes = f"({changes} OR CAST({number} AS REAL) <> {number})"
    return f"typeof({column}) = 'text' AND {column} = {number} AND {changes}"


def _unkept_text(column: str) -> str:
    return _text_changes(column, into_float=False)


def _unkept_text_as_float(column: str) -> str:
    return _text_changes(column, into_float=True)


def _unkept_integer(column: str) -> str:
    return f"typeof({column}) = 'integer' AND CAST({column} AS REAL) <> {column}"


def _unkept_integer_or_text(column: str) -> str:
    return f"({_unkept_integer(column)}) OR ({_text_changes(column, into_float=True)})"


def _unkept_float(column: str) -> str:
    return (
        f"typeof({column}) = 'real' AND CAST(CAST({column} AS TEXT) AS REAL) <> {column}"
        f" AND CAST(printf('%!.17g', {column}) AS REAL) <> {column}"
    )


_NUMBER_TEXT = "may change values: text that reads as a number is stored as that number"
_FLOAT_TEXT = (
    "may change values: floats are written as text reading back as the same number, "
    "which SQLite cannot do for a few of very large or very small magnitude"
)
_BIG_INTEGERS = "may change values: integers beyond 2**53 are rounded to the nearest float"

#: The table above: (affinity before, affinity after) -> what may change.
_VALUE_CHANGES = {
    ("TEXT", "NUMERIC"): ValueChange(
        f"{_NUMBER_TEXT}, which changes text such as '007' or ' 7' (other text stays)",
        _unkept_text,
    ),
    ("BLOB", "NUMERIC"): ValueChange(
        f"{_NUMBER_TEXT}, which changes text such as '007' or ' 7' (other values stay)",
        _unkept_text,
    ),
    ("TEXT", "REAL"): ValueChange(
        f"{_NUMBER_TEXT}, which changes text such as '007' or '9007199254740993' "
        "(other text stays)",
        _unkept_text_as_float,
    ),
    ("NUMERIC", "REAL"): ValueChange(_BIG_INTEGERS, _unkept_integer),
    ("BLOB", "REAL"): ValueChange(
        f"{_BIG_INTEGERS}, and {_NUMBER_TEXT.removeprefix('may change values: ')}",
        _unkept_integer_or_text,
    ),
    ("NUMERIC", "TEXT"): ValueChange(_FLOAT_TEXT, _unkept_float),
    ("REAL", "TEXT"): ValueChange(_FLOAT_TEXT, _unkept_float),
    ("BLOB", "TEXT"): ValueChange(_FLOAT_TEXT, _unkept_float),
}


def value_change(before: Column, after: Column) -> ValueChange | None:
    """What copying the values of ``before`` into ``after`` may change (None: every value
    is kept). See the conversion table above."""
    return _VALUE_CHANGES.get((affinity(before), affinity(after)))


def copy_expression(before: Column, after: Column, expression: str) -> str:
    """The SELECT expression that carries the values of ``expression`` (column ``before``)
    into column ``after`` when a rebuild copies the rows: the value as it is, which the
    new column's affinity converts where it can without loss; a float going into a text
    column is written with as many digits as reading it back needs."""
    if affinity(after) == "TEXT" and affinity(before) != "TEXT":
        return _float_text(expression)
    return expression


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
