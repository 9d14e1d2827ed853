"""Small histories that several behaviour tests start from."""

from __future__ import annotations

from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
"""
PHONE = '    phone = Field.String(max_length=30, default="")\n'


def applied_two(project: ProjectDir) -> None:
    """Two migrations (users, then its phone column), both applied in one batch."""
    project.model("user", USER)
    project.ok("make", "migration", "initial")
    project.model("user", USER + PHONE)
    project.ok("make", "migration", "add_phone")
    project.ok("migrate")
