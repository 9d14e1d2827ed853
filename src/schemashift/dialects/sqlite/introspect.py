"""Reading a live SQLite schema back as schema values, and reducing modelled schemas
to what that reading can see, so that the two compare equal exactly when they match."""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.dialects.base import DBConnection
from schemashift.dialects.sqlite.ddl import default_sql, is_parenthesized
from schemashift.dialects.sqlite.sqltext import (
    Token,
    closing,
    index_where,
    table_elements,
    tokenize,
)
from schemashift.dialects.sqlite.types import declared_type, is_rowid_alias, kind_of_declared
from schemashift.schema.record import replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table

_SKIPPED_PREFIXES = ("_schemashift", "sqlite_")
_TABLE_CONSTRAINTS = ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")


def introspect(conn: DBConnection, exclude: Sequence[str] = ()) -> Schema:
    """The tables of the live database (schemashift's own, SQLite's internal ones, views,
    virtual tables and those in ``exclude`` left out)."""
    rows = conn.execute(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"
    ).fetchall()
    names = sorted(
        name for (name,) in rows if not name.startswith(_SKIPPED_PREFIXES) and name not in exclude
    )
    return Schema.of(read_table(conn, name) for name in names)


def read_table(conn: DBConnection, name: str) -> Table:
    """One live table as a :class:`Table` in :func:`comparable` form."""
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    parsed = _ParsedTable.of(sql)
    unique_columns, indexes = _read_indexes(conn, name)
    info = conn.execute("SELECT * FROM pragma_table_xinfo(?) WHERE hidden != 1", (name,))
    raw = [(cid, col, typ, notnull, dflt, pk) for cid, col, typ, notnull, dflt, pk, _ in info]
    primary_key = tuple(col for _cid, col, _typ, _notnull, _dflt, pk in raw if pk)
    columns = []
    for _cid, col, typ, notnull, dflt, pk in raw:
        kind, digits, places = kind_of_declared(typ)
        choices = parsed.enum_choices.get(col.lower(), ())
        if kind == "text" and choices:
            kind = "enum"
        column = Column(
            name=col,
            kind=kind,
            nullable=not notnull,
            default=dflt,
            unique=col in unique_columns,
            primary_key=bool(pk),
            autoincrement=parsed.autoincrement and primary_key == (col,),
            max_digits=digits,
            decimal_places=places,
            choices=choices if kind == "enum" else (),
        )
        if is_rowid_alias(column, primary_key):
            column = replace(column, nullable=False)
        columns.append(column)
    return Table(
        name=name,
        columns=tuple(columns),
        indexes=tuple(sorted(indexes, key=lambda i: i.name)),
        foreign_keys=_read_foreign_keys(conn, name),
        checks=tuple(sorted(parsed.checks, key=lambda c: (c.name, c.sql))),
    )


def _read_indexes(conn: DBConnection, table: str) -> tuple[set[str], list[Index]]:
    """Single columns with a UNIQUE constraint, and the indexes made by CREATE INDEX."""
    unique_columns: set[str] = set()
    indexes: list[Index] = []
    for _seq, name, unique, origin, partial in conn.execute(
        "SELECT * FROM pragma_index_list(?)", (table,)
    ).fetchall():
        columns = tuple(
            col
            for _n, _cid, col in conn.execute(
                "SELECT * FROM pragma_index_info(?) ORDER BY seqno", (name,)
            ).fetchall()
        )
        if origin == "u" and len(columns) == 1:
            unique_columns.add(str(columns[0]))
        elif origin == "c":
            indexes.append(_created_index(conn, name, columns, bool(unique), bool(partial)))
    return unique_columns, indexes


def _created_index(
    conn: DBConnection, name: str, columns: tuple[str | None, ...], unique: bool, partial: bool
) -> Index:
    """An index made by CREATE INDEX; its statement tells its expressions (which the
    pragmas leave unnamed) and its WHERE clause."""
    where = None
    if partial or None in columns:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
        ).fetchone()
        keys = table_elements(sql)
        columns = tuple(
            sql[keys[i][0].start : keys[i][-1].end] if col is None and i < len(keys) else col
            for i, col in enumerate(columns)
        )
        where = index_where(sql) if partial else None
    return Index(
        name=name,
        columns=tuple(col or "<expression>" for col in columns),
        unique=unique,
        where=where,
    )


def _read_foreign_keys(conn: DBConnection, table: str) -> tuple[ForeignKey, ...]:
    rows = conn.execute("SELECT * FROM pragma_foreign_key_list(?)", (table,)).fetchall()
    keys = []
    for _id, _seq, ref_table, column, ref_column, _on_update, on_delete, _match in rows:
        if ref_column is None:
            ref_column = _primary_key_of(conn, ref_table)
        keys.append(ForeignKey(column, column, ref_table, ref_column, on_delete))
    return tuple(sorted(keys, key=_foreign_key_order))


def _primary_key_of(conn: DBConnection, table: str) -> str:
    row = conn.execute("SELECT name FROM pragma_table_info(?) WHERE pk = 1", (table,)).fetchone()
    return str(row[0]) if row else "rowid"


# SQLite keeps no name for an inline REFERENCES clause: both sides name a foreign key
# after its column, which is also how a drift report can point at it.
def _foreign_key_order(fk: ForeignKey) -> tuple[str, str, str, str]:
    return (fk.column, fk.ref_table, fk.ref_column, fk.on_delete)


class _ParsedTable:
    """What only the CREATE TABLE text tells: CHECKs, enum values, AUTOINCREMENT."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.enum_choices: dict[str, tuple[str, ...]] = {}
        self.autoincrement = False

    @classmethod
    def of(cls, sql: str) -> _ParsedTable:
        parsed = cls()
        for element in table_elements(sql):
            if element[0].is_word(*_TABLE_CONSTRAINTS):
                parsed._table_constraint(sql, element)
            else:
                parsed._column(sql, element)
        return parsed

    def _table_constraint(self, sql: str, tokens: list[Token]) -> None:
        name = ""
        if tokens[0].is_word("CONSTRAINT") and len(tokens) > 1:
            name = tokens[1].name or ""
            tokens = tokens[2:]
        if tokens and tokens[0].is_word("CHECK"):
            self.checks.append(Check(name, _parenthesized_text(sql, tokens, 1)))

    def _column(self, sql: str, tokens: list[Token]) -> None:
        column = tokens[0].name or ""
        for i, token in enumerate(tokens):
            if token.is_word("AUTOINCREMENT"):
                self.autoincrement = True
            elif token.is_word("CHECK") and i + 1 < len(tokens):
                expression = _parenthesized_text(sql, tokens, i + 1)
                choices = _enum_choices(expression, column)
                if choices is None:
                    self.checks.append(Check("", expression))
                else:
                    self.enum_choices[column.lower()] = choices


def _parenthesized_text(sql: str, tokens: list[Token], opening: int) -> str:
    """The exact text between the parenthesis at ``opening`` and its match."""
    end = closing(tokens, opening)
    if end == opening + 1:
        return ""
    return sql[tokens[opening + 1].start : tokens[end - 1].end]


def _enum_choices(expression: str, column: str) -> tuple[str, ...] | None:
    """The values of ``<column> IN ('a', 'b')``, or None for any other expression."""
    tokens = tokenize(expression)
    if (
        len(tokens) < 4
        or (tokens[0].name or "").lower() != column.lower()
        or not tokens[1].is_word("IN")
        or tokens[2].text != "("
        or tokens[-1].text != ")"
        or closing(tokens, 2) != len(tokens) - 1
    ):
        return None
    inner = tokens[3:-1]
    values = inner[0::2]
    if any(t.kind != "string" or t.text[:1] != "'" for t in values) or any(
        t.text != "," for t in inner[1::2]
    ):
        return None
    return tuple(t.text[1:-1].replace("''", "'") for t in values)


def comparable(schema: Schema) -> Schema:
    """``schema`` as :func:`introspect` would read it back once rendered on SQLite."""
    return Schema.of(
        comparable_table(t)
        for name, t in schema.tables.items()
        if not name.startswith(_SKIPPED_PREFIXES)
    )


def comparable_table(table: Table) -> Table:
    """One table as :func:`read_table` would read it back."""
    return Table(
        name=table.name,
        columns=tuple(comparable_column(c, table.primary_key) for c in table.columns),
        indexes=tuple(sorted(table.indexes, key=lambda i: i.name)),
        foreign_keys=tuple(
            sorted(
                (replace(fk, name=fk.column) for fk in table.foreign_keys), key=_foreign_key_order
            )
        ),
        checks=tuple(sorted(table.checks, key=lambda c: (c.name, c.sql))),
    )


def comparable_column(column: Column, primary_key: tuple[str, ...]) -> Column:
    """One column reduced to its declared type, stored default and visible constraints."""
    kind, digits, places = kind_of_declared(declared_type(column))
    enum = column.kind == "enum" and bool(column.choices)
    rowid = is_rowid_alias(column, primary_key)
    return Column(
        name=column.name,
        kind="enum" if enum else kind,
        nullable=column.nullable and not rowid,
        default=stored_default(column.default),
        unique=column.unique,
        primary_key=column.primary_key,
        autoincrement=column.autoincrement and rowid,
        max_digits=digits,
        decimal_places=places,
        choices=column.choices if enum else (),
    )


def stored_default(default: str | None) -> str | None:
    """A default as SQLite reports it: as written, without its outer parentheses."""
    if default is None:
        return None
    written = default_sql(default)
    return written[1:-1] if is_parenthesized(written) else written
