"""evolve with nothing to do skips the comparison when nothing it depends on changed,
and always answers as the full comparison would."""

from __future__ import annotations

import os
from pathlib import Path

import schemashift
from tests.support import db
from tests.support.project import ProjectDir, Result

USER = """
class User(Model):
    email = Field.String(max_length=255, nullable=True)
"""
FINGERPRINT = "SELECT value FROM _schemashift_meta WHERE \"key\" = 'evolve_fingerprint'"


def _full(project: ProjectDir) -> Result:
    """What the full comparison answers: evolve with no fingerprint recorded."""
    db.execute(
        project.database, "DELETE FROM _schemashift_meta WHERE \"key\" = 'evolve_fingerprint'"
    )
    return project.run("evolve")


def _started(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("evolve")
    # The first evolve with nothing left to do records what it compared.
    assert len(db.query(project.database, FINGERPRINT)) == 1


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Edit a file keeping its size and modification time: only its content tells."""
    assert len(old) == len(new)
    stat = os.stat(path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_nothing_changed_records_once_and_answers_the_same(project: ProjectDir) -> None:
    _started(project)
    recorded = db.query(project.database, FINGERPRINT)
    result = project.ok("evolve")
    assert "Nothing to evolve" in result.out
    assert db.query(project.database, FINGERPRINT) == recorded
    assert result == _full(project)
    report = schemashift.evolve(project=str(project.root))
    assert (report.applied, report.refused, report.written) == ([], [], None)


def test_a_model_edit_within_the_same_second_is_seen(project: ProjectDir) -> None:
    _started(project)
    _same_size_edit(project.root / "src" / "models" / "user.py", "nullable=True", "unique=True  ")
    result = project.run("evolve")
    assert result.code == 1 and "refused" in result.err
    assert result == _full(project)


def test_a_helper_module_the_models_import_is_part_of_it(project: ProjectDir) -> None:
    (project.root / "src" / "sizes.py").write_text("EMAIL = 255\n")
    project.model("user", "from sizes import EMAIL\n" + USER.replace("255", "EMAIL"))
    project.ok("make", "migration", "initial")
    project.ok("evolve")
    assert len(db.query(project.database, FINGERPRINT)) == 1
    _same_size_edit(project.root / "src" / "sizes.py", "255", "100")
    result = project.run("evolve")
    assert result.code == 1 and "refused" in result.err, "the new length must be found"
    assert result == _full(project)


def test_a_new_model_file_is_seen(project: ProjectDir) -> None:
    _started(project)
    project.model("post", "class Post(Model):\n    title = Field.String(max_length=50)\n")
    project.ok("evolve")
    assert project.files() == ["0001_initial.py", "0002_auto_evolve.py"]
    assert "Nothing to evolve" in project.ok("evolve").out


def test_a_new_migration_file_is_seen(project: ProjectDir) -> None:
    _started(project)
    project.model("user", USER + "    bio = Field.Text(nullable=True)\n")
    project.ok("make", "migration", "add_bio")
    project.model("user", USER)
    # The new file is applied; then the models (back as they were) lack its column.
    result = project.run("evolve")
    assert result.code == 1 and "Applied 0002_add_bio" in result.out
    assert "refused" in result.err
    again = project.run("evolve")
    assert again == _full(project) and again.code == 1
