"""``schemashift diagram``: Mermaid and DOT text, judged by Graphviz itself."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.support.project import ProjectDir

MODELS = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
    nickname = Field.String(max_length=50)


class Post(Model):
    author_id = Field.ForeignKey("User", on_delete="CASCADE")
    editor_id = Field.ForeignKey("User", on_delete="SET NULL", nullable=True)
    price = Field.Decimal(max_digits=10, decimal_places=2)


class OrderItem(Model):
    __tablename__ = "order items"
    post_id = Field.ForeignKey("Post", on_delete="RESTRICT", unique=True, db_column="post id")
"""

needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz (dot) is not installed"
)


def test_mermaid_lists_tables_columns_markers_and_edges(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("shop", MODELS)
    out = sqlite_project.ok("diagram").out
    assert out.startswith("erDiagram\n")
    assert re.search(r"^    users \{$", out, re.M)
    assert '        string(255) email UK "not null"' in out
    assert "        decimal(10_2) price" in out
    assert re.search(r'^    table_\d+\["order items"\] \{$', out, re.M)
    assert "post_id PK" not in out
    assert re.search(r"biginteger post_id FK, UK \"column post id; not null\"", out)
    assert 'users ||--o{ posts : "author_id -> id, on delete cascade"' in out
    assert 'users |o--o{ posts : "editor_id -> id, on delete set null"' in out
    assert re.search(r"posts \|\|--o\| table_\d+ : \"post id -> id, on delete restrict\"", out)
    # Nothing was migrated or created on the way.
    assert sqlite_project.files() == []


@needs_graphviz
@pytest.mark.parametrize("fmt", ["dot", "svg"])
def test_graphviz_reads_the_dot_and_draws_every_table(sqlite_project: ProjectDir, fmt: str) -> None:
    sqlite_project.model("shop", MODELS)
    out = sqlite_project.ok("diagram", "--format", fmt).out
    svg = out
    if fmt == "dot":
        drawn = subprocess.run(
            ["dot", "-Tsvg"], input=out, capture_output=True, text=True, timeout=60, check=False
        )
        assert drawn.returncode == 0 and not drawn.stderr, drawn.stderr
        svg = drawn.stdout
    for text in ("users", "posts", "order items", "on delete cascade", "string(255)"):
        assert text in svg
    # One edge per foreign key.
    assert svg.count('class="edge"') == 3


@needs_graphviz
def test_png_is_an_image(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("shop", MODELS)
    done = subprocess.run(
        [sys.executable, "-m", "schemashift", "diagram", "--format", "png"],
        cwd=sqlite_project.root,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\x89PNG\r\n\x1a\n")


def test_live_draws_the_database(project: ProjectDir) -> None:
    project.model("shop", MODELS)
    missing = project.run("diagram", "--live")
    if project.dialect == "sqlite":
        assert missing.code == 1 and "does not exist" in missing.err
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    out = project.ok("diagram", "--live").out
    assert "_schemashift" not in out
    for fragment in ("users {", "posts {", '["order items"] {', "on delete cascade"):
        assert fragment in out
