"""The migration files shown in docs/migration-files.md run as the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import schemashift
from tests.conftest import database_url
from tests.support.db import execute, query

DOC = Path(__file__).resolve().parents[2] / "docs" / "migration-files.md"


def example(key: str) -> str:
    """The Python block that follows ``<!-- example: KEY -->`` in the page."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- example: {key} -->\n```python\n(.*?)```", text, re.S)
    assert match, f"no example {key!r} in {DOC.name}"
    return match.group(1)


def project(root: Path, url: str, models: str) -> dict[str, str]:
    (root / "src" / "models").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "docs"\n')
    (root / "src" / "models" / "models.py").write_text(
        "from schemashift import Field, Model\n\n\n" + models
    )
    where = {"project": str(root), "database": url}
    assert schemashift.make_migration("initial_schema", **where).path is not None
    schemashift.migrate(**where)
    return where


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_the_data_migration_example(dialect: str, tmp_path: Path) -> None:
    for url in database_url(dialect, tmp_path):
        where = project(
            tmp_path / "proj",
            url,
            "class User(Model):\n"
            "    email = Field.String(max_length=255, nullable=False)\n"
            "    name = Field.String(max_length=100, default='', nullable=False)\n",
        )
        execute(url, "INSERT INTO users (email) VALUES ('ada@example.com')")
        execute(url, "INSERT INTO users (email, name) VALUES ('bob@example.com', 'Bob')")
        made = schemashift.make_migration("backfill_display_names", empty=True, **where)
        assert made.path is not None
        made.path.write_text(example("data_migration"))
        schemashift.migrate(**where)
        assert query(url, "SELECT name FROM users ORDER BY id") == [("ada",), ("Bob",)]
        assert schemashift.rollback(**where).names == ["0002_backfill_display_names"]
        assert [d.cause for d in schemashift.check(**where)] == ["pending"]


def test_the_concurrent_index_example_on_postgresql(tmp_path: Path) -> None:
    for url in database_url("postgresql", tmp_path):
        where = project(
            tmp_path / "proj",
            url,
            "class Customer(Model):\n    name = Field.Text()\n\n\n"
            "class Order(Model):\n"
            "    customer_id = Field.ForeignKey(Customer, index=False)\n",
        )
        path = tmp_path / "proj" / "src" / "migrations" / "0002_index_orders_by_customer.py"
        path.write_text(example("concurrent_index"))
        assert schemashift.migrate(**where).names == ["0002_index_orders_by_customer"]
        indexes = query(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'orders'")
        assert ("idx_orders_customer_id",) in indexes
        # Its operations list matches what it does, and the models agree once they say it.
        models = tmp_path / "proj" / "src" / "models" / "models.py"
        models.write_text(models.read_text().replace("index=False", "index=True"))
        assert schemashift.check(**where) == []
        assert schemashift.rollback(**where).names == ["0002_index_orders_by_customer"]
