"""`migrate --repair` says what it will change, asks (or needs --yes), repairs one NAME
when given, and never forgets a whole history because the folder is wrong."""

from __future__ import annotations

import hashlib
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.support import db
from tests.support.histories import applied_two
from tests.support.project import ProjectDir


def _checksums(project: ProjectDir) -> dict[str, str]:
    rows = db.query(project.database, "SELECT name, checksum FROM _schemashift_migrations")
    return {name: checksum for name, checksum in rows}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def _edit(project: ProjectDir, filename: str) -> None:
    path = project.migrations / filename
    path.write_text(path.read_text().replace("Apply changes.", "Apply changes (reviewed)."))


def test_repair_refuses_a_missing_or_empty_folder(tmp_path: Path, project: ProjectDir) -> None:
    applied_two(project)
    # Records as kept before the files' text was, so nothing can be written back.
    db.execute(project.database, "UPDATE _schemashift_migrations SET source = NULL")
    before = _checksums(project)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.txt").write_text("not a migration")
    for folder, why in ((tmp_path / "nowhere", "does not exist"), (empty, "no migration file")):
        # A wrong --migrations: migrate finds no applied file and suggests --repair...
        refused = project.run("migrate", "--migrations", str(folder))
        assert refused.code == 1 and "--repair" in refused.err
        # ...which must not forget the history.
        result = project.run("migrate", "--repair", "--yes", "--migrations", str(folder))
        assert result.code == 1 and why in result.err and "Traceback" not in result.err
        assert _checksums(project) == before


def test_repair_refuses_to_forget_every_applied_record(tmp_path: Path, project: ProjectDir) -> None:
    applied_two(project)
    # Records as kept before the files' text was: nothing can be written back.
    db.execute(project.database, "UPDATE _schemashift_migrations SET source = NULL")
    other = tmp_path / "other_project_migrations"
    other.mkdir()
    (other / "0001_unrelated.py").write_text("def up(conn):\n    pass\n")
    result = project.run("migrate", "--repair", "--yes", "--migrations", str(other))
    assert result.code == 1 and "wrong migrations folder" in result.err
    assert db.tracking(project.database) == [("0001_initial", 1), ("0002_add_phone", 1)]


def test_repair_off_a_terminal_needs_yes(project: ProjectDir) -> None:
    applied_two(project)
    before = _checksums(project)
    _edit(project, "0001_initial.py")
    refused = project.run("migrate", "--repair")
    assert refused.code == 1 and "--yes" in refused.err
    assert "record the current checksum of 0001_initial" in refused.out
    assert _checksums(project) == before

    done = project.ok("migrate", "--repair", "--yes")
    assert "Recorded the current checksum of 0001_initial" in done.out
    assert _checksums(project)["0001_initial"] == _sha256(project.migrations / "0001_initial.py")
    # The repaired text is what the database keeps: a host without the file gets it.
    edited = (project.migrations / "0001_initial.py").read_bytes()
    (project.migrations / "0001_initial.py").unlink()
    project.ok("migrate")
    assert (project.migrations / "0001_initial.py").read_bytes() == edited


def test_repair_name_repairs_only_that_one(project: ProjectDir) -> None:
    applied_two(project)
    before = _checksums(project)
    _edit(project, "0001_initial.py")
    _edit(project, "0002_add_phone.py")
    result = project.ok("migrate", "--repair", "0002", "--yes")
    assert "0002_add_phone" in result.out and "0001_initial" not in result.out
    after = _checksums(project)
    assert after["0001_initial"] == before["0001_initial"]
    assert after["0002_add_phone"] == _sha256(project.migrations / "0002_add_phone.py")
    assert project.run("migrate").code == 1  # 0001_initial is still edited


def test_repair_asks_on_a_terminal(project: ProjectDir) -> None:
    applied_two(project)
    before = _checksums(project)
    _edit(project, "0001_initial.py")
    assert _on_a_terminal(project, "n\n") == 1
    assert _checksums(project) == before
    assert _on_a_terminal(project, "y\n") == 0
    assert _checksums(project)["0001_initial"] == _sha256(project.migrations / "0001_initial.py")


def _on_a_terminal(project: ProjectDir, answer: str) -> int:
    """Run ``migrate --repair`` with stdin and stderr on a terminal; returns the exit code."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "schemashift", "migrate", "--repair"],
        cwd=project.root,
        stdin=child,
        stdout=subprocess.DEVNULL,
        stderr=child,
        env={**os.environ, "NO_COLOR": "1"},
    )
    os.close(child)
    seen = b""
    while b"[y/N]" not in seen:
        chunk = os.read(main, 1024)
        assert chunk, f"no question asked: {seen!r}"
        seen += chunk
    os.write(main, answer.encode())
    code = proc.wait(timeout=120)
    os.close(main)
    return code
