"""SIGKILL at random moments of a batch: the database is at the previous batch or at
the next, never in between; a re-run gives the same result as an uninterrupted run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import _pg_admin_url
from tests.support import db
from tests.support.project import ProjectDir

SEEDS = int(os.environ.get("SCHEMASHIFT_CRASH_SEEDS", "20"))

BASE = """
class Account(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
    score = Field.Integer(default=0)
    note = Field.Text()
"""

# Writes a marker once the batch transaction holds its first row, so that the test
# kills the run inside the open transaction rather than while the interpreter starts.
FILL = '''
import os
from pathlib import Path


def up(conn):
    """Apply changes."""
    p = "?" if conn.dialect == "sqlite" else "%s"
    for i in range(4000):
        conn.execute(f"INSERT INTO accounts (email, score, note) VALUES ({p}, {p}, {p})",
                     (f"user{i}@example.com", i, None if i % 3 else f"note {i}"))
        if i == 0 and os.environ.get("SCHEMASHIFT_TEST_MARKER"):
            Path(os.environ["SCHEMASHIFT_TEST_MARKER"]).touch()


def down(conn):
    """Revert changes."""
    conn.execute("DELETE FROM accounts")
'''


@contextmanager
def _database(dialect: str, folder: Path, name: str) -> Iterator[str]:
    if dialect == "sqlite":
        yield f"sqlite:///{folder / (name + '.sqlite3')}"
        return
    from tests.support.postgres import fresh_database

    admin = _pg_admin_url()
    assert admin is not None
    with fresh_database(admin) as url:
        yield url


def _prepare(project: ProjectDir) -> None:
    """Batch 1 = the table; five pending migrations of every kind for batch 2."""
    project.model("account", BASE)
    project.ok("make", "migration", "initial")
    project.ok("make", "migration", "fill_accounts", "--empty")
    (project.migrations / "0002_fill_accounts.py").write_text(FILL)
    project.model("account", BASE + "    phone = Field.String(max_length=30, default='')\n")
    project.ok("make", "migration", "add_phone")
    project.model(
        "account",
        BASE.replace("score = Field.Integer(default=0)", "score = Field.Float(default=0)")
        + "    phone = Field.String(max_length=30, default='')\n",
    )
    project.ok("make", "migration", "score_to_float")
    project.model(
        "account",
        BASE.replace(
            "score = Field.Integer(default=0)", "score = Field.Float(default=0, index=True)"
        )
        + "    phone = Field.String(max_length=30, default='')\n"
        + "\n\nclass Audit(Model):\n    what = Field.Text()\n",
    )
    project.ok("make", "migration", "index_and_audit")


def _migrate(
    project: ProjectDir, url: str, *args: str, marker: Path | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    if marker is not None:
        env["SCHEMASHIFT_TEST_MARKER"] = str(marker)
    return subprocess.Popen(
        [sys.executable, "-m", "schemashift", "migrate", "--database", url, *args],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


# Not MySQL: its DDL commits statement by statement, so a run killed part-way can leave
# a migration half done (docs/migration-files.md says what to do then); there is no
# "previous batch or next" to assert. test_mysql_online.py kills a MySQL run instead.
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_sigkill_mid_batch(tmp_path: Path, dialect: str) -> None:
    # The files are generated for the dialect; make migration never connects.
    placeholder = {
        "sqlite": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "postgresql": "postgresql://nobody@127.0.0.1:1/unused",
    }[dialect]
    project = ProjectDir(tmp_path / "proj", placeholder)
    _prepare(project)
    with _database(dialect, tmp_path, "reference") as reference:
        project.ok("--database", reference, "migrate", "--to", "0001")
        before = db.snapshot(reference)
        marker = tmp_path / "reference.marker"
        reference_run = _migrate(project, reference, marker=marker)
        _wait_for(marker, reference_run)
        start = time.perf_counter()
        assert reference_run.wait() == 0
        rest_of_run = time.perf_counter() - start
        after = db.snapshot(reference)
        after_no_ids = db.snapshot(reference, ignore_ids=dialect == "postgresql")
    assert before != after

    rng = random.Random(20261125)
    outcomes = {"before": 0, "after": 0}
    for seed in range(SEEDS):
        with _database(dialect, tmp_path, f"seed{seed}") as url:
            project.ok("--database", url, "migrate", "--to", "0001")
            marker = tmp_path / f"seed{seed}.marker"
            proc = _migrate(project, url, marker=marker)
            _wait_for(marker, proc)
            time.sleep(rng.uniform(0.0, rest_of_run * 1.1))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            state = db.snapshot(url)
            assert state in (before, after), f"seed {seed}: state between batches"
            outcomes["before" if state == before else "after"] += 1
            if dialect == "sqlite":
                path = url.removeprefix("sqlite:///")
                assert db.query(url, "PRAGMA integrity_check") == [("ok",)]
                temp = db.query(url, "SELECT name FROM sqlite_master WHERE name LIKE '%new%'")
                assert temp == [], f"seed {seed}: temporary table left: {temp}"
                assert Path(path).exists()
            rerun = _migrate(project, url, "--lock-timeout", "5")
            out, err = rerun.communicate(timeout=120)
            assert rerun.returncode == 0, (seed, out, err)
            assert db.snapshot(url, ignore_ids=dialect == "postgresql") == after_no_ids, (
                f"seed {seed}: re-run differs from a clean run"
            )
    assert outcomes["before"] > 0, outcomes


def _wait_for(marker: Path, proc: subprocess.Popen[str]) -> None:
    """Until the run is inside its batch transaction (the data migration wrote ``marker``)."""
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, f"the run ended before the marker: {proc.communicate()}"
        assert time.monotonic() < deadline, "the run never reached the data migration"
        time.sleep(0.005)
