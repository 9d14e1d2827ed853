"""The tracking table keeps each applied file's text: hosts that lack a file (another
host's `evolve`, a restarted container) get it back; `evolve` applies only what is safe
and leaves no file behind when it fails; an older tracking table is upgraded in place."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import db
from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
"""
BIO = "    bio = Field.Text()\n"
AUTO = "0002_auto_evolve.py"


def _host(tmp_path: Path, name: str, like: ProjectDir) -> ProjectDir:
    """Another machine: its own copy of ``like``'s files, the same database."""
    root = tmp_path / name
    shutil.copytree(like.root, root)
    return ProjectDir(root, like.database)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def _checksums(project: ProjectDir) -> dict[str, str]:
    rows = db.query(project.database, "SELECT name, checksum FROM _schemashift_migrations")
    return {name: checksum for name, checksum in rows}


def _evolved_elsewhere(tmp_path: Path, project: ProjectDir) -> ProjectDir:
    """``project`` applied 0001; a second host, with the same files, then evolved the
    models (adding users.bio). Returns that second host."""
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    project.model("user", USER + BIO)
    other = _host(tmp_path, "elsewhere", project)
    other.ok("evolve")
    assert other.files() == ["0001_initial.py", AUTO]
    return other


def test_hosts_evolving_at_once_end_with_the_same_files(
    tmp_path: Path, project: ProjectDir
) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.model("user", USER + BIO)
    hosts = [_host(tmp_path, f"host{i}", project) for i in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "schemashift", "evolve", "--lock-timeout", "120"],
            cwd=host.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        for host in hosts
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, (out, err)
        outputs.append(out)
    assert sum("for the additive model changes" in out for out in outputs) == 1
    assert [n for n, _ in db.tracking(project.database)] == ["0001_initial", "0002_auto_evolve"]
    assert db.columns(project.database, "users").count("bio") == 1
    texts = {(host.migrations / AUTO).read_bytes() for host in hosts}
    assert len(texts) == 1 and all(h.files() == ["0001_initial.py", AUTO] for h in hosts)
    assert _checksums(project)["0002_auto_evolve"] == _sha256(texts.pop())

    # A container restart: the file lived only in the container.
    restarted = hosts[0]
    original = (restarted.migrations / AUTO).read_bytes()
    (restarted.migrations / AUTO).unlink()
    result = restarted.ok("evolve")
    assert "back from the database" in result.out
    assert (restarted.migrations / AUTO).read_bytes() == original
    assert db.tracking(project.database) == [("0001_initial", 1), ("0002_auto_evolve", 2)]


def test_status_and_check_read_the_copy_and_migrate_writes_it_back(
    tmp_path: Path, project: ProjectDir
) -> None:
    other = _evolved_elsewhere(tmp_path, project)
    status = project.ok("migrate", "--status")
    assert "[X] 0002_auto_evolve (from database)" in status.out
    payload = json.loads(project.ok("migrate", "--status", "--json").out)
    row = payload["migrations"][1]
    assert row["name"] == "0002_auto_evolve" and row["applied"] and row["from_database"]
    assert project.ok("check").out.startswith("OK")
    assert project.files() == ["0001_initial.py"], "--status and check write nothing"

    result = project.ok("migrate")
    assert "back from the database" in result.out
    assert (project.migrations / AUTO).read_bytes() == (other.migrations / AUTO).read_bytes()
    assert db.tracking(project.database) == [("0001_initial", 1), ("0002_auto_evolve", 2)]
    assert "(from database)" not in project.ok("migrate", "--status").out


def test_written_back_file_sharing_a_number_points_to_rebase(
    tmp_path: Path, project: ProjectDir
) -> None:
    _evolved_elsewhere(tmp_path, project)
    project.model("user", USER + "    nick = Field.Text()\n")
    project.ok("make", "migration", "add_nick")
    status = project.ok("migrate", "--status")
    assert "rebase" in status.err
    result = project.run("migrate")
    assert result.code == 1 and "schemashift rebase" in result.err and "0002_add_nick" in result.err
    assert project.files() == ["0001_initial.py", "0002_add_nick.py", AUTO]
    assert "nick" not in db.columns(project.database, "users")


def test_rollback_of_a_missing_file_runs_the_copy(tmp_path: Path, project: ProjectDir) -> None:
    _evolved_elsewhere(tmp_path, project)
    result = project.ok("migrate", "--rollback")
    assert "copy kept in the database" in result.out
    assert "bio" not in db.columns(project.database, "users")
    assert db.tracking(project.database) == [("0001_initial", 1)]
    assert project.files() == ["0001_initial.py"]


def test_failed_evolve_leaves_no_file(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    project.ok("make", "migration", "note", "--empty")
    # A table made by hand that the migrations do not know: creating it fails.
    db.execute(project.database, "CREATE TABLE tags (id INTEGER PRIMARY KEY)")
    project.model("user", USER + "\n\nclass Tag(Model):\n    label = Field.Text()\n")
    for attempt in range(2):
        result = project.run("evolve")
        assert result.code == 1 and "Traceback" not in result.err
        assert "0003_auto_evolve.py" in result.err and "deleted" in result.err
        assert project.files() == ["0001_initial.py", "0002_note.py"]
        # The first attempt applied the pending 0002_note before failing, and says so.
        assert ("stay applied: 0002_note" in result.err) == (attempt == 0)
    assert db.tracking(project.database) == [("0001_initial", 1), ("0002_note", 2)]
    assert db.columns(project.database, "tags") == ["id"]


UNIQUE_EMAIL = """
class User(Model):
    email = Field.String(max_length=255, nullable=False)
"""


def test_evolve_checks_the_rows_before_adding_uniqueness(project: ProjectDir) -> None:
    # On PostgreSQL a unique index on a table in use takes a long lock, which evolve
    # refuses unless told otherwise; the rows are checked either way.
    (project.root / "pyproject.toml").write_text(
        f'[tool.schemashift]\ndatabase = "{project.database}"\nevolve_locks = "any"\n'
    )
    project.model("user", UNIQUE_EMAIL)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for email in ("a@example.com", "a@example.com", "b@example.com"):
        db.execute(project.database, "INSERT INTO users (email) VALUES (?)", (email,))
    project.model("user", UNIQUE_EMAIL + '    __indexes__ = [Index("email", unique=True)]\n')
    refused = project.run("evolve")
    assert refused.code == 1 and "more than one row" in refused.err and "users.email" in refused.err
    project.model(
        "user", UNIQUE_EMAIL + '    tag = Field.String(max_length=9, unique=True, default="x")\n'
    )
    refused = project.run("evolve")
    assert refused.code == 1 and "users.tag" in refused.err and "same default" in refused.err
    assert project.files() == ["0001_initial.py"]
    assert "tag" not in db.columns(project.database, "users")

    # A new unique column that starts NULL everywhere, and a unique index once the
    # duplicate is gone, are safe.
    db.execute(
        project.database,
        "DELETE FROM users WHERE id = (SELECT MAX(id) FROM users WHERE email = 'a@example.com')",
    )
    project.model(
        "user",
        UNIQUE_EMAIL
        + "    code = Field.String(max_length=9, unique=True)\n"
        + '    __indexes__ = [Index("email", unique=True)]\n',
    )
    project.ok("evolve")
    assert "code" in db.columns(project.database, "users")
    unique = _unique_indexes(project)
    assert "uq_users_email" in unique and len(unique) == 2  # and the one of users.code


def _unique_indexes(project: ProjectDir) -> set[str]:
    """Names of the unique indexes on users (not its primary key), from the catalog."""
    if project.dialect == "sqlite":
        rows = db.query(
            project.database, "SELECT name FROM pragma_index_list('users') WHERE \"unique\" = 1"
        )
    elif project.dialect == "mysql":
        rows = db.query(
            project.database,
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' AND NON_UNIQUE = 0 "
            "AND INDEX_NAME <> 'PRIMARY'",
        )
    else:
        rows = db.query(
            project.database,
            "SELECT indexname FROM pg_indexes WHERE tablename = 'users' "
            "AND starts_with(indexdef, 'CREATE UNIQUE')",
        )
    return {r[0] for r in rows if not r[0].endswith("_pkey")}


OLD_TRACKING = {
    "sqlite": "CREATE TABLE _schemashift_migrations (name TEXT PRIMARY KEY NOT NULL, "
    "batch INTEGER NOT NULL, applied_at TEXT NOT NULL, checksum TEXT NOT NULL, "
    "duration_ms INTEGER NOT NULL)",
    "postgresql": "CREATE TABLE _schemashift_migrations (name TEXT PRIMARY KEY, batch INTEGER "
    "NOT NULL, applied_at TIMESTAMPTZ NOT NULL, checksum TEXT NOT NULL, duration_ms INTEGER "
    "NOT NULL)",
    "mysql": "CREATE TABLE _schemashift_migrations (name VARCHAR(255) PRIMARY KEY, batch "
    "INTEGER NOT NULL, applied_at DATETIME NOT NULL, checksum VARCHAR(64) NOT NULL, "
    "duration_ms INTEGER NOT NULL)",
}


def test_version_1_tracking_table_is_upgraded_keeping_its_records(project: ProjectDir) -> None:
    project.model("user", "class User(Model):\n    email = Field.Text()\n")
    project.ok("make", "migration", "initial")
    # The database as the previous layout left it after applying 0001_initial.
    url = project.database
    db.execute(url, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
    db.execute(url, OLD_TRACKING[project.dialect])
    db.execute(
        url,
        'CREATE TABLE _schemashift_meta ("key" VARCHAR(100) PRIMARY KEY, value TEXT NOT NULL)',
    )
    db.execute(url, "INSERT INTO _schemashift_meta VALUES ('tracking_version', '1')")
    checksum = _sha256((project.migrations / "0001_initial.py").read_bytes())
    db.execute(
        url,
        "INSERT INTO _schemashift_migrations VALUES ('0001_initial', 1, "
        "'2026-01-02 03:04:05', ?, 7)",
        (checksum,),
    )
    assert "[X] 0001_initial\n" in project.ok("migrate", "--status").out

    project.model("user", "class User(Model):\n    email = Field.Text()\n" + BIO)
    project.ok("make", "migration", "add_bio")
    project.ok("migrate")
    assert db.query(url, "SELECT value FROM _schemashift_meta") == [("3",)]
    rows = db.query(
        url,
        "SELECT name, batch, checksum, duration_ms, source FROM _schemashift_migrations "
        "ORDER BY name",
    )
    text = (project.migrations / "0002_add_bio.py").read_text()
    assert rows == [
        ("0001_initial", 1, checksum, 7, None),
        ("0002_add_bio", 2, rows[1][2], rows[1][3], text),
    ]
    assert "bio" in db.columns(url, "users")

    # A record from before the upgrade keeps no text: a missing file is refused as before.
    (project.migrations / "0001_initial.py").unlink()
    assert "[X] 0001_initial (missing file)" in project.ok("migrate", "--status").out
    refused = project.run("migrate")
    assert refused.code == 1 and "--repair" in refused.err
    assert project.files() == ["0002_add_bio.py"]
