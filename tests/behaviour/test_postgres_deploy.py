"""PostgreSQL as it is deployed: one schema per tenant chosen by ``search_path``, tenants
migrating side by side, re-running a failed ``--concurrently`` migration, connections
named in ``pg_stat_activity``, the backend a killed run leaves behind, and
``atomic = False`` migrations bounded by ``statement_lock_timeout``.

Everything runs through the command line; the catalog and the rows, read with psycopg,
are the judge.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import database_url
from tests.support import db
from tests.support.project import ProjectDir

ITEM = """
class Item(Model):
    name = Field.String(max_length=100, nullable=False)
"""

#: A data migration: one more row in ``items`` of whichever schema it runs in.
ADD_ROW = '''
def up(conn):
    """Apply changes."""
    conn.execute("INSERT INTO items (name) VALUES (%s)", ("{label}",))


def down(conn):
    """Revert changes."""
    conn.execute("DELETE FROM items WHERE name = %s", ("{label}",))
'''

TENANTS = ("tenant1", "tenant2")


@pytest.fixture
def pg_project(tmp_path: Path) -> Iterator[ProjectDir]:
    """A project on a fresh PostgreSQL database."""
    for url in database_url("postgresql", tmp_path):
        yield ProjectDir(tmp_path / "proj", url)


def tenant_url(url: str, schema: str) -> str:
    """``url`` with ``search_path = <schema>, public`` in its options."""
    options = quote(f"-csearch_path={schema},public", safe="")
    return f"{url}?options={options}"


def write_migration(project: ProjectDir, name: str, source: str) -> str:
    """A hand-written migration NAME holding ``source``; returns its file name."""
    project.ok("make", "migration", name, "--empty")
    filename = project.files()[-1]
    (project.migrations / filename).write_text(source)
    return filename


def item_names(url: str, schema: str) -> list[str]:
    return [r[0] for r in db.query(url, f"SELECT name FROM {schema}.items ORDER BY id")]


def applied(url: str, schema: str) -> list[str]:
    return [
        r[0]
        for r in db.query(url, f"SELECT name FROM {schema}._schemashift_migrations ORDER BY name")
    ]


def tables_of(url: str, schema: str) -> set[str]:
    rows = db.query(url, "SELECT tablename FROM pg_tables WHERE schemaname = ?", (schema,))
    return {r[0] for r in rows}


def spawn(project: ProjectDir, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "schemashift", *args],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def wait_for(what: str, found: Any, seconds: float = 60) -> None:
    """Poll ``found()`` until it is true; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + seconds
    while not found():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def set_statement_lock_timeout(project: ProjectDir, value: str) -> None:
    path = project.root / "pyproject.toml"
    path.write_text(path.read_text() + f'statement_lock_timeout = "{value}"\n')


# --- tenants ----------------------------------------------------------------------------


def test_each_tenant_schema_has_its_own_history(pg_project: ProjectDir) -> None:
    project, url = pg_project, pg_project.database
    project.model("item", ITEM)
    project.ok("make", "migration", "initial")
    write_migration(project, "first_row", ADD_ROW.format(label="first"))
    project.ok("migrate")
    assert item_names(url, "public") == ["first"]
    for schema in TENANTS:
        db.execute(url, f"CREATE SCHEMA {schema}")

    for schema in TENANTS:
        done = project.ok("--database", tenant_url(url, schema), "migrate")
        assert "0001_initial" in done.out and "0002_first_row" in done.out, done.out
    for schema in ("public", *TENANTS):
        assert tables_of(url, schema) == {"items", "_schemashift_migrations", "_schemashift_meta"}
        assert item_names(url, schema) == ["first"], schema
        assert applied(url, schema) == ["0001_initial", "0002_first_row"]
    assert "Nothing to migrate" in project.ok("migrate").out

    # A new data migration, applied to a tenant first, then public, then the other.
    write_migration(project, "second_row", ADD_ROW.format(label="second"))
    status = project.ok("--database", tenant_url(url, "tenant1"), "migrate", "--status")
    assert re.search(r"\[ \]\s+0003_second_row", status.out), status.out
    project.ok("--database", tenant_url(url, "tenant1"), "migrate")
    assert item_names(url, "public") == ["first"]
    assert item_names(url, "tenant2") == ["first"]
    project.ok("migrate")
    project.ok("--database", tenant_url(url, "tenant2"), "migrate")
    for schema in ("public", *TENANTS):
        assert item_names(url, schema) == ["first", "second"], schema
        assert applied(url, schema) == ["0001_initial", "0002_first_row", "0003_second_row"]
        project.ok("--database", tenant_url(url, schema), "check")

    # Rolling back one tenant leaves the others alone.
    project.ok("--database", tenant_url(url, "tenant2"), "migrate", "--rollback")
    assert item_names(url, "tenant2") == ["first"]
    assert item_names(url, "tenant1") == ["first", "second"]
    assert item_names(url, "public") == ["first", "second"]


def test_a_search_path_without_an_existing_schema_is_refused(pg_project: ProjectDir) -> None:
    project, url = pg_project, pg_project.database
    project.model("item", ITEM)
    project.ok("make", "migration", "initial")
    result = project.run("--database", tenant_url(url, "tenant9"), "migrate")
    assert result.code == 1
    assert "tenant9" in result.err and "CREATE SCHEMA" in result.err, result.err
    assert "Traceback" not in result.err
    assert tables_of(url, "public") == set()


PARALLEL = '''
import time
from pathlib import Path

MARKERS = Path({markers!r})


def up(conn):
    """Apply changes: finishes only once every tenant's run is inside this migration."""
    schema = conn.execute("SELECT current_schema()").fetchone()[0]
    (MARKERS / schema).touch()
    deadline = time.monotonic() + 60
    while not all((MARKERS / t).exists() for t in {tenants!r}):
        if time.monotonic() > deadline:
            raise RuntimeError("the other tenant never ran alongside this one")
        time.sleep(0.05)
    conn.execute("INSERT INTO items (name) VALUES ('parallel')")


def down(conn):
    """Revert changes."""
'''


def test_tenants_migrate_in_parallel(pg_project: ProjectDir, tmp_path: Path) -> None:
    project, url = pg_project, pg_project.database
    markers = tmp_path / "markers"
    markers.mkdir()
    project.model("item", ITEM)
    project.ok("make", "migration", "initial")
    write_migration(project, "together", PARALLEL.format(markers=str(markers), tenants=TENANTS))
    for schema in TENANTS:
        db.execute(url, f"CREATE SCHEMA {schema}")

    runs = [
        spawn(project, "--database", tenant_url(url, s), "migrate", "--lock-timeout", "30")
        for s in TENANTS
    ]
    outcomes = [(p.wait(timeout=240), *p.communicate()) for p in runs]
    for code, out, err in outcomes:
        assert code == 0, (out, err)
    for schema in TENANTS:
        assert item_names(url, schema) == ["parallel"]
        assert applied(url, schema) == ["0001_initial", "0002_together"]
    assert tables_of(url, "public") == set()


# --- CREATE INDEX CONCURRENTLY, again after a failure ----------------------------------

USER = """
class User(Model):
    email = Field.String(max_length=255, nullable=False)

    __indexes__ = [Index("email")]
"""


def test_a_failed_concurrently_migration_runs_again_once_the_data_is_fixed(
    pg_project: ProjectDir,
) -> None:
    project, url = pg_project, pg_project.database
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    for email in ("a@x", "b@x", "a@x"):
        db.execute(url, "INSERT INTO users (email) VALUES (?)", (email,))
    project.model("user", USER.replace('Index("email")', 'Index("email", unique=True)'))
    project.ok("make", "migration", "unique_email", "--concurrently")
    text = project.read("0002_unique_email.py")
    assert "DROP INDEX CONCURRENTLY IF EXISTS" in text
    assert "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS" in text

    failed = project.run("migrate")
    assert failed.code == 1 and "0002_unique_email" in failed.err, failed
    invalid = db.query(
        url,
        "SELECT c.relname FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid "
        "WHERE NOT i.indisvalid",
    )
    assert len(invalid) == 1, invalid  # what CONCURRENTLY leaves behind when it fails

    db.execute(url, "DELETE FROM users WHERE id = 3")
    project.ok("migrate")
    indexes = db.query(
        url,
        "SELECT c.relname, i.indisunique, i.indisvalid FROM pg_index AS i "
        "JOIN pg_class AS c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = 'users'::regclass AND NOT i.indisprimary",
    )
    assert indexes == [(invalid[0][0], True, True)]
    assert [name for name, _ in db.tracking(url)] == ["0001_initial", "0002_unique_email"]
    project.ok("check")
    project.ok("migrate", "--rollback")
    project.ok("migrate")
    project.ok("check")


# --- who is who in pg_stat_activity ------------------------------------------------------

SLEEPER = '''
from pathlib import Path

RELEASE = Path({release!r})


def up(conn):
    """Apply changes: sleeps on the server until the test lets it go."""
    while not RELEASE.exists():
        conn.execute("SELECT pg_sleep(0.1)")


def down(conn):
    """Revert changes."""
'''


def _sleeping_backends(url: str) -> list[str]:
    rows = db.query(
        url,
        "SELECT application_name FROM pg_stat_activity "
        "WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%%' "
        "AND pid <> pg_backend_pid()",
    )
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("own_name", "expected"), [(None, "schemashift migrate"), ("deployer", "deployer")]
)
def test_connections_say_they_are_schemashift(
    pg_project: ProjectDir, tmp_path: Path, own_name: str | None, expected: str
) -> None:
    project, url = pg_project, pg_project.database
    release = tmp_path / "release"
    project.model("item", ITEM)
    project.ok("make", "migration", "initial")
    write_migration(project, "sleep", SLEEPER.format(release=str(release)))
    target = url if own_name is None else f"{url}?application_name={own_name}"
    run = spawn(project, "--database", target, "migrate")
    try:
        wait_for("the migration to sleep", lambda: _sleeping_backends(url))
        assert _sleeping_backends(url) == [expected]
    finally:
        release.touch()
        out, err = run.communicate(timeout=120)
    assert run.returncode == 0, (out, err)


# --- a run killed inside its transaction --------------------------------------------------

STUCK = '''
from pathlib import Path

MARKER = Path({marker!r})


def up(conn):
    """Apply changes: the first time, stays inside its transaction on the server."""
    conn.execute("UPDATE items SET name = name || '!'")
    if not MARKER.exists():
        MARKER.touch()
        conn.execute("SELECT pg_sleep(600)")


def down(conn):
    """Revert changes."""
'''


def test_the_backend_of_a_killed_run_is_named_with_how_to_end_it(
    pg_project: ProjectDir, tmp_path: Path
) -> None:
    project, url = pg_project, pg_project.database
    marker = tmp_path / "marker"
    set_statement_lock_timeout(project, "1s")
    project.model("item", ITEM)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    db.execute(url, "INSERT INTO items (name) VALUES ('a')")
    write_migration(project, "stuck", STUCK.format(marker=str(marker)))

    killed = spawn(project, "migrate")
    wait_for("the data migration", marker.exists)
    wait_for("the server to sleep", lambda: _sleeping_backends(url))
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    orphan = db.query(
        url,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND query LIKE 'SELECT pg_sleep%%' AND pid <> pg_backend_pid()",
    )
    assert len(orphan) == 1  # the server goes on with the killed run's statement

    result = project.run("migrate")
    assert result.code == 1, result
    pid = orphan[0][0]
    assert f"backend pid {pid}" in result.err, result.err
    assert "schemashift migrate" in result.err
    assert "active" in result.err
    assert f"pg_terminate_backend({pid})" in result.err
    assert item_names(url, "public") == ["a"]

    db.query(url, f"SELECT pg_terminate_backend({pid})")
    wait_for("the orphan to end", lambda: not _sleeping_backends(url))
    project.ok("migrate")
    assert item_names(url, "public") == ["a!"]


# --- atomic = False and statement_lock_timeout ------------------------------------------

NON_ATOMIC = '''
atomic = False


def up(conn):
    """Apply changes."""
    conn.execute("ALTER TABLE items ADD COLUMN note TEXT")


def down(conn):
    """Revert changes."""
    conn.execute("ALTER TABLE items DROP COLUMN note")
'''


def test_a_blocked_non_atomic_migration_gives_up_after_the_statement_lock_timeout(
    pg_project: ProjectDir,
) -> None:
    import psycopg

    project, url = pg_project, pg_project.database
    set_statement_lock_timeout(project, "1s")
    project.model("item", ITEM)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    write_migration(project, "add_note", NON_ATOMIC)

    with psycopg.connect(url, autocommit=True) as holder:
        # The server ends this session on its own should the migration wait for it.
        holder.execute("SET idle_in_transaction_session_timeout = '60s'")
        holder.execute("BEGIN")
        holder.execute("SELECT count(*) FROM items")
        result = project.run("migrate")
        assert result.code == 1, result
        holder.execute("ROLLBACK")
    assert "lock_timeout = 1s" in result.err, result.err
    assert db.columns(url, "items") == ["id", "name"]
    assert [name for name, _ in db.tracking(url)] == ["0001_initial"]
    project.ok("migrate")
    assert db.columns(url, "items") == ["id", "name", "note"]
