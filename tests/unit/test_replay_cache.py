"""The replay cache can make make migration and check faster, never answer differently."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

import schemashift
from schemashift.migrations.cache import _cache_file, replay_cached
from schemashift.migrations.files import list_migrations
from schemashift.migrations.history import replay
from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
"""


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProjectDir:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = ProjectDir(tmp_path / "proj", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    columns = ""
    for i in range(4):
        columns += f"    c{i} = Field.Integer(default={i})\n"
        project.model("user", USER + columns)
        schemashift.make_migration(f"step_{i}", project=project.root)
    return project


def _both(project: ProjectDir) -> tuple[object, object]:
    files = list_migrations(project.migrations)
    return replay_cached(files), replay(files)


def test_warm_equals_cold(history: ProjectDir) -> None:
    cached, cold = _both(history)
    assert cached == cold
    assert _cache_file(history.migrations).exists()
    cached, cold = _both(history)
    assert cached == cold


def test_an_edited_earlier_file_is_replayed_afresh(history: ProjectDir) -> None:
    _both(history)
    path = history.migrations / "0002_step_1.py"
    text = path.read_text()
    edited = text.replace("'default': '1'", "'default': '7'")
    assert edited != text and len(edited) == len(text)
    path.write_text(edited)
    cached, cold = _both(history)
    assert cached == cold
    users = cold.table("users")  # type: ignore[attr-defined]
    assert users.column("c1").default == "7"


def test_removed_renamed_and_added_files(history: ProjectDir) -> None:
    _both(history)
    (history.migrations / "0004_step_3.py").unlink()
    assert _both(history)[0] == _both(history)[1]
    (history.migrations / "0003_step_2.py").rename(history.migrations / "0003_other.py")
    assert _both(history)[0] == _both(history)[1]
    history.model("user", USER + "    extra = Field.Text()\n")
    schemashift.make_migration("extra", project=history.root)
    assert _both(history)[0] == _both(history)[1]


def test_a_corrupt_cache_is_ignored(history: ProjectDir) -> None:
    _both(history)
    _cache_file(history.migrations).write_text("{not marshal")
    assert _both(history)[0] == _both(history)[1]
    _cache_file(history.migrations).write_bytes(marshal.dumps((1, (), [], ({},))))
    assert _both(history)[0] == _both(history)[1]
    # Written with another field order: read in this one, the tuples would fill the
    # wrong fields.
    version, layout, files, tables = marshal.loads(_cache_file(history.migrations).read_bytes())
    moved = (layout[0], layout[1][::-1], *layout[2:])
    tables = tuple((t[0], tuple(c[::-1] for c in t[1]), *t[2:]) for t in tables)
    _cache_file(history.migrations).write_bytes(marshal.dumps((version, moved, files, tables)))
    assert _both(history)[0] == _both(history)[1]


def test_make_migration_sees_an_edit_behind_the_cache(history: ProjectDir) -> None:
    assert schemashift.make_migration("nothing", project=history.root).path is None
    path = history.migrations / "0004_step_3.py"
    path.write_text(path.read_text().split("operations = ")[0] + "operations = []\n")
    made = schemashift.make_migration("again", project=history.root)
    assert made.path is not None
    assert [op.describe() for op in made.operations] == ["+ add column users.c3"]


def test_a_warm_run_replays_only_what_was_added(
    history: ProjectDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is really used: a warm run parses no file, and after one new file it
    parses that file alone."""
    from schemashift.migrations import cache

    replayed: list[list[str]] = []
    real = cache.replay_sources

    def counting(files, sources, schema):  # type: ignore[no-untyped-def]
        replayed.append([f.name for f in files])
        return real(files, sources, schema)

    monkeypatch.setattr(cache, "replay_sources", counting)
    _cache_file(history.migrations).unlink()
    files = list_migrations(history.migrations)
    cold = replay_cached(files)
    assert replayed == [[f.name for f in files]]
    assert replay_cached(files) == cold
    assert len(replayed) == 1
    history.model("user", USER + "    extra = Field.Text()\n")
    schemashift.make_migration("step_extra", project=history.root)
    replayed.clear()
    grown = list_migrations(history.migrations)
    assert replay_cached(grown) == replay(grown)
    assert replayed == [["0005_step_extra"]]
