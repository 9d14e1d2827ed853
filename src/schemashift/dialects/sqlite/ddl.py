"""Definitions as SQLite text: columns, CREATE TABLE and CREATE INDEX statements."""

from __future__ import annotations

import re

from schemashift.dialects.sqlite.quoting import quote, string_literal
from schemashift.dialects.sqlite.sqltext import closing, tokenize
from schemashift.dialects.sqlite.types import declared_type, is_rowid_alias
from schemashift.schema.values import Column, ForeignKey, Index, Table

INDENT = "    "

# What SQLite accepts after DEFAULT without parentheses (a literal or signed number).
_LITERAL = re.compile(
    r"""
      [+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | '(?:[^']|'')*'
    | [xX]'[0-9a-fA-F]*'
    | (?i:null|true|false|current_date|current_time|current_timestamp)
    """,
    re.VERBOSE,
)
_NOT_CONSTANT = {"CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP"}


def is_parenthesized(sql: str) -> bool:
    """Whether ``sql`` is one expression wrapped in a matching pair of parentheses."""
    tokens = tokenize(sql)
    if not tokens or tokens[0].text != "(":
        return False
    try:
        return closing(tokens, 0) == len(tokens) - 1
    except ValueError:
        return False


def default_sql(default: str) -> str:
    """A default expression as written after DEFAULT: literals bare, anything else in
    parentheses, as SQLite requires."""
    default = default.strip()
    if _LITERAL.fullmatch(default) or is_parenthesized(default):
        return default
    return f"({default})"


def is_constant_default(default: str | None) -> bool:
    """Whether ALTER TABLE ADD COLUMN accepts this default (a literal, not CURRENT_*)."""
    if default is None:
        return True
    default = default.strip()
    return bool(_LITERAL.fullmatch(default)) and default.upper() not in _NOT_CONSTANT


def is_null_default(default: str | None) -> bool:
    """Whether the default is absent or NULL."""
    return default is None or default.strip().upper() == "NULL"


def enum_check(column: Column) -> str:
    """The CHECK expression holding an enum column to its values."""
    values = ", ".join(string_literal(v) for v in column.choices)
    return f"{quote(column.name)} IN ({values})"


def references(fk: ForeignKey) -> str:
    """An inline REFERENCES clause (NO ACTION, SQLite's default, is left unsaid)."""
    clause = f"REFERENCES {quote(fk.ref_table)}({quote(fk.ref_column)})"
    if fk.on_delete != "NO ACTION":
        clause += f" ON DELETE {fk.on_delete}"
    return clause


def column_definition(
    column: Column, table: Table | None = None, foreign_keys: tuple[ForeignKey, ...] = ()
) -> str:
    """``column`` as written in CREATE TABLE or ADD COLUMN. ``table`` decides whether it
    is the single primary key; ``foreign_keys`` are the constraints declared inline."""
    return _definition(column, table.primary_key if table is not None else (), foreign_keys)


def _definition(
    column: Column, primary_key: tuple[str, ...], foreign_keys: tuple[ForeignKey, ...]
) -> str:
    parts = [quote(column.name), declared_type(column)]
    rowid = is_rowid_alias(column, primary_key)
    if primary_key == (column.name,):
        parts.append("PRIMARY KEY")
        if rowid and column.autoincrement:
            parts.append("AUTOINCREMENT")
    if not column.nullable and not rowid:
        parts.append("NOT NULL")
    if column.unique:
        parts.append("UNIQUE")
    if column.default is not None:
        parts.append(f"DEFAULT {default_sql(column.default)}")
    if column.kind == "enum" and column.choices:
        parts.append(f"CHECK ({enum_check(column)})")
    parts.extend(references(fk) for fk in foreign_keys if fk.column == column.name)
    return " ".join(parts)


def table_constraints(table: Table) -> list[str]:
    """The table constraints written after the columns: a composite primary key, then
    the CHECKs."""
    lines = []
    if len(table.primary_key) > 1:
        lines.append(f"PRIMARY KEY ({', '.join(quote(c) for c in table.primary_key)})")
    lines.extend(f"CONSTRAINT {quote(c.name)} CHECK ({c.sql})" for c in table.checks)
    return lines


def create_table(table: Table, name: str | None = None) -> str:
    """CREATE TABLE for ``table`` (under ``name`` if given), one line per column."""
    # The primary key worked out once per table, not once per column.
    primary_key, foreign_keys = table.primary_key, table.foreign_keys
    lines = [_definition(c, primary_key, foreign_keys) for c in table.columns]
    lines.extend(table_constraints(table))
    body = f",\n{INDENT}".join(lines)
    return f"CREATE TABLE {quote(name or table.name)} (\n{INDENT}{body}\n)"


def create_index(table: str, index: Index) -> str:
    """CREATE [UNIQUE] INDEX for ``index`` on ``table``."""
    unique = "UNIQUE " if index.unique else ""
    columns = ", ".join(quote(c) for c in index.columns)
    return f"CREATE {unique}INDEX {quote(index.name)} ON {quote(table)} ({columns})"
