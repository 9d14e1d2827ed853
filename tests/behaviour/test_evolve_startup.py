"""``schemashift.evolve()`` at application start-up with nothing to do takes the short
check (runtime.startup), with the per-user checksum cache warm or empty, and answers
exactly as the full evolve: an edited or missing applied file, a pending migration or
a changed model still reaches the full run, whatever the cache holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schemashift.runtime import startup
from tests.support import db
from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, nullable=True)
"""

#: An application whose start-up calls evolve(); it prints what evolve answered and
#: whether the full machinery ran.
_APP = """
import json, sys
import schemashift
try:
    r = schemashift.evolve()
    answer = [r.applied, r.refused, r.written, r.restored]
except schemashift.SchemashiftError as exc:
    answer = type(exc).__name__ + ": " + exc.message
full = "schemashift.runtime.executor" in sys.modules
print(json.dumps({"answer": answer, "full": full}))
"""


def _start(project: ProjectDir, cache: Path) -> tuple[object, bool]:
    """Start the application once: evolve's answer, and whether it ran the full evolve."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["XDG_CACHE_HOME"] = str(cache)
    done = subprocess.run(
        [sys.executable, "-c", _APP], cwd=project.root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    return out["answer"], out["full"]


NOTHING: list[object] = [[], [], None, []]


def _applied(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.model("user", USER + "    bio = Field.Text(nullable=True)\n")
    project.ok("make", "migration", "add_bio")
    # The first evolve applies them and records that the models need nothing more.
    project.ok("evolve")


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Edit keeping the size and the modification time (to the nanosecond)."""
    assert len(old) == len(new)
    info = os.stat(path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def _cache_entries(cache: Path) -> tuple[list[str], list[object]]:
    """The names and the file keys the checksum cache holds."""
    import marshal

    (cache_file,) = (cache / "schemashift").glob("checksums-*")
    _, _, names, keys, _, _, _ = marshal.loads(cache_file.read_bytes())
    return names.split("\0"), marshal.loads(keys)


def test_nothing_to_do_takes_the_short_check_warm_and_cold(
    sqlite_project: ProjectDir, tmp_path: Path
) -> None:
    _applied(sqlite_project)
    cache = tmp_path / "cache"
    for _ in range(2):
        assert _start(sqlite_project, cache) == (NOTHING, False)
    # A fresh container: no cache at all, not even the settings.
    for fresh in ("a", "b"):
        assert _start(sqlite_project, tmp_path / fresh) == (NOTHING, False)


def test_an_edit_keeping_size_and_time_is_refused_with_the_cache_warm(
    sqlite_project: ProjectDir, tmp_path: Path
) -> None:
    _applied(sqlite_project)
    cache = tmp_path / "cache"
    # Only files older than the file system's timestamp granularity are cached.
    time.sleep(startup.GRANULARITY_NS / 1e9 + 0.2)
    assert _start(sqlite_project, cache) == (NOTHING, False)
    names, keys = _cache_entries(cache)
    assert names == ["0001_initial", "0002_add_bio"] and None not in keys
    assert _start(sqlite_project, cache) == (NOTHING, False)
    _same_size_edit(sqlite_project.migrations / "0001_initial.py", "Apply", "apply")
    answer, full = _start(sqlite_project, cache)
    assert full and answer == (
        "IntegrityError: Applied migrations do not match their files: 0001_initial (edited "
        "since it was applied). Restore the files, or run `schemashift migrate --repair` "
        "once you have checked them. Nothing was changed."
    )
    assert _start(sqlite_project, tmp_path / "empty") == (answer, True)


def test_an_edit_within_the_same_second_is_refused(
    sqlite_project: ProjectDir, tmp_path: Path
) -> None:
    _applied(sqlite_project)
    cache = tmp_path / "cache"
    assert _start(sqlite_project, cache) == (NOTHING, False)
    # The files are younger than the granularity: nothing of them may be trusted later.
    assert set(_cache_entries(cache)[1]) == {None}
    path = sqlite_project.migrations / "0002_add_bio.py"
    _same_size_edit(path, "Apply", "apply")
    answer, full = _start(sqlite_project, cache)
    assert full and isinstance(answer, str) and "0002_add_bio (edited" in answer


@pytest.mark.parametrize(
    "damage",
    [b"", b"\x00garbage", "truncated", "wrong shape", "wrong checksums", "wrong proof"],
    ids=["empty", "garbage", "truncated", "wrong-shape", "wrong-checksums", "wrong-proof"],
)
def test_a_damaged_cache_changes_no_answer(
    sqlite_project: ProjectDir, tmp_path: Path, damage: object
) -> None:
    import marshal

    _applied(sqlite_project)
    cache = tmp_path / "cache"
    time.sleep(startup.GRANULARITY_NS / 1e9 + 0.2)
    assert _start(sqlite_project, cache) == (NOTHING, False)
    (cache_file,) = (cache / "schemashift").glob("checksums-*")
    good = cache_file.read_bytes()
    fmt, listed, names, keys, sums, sources, proven = marshal.loads(good)
    assert sources, "the model files' digests are cached too"
    assert proven, "and what the answer depended on"
    if damage == "truncated":
        data = good[: len(good) // 2]
    elif damage == "wrong shape":
        data = marshal.dumps((fmt, listed, names, marshal.dumps([1, "x"]), sums, {"a": 1}, [1]))
    elif damage == "wrong checksums":
        wrong = {path: (key, bytes(32)) for path, (key, _) in sources.items()}
        data = marshal.dumps(
            (fmt, listed, names, keys, "\0".join(["0" * 64] * 2), wrong, (*proven[:-1], ""))
        )
    elif damage == "wrong proof":
        data = marshal.dumps((fmt, listed, names, keys, sums, sources, (1, "x")))
    else:
        assert isinstance(damage, bytes)
        data = damage
    cache_file.write_bytes(data)
    assert _start(sqlite_project, cache) == (NOTHING, False)
    # And it is whole again.
    assert marshal.loads(cache_file.read_bytes()) == marshal.loads(good)
    cache_file.write_bytes(data)
    _same_size_edit(sqlite_project.migrations / "0001_initial.py", "Apply", "apply")
    answer, full = _start(sqlite_project, cache)
    assert full and isinstance(answer, str) and "0001_initial (edited" in answer


def test_an_unwritable_cache_is_harmless(sqlite_project: ProjectDir, tmp_path: Path) -> None:
    _applied(sqlite_project)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert _start(sqlite_project, blocked) == (NOTHING, False)
    _same_size_edit(sqlite_project.migrations / "0001_initial.py", "Apply", "apply")
    answer, full = _start(sqlite_project, blocked)
    assert full and isinstance(answer, str) and "0001_initial (edited" in answer


def test_whatever_is_to_do_reaches_the_full_evolve(
    sqlite_project: ProjectDir, tmp_path: Path
) -> None:
    _applied(sqlite_project)
    cache = tmp_path / "cache"
    assert _start(sqlite_project, cache) == (NOTHING, False)
    # An applied file missing here is written back.
    path = sqlite_project.migrations / "0002_add_bio.py"
    text = path.read_text()
    path.unlink()
    assert _start(sqlite_project, cache) == ([[], [], None, ["0002_add_bio"]], True)
    assert path.read_text() == text
    assert _start(sqlite_project, cache) == (NOTHING, False)
    # A pending migration is applied.
    sqlite_project.model("post", "class Post(Model):\n    title = Field.String(max_length=9)\n")
    sqlite_project.ok("make", "migration", "add_post")
    assert _start(sqlite_project, cache) == ([["0003_add_post"], [], None, []], True)
    assert _start(sqlite_project, cache) == (NOTHING, False)
    # A model change is compared in full (and written, applied).
    sqlite_project.model("tag", "class Tag(Model):\n    name = Field.String(max_length=9)\n")
    answer, full = _start(sqlite_project, cache)
    assert full and answer == [["0004_auto_evolve"], [], "0004_auto_evolve.py", []]
    # A failed record (as a killed run on a database without transactional DDL leaves).
    db.execute(
        sqlite_project.database,
        "UPDATE _schemashift_migrations SET failed = '[]' WHERE name = '0004_auto_evolve'",
    )
    answer, full = _start(sqlite_project, cache)
    assert full and isinstance(answer, str) and answer.startswith("MigrationFailed: ")


def test_the_migration_lock_held_elsewhere_is_waited_for_by_the_full_evolve(
    sqlite_project: ProjectDir, tmp_path: Path
) -> None:
    import fcntl

    _applied(sqlite_project)
    lock = str(sqlite_project.root.parent / "db.sqlite3") + startup.LOCK_SUFFIX
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        pyproject = sqlite_project.root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + "lock_timeout = 0\n")
        answer, full = _start(sqlite_project, tmp_path / "cache")
        assert full and isinstance(answer, str) and answer.startswith("LockTimeout: ")
    finally:
        os.close(fd)
    assert _start(sqlite_project, tmp_path / "cache") == (NOTHING, False)


def test_a_start_with_nothing_changed_reuses_the_last_proof_and_sees_the_database_change(
    sqlite_project: ProjectDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second start finds the files, the sources and the tracking rows as the first
    one proved them, so it parses no record; a change in the database alone (another
    host's records) is still seen, and the full evolve gives its answer."""
    _applied(sqlite_project)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    time.sleep(startup.GRANULARITY_NS / 1e9 + 0.2)
    root = str(sqlite_project.root)
    parsed: list[int] = []
    records = startup._records

    def counted(rows: str, count: int) -> dict[str, str]:
        parsed.append(count)
        return records(rows, count)

    monkeypatch.setattr(startup, "_records", counted)
    assert startup.nothing_to_do(None, root, None, None, None)
    assert parsed == [2]
    assert startup.nothing_to_do(None, root, None, None, None)
    assert parsed == [2], "nothing changed: the proof is reused"
    db.execute(
        sqlite_project.database,
        "UPDATE _schemashift_migrations SET checksum = ? WHERE name = '0001_initial'",
        ("0" * 64,),
    )
    assert not startup.nothing_to_do(None, root, None, None, None)
    assert parsed == [2, 2]
    answer, full = _start(sqlite_project, tmp_path / "cache")
    assert full and isinstance(answer, str) and "0001_initial (edited" in answer
