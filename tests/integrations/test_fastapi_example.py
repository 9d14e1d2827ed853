"""examples/fastapi_app: evolve in the lifespan handler, requests, model changes."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest

from tests.integrations.example_projects import add_field, copy_example, drop_field, load

pytest.importorskip(
    "fastapi", reason="fastapi is an example dependency: pip install -e '.[examples]'"
)
if importlib.util.find_spec("httpx2") is None:
    pytest.importorskip("httpx", reason="the test client needs httpx: pip install -e '.[examples]'")

from fastapi.testclient import TestClient


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_example("fastapi_app", tmp_path)


def test_lifespan_applies_the_shipped_migrations_and_serves(project: Path) -> None:
    db = project / "notes.sqlite3"
    app = load(project / "app.py", "fastapi_example").create_app(db)
    assert not db.exists(), "creating the app must not touch the database"
    with TestClient(app) as client:
        assert client.get("/health").json() == {"applied_at_start": ["0001_initial_schema"]}
        assert client.post("/notes", json={"title": "hello"}).status_code == 201
        assert client.get("/notes").json() == [{"id": 1, "title": "hello", "body": None}]


def test_an_additive_model_change_is_applied_at_start_up(project: Path) -> None:
    db = project / "notes.sqlite3"
    module = load(project / "app.py", "fastapi_example")
    with TestClient(module.create_app(db)):
        pass
    add_field(project, "tags = Field.JSON()")
    with TestClient(module.create_app(db)) as client:
        assert client.get("/health").json() == {"applied_at_start": ["0002_auto_evolve"]}
    with sqlite3.connect(db) as conn:
        assert "tags" in [row[1] for row in conn.execute("PRAGMA table_info(notes)")]


def test_a_destructive_model_change_stops_the_start_up(project: Path) -> None:
    db = project / "notes.sqlite3"
    module = load(project / "app.py", "fastapi_example")
    with TestClient(module.create_app(db)):
        pass
    drop_field(project, "title")
    with (
        pytest.raises(RuntimeError, match=r"drop column notes\.title"),
        TestClient(module.create_app(db)),
    ):
        pass
