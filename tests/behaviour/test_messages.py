"""Messages that tell the truth: what a failed run left committed, where a migration's
Python raised, which line of a file cannot be read, and never a password."""

from __future__ import annotations

import textwrap
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support import db
from tests.support.project import ProjectDir, Result

USER = """
class User(Model):
    email = Field.String(max_length=255, nullable=False)
"""


def _failed(result: Result, *needles: str) -> str:
    assert result.code == 1, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    assert "unexpectedly" not in result.err
    assert result.err.startswith("error: ")
    for needle in needles:
        assert needle in result.err, (needle, result.err)
    return result.err


def _write(project: ProjectDir, filename: str, source: str) -> None:
    project.migrations.mkdir(parents=True, exist_ok=True)
    (project.migrations / filename).write_text(textwrap.dedent(source).lstrip())


def _status(project: ProjectDir) -> list[str]:
    return project.ok("migrate", "--status").out.splitlines()[1:]


# -- runs that stop part-way ---------------------------------------------------------


def test_failing_non_atomic_migration_after_an_atomic_one(project: ProjectDir) -> None:
    _write(
        project,
        "0001_first.py",
        """
        def up(conn):
            conn.execute("CREATE TABLE first (x INTEGER)")

        def down(conn):
            conn.execute("DROP TABLE first")
        """,
    )
    _write(
        project,
        "0002_outside.py",
        """
        atomic = False

        def up(conn):
            conn.execute("CREATE TABLE outside (x INTEGER)")
            conn.execute("CREATE TABLE first (x INTEGER)")

        def down(conn):
            conn.execute("DROP TABLE outside")
        """,
    )
    _write(
        project,
        "0003_last.py",
        """
        def up(conn):
            conn.execute("CREATE TABLE last (x INTEGER)")

        def down(conn):
            conn.execute("DROP TABLE last")
        """,
    )
    result = project.run("migrate")
    common = (
        "Migration 0002_outside (up) failed",
        "Not applied: 0003_last.",
        "Statement: CREATE TABLE first (x INTEGER)",
        "Took effect from 0002_outside:\n  CREATE TABLE outside (x INTEGER)",
    )
    if project.transactional_ddl:
        err = _failed(
            result,
            *common,
            "Applied (batch 1): 0001_first.",
            "1 of its statements had already taken effect",
            "partly applied and not recorded",
        )
    else:
        # Without transactional DDL the part-way migration is recorded as failed.
        err = _failed(
            result,
            *common,
            "Applied before it: 0001_first.",
            "1 of the statements of 0002_outside had already taken effect",
            "recorded as failed",
            "schemashift migrate --repair 0002_outside",
        )
    assert "nothing was changed" not in err
    # The database agrees with the message, and --status with the database.
    tables = db.tables(project.database)
    assert {"first", "outside"} <= tables and "last" not in tables
    if project.transactional_ddl:
        assert db.tracking(project.database) == [("0001_first", 1)]
        assert _status(project) == ["[X] 0001_first", "[ ] 0002_outside", "[ ] 0003_last"]
    else:
        assert db.tracking(project.database) == [("0001_first", 1), ("0002_outside", 1)]
        assert _status(project) == [
            "[X] 0001_first",
            "[!] 0002_outside (failed)",
            "[ ] 0003_last",
        ]


def test_failing_atomic_migration_after_a_committed_non_atomic_one(
    project: ProjectDir,
) -> None:
    _write(
        project,
        "0001_outside.py",
        """
        atomic = False

        def up(conn):
            conn.execute("CREATE TABLE outside (x INTEGER)")

        def down(conn):
            conn.execute("DROP TABLE outside")
        """,
    )
    _write(
        project,
        "0002_inside.py",
        """
        def up(conn):
            conn.execute("CREATE TABLE inside (x INTEGER)")
            conn.execute("CREATE TABLE outside (x INTEGER)")

        def down(conn):
            conn.execute("DROP TABLE inside")
        """,
    )
    result = project.run("migrate")
    if not project.transactional_ddl:
        # No transaction to roll back: the first statement of 0002_inside stays.
        err = _failed(
            result,
            "Migration 0002_inside (up) failed",
            "Applied before it: 0001_outside.",
            "recorded as failed",
            "Took effect from 0002_inside:\n  CREATE TABLE inside (x INTEGER)",
        )
        assert "nothing was changed" not in err
        assert {"outside", "inside"} <= db.tables(project.database)
        assert _status(project) == ["[X] 0001_outside", "[!] 0002_inside (failed)"]
        return
    err = _failed(
        result,
        "Migration 0002_inside (up) failed",
        "Its transaction was rolled back",
        "Applied (batch 1): 0001_outside.",
        "Not applied: 0002_inside.",
    )
    assert "nothing was changed" not in err
    assert db.tracking(project.database) == [("0001_outside", 1)]
    tables = db.tables(project.database)
    assert "outside" in tables and "inside" not in tables
    assert _status(project) == ["[X] 0001_outside", "[ ] 0002_inside"]


def test_non_atomic_migration_that_changed_nothing_says_so(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    _write(
        project,
        "0002_outside.py",
        """
        atomic = False

        def up(conn):
            conn.execute("CREATE TABLE users (x INTEGER)")
        """,
    )
    said = (
        "Nothing was changed: 0002_outside runs outside a transaction (atomic = False) "
        "and none of its statements took effect."
        if project.transactional_ddl
        else "None of the statements of 0002_outside took effect."
    )
    _failed(project.run("migrate"), said)
    assert db.tracking(project.database) == [("0001_initial", 1)]


def test_rollback_stopped_by_a_non_atomic_down_says_what_was_rolled_back(
    project: ProjectDir,
) -> None:
    _write(
        project,
        "0001_outside.py",
        """
        atomic = False

        def up(conn):
            conn.execute("CREATE TABLE outside (x INTEGER)")
            conn.execute("CREATE TABLE other (x INTEGER)")

        def down(conn):
            conn.execute("DROP TABLE other")
            conn.execute("DROP TABLE missing_table")
        """,
    )
    _write(
        project,
        "0002_inside.py",
        """
        def up(conn):
            conn.execute("CREATE TABLE inside (x INTEGER)")

        def down(conn):
            conn.execute("DROP TABLE inside")
        """,
    )
    project.ok("migrate")
    err = _failed(
        project.run("migrate", "--rollback"),
        "Migration 0001_outside (down) failed",
        "partly rolled back",
        "Took effect from 0001_outside:\n  DROP TABLE other",
        *(
            ("and still recorded", "Rolled back: 0002_inside.", "schemashift migrate --rollback")
            if project.transactional_ddl
            else (
                "Rolled back before it: 0002_inside.",
                "it is recorded as failed",
                "Finish the rollback by hand",
            )
        ),
    )
    assert "nothing was changed" not in err
    assert db.tracking(project.database) == [("0001_outside", 1)]
    assert {"inside", "other"}.isdisjoint(db.tables(project.database))
    # Without transactional DDL every down() is marked before it runs, so the half
    # rolled back migration says so.
    mark = "[X] 0001_outside" if project.transactional_ddl else "[!] 0001_outside (failed)"
    assert _status(project) == [mark, "[ ] 0002_inside"]


# -- where a migration failed -----------------------------------------------------------


def test_python_exception_in_up_is_reported_with_its_line(project: ProjectDir) -> None:
    _write(
        project,
        "0001_plans.py",
        """
        def up(conn):
            conn.execute("CREATE TABLE plans (name TEXT)")
            conn.execute("INSERT INTO plans (name) VALUES ('basic')")
            prices = {"basic": 10}
            prices["premium"] += 1

        def down(conn):
            conn.execute("DROP TABLE plans")
        """,
    )
    err = _failed(
        project.run("migrate"),
        "Migration 0001_plans (up) failed at line 5: KeyError: 'premium'.",
        '0001_plans.py, line 5: prices["premium"] += 1',
        "The batch was rolled back; nothing was changed."
        if project.transactional_ddl
        else "recorded as failed",
    )
    assert "Statement:" not in err
    if project.transactional_ddl:
        assert "INSERT INTO plans" not in err
        assert db.tracking(project.database) == []
        assert "plans" not in db.tables(project.database)
    else:
        # Both statements before the exception took effect; the user undoes them and
        # forgets the failed record.
        assert "Took effect from 0001_plans:\n  CREATE TABLE plans (name TEXT)\n  INSERT" in err
        assert db.tracking(project.database) == [("0001_plans", 1)]
        db.execute(project.database, "DROP TABLE plans")
        project.ok("migrate", "--repair", "0001_plans", "--yes")

    # A statement that raises is shown itself, not the one before it.
    _write(
        project,
        "0001_plans.py",
        """
        def up(conn):
            conn.execute("CREATE TABLE plans (name TEXT)")
            conn.execute("INSERT INTO no_such_table (x) VALUES (1)")
            conn.execute("CREATE TABLE never (x INTEGER)")
        """,
    )
    err = _failed(
        project.run("migrate"),
        "Migration 0001_plans (up) failed:",
        "no_such_table",
        "Statement: INSERT INTO no_such_table (x) VALUES (1)",
    )
    assert "Statement: CREATE TABLE plans" not in err and "failed at line" not in err
    if project.transactional_ddl:
        assert "CREATE TABLE plans" not in err


def test_exception_from_a_called_function_names_the_calling_line(project: ProjectDir) -> None:
    _write(
        project,
        "0001_seed.py",
        """
        def up(conn):
            conn.execute("CREATE TABLE seed (n INTEGER)")
            for text in ("1", "2", "three"):
                conn.execute("INSERT INTO seed (n) VALUES (1)")
                _check(text)

        def _check(text):
            return int(text)
        """,
    )
    _failed(
        project.run("migrate"),
        "Migration 0001_seed (up) failed at line 8: ValueError: invalid literal for int()",
        "0001_seed.py, line 8: return int(text)",
    )
    # Without transactional DDL the table and rows stay, and the migration is recorded
    # as failed.
    failed = [] if project.transactional_ddl else [("0001_seed", 1)]
    assert db.tracking(project.database) == failed


# -- passwords ----------------------------------------------------------------------------

MALFORMED_URLS = [
    "postgresql//app:s3cr3t-pw@db.example/shop",
    "postgresql:/app:s3cr3t-pw@db.example/shop",
    "app:s3cr3t-pw@db.example/shop",
    "postgresql://app:s3cr3t-pw@[::1/shop",
    "postgresql://app:s3cr3t-pw@[db.example]/shop",
]


@pytest.mark.parametrize("url", MALFORMED_URLS)
@pytest.mark.parametrize("command", [("migrate",), ("migrate", "--status"), ("check",)])
def test_malformed_url_never_shows_its_password(
    sqlite_project: ProjectDir, url: str, command: tuple[str, ...]
) -> None:
    sqlite_project.model("user", USER)
    for result in (
        sqlite_project.run(*command, "--database", url),
        sqlite_project.run(*command, env={"DATABASE_URL": url}),
    ):
        assert result.code in (1, 3), (result.code, result.err)
        assert "s3cr3t-pw" not in result.out + result.err
        assert "unexpectedly" not in result.err and "Traceback" not in result.err
        assert result.err.startswith("error: Database URL"), result.err


def test_userinfo_in_a_database_name_is_masked_in_driver_messages(project: ProjectDir) -> None:
    # The driver quotes what it was given; "app:pw@db" there must not come out whole.
    if project.dialect == "sqlite":
        url = f"sqlite:///{project.root / 'app:s3cr3t-pw@db' / 'x.db'}"
    else:
        url = urlunsplit(urlsplit(project.database)._replace(path="/app:s3cr3t-pw@db"))
    result = project.run("migrate", "--database", url)
    _failed(result)
    assert "s3cr3t-pw" not in result.out + result.err
    assert "app:***@db" in result.err


# -- names and files ----------------------------------------------------------------------


def test_over_long_migration_name_is_refused_with_the_limit(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("user", USER)
    for extra in ((), ("--empty",)):
        _failed(
            sqlite_project.run("make", "migration", "a" * 250, *extra),
            "250 characters long",
            "the limit is 200",
            "255 bytes",
        )
    assert sqlite_project.files() == []
    sqlite_project.ok("make", "migration", "b" * 200, "--empty")
    assert sqlite_project.files() == [f"0001_{'b' * 200}.py"]


BROKEN = {
    # kind: (the line put in place of the template's first `pass`, the message's words)
    "syntax": ("    conn.execute('SELECT 1'\n", "syntax error"),
    "nul": ("    pass\x00\n", "NUL byte"),
}


def _broken_pending_file(project: ProjectDir, kind: str) -> tuple[str, int]:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    project.ok("make", "migration", "broken", "--empty")
    path = project.migrations / "0002_broken.py"
    text = path.read_text()
    at = text.index("    pass\n")
    line = text.count("\n", 0, at) + 1
    path.write_text(text[:at] + BROKEN[kind][0] + text[at + len("    pass\n") :])
    return "0002_broken.py", line


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_pending_file_is_named_with_its_line_by_every_command(
    project: ProjectDir, kind: str
) -> None:
    filename, line = _broken_pending_file(project, kind)
    words = BROKEN[kind][1]
    where = f"{filename}, line {line}"

    _failed(project.run("make", "migration", "next"), where, words)
    assert project.files() == ["0001_initial.py", filename]

    offline = project.run("check", "--offline")
    assert offline.code == 3, (offline.code, offline.err)
    assert where in offline.err and words in offline.err, offline.err
    assert "OK" not in offline.out

    _failed(project.run("migrate"), where, words)
    assert db.tracking(project.database) == [("0001_initial", 1)]

    status = project.run("migrate", "--status")
    assert status.code == 0, status.err
    assert status.out.splitlines()[1:] == ["[X] 0001_initial", "[ ] 0002_broken"]
    assert where in status.err and words in status.err, status.err


def test_nul_byte_in_operations_list_is_named_with_its_line(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    path = sqlite_project.migrations / "0001_initial.py"
    lines = path.read_text().splitlines(keepends=True)
    number = len(lines) - 1
    lines[number - 1] = lines[number - 1].replace("{", "{\x00", 1)
    path.write_text("".join(lines))
    _failed(sqlite_project.run("make", "migration", "next"), f"0001_initial.py, line {number}")


# -- migrate --to a migration that is applied ------------------------------------------


def test_migrate_to_an_applied_migration_says_what_is_pending(project: ProjectDir) -> None:
    for name in ("one", "two", "three"):
        project.ok("make", "migration", name, "--empty")
    project.ok("migrate", "--to", "0001")
    again = project.ok("migrate", "--to", "0001")
    assert "every migration is applied" not in again.out
    assert "Nothing to migrate up to 0001_one: it is applied." in again.out
    assert "Pending after it: 0002_two, 0003_three" in again.out
    assert db.tracking(project.database) == [("0001_one", 1)]

    project.ok("migrate", "--to", "0002")
    back = project.ok("migrate", "--to", "0001")
    assert "so are later migrations (0002_two)" in back.out
    assert "schemashift migrate --rollback --to 0001_one" in back.out
    assert "Pending after it: 0003_three" in back.out
    assert db.tracking(project.database) == [("0001_one", 1), ("0002_two", 2)]


def test_migrate_to_an_applied_migration_applies_files_merged_below_it(
    project: ProjectDir,
) -> None:
    for name in ("one", "two", "three"):
        project.ok("make", "migration", name, "--empty")
    merged = project.migrations / "0002_two.py"
    text = merged.read_text()
    merged.unlink()
    project.ok("migrate")
    merged.write_text(text)
    result = project.ok("migrate", "--to", "0003")
    assert "Applied 0002_two" in result.out
    assert db.tracking(project.database) == [("0001_one", 1), ("0002_two", 2), ("0003_three", 1)]
