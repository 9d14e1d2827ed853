"""History integrity: edited, missing and out-of-order files; a malformed tracking table."""

from __future__ import annotations

import json

from tests.support import db
from tests.support.histories import PHONE, USER, applied_two
from tests.support.project import ProjectDir


def test_crlf_only_change_is_not_a_change(project: ProjectDir) -> None:
    applied_two(project)
    path = project.migrations / "0001_initial.py"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    status = project.ok("migrate", "--status")
    assert "(changed)" not in status.out
    project.ok("migrate")
    assert project.ok("check").code == 0


def test_one_byte_edit_is_a_change_and_blocks_migrate(project: ProjectDir) -> None:
    applied_two(project)
    path = project.migrations / "0001_initial.py"
    path.write_text(path.read_text().replace("Apply changes.", "Apply changes!"))
    assert "[X] 0001_initial (changed)" in project.ok("migrate", "--status").out
    payload = json.loads(project.ok("migrate", "--status", "--json").out)
    assert payload["migrations"][0]["checksum_ok"] is False
    project.model("user", USER + PHONE + "    bio = Field.Text()\n")
    project.ok("make", "migration", "add_bio")
    refused = project.run("migrate")
    assert refused.code == 1 and "0001_initial" in refused.err and "--repair" in refused.err
    assert "bio" not in db.columns(project.database, "users")
    check = project.run("check", "--json")
    causes = {d["cause"] for d in json.loads(check.out)["differences"]}
    assert check.code == 1 and causes == {"edited", "pending"}
    repaired = project.ok("migrate", "--repair", "--yes").out
    assert "Recorded the current checksum of 0001_initial" in repaired
    project.ok("migrate")
    assert "bio" in db.columns(project.database, "users")


def test_missing_applied_file_without_a_copy_in_the_database(project: ProjectDir) -> None:
    applied_two(project)
    # As recorded before the tracking table kept the files' text.
    db.execute(project.database, "UPDATE _schemashift_migrations SET source = NULL")
    (project.migrations / "0002_add_phone.py").unlink()
    assert "[X] 0002_add_phone (missing file)" in project.ok("migrate", "--status").out
    payload = json.loads(project.ok("migrate", "--status", "--json").out)
    assert payload["migrations"][1]["file_missing"] is True
    assert payload["migrations"][1]["checksum_ok"] is None
    refused = project.run("migrate")
    assert refused.code == 1 and "0002_add_phone" in refused.err
    assert "missing_file" in project.run("check").out
    assert "Forgot 0002_add_phone" in project.ok("migrate", "--repair", "--yes").out
    assert db.tracking(project.database) == [("0001_initial", 1)]


def test_out_of_order_file_applied_with_a_warning(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("make", "migration", "branch_b", "--empty")
    project.ok("make", "migration", "main_c", "--empty")
    (project.migrations / "0002_branch_b.py").rename(project.migrations / "0002_branch_b.tmp")
    project.ok("migrate")
    (project.migrations / "0002_branch_b.tmp").rename(project.migrations / "0002_branch_b.py")
    result = project.ok("migrate")
    assert "0002_branch_b" in result.err and "warning" in result.err
    assert ("0002_branch_b", 2) in db.tracking(project.database)


def test_malformed_tracking_table_is_reported(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("user", USER)
    sqlite_project.ok("make", "migration", "initial")
    db.execute(sqlite_project.database, "CREATE TABLE _schemashift_migrations (name TEXT)")
    for args in (("migrate",), ("migrate", "--status")):
        result = sqlite_project.run(*args)
        assert result.code == 1 and "malformed" in result.err and "Traceback" not in result.err
    assert "users" not in db.tables(sqlite_project.database)


def test_garbage_row_in_tracking_table_is_reported(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    db.execute(
        project.database,
        "INSERT INTO _schemashift_migrations (name, batch, applied_at, checksum, duration_ms) "
        "VALUES ('hello world', 1, "
        + ("'2026-01-01 00:00:00'" if project.dialect == "sqlite" else "now()")
        + ", 'x', 0)",
    )
    result = project.run("migrate", "--status")
    assert result.code == 1 and "hello world" in result.err


def test_newer_tracking_layout_is_refused(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    db.execute(project.database, "UPDATE _schemashift_meta SET value = '99'")
    result = project.run("migrate")
    assert result.code == 1 and "newer schemashift" in result.err
