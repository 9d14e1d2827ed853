"""The seed workflow through the real command line, on SQLite, PostgreSQL and MySQL."""

from __future__ import annotations

import json

from tests.support import db
from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
    name = Field.String(max_length=100, default="")
"""

USER_WITH_PHONE = USER + '    phone = Field.String(max_length=30, default="")\n'


def test_seed_walkthrough(project: ProjectDir) -> None:
    project.model("user", USER)
    made = project.ok("make", "migration", "initial_schema")
    assert "src/migrations/0001_initial_schema.py" in made.out
    assert "+ create table users" in made.out
    project.ok("migrate")
    assert "users" in db.tables(project.database)

    project.model("user", USER_WITH_PHONE)
    made = project.ok("make", "migration", "add_phone_to_users")
    assert "+ add column users.phone" in made.out
    text = project.read("0002_add_phone_to_users.py")
    assert "ALTER TABLE users ADD COLUMN phone" in text
    assert "def down(conn):" in text

    applied = project.ok("migrate")
    assert "0002_add_phone_to_users" in applied.out
    assert db.tracking(project.database) == [
        ("0001_initial_schema", 1),
        ("0002_add_phone_to_users", 2),
    ]
    status = project.ok("migrate", "--status")
    assert status.out == (
        "MIGRATION STATUS\n[X] 0001_initial_schema\n[X] 0002_add_phone_to_users\n"
    )

    project.ok("migrate", "--rollback")
    assert "phone" not in db.columns(project.database, "users")
    status = project.ok("migrate", "--status")
    assert status.out.splitlines()[1:] == ["[X] 0001_initial_schema", "[ ] 0002_add_phone_to_users"]

    project.ok("migrate", "--fake")
    assert "phone" not in db.columns(project.database, "users")
    assert ("0002_add_phone_to_users", 2) in db.tracking(project.database)
    project.ok("migrate", "--rollback", "--fake")
    assert db.tracking(project.database) == [("0001_initial_schema", 1)]


def test_status_json_shape(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial_schema")
    project.ok("migrate")
    project.model("user", USER_WITH_PHONE)
    project.ok("make", "migration", "add_phone")
    payload = json.loads(project.ok("migrate", "--status", "--json").out)
    first, second = payload["migrations"]
    assert first["name"] == "0001_initial_schema" and first["applied"] is True
    assert first["batch"] == 1 and first["checksum_ok"] is True
    assert first["file_missing"] is False and len(first["applied_at"]) == 19
    assert second == {
        "name": "0002_add_phone",
        "applied": False,
        "batch": None,
        "applied_at": None,
        "checksum_ok": None,
        "file_missing": False,
        "from_database": False,
        "duration_ms": None,
        "replaces": [],
        "replaced_by": None,
        "description": "add column users.phone",
        "failed": False,
    }


def _three_migrations(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "one")
    project.model("user", USER_WITH_PHONE)
    project.ok("make", "migration", "two")
    project.model("user", USER_WITH_PHONE + "    bio = Field.Text()\n")
    project.ok("make", "migration", "three")


def test_step_and_to_select_migrations_and_batches(project: ProjectDir) -> None:
    _three_migrations(project)
    project.ok("migrate", "--step", "1")
    project.ok("migrate", "--to", "0002")
    project.ok("migrate")
    assert db.tracking(project.database) == [("0001_one", 1), ("0002_two", 2), ("0003_three", 3)]
    project.ok("migrate", "--rollback", "--step", "2")
    assert db.tracking(project.database) == [("0001_one", 1)]
    project.ok("migrate")
    assert db.tracking(project.database) == [("0001_one", 1), ("0002_two", 2), ("0003_three", 2)]
    project.ok("migrate", "--rollback", "--to", "0001_one")
    assert db.tracking(project.database) == [("0001_one", 1)]
    assert db.columns(project.database, "users") == ["id", "email", "name"]


def test_make_migration_replays_history_without_a_database(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial_schema")
    again = project.ok("make", "migration", "again")
    assert "No changes detected" in again.out
    assert project.files() == ["0001_initial_schema.py"]
    if project.dialect == "sqlite":
        assert not (project.root.parent / "db.sqlite3").exists()


def test_a_failing_migration_rolls_back_the_whole_batch(project: ProjectDir) -> None:
    _three_migrations(project)
    path = project.migrations / "0003_three.py"
    text = path.read_text().replace(
        '"""Apply changes."""\n',
        '"""Apply changes."""\n    conn.execute("SELECT * FROM no_such_table")\n',
        1,
    )
    path.write_text(text)
    result = project.run("migrate")
    assert result.code == 1
    assert "0003_three" in result.err and "no_such_table" in result.err
    assert "Traceback" not in result.err
    if project.transactional_ddl:
        assert db.tracking(project.database) == []
        assert "users" not in db.tables(project.database)
    else:
        # Each migration is applied and recorded on its own; the failing one's first
        # statement failed, so it changed nothing and is simply pending.
        assert db.tracking(project.database) == [("0001_one", 1), ("0002_two", 1)]
        assert db.columns(project.database, "users") == ["id", "email", "name", "phone"]
        status = project.ok("migrate", "--status").out.splitlines()
        assert status[-1] == "[ ] 0003_three"


def test_dry_run_prints_sql_and_changes_nothing(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial_schema")
    result = project.ok("migrate", "--dry-run")
    assert "CREATE TABLE users" in result.out
    assert "users" not in db.tables(project.database) if project.dialect != "sqlite" else True
    if project.dialect == "sqlite":
        assert not (project.root.parent / "db.sqlite3").exists()
    project.ok("migrate")
    rolled = project.ok("migrate", "--rollback", "--dry-run")
    assert "DROP TABLE users" in rolled.out
    assert "users" in db.tables(project.database)


def test_round_trip_of_the_generated_files(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial_schema")
    project.ok("migrate")
    before = db.columns(project.database, "users")
    project.model("user", USER_WITH_PHONE + "    age = Field.Integer(index=True)\n")
    project.ok("make", "migration", "more")
    project.ok("migrate")
    project.ok("migrate", "--rollback")
    assert db.columns(project.database, "users") == before
    check = project.run("check")
    assert "pending" in check.out and "database_drift" not in check.out


def test_an_empty_migration_names_the_projects_placeholders(project: ProjectDir) -> None:
    placeholder = {"sqlite": "?", "postgresql": "%s", "mysql": "%s"}[project.dialect]
    project.ok("make", "migration", "fill", "--empty")
    text = (project.migrations / project.files()[0]).read_text()
    assert f"placeholders are the driver's own\n    # ({placeholder} on {project.dialect})." in text
    assert "conn.dialect ==" not in text, "one database: nothing to branch on"
    project.ok("migrate")


def test_an_empty_migration_of_several_databases_shows_a_branch(sqlite_project: ProjectDir) -> None:
    pyproject = sqlite_project.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'dialects = ["sqlite", "mysql"]\n')
    sqlite_project.ok("make", "migration", "fill", "--empty")
    text = (sqlite_project.migrations / sqlite_project.files()[0]).read_text()
    assert "(? on sqlite, %s on mysql)." in text
    assert '#     if conn.dialect == "sqlite":' in text
    assert '# dialects = ("sqlite", "mysql").' in text
