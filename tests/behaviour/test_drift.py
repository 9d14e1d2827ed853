"""check sees every hand change to what the models say: exact column types, partial,
expression, prefix, INVALID and re-ordered indexes, index methods."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import db
from tests.support.project import ProjectDir

ACCOUNT = """
class Account(Model):
    email = Field.String(max_length=100, unique=True, nullable=False)
    seen_at = Field.DateTime()
    visits = Field.Integer(default=0, nullable=False)
    balance = Field.Decimal(max_digits=10, decimal_places=2)
    region = Field.String(max_length=20)
    team = Field.String(max_length=20)
    code = Field.String(max_length=20, index=True)
    __indexes__ = [Index("region", "team"), Index("team", "code", unique=True)]
"""


def _migrated(project: ProjectDir) -> ProjectDir:
    project.model("account", ACCOUNT)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    result = project.run("check")
    assert result.code == 0, result.out
    return project


def _drift(project: ProjectDir) -> list[dict[str, Any]]:
    """The database_drift entries of ``check --json``, which must exit 1."""
    result = project.run("check", "--json")
    payload = json.loads(result.out)
    assert result.code == 1 and payload["ok"] is False, result.out
    entries = [d for d in payload["differences"] if d["cause"] == "database_drift"]
    assert entries == payload["differences"], payload
    return entries


def _changed(project: ProjectDir, *statements: str) -> list[dict[str, Any]]:
    for statement in statements:
        db.execute(project.database, statement)
    return _drift(project)


COLUMN_TYPES = [
    ("seen_at", "timestamp", "timestamp without time zone"),
    ("visits", "smallint", "smallint"),
    ("visits", "bigint", "bigint"),
    ("email", "varchar(50)", "character varying(50)"),
    ("balance", "numeric(12, 2)", "numeric(12,2)"),
    ("balance", "numeric(10, 3)", "numeric(10,3)"),
    ("region", "char(20)", "character(20)"),
]


@pytest.mark.parametrize(("column", "new_type", "shown"), COLUMN_TYPES)
def test_postgres_column_type_changed_by_hand_is_drift(
    pg_project: ProjectDir, column: str, new_type: str, shown: str
) -> None:
    project = _migrated(pg_project)
    entries = _changed(project, f"ALTER TABLE accounts ALTER COLUMN {column} TYPE {new_type}")
    assert [(d["table"], d.get("column")) for d in entries] == [("accounts", column)]
    assert shown in entries[0]["detail"]


def test_postgres_timestamp_changed_back_is_no_drift(pg_project: ProjectDir) -> None:
    project = _migrated(pg_project)
    _changed(project, "ALTER TABLE accounts ALTER COLUMN seen_at TYPE timestamp")
    db.execute(project.database, "ALTER TABLE accounts ALTER COLUMN seen_at TYPE timestamptz")
    assert project.run("check").code == 0


def _index_entries(entries: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(d["table"], d.get("index")) for d in entries]


def _drop_index(project: ProjectDir, name: str) -> str:
    """``DROP INDEX`` of the accounts table's ``name`` (MySQL says of which table)."""
    return f"DROP INDEX {name}" + (" ON accounts" if project.dialect == "mysql" else "")


def test_partial_unique_index_in_place_of_the_models_is_drift(project: ProjectDir) -> None:
    if project.dialect == "mysql":
        pytest.skip("MySQL and MariaDB have no partial indexes")
    _migrated(project)
    entries = _changed(
        project,
        _drop_index(project, "uq_accounts_team_code"),
        "CREATE UNIQUE INDEX uq_accounts_team_code ON accounts (team, code) WHERE visits > 0",
    )
    assert _index_entries(entries) == [("accounts", "uq_accounts_team_code")]
    assert "visits > 0" in entries[0]["detail"]


def test_postgres_partial_unique_index_in_place_of_a_unique_column_is_drift(
    pg_project: ProjectDir,
) -> None:
    project = _migrated(pg_project)
    entries = _changed(
        project,
        "ALTER TABLE accounts DROP CONSTRAINT accounts_email_key",
        "CREATE UNIQUE INDEX accounts_email_key ON accounts (email) WHERE visits > 0",
    )
    named = {(d["table"], d.get("column"), d.get("index")) for d in entries}
    assert named == {("accounts", "email", None), ("accounts", None, "accounts_email_key")}


def test_expression_index_in_place_of_a_column_index_is_drift(project: ProjectDir) -> None:
    _migrated(project)
    # MariaDB has no expression indexes; its nearest, an index of a prefix of the
    # column, is no whole-column index either.
    key = "code(5)" if project.dialect == "mysql" else "lower(code)"
    entries = _changed(
        project,
        _drop_index(project, "idx_accounts_code"),
        f"CREATE INDEX idx_accounts_code ON accounts ({key})",
    )
    assert _index_entries(entries) == [("accounts", "idx_accounts_code")]


def test_mysql_fulltext_index_in_place_of_a_column_index_is_drift(
    mysql_project: ProjectDir,
) -> None:
    project = _migrated(mysql_project)
    entries = _changed(
        project,
        _drop_index(project, "idx_accounts_code"),
        "CREATE FULLTEXT INDEX idx_accounts_code ON accounts (code)",
    )
    assert _index_entries(entries) == [("accounts", "idx_accounts_code")]
    assert "fulltext" in entries[0]["detail"]


def test_composite_index_with_its_columns_swapped_is_drift(project: ProjectDir) -> None:
    _migrated(project)
    entries = _changed(
        project,
        _drop_index(project, "idx_accounts_region_team"),
        "CREATE INDEX idx_accounts_region_team ON accounts (team, region)",
    )
    assert _index_entries(entries) == [("accounts", "idx_accounts_region_team")]


def test_postgres_index_method_changed_is_drift(pg_project: ProjectDir) -> None:
    project = _migrated(pg_project)
    entries = _changed(
        project,
        "DROP INDEX idx_accounts_code",
        "CREATE INDEX idx_accounts_code ON accounts USING hash (code)",
    )
    assert _index_entries(entries) == [("accounts", "idx_accounts_code")]
    assert "hash" in entries[0]["detail"]


def test_postgres_invalid_index_is_drift(pg_project: ProjectDir) -> None:
    project = _migrated(pg_project)
    db.execute(project.database, "DROP INDEX uq_accounts_team_code")
    db.execute(
        project.database,
        "INSERT INTO accounts (email, team, code) VALUES ('a@x', 't', 'c'), ('b@x', 't', 'c')",
    )
    # A concurrent build that fails leaves the index behind, marked INVALID.
    with pytest.raises(Exception, match="uq_accounts_team_code"):
        db.execute(
            project.database,
            "CREATE UNIQUE INDEX CONCURRENTLY uq_accounts_team_code ON accounts (team, code)",
        )
    assert db.query(
        project.database,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'uq_accounts_team_code'::regclass",
    ) == [(False,)]
    entries = _drift(project)
    assert _index_entries(entries) == [("accounts", "uq_accounts_team_code")]
    assert "INVALID" in entries[0]["detail"]


def test_unique_and_index_on_one_field_make_one_index(project: ProjectDir) -> None:
    project.model(
        "account",
        """
        class Account(Model):
            email = Field.String(max_length=100, unique=True, index=True)

        class Tag(Model):
            label = Field.String(max_length=20, primary_key=True, index=True)
        """,
    )
    project.ok("make", "migration", "initial")
    written = project.read("0001_initial.py")
    assert "idx_accounts_email" not in written and "idx_tags_label" not in written
    project.ok("migrate")
    if project.dialect == "sqlite":
        sql = "SELECT count(*) FROM pragma_index_list('accounts')"
    elif project.dialect == "mysql":
        sql = (
            "SELECT count(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts'"
        )
    else:
        sql = "SELECT count(*) FROM pg_indexes WHERE tablename = 'accounts'"
    # The primary key's index (PostgreSQL, MySQL; SQLite's is the rowid) and the UNIQUE one.
    assert db.query(project.database, sql) == [(1 if project.dialect == "sqlite" else 2,)]
    assert project.run("check").code == 0
