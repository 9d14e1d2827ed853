"""Rolling back every applied migration: ``--rollback --all``, ``--to 0``, ``--to zero``."""

from __future__ import annotations

import pytest

from tests.support import db
from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
"""
POST = """
class Post(Model):
    title = Field.String(max_length=100)
"""


def _three_batches(project: ProjectDir) -> None:
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    project.model("post", POST)
    project.ok("make", "migration", "posts")
    project.ok("migrate")
    project.ok("make", "migration", "seed", "--empty")
    project.ok("migrate")


@pytest.mark.parametrize("flags", [["--all"], ["--to", "0"], ["--to", "zero"]])
def test_everything_is_rolled_back_newest_first(project: ProjectDir, flags: list[str]) -> None:
    _three_batches(project)
    result = project.ok("migrate", "--rollback", *flags)
    lines = [line for line in result.out.splitlines() if line.startswith("Rolled back 0")]
    assert [line.split()[2] for line in lines] == ["0003_seed", "0002_posts", "0001_initial"]
    assert db.tracking(project.database) == []
    assert db.tables(project.database) - {"_schemashift_migrations", "_schemashift_meta"} == set()
    assert "Nothing to roll back." in project.ok("migrate", "--rollback", *flags).out


def test_all_is_refused_without_rollback_or_with_step(sqlite_project: ProjectDir) -> None:
    for flags in (["--all"], ["--rollback", "--all", "--step", "1"]):
        result = sqlite_project.run("migrate", *flags)
        assert result.code == 2 and "--all" in result.err, result
