"""The files ``make migration`` writes are read without a syntax tree of the whole file.

Replaying history proves a generated file valid from its head (the shapes the writer
produces, :data:`schemashift.migrations.quickread.HEAD`) and its operations list; these
tests check that the files real runs write on each database take that path, and read
the same operations as a full parse.
"""

from __future__ import annotations

import ast

from schemashift.migrations.files import MigrationFile, list_migrations
from schemashift.migrations.history import operations_in, parsed_operations
from schemashift.migrations.quickread import generated_head, read_literals
from tests.behaviour.test_several_dialects import V1, V2, V3, V4
from tests.support.project import ProjectDir

# The model history of the several-dialects tests; then the column added in V4 dropped.
V5 = V4.replace('\n    body = Field.Text(default="")', "")


def _history(project: ProjectDir) -> None:
    for number, source in enumerate((V1, V2, V3, V4, V5), start=1):
        project.model("app", source)
        project.ok("make", "migration", f"step_{number}")
    project.ok("make", "migration", "fill", "--empty")


def _head(data: bytes) -> str:
    text = data.decode("utf-8")
    at = text.rfind("\noperations = ")
    return text if at < 0 else text[: at + 1]


def _assert_read_quickly(files: list[MigrationFile]) -> None:
    assert files
    for file in files:
        data = file.read_bytes()
        assert generated_head(_head(data)), file.name
        literals = read_literals(file, data)
        assert literals is not None, file.name
        tree = ast.parse(data)
        listed = [n for n in tree.body if isinstance(n, ast.Assign)]
        expected = ast.literal_eval(listed[-1].value) if b"\noperations = " in data else []
        assert literals == expected, file.name
        assert operations_in(data, file) == parsed_operations(data, file)


def test_generated_files_are_read_without_a_syntax_tree(project: ProjectDir) -> None:
    _history(project)
    if project.dialect == "postgresql":
        project.model(
            "app",
            V5.replace('default="", nullable=False)', 'default="", nullable=False, index=True)'),
        )
        project.ok("make", "migration", "index_name", "--concurrently")
        assert "atomic = False" in project.read("0007_index_name.py")
    project.ok("squash", "0003")
    _assert_read_quickly(list_migrations(project.migrations))
    assert "OK" in project.ok("check", "--offline").out


def test_files_for_several_dialects_are_read_without_a_syntax_tree(
    sqlite_project: ProjectDir,
) -> None:
    text = (sqlite_project.root / "pyproject.toml").read_text()
    (sqlite_project.root / "pyproject.toml").write_text(
        text + 'dialects = ["sqlite", "postgresql"]\n'
    )
    _history(sqlite_project)
    files = list_migrations(sqlite_project.migrations)
    assert 'dialects = ("sqlite", "postgresql")' in files[2].read_bytes().decode()
    _assert_read_quickly(files)
