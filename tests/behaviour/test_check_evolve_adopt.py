"""check in each of its states, evolve, and adopting an existing database."""

from __future__ import annotations

import json

from tests.support import db
from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
    name = Field.String(max_length=100, default="")
"""


def _causes(project: ProjectDir, *args: str) -> tuple[int, set[str]]:
    result = project.run("check", "--json", *args)
    payload = json.loads(result.out)
    assert payload["ok"] is (result.code == 0)
    return result.code, {d["cause"] for d in payload["differences"]}


def test_check_states(project: ProjectDir) -> None:
    project.model("user", USER)
    assert _causes(project, "--offline") == (1, {"model_change"})
    assert "model_change: create table users" in project.run("check", "--offline").out
    project.ok("make", "migration", "initial")
    assert _causes(project, "--offline") == (0, set())
    assert _causes(project) == (1, {"pending"})
    project.ok("migrate")
    assert _causes(project) == (0, set())
    assert project.ok("check").out.startswith("OK")
    db.execute(project.database, "ALTER TABLE users ADD COLUMN sneaky TEXT")
    code, causes = _causes(project)
    assert (code, causes) == (1, {"database_drift"})
    assert "users.sneaky" in project.run("check").out
    assert _causes(project, "--offline") == (0, set())


def test_check_offline_needs_no_database(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    result = project.run("check", "--offline", "--database", "postgresql://u:p@127.0.0.1:1/none")
    assert result.code == 0, result.err


def test_evolve_applies_additive_changes_and_refuses_destructive_ones(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("evolve")
    assert db.tracking(project.database) == [("0001_initial", 1)]
    project.model(
        "user",
        USER
        + "    bio = Field.Text()\n\n\nclass Tag(Model):\n"
        + "    label = Field.String(max_length=20)\n",
    )
    result = project.ok("evolve")
    assert project.files() == ["0001_initial.py", "0002_auto_evolve.py"]
    assert "bio" in db.columns(project.database, "users") and "tags" in db.tables(project.database)
    assert _causes(project) == (0, set())
    db.execute(project.database, "INSERT INTO users (email, name, bio) VALUES ('a@b', 'a', 'keep')")
    project.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    refused = project.run("evolve")
    assert refused.code == 1 and "make migration" in refused.err and "users.name" in refused.err
    assert project.files() == ["0001_initial.py", "0002_auto_evolve.py"]
    assert db.query(project.database, "SELECT name, bio FROM users") == [("a", "keep")]
    del result


def test_evolve_python_api_returns_a_report(project: ProjectDir) -> None:
    import schemashift

    project.model("user", USER)
    report = schemashift.evolve(project=str(project.root))
    assert report.applied == ["0001_auto_evolve"] and report.refused == []
    project.model("user", "class User(Model):\n    email = Field.String(max_length=255)\n")
    report = schemashift.evolve(project=str(project.root))
    assert report.applied == [] and report.refused


def test_adopting_an_existing_database(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    up = project.read("0001_initial.py").split("def down")[0]
    for sql in _statements(up):
        db.execute(project.database, sql)
    db.execute(project.database, "INSERT INTO users (email) VALUES ('kept@example.com')")
    result = project.ok("migrate")
    assert "already exist" in result.out
    assert db.tracking(project.database) == [("0001_initial", 1)]
    assert db.query(project.database, "SELECT email FROM users") == [("kept@example.com",)]
    assert _causes(project) == (0, set())


def test_adopting_refuses_a_database_that_differs(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    db.execute(project.database, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
    result = project.run("migrate")
    assert result.code == 1 and "users.name" in result.err and "Traceback" not in result.err
    assert db.tracking(project.database) == []


def _statements(source: str) -> list[str]:
    namespace: dict[str, object] = {}
    exec(source, namespace)
    seen: list[str] = []

    class Recorder:
        dialect = "x"

        def execute(self, sql: str, params: object = None) -> None:
            seen.append(sql)

    namespace["up"](Recorder())  # type: ignore[operator]
    return seen


def test_check_ignores_tables_managed_by_hand(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("make", "migration", "audit_log", "--empty")
    path = project.migrations / "0002_audit_log.py"
    path.write_text(
        path.read_text().replace(
            "    pass\n", '    conn.execute("CREATE TABLE audit_log (what TEXT)")\n', 1
        )
    )
    project.ok("migrate")
    assert _causes(project) == (1, {"database_drift"})
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'ignore_tables = ["audit_*"]\n')
    assert _causes(project) == (0, set())


def test_check_json_names_table_column_and_migration(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.model("user", USER + "    bio = Field.Text()\n")
    payload = json.loads(project.run("check", "--json").out)
    assert payload["version"] == 1 and payload["ok"] is False
    by_cause = {d["cause"]: d for d in payload["differences"]}
    assert by_cause["pending"]["migration"] == "0001_initial"
    assert by_cause["model_change"]["table"] == "users"
    assert by_cause["model_change"]["column"] == "bio"
    project.model("user", USER)
    project.ok("migrate")
    db.execute(project.database, "CREATE INDEX sneaky_idx ON users (name)")
    drift = json.loads(project.run("check", "--json").out)["differences"]
    assert [(d["cause"], d["table"], d["index"]) for d in drift] == [
        ("database_drift", "users", "sneaky_idx")
    ]


def test_check_that_cannot_compare_exits_3(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    (project.migrations / "0001_other.py").write_text("def up(conn):\n    pass\n")
    duplicate = project.run("check", "--offline")
    assert duplicate.code == 3 and "share the number" in duplicate.err
    (project.migrations / "0001_other.py").unlink()
    unreachable = project.run("check", "--database", "postgresql://u:p@127.0.0.1:1/none")
    assert unreachable.code == 3, unreachable.err
    assert "p@" not in unreachable.err


def test_evolve_on_postgresql_applies_nothing_that_takes_a_long_lock(
    pg_project: ProjectDir,
) -> None:
    project = pg_project
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("evolve")
    project.model(
        "user",
        USER.replace('default="")', 'default="", index=True)')
        + '    token = Field.Text(default=SQL("md5(random()::text)"))\n',
    )
    refused = project.run("evolve")
    assert refused.code == 1, refused
    assert "ADD COLUMN with a volatile" in refused.err
    assert 'evolve_locks = "any"' in refused.err
    assert project.files() == ["0001_initial.py"]
    assert "token" not in db.columns(project.database, "users")
    # A new table with its indexes is no one's yet: nothing waits for it. A new index on
    # the existing table is built CONCURRENTLY, in a file of its own.
    project.model(
        "user",
        USER.replace('default="")', 'default="", index=True)')
        + "\n\nclass Tag(Model):\n    label = Field.Text(index=True)\n",
    )
    project.ok("evolve")
    assert "tags" in db.tables(project.database)
    assert project.files() == [
        "0001_initial.py",
        "0002_auto_evolve.py",
        "0003_auto_evolve_index.py",
    ]
    index_file = project.read("0003_auto_evolve_index.py")
    assert "atomic = False" in index_file
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_name" in index_file
    assert "CREATE INDEX CONCURRENTLY" not in project.read("0002_auto_evolve.py")
    valid = db.query(
        project.database,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_users_name'::regclass",
    )
    assert valid == [(True,)]
    assert "OK" in project.ok("check").out
    (project.root / "pyproject.toml").write_text(
        f'[tool.schemashift]\ndatabase = "{project.database}"\nevolve_locks = "any"\n'
    )
    project.model(
        "user",
        USER.replace('default="")', 'default="", index=True)')
        + "\n\nclass Tag(Model):\n    label = Field.Text(index=True)\n"
        + "    weight = Field.Integer(default=1, index=True)\n",
    )
    project.ok("evolve")
    assert project.files()[-1] == "0004_auto_evolve.py"
    assert 'conn.execute("CREATE INDEX idx_tags_weight' in project.read("0004_auto_evolve.py")
