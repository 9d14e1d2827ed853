"""Every user mistake: one clear message, exit 1 (2 for wrong usage), nothing changed."""

from __future__ import annotations

import pytest

from tests.support import db, unprivileged
from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
"""


def _failed(result: object, *needles: str) -> str:
    code, err = result.code, result.err  # type: ignore[attr-defined]
    assert code == 1, (code, err)
    assert "Traceback" not in err
    assert err.startswith("error: ")
    for needle in needles:
        assert needle in err, (needle, err)
    return err


@pytest.mark.parametrize("name", ["Add-Phone", "add phone", "x;drop", "Éa", ""])
def test_bad_migration_name(sqlite_project: ProjectDir, name: str) -> None:
    sqlite_project.model("user", USER)
    _failed(sqlite_project.run("make", "migration", name), "not allowed")
    assert sqlite_project.files() == []


def test_unknown_url_scheme(sqlite_project: ProjectDir) -> None:
    result = sqlite_project.run("migrate", "--database", "oracle://u:secret@h/db")
    err = _failed(result, "Unknown database URL scheme 'oracle'")
    assert "secret" not in err


def test_password_never_printed(sqlite_project: ProjectDir) -> None:
    url = "postgresql://bob:hunter2@127.0.0.1:1/nowhere?sslpassword=alsosecret"
    result = sqlite_project.run("migrate", "--database", url)
    assert result.code == 1
    assert "hunter2" not in result.err + result.out
    assert "alsosecret" not in result.err + result.out


def _untouched(project: ProjectDir) -> None:
    """The database holds nothing: on SQLite not even a file was created."""
    if project.dialect == "sqlite":
        assert not (project.root.parent / "db.sqlite3").exists()
    else:
        assert db.tables(project.database) == set()


def test_syntax_error_in_migration_names_file_and_line(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    path = project.migrations / "0002_broken.py"
    path.write_text("def up(conn):\n    conn.execute('x'\n")
    _failed(project.run("migrate"), "0002_broken.py, line 2", "syntax error")
    _untouched(project)


def test_migration_without_up(project: ProjectDir) -> None:
    project.migrations.mkdir(parents=True)
    (project.migrations / "0001_nothing.py").write_text("def down(conn):\n    pass\n")
    _failed(project.run("migrate"), "0001_nothing.py", "up(conn)")
    _untouched(project)


def test_duplicate_numbers_name_both_files(project: ProjectDir) -> None:
    project.migrations.mkdir(parents=True)
    for name in ("0001_a.py", "0001_b.py"):
        (project.migrations / name).write_text("def up(conn):\n    pass\n")
    for args in (("migrate",), ("migrate", "--status"), ("make", "migration", "x")):
        _failed(project.run(*args), "0001_a.py", "0001_b.py")
    _untouched(project)


def test_unreadable_database_path(sqlite_project: ProjectDir, tmp_path: object) -> None:
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    result = sqlite_project.run("migrate", "--database", "sqlite:////no/such/folder/db.sqlite3")
    _failed(result, "/no/such/folder")


def test_permission_denied_database() -> None:
    with unprivileged.folder() as folder:
        project = ProjectDir(folder / "proj", "sqlite:///locked.db")
        project.model("user", USER)
        project.ok("make", "migration", "initial")
        target = project.root / "locked.db"
        target.write_bytes(b"")
        unprivileged.hand_over(folder)
        target.chmod(0)
        result = unprivileged.run(project.root, "-m", "schemashift", "migrate")
        _failed(result, "Cannot open SQLite database", "locked.db")


def test_model_file_that_fails_to_import(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("user", USER + "\nraise RuntimeError('boom')\n")
    err = _failed(
        sqlite_project.run("make", "migration", "x"), "src/models/user.py", "line", "boom"
    )
    assert sqlite_project.files() == []
    assert "Traceback" not in err


def test_model_file_with_syntax_error(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("user", "class User(Model:\n    pass\n")
    _failed(sqlite_project.run("make", "migration", "x"), "src/models/user.py", "line")


def test_wrong_usage_exits_2(sqlite_project: ProjectDir) -> None:
    for args in (
        ("migrate", "--step", "zero"),
        ("frobnicate",),
        ("migrate", "--status", "--step", "1"),
    ):
        result = sqlite_project.run(*args)
        assert result.code == 2, args
        assert "Traceback" not in result.err


def test_traceback_flag_shows_it(sqlite_project: ProjectDir) -> None:
    result = sqlite_project.run("migrate", "--database", "oracle://x/y", "--traceback")
    assert result.code == 1
    assert "Traceback" in result.err


def test_rollback_to_an_unapplied_migration(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("make", "migration", "later", "--empty")
    project.ok("migrate", "--to", "0001")
    _failed(project.run("migrate", "--rollback", "--to", "0002"), "0002_later is not applied")
    assert db.tracking(project.database) == [("0001_initial", 1)]


def test_rollback_of_a_migration_without_down_changes_nothing(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("make", "migration", "seed", "--empty")
    path = project.migrations / "0002_seed.py"
    text = path.read_text()
    path.write_text(text[: text.index("def down")])
    # Rolled back first, outside a transaction: it must not run before the refusal.
    (project.migrations / "0003_outside.py").write_text(
        "atomic = False\n\n\ndef up(conn):\n    conn.execute('CREATE TABLE extra (x INTEGER)')"
        "\n\n\ndef down(conn):\n    conn.execute('DROP TABLE extra')\n"
    )
    project.ok("migrate")
    _failed(project.run("migrate", "--rollback"), "0002_seed has no down(conn)", "Nothing was")
    assert db.tracking(project.database) == [
        ("0001_initial", 1),
        ("0002_seed", 1),
        ("0003_outside", 1),
    ]
    assert {"users", "extra"} <= db.tables(project.database)


def test_make_without_what_is_wrong_usage(sqlite_project: ProjectDir) -> None:
    result = sqlite_project.run("make")
    assert result.code == 2 and "make migration NAME" in result.err


def test_dangling_foreign_key_names_the_batch_and_claims_nothing(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    project.model(
        "user", USER + "\n\nclass Post(Model):\n    author_id = Field.ForeignKey('User')\n"
    )
    project.ok("make", "migration", "posts")
    project.ok("make", "migration", "orphan", "--empty")
    path = project.migrations / "0003_orphan.py"
    insert = "INSERT INTO posts (author_id) VALUES (42)"
    path.write_text(path.read_text().replace("    pass\n", f'    conn.execute("{insert}")\n', 1))
    result = project.run("migrate")
    if project.dialect == "sqlite":
        # SQLite checks foreign keys once, before COMMIT: the batch is named.
        _failed(result, "foreign key", "0002_posts, 0003_orphan", "rolled back")
    elif project.transactional_ddl:
        # PostgreSQL refuses the INSERT itself: the migration and statement are named.
        _failed(
            result,
            "foreign key",
            "Migration 0003_orphan (up) failed",
            f"Statement: {insert}",
            "The batch was rolled back; nothing was changed.",
        )
    else:
        # MySQL refuses the INSERT too, but 0002_posts committed on its own before it,
        # and the failing statement was the first of its migration.
        _failed(
            result,
            "foreign key",
            "Migration 0003_orphan (up) failed",
            f"Statement: {insert}",
            "None of the statements of 0003_orphan took effect.",
            "Not applied: 0003_orphan.",
        )
        assert "Applied 0002_posts" in result.out
        assert db.tracking(project.database) == [("0001_initial", 1), ("0002_posts", 2)]
        assert db.query(project.database, "SELECT count(*) FROM posts") == [(0,)]
        return
    assert "Applied" not in result.out
    assert db.tracking(project.database) == [("0001_initial", 1)]
    assert "posts" not in db.tables(project.database)
