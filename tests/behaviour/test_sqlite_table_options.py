"""A rebuild keeps STRICT and WITHOUT ROWID, which the models do not describe."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemashift.dialects.sqlite import DIALECT
from schemashift.diff.operations import AlterColumn, reverse_all
from schemashift.schema.record import replace
from schemashift.schema.values import Column, Schema, Table
from tests.behaviour.test_sqlite_rebuild import database_url, migrate

ID = Column("id", "integer", nullable=False, primary_key=True)
NAME = Column("name", "text")
TABLE = Table("t", (ID, NAME))


@pytest.mark.parametrize("options", ["STRICT", "WITHOUT ROWID", "STRICT, WITHOUT ROWID"])
def test_rebuild_keeps_table_options(tmp_path: Path, options: str) -> None:
    conn = DIALECT.connect(database_url(tmp_path))
    try:
        conn.execute(f"CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, name TEXT) {options}")
        conn.execute("INSERT INTO t VALUES (1, 'a'), (2, NULL)")
        change = [AlterColumn("t", NAME, replace(NAME, nullable=False, default="''"))]
        after = migrate(conn, change, Schema.of([TABLE]))
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()[0]
        assert sql.endswith(f") {options}")
        assert conn.execute("SELECT id, name FROM t ORDER BY id").fetchall() == [
            (1, "a"),
            (2, ""),
        ]
        migrate(conn, reverse_all(change), after)
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()[0]
        assert sql.endswith(f") {options}")
    finally:
        conn.close()
