"""``schemashift rebase`` after merging two branches that picked the same number."""

from __future__ import annotations

from tests.support import db
from tests.support.project import ProjectDir

BASE = """
class User(Model):
    email = Field.String(max_length=255, nullable=False)
"""
PHONE = '    phone = Field.String(max_length=30, default="")\n'
BIO = "    bio = Field.Text()\n"


def _branches(project: ProjectDir, theirs: str = BIO) -> tuple[str, str]:
    """``0001`` applied; ``0002_add_phone`` (main, applied) and ``0002_add_bio`` (the
    branch merged second) both in the folder; the models hold both changes."""
    project.model("user", BASE)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    project.model("user", BASE + theirs)
    project.ok("make", "migration", "add_bio")
    branch = project.read("0002_add_bio.py")
    (project.migrations / "0002_add_bio.py").unlink()
    project.model("user", BASE + PHONE)
    project.ok("make", "migration", "add_phone")
    project.ok("migrate")
    (project.migrations / "0002_add_bio.py").write_text(branch)
    project.model("user", BASE + PHONE + theirs)
    return "0002_add_phone.py", "0002_add_bio.py"


def test_the_unapplied_file_moves_and_the_history_applies(project: ProjectDir) -> None:
    _branches(project)
    refused = project.run("migrate")
    assert refused.code == 1 and "schemashift rebase" in refused.err
    result = project.ok("rebase")
    assert "Renamed 0002_add_bio.py to 0003_add_bio.py" in result.out
    assert project.files() == ["0001_initial.py", "0002_add_phone.py", "0003_add_bio.py"]
    assert "OK" in project.ok("check", "--offline").out
    project.ok("migrate")
    assert "bio" in db.columns(project.database, "users")
    assert "OK" in project.ok("check").out
    # Idempotent.
    again = project.ok("rebase")
    assert "Nothing to rebase" in again.out
    assert project.files() == ["0001_initial.py", "0002_add_phone.py", "0003_add_bio.py"]


def test_ambiguous_pairs_are_refused_until_named(sqlite_project: ProjectDir) -> None:
    _branches(sqlite_project)
    fresh = sqlite_project.database.replace("db.sqlite3", "fresh.sqlite3")
    refused = sqlite_project.run("rebase", "--database", fresh)
    assert refused.code == 1 and "ambiguous" in refused.err and "rebase NAME" in refused.err
    assert sqlite_project.files() == ["0001_initial.py", "0002_add_bio.py", "0002_add_phone.py"]
    moved = sqlite_project.ok("rebase", "0002_add_phone", "--database", fresh)
    assert "Renamed 0002_add_phone.py to 0003_add_phone.py" in moved.out


def test_an_applied_file_is_never_renumbered(sqlite_project: ProjectDir) -> None:
    _branches(sqlite_project)
    refused = sqlite_project.run("rebase", "0002_add_phone")
    assert refused.code == 1 and "is applied" in refused.err
    assert sqlite_project.files() == ["0001_initial.py", "0002_add_bio.py", "0002_add_phone.py"]


def test_both_branches_changing_one_column_is_a_conflict(project: ProjectDir) -> None:
    # The branch adds `phone` too, with another length: both files "add column phone".
    _branches(project, theirs='    phone = Field.String(max_length=40, default="")\n')
    project.model("user", BASE + PHONE)
    refused = project.run("rebase")
    assert refused.code == 1, refused
    assert "0002_add_bio.py and 0002_add_phone.py both change column users.phone" in refused.err
    assert "Nothing was renamed" in refused.err
    assert project.files() == ["0001_initial.py", "0002_add_bio.py", "0002_add_phone.py"]


def test_a_named_file_moves_after_the_newest(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("user", BASE)
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.ok("make", "migration", "seed", "--empty")
    sqlite_project.ok("make", "migration", "more", "--empty")
    result = sqlite_project.ok("rebase", "0002")
    assert "Renamed 0002_seed.py to 0004_seed.py" in result.out
    assert sqlite_project.files() == ["0001_initial.py", "0003_more.py", "0004_seed.py"]
    assert "Nothing to rebase" in sqlite_project.ok("rebase", "0004").out
