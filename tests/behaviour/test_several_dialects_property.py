"""Random model evolutions with two dialects configured: every generated file carries
SQL for SQLite and PostgreSQL, and the one history brings both databases to the schema
the models declare, step by step, and back to nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

import schemashift
from tests.behaviour.test_changes import live_schema
from tests.behaviour.test_evolution_property import (
    SETTINGS,
    Evolver,
    Tab,
    write_models,
)
from tests.support.postgres import admin_url, fresh_database


def _evolve_on_both(folder: Path, data: st.DataObject, admin: str) -> None:
    root = folder / "proj"
    (root / "src" / "models").mkdir(parents=True)
    lite = f"sqlite:///{folder / 'db.sqlite3'}"
    with fresh_database(admin) as pg:
        (root / "pyproject.toml").write_text(
            f'[tool.schemashift]\ndatabase = "{lite}"\ndialects = ["sqlite", "postgresql"]\n'
        )
        project = str(root)
        tables: list[Tab] = []
        evolver = Evolver(data, tables)
        empty = {url: live_schema(url) for url in (lite, pg)}
        for number in range(1, data.draw(st.integers(2, 5), label="steps") + 1):
            note(f"step {number}: {evolver.step() if tables else evolver.add_table(None)}")
            write_models(root, tables)
            made = schemashift.make_migration(f"step_{number}", project=project)
            if made.path is not None:
                text = made.path.read_text()
                note(text)
                assert "def up_sqlite(conn):" in text and "def up_postgresql(conn):" in text
            for url in (lite, pg):
                schemashift.migrate(project=project, database=url)
                assert schemashift.check(project=project, database=url) == []
            evolver.settle()
        for url in (lite, pg):
            schemashift.rollback(project=project, database=url, to="0")
            assert live_schema(url) == empty[url]


@settings(max_examples=max(1, settings().max_examples // 5), **SETTINGS)
@given(data=st.data())
def test_evolutions_with_two_dialects(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    admin = admin_url()
    if admin is None:
        if os.environ.get("CI") == "true":
            pytest.fail("SCHEMASHIFT_TEST_PG is not set under CI=true: PostgreSQL tests must run.")
        pytest.skip("no PostgreSQL test server (set SCHEMASHIFT_TEST_PG, see scripts/pg.sh)")
    _evolve_on_both(tmp_path_factory.mktemp("both"), data, admin)
