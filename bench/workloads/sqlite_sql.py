"""The workloads as plain SQLite statements: what the raw-sqlite3 floor executes.

Types follow schemashift's SQLite mapping (SPEC §2), so the floor builds the same schema.
"""

from __future__ import annotations

from workloads.spec import DECIMAL_DIGITS, Col, Default, Tab, index_name

_TYPES = {
    "string": "TEXT",
    "text": "TEXT",
    "enum": "TEXT",
    "integer": "INTEGER",
    "biginteger": "INTEGER",
    "float": "REAL",
    "decimal": "NUMERIC({}, {})".format(*DECIMAL_DIGITS),
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
    "time": "TIME",
    "json": "TEXT",
    "uuid": "TEXT",
    "binary": "BLOB",
}
TRACKING = "_floor_migrations"


def literal(value: Default) -> str:
    """``value`` as an SQL literal."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def column_sql(col: Col) -> str:
    """The column definition inside CREATE TABLE or ADD COLUMN."""
    parts = [col.name, _TYPES[col.kind]]
    if not col.nullable:
        parts.append("NOT NULL")
    if col.default is not None:
        parts.append(f"DEFAULT {literal(col.default)}")
    if col.unique:
        parts.append("UNIQUE")
    if col.choices:
        parts.append(f"CHECK ({col.name} IN ({', '.join(literal(c) for c in col.choices)}))")
    if col.references:
        parts.append(f"REFERENCES {col.references} (id) ON DELETE CASCADE")
    return " ".join(parts)


def index_sql(table: str, columns: tuple[str, ...]) -> str:
    """CREATE INDEX with schemashift's default index name."""
    return f"CREATE INDEX {index_name(table, columns)} ON {table} ({', '.join(columns)})"


def indexes(tab: Tab) -> list[tuple[str, ...]]:
    """The table's indexes, including one per foreign-key column."""
    out = list(tab.indexes)
    out.extend((c.name,) for c in tab.columns if c.references and (c.name,) not in out)
    return out


def create_table(tab: Tab, name: str | None = None) -> list[str]:
    """CREATE TABLE (optionally under another name) followed by its indexes."""
    cols = ["id INTEGER PRIMARY KEY AUTOINCREMENT", *(column_sql(c) for c in tab.columns)]
    body = ",\n    ".join(cols)
    stmts = [f"CREATE TABLE {name or tab.name} (\n    {body}\n)"]
    if name is None:
        stmts.extend(index_sql(tab.name, cols_) for cols_ in indexes(tab))
    return stmts


def add_column(table: str, col: Col) -> str:
    """ALTER TABLE ... ADD COLUMN."""
    return f"ALTER TABLE {table} ADD COLUMN {column_sql(col)}"


def tracking_table() -> str:
    """The floor's own bookkeeping table, so that it records what it applied as the tools
    do."""
    return (
        f"CREATE TABLE IF NOT EXISTS {TRACKING} "
        "(name TEXT PRIMARY KEY, batch INTEGER, applied_at TEXT)"
    )


def record(name: str) -> str:
    """INSERT of one tracking row."""
    return f"INSERT INTO {TRACKING} VALUES ('{name}', 1, CURRENT_TIMESTAMP)"


def rebuild(
    before: Tab, after: Tab, conversions: dict[str, str], unkept: dict[str, str]
) -> list[str]:
    """The canonical SQLite rebuild from ``before`` to ``after`` with the safety checks
    schemashift makes: refuse when a row holds a value a conversion would not keep
    (``unkept`` maps a column to that condition), create the new table, copy the rows
    (``conversions`` maps a column to the expression that reads it), check that every
    row was copied, drop the old table, rename, recreate the indexes, then SQLite's
    ``quick_check`` of the new table. Each check is a ``SELECT`` that gives 1 when it
    passes (the floor's ``migrate`` stops on any other answer)."""
    tmp = f"_new_{after.name}"
    names = after.column_names()
    select = ", ".join(conversions.get(n, n) for n in names)
    return [
        *(
            f"SELECT count(*) = 0 FROM {before.name} WHERE {column} IS NOT NULL AND ({condition})"
            for column, condition in unkept.items()
        ),
        *create_table(after, name=tmp),
        f"INSERT INTO {tmp} ({', '.join(names)}) SELECT {select} FROM {before.name}",
        f"SELECT (SELECT count(*) FROM {before.name}) = (SELECT count(*) FROM {tmp})",
        f"DROP TABLE {before.name}",
        f"ALTER TABLE {tmp} RENAME TO {after.name}",
        *(index_sql(after.name, cols) for cols in indexes(after)),
        f"SELECT group_concat(quick_check) = 'ok' FROM pragma_quick_check('{after.name}')",
    ]
