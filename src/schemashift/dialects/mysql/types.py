"""Column kinds as MySQL types, and back again.

The choices, for MySQL 8 and MariaDB alike: ``Text`` is ``LONGTEXT`` (PostgreSQL's and
SQLite's TEXT have no length limit either), an ``Enum`` is a ``VARCHAR`` with a CHECK of
its values (a native ENUM would need a table copy for every new value), a ``UUID`` is its
36-character text in ``CHAR(36)`` (readable, and what applications print), ``DateTime``
is ``DATETIME(6)`` holding UTC (every connection sets ``time_zone = '+00:00'``).
"""

from __future__ import annotations

import re

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
