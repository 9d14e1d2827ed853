"""examples/flask_app: evolve at start-up, requests, model changes, several instances."""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrations.example_projects import add_field, copy_example, drop_field, load

pytest.importorskip("flask", reason="flask is an example dependency: pip install -e '.[examples]'")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_example("flask_app", tmp_path)


def _columns(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[1] for row in conn.execute("PRAGMA table_info(notes)")]


def test_start_up_applies_the_shipped_migrations_and_serves(project: Path) -> None:
    db = project / "notes.sqlite3"
    app = load(project / "app.py", "flask_example").create_app(db)
    client = app.test_client()
    assert client.get("/health").get_json() == {"applied_at_start": ["0001_initial_schema"]}
    assert client.post("/notes", json={"title": "hello"}).status_code == 201
    assert client.get("/notes").get_json() == [{"id": 1, "title": "hello", "body": None}]

    again = load(project / "app.py", "flask_example").create_app(db)
    assert again.test_client().get("/health").get_json() == {"applied_at_start": []}


def test_an_additive_model_change_is_written_and_applied_at_start_up(project: Path) -> None:
    db = project / "notes.sqlite3"
    load(project / "app.py", "flask_example").create_app(db)
    add_field(project, "pinned = Field.Boolean(default=False, nullable=False)")

    app = load(project / "app.py", "flask_example").create_app(db)
    assert app.config["SCHEMASHIFT_APPLIED"] == ["0002_auto_evolve"]
    assert (project / "src" / "migrations" / "0002_auto_evolve.py").is_file()
    assert "pinned" in _columns(db)


def test_a_destructive_model_change_stops_the_start_up(project: Path) -> None:
    db = project / "notes.sqlite3"
    load(project / "app.py", "flask_example").create_app(db)
    drop_field(project, "body")

    with pytest.raises(RuntimeError, match=r"drop column notes\.body"):
        load(project / "app.py", "flask_example").create_app(db)
    assert "body" in _columns(db)
    assert sorted(p.name for p in (project / "src" / "migrations").glob("0*.py")) == [
        "0001_initial_schema.py"
    ]


def test_several_instances_starting_at_once_evolve_once(project: Path) -> None:
    db = project / "notes.sqlite3"
    add_field(project, "pinned = Field.Boolean(default=False, nullable=False)")
    start = (
        "import sys; sys.path.insert(0, '.'); import app; "
        f"print(app.create_app({str(db)!r}).config['SCHEMASHIFT_APPLIED'])"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", start],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0] * 4, outputs
    applied = sorted((ast.literal_eval(out) for out, _ in outputs), key=len)
    # One instance did the work; the others waited for the lock and found nothing to do.
    assert applied == [[], [], [], ["0001_initial_schema", "0002_auto_evolve"]]
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM _schemashift_migrations")]
    assert sorted(names) == ["0001_initial_schema", "0002_auto_evolve"]
