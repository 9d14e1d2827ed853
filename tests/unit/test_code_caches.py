"""The compiled-code caches of large migration files, and the literal writer's spelled
out columns, make commands faster and never answer differently."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from schemashift.migrations import codec
from schemashift.schema.values import Column
from tests.support.project import ProjectDir

#: A hand-written migration larger than the size from which its code is cached.
MIGRATION = '''"""A large migration."""


def up(conn):
    """Apply changes."""
    conn.execute("CREATE TABLE alpha (x INTEGER)")
{padding}

def down(conn):
    """Revert changes."""
    conn.execute("DROP TABLE alpha")
'''


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows if not r[0].startswith(("sqlite_", "_schemashift"))}


def _same_second_edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) and give the file its old times back, as
    an edit within the same second would leave it."""
    assert len(old) == len(new)
    stat = os.stat(path)
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_large_migration_edited_in_the_same_second_runs_as_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    db = tmp_path / "db.sqlite3"
    project = ProjectDir(tmp_path / "proj", f"sqlite:///{db}")
    project.migrations.mkdir(parents=True)
    padding = "".join(f"    # line {i:05d} of a long comment\n" for i in range(800))
    path = project.migrations / "0001_large.py"
    path.write_text(MIGRATION.format(padding=padding))
    assert path.stat().st_size > 16 * 1024

    project.ok("migrate")
    assert _tables(db) == {"alpha"}
    assert list((cache / "schemashift" / "migrations").glob("*.pyc"))
    project.ok("migrate", "--rollback")
    assert _tables(db) == set()

    _same_second_edit(path, "alpha", "omega")
    project.ok("migrate")
    assert _tables(db) == {"omega"}
    project.ok("migrate", "--rollback")
    assert _tables(db) == set()

    # A damaged cache file is compiled afresh.
    for cached in (cache / "schemashift" / "migrations").glob("*.pyc"):
        cached.write_bytes(cached.read_bytes()[:-5])
    project.ok("migrate")
    assert _tables(db) == {"omega"}


def _every_field_set() -> Column:
    """A column whose every field differs from its default."""
    values: dict[str, object] = {}
    for name in Column._fields:
        default = Column._defaults.get(name)
        if isinstance(default, bool):
            values[name] = not default
        elif name == "choices":
            values[name] = ("a", "b")
        elif name in ("max_length", "max_digits", "decimal_places"):
            values[name] = 7
        else:
            values[name] = f"value of {name}"
    return Column(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "column",
    [
        Column("id", "biginteger"),
        Column("id", "biginteger", nullable=False, primary_key=True, autoincrement=True),
        Column("n", "decimal", max_digits=10, decimal_places=2, default="0", attribute="n"),
        Column("s", "enum", choices=("a", "b"), unique=True, db_type="text"),
        _every_field_set(),
    ],
)
def test_the_spelled_out_column_literal_is_the_generic_one(column: Column) -> None:
    spelled = codec._column_to_literal(column)
    generic = codec._record_to_literal(column)
    assert spelled == generic
    assert list(spelled) == list(generic)
    assert repr(spelled) == repr(generic)
    assert codec.column_from_literal(spelled) == column


def test_every_column_field_is_written() -> None:
    column = _every_field_set()
    assert set(codec._column_to_literal(column)) == set(Column._fields)
