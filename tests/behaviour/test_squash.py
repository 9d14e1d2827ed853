"""``schemashift squash``: one file for many, and databases at every stage carrying on."""

from __future__ import annotations

import json
import re
import shutil
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.conftest import database_url
from tests.support import db
from tests.support.project import ProjectDir

V1 = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
"""
V2 = V1 + '    name = Field.String(max_length=100, default="")\n'
V3 = (
    V2
    + """

class Post(Model):
    author_id = Field.ForeignKey("User", on_delete="CASCADE")
    title = Field.String(max_length=200, nullable=False)
    __indexes__ = [Index("title")]
"""
)
V4 = V3 + '    body = Field.Text(default="")\n'


def _history(project: ProjectDir) -> None:
    for n, source in enumerate((V1, V2, V3), start=1):
        project.model("app", source)
        project.ok("make", "migration", f"step_{n}")


def _user_tables(url: str) -> set[str]:
    return db.tables(url) - {"_schemashift_migrations", "_schemashift_meta"}


def _structure(url: str) -> object:
    """The tables as the database's own catalog describes them (not its DDL text)."""
    if not url.startswith("sqlite"):
        shape = db.snapshot(url, ignore_ids=True)
        return shape["schema"], shape["indexes"]
    out = {}
    for table in sorted(_user_tables(url)):
        quoted = '"' + table.replace('"', '""') + '"'
        indexes = []
        for _seq, name, unique, *_ in db.query(url, f"PRAGMA index_list({quoted})"):
            cols = [r[2] for r in db.query(url, f"PRAGMA index_info('{name}')")]
            indexes.append((name, unique, cols))
        out[table] = (
            db.query(url, f"PRAGMA table_xinfo({quoted})"),
            sorted(indexes),
            db.query(url, f"PRAGMA foreign_key_list({quoted})"),
        )
    return out


def test_every_database_carries_on(project: ProjectDir, tmp_path: Path) -> None:
    with ExitStack() as stack:
        _carry_on(project, tmp_path, stack)


def _carry_on(project: ProjectDir, tmp_path: Path, stack: ExitStack) -> None:
    _history(project)
    # A database that applied everything, and one that applied the first file only.
    project.ok("migrate")
    old_schema = _structure(project.database)
    made = project.ok("squash", "0003")
    assert "0003_squashed_0001_0003.py" in made.out
    text = project.read("0003_squashed_0001_0003.py")
    assert "replaces = ['0001_step_1', '0002_step_2', '0003_step_3']" in text
    assert "OK" in project.ok("check").out
    status = project.ok("migrate", "--status").out
    assert "[X] 0003_squashed_0001_0003" in status

    # A new database runs the squash instead of the originals.
    fresh = ProjectDir(tmp_path / "fresh", _fresh_url(project, tmp_path, stack))
    shutil.rmtree(fresh.migrations, ignore_errors=True)
    shutil.copytree(project.migrations, fresh.migrations)
    fresh.model("app", V3)
    applied = fresh.ok("migrate").out
    assert "0003_squashed_0001_0003" in applied and "0001_step_1" not in applied
    assert db.tracking(fresh.database) == [("0003_squashed_0001_0003", 1)]
    assert _structure(fresh.database) == old_schema
    assert "OK" in fresh.ok("check").out

    # Later migrations apply on both.
    project.model("app", V4)
    project.ok("make", "migration", "step_4")
    shutil.copy(project.migrations / "0004_step_4.py", fresh.migrations)
    fresh.model("app", V4)
    project.ok("migrate")
    fresh.ok("migrate")
    assert "body" in db.columns(fresh.database, "posts")

    # Originals deleted: the squash stands alone for both databases.
    for n in (1, 2, 3):
        for folder in (project.migrations, fresh.migrations):
            next(folder.glob(f"000{n}_step_{n}.py")).unlink()
    assert "OK" in project.ok("check").out
    assert "OK" in fresh.ok("check").out
    assert "OK" in project.ok("check", "--offline").out


def test_a_database_half_way_runs_the_rest_of_the_originals(project: ProjectDir) -> None:
    _history(project)
    project.ok("migrate", "--to", "0001")
    project.ok("squash", "0003")
    applied = project.ok("migrate").out
    assert "0002_step_2" in applied and "0003_step_3" in applied
    assert "squashed" not in applied
    assert {"users", "posts"} <= _user_tables(project.database)
    assert "OK" in project.ok("check").out


def test_hand_written_migrations_are_refused_by_name(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("app", V1)
    sqlite_project.ok("make", "migration", "step_1")
    sqlite_project.ok("make", "migration", "backfill", "--empty")
    sqlite_project.model("app", V2)
    sqlite_project.ok("make", "migration", "step_3")
    refused = sqlite_project.run("squash", "0003")
    assert refused.code == 1 and "0002_backfill is hand-written" in refused.err
    assert len(sqlite_project.files()) == 3


FILL = '''
def up(conn):
    """Apply changes."""
    conn.execute("INSERT INTO users (email, name) VALUES ('kept@example.com', 'Kept')")


def down(conn):
    """Revert changes."""
    conn.execute("DELETE FROM users WHERE email = 'kept@example.com'")
'''


def test_a_hand_written_migration_kept_as_a_step_of_its_own(
    project: ProjectDir, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        project.model("app", V1)
        project.ok("make", "migration", "step_1")
        project.model("app", V2)
        project.ok("make", "migration", "step_2")
        project.ok("make", "migration", "fill", "--empty")
        (project.migrations / "0003_fill.py").write_text(FILL)
        project.model("app", V3)
        project.ok("make", "migration", "step_4")
        project.model("app", V4)
        project.ok("make", "migration", "step_5")
        project.ok("migrate")
        old_schema = _structure(project.database)

        made = project.ok("squash", "0005", "--keep-hand-written").out
        assert "0002_squashed_0001_0002.py" in made and "0005_squashed_0004_0005.py" in made
        assert "Kept 0003_fill" in made
        assert "replaces = ['0004_step_4', '0005_step_5']" in project.read(
            "0005_squashed_0004_0005.py"
        )
        assert "OK" in project.ok("check").out

        fresh = ProjectDir(tmp_path / "fresh", _fresh_url(project, tmp_path, stack))
        shutil.rmtree(fresh.migrations, ignore_errors=True)
        shutil.copytree(project.migrations, fresh.migrations)
        fresh.model("app", V4)
        fresh.ok("migrate")
        assert [name for name, _batch in db.tracking(fresh.database)] == [
            "0002_squashed_0001_0002",
            "0003_fill",
            "0005_squashed_0004_0005",
        ]
        assert _structure(fresh.database) == old_schema
        assert db.query(fresh.database, "SELECT email, name FROM users") == [
            ("kept@example.com", "Kept")
        ]
        for name in ("0001_step_1", "0002_step_2", "0004_step_4", "0005_step_5"):
            (fresh.migrations / f"{name}.py").unlink()
        assert "OK" in fresh.ok("check").out
        assert "OK" in fresh.ok("check", "--offline").out
        fresh.ok("migrate", "--rollback", "--all")
        assert _user_tables(fresh.database) == set()


def _fresh_url(project: ProjectDir, tmp_path: Path, stack: ExitStack) -> str:
    if project.dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    return stack.enter_context(contextmanager(database_url)(project.dialect, tmp_path))


def test_status_shows_what_a_squash_replaces_and_what_each_file_does(
    sqlite_project: ProjectDir,
) -> None:
    _history(sqlite_project)
    sqlite_project.ok("migrate")
    sqlite_project.ok("squash", "0002")
    lines = sqlite_project.ok("migrate", "--status", "-v").out.splitlines()
    squash = next(line for line in lines if "0002_squashed_0001_0002" in line)
    assert squash.startswith("[X] 0002_squashed_0001_0002 (replaces 0001_step_1 … 0002_step_2)")
    assert "create table users" in squash
    step3 = next(line for line in lines if line.startswith("[X] 0003_step_3"))
    assert re.search(r"batch 1, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, \d+ ms  create table posts", step3)
    payload = json.loads(sqlite_project.ok("migrate", "--status", "--json").out)
    by_name = {m["name"]: m for m in payload["migrations"]}
    assert by_name["0002_squashed_0001_0002"]["replaces"] == ["0001_step_1", "0002_step_2"]
    assert isinstance(by_name["0003_step_3"]["duration_ms"], int)
    assert by_name["0003_step_3"]["description"].startswith("create table posts")
