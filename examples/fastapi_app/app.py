"""A FastAPI application that brings its database up to date when it starts.

The lifespan handler calls :func:`schemashift.evolve` before the first request: pending
migration files are applied, then additive model changes are written as a new migration
file and applied. A destructive change is refused and the application does not start.
Several workers starting at once are safe: evolve holds the migration lock, so the
others wait and then find nothing left to do.

Run it from this folder::

    uvicorn app:app
"""

# No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
# route functions at run time, and ``Conn`` below is local to create_app.
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel

import schemashift

HERE = Path(__file__).resolve().parent


class NoteIn(BaseModel):
    title: str
    body: str | None = None


def create_app(database: str | Path | None = None) -> FastAPI:
    """The application, on the SQLite file ``database`` (default ``notes.sqlite3`` here)."""
    path = Path(database or HERE / "notes.sqlite3").resolve()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        report = schemashift.evolve(database=f"sqlite:///{path}", project=str(HERE))
        if report.refused:
            raise RuntimeError(
                "The models changed in ways that lose data: "
                + "; ".join(report.refused)
                + ". Write a reviewed migration with `schemashift make migration NAME`."
            )
        app.state.schemashift_applied = report.applied
        yield

    app = FastAPI(lifespan=lifespan)

    def db() -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(path, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()

    Conn = Annotated[sqlite3.Connection, Depends(db)]

    @app.get("/notes")
    def list_notes(conn: Conn) -> list[dict[str, Any]]:
        rows = conn.execute("SELECT id, title, body FROM notes ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    @app.post("/notes", status_code=201)
    def add_note(note: NoteIn, conn: Conn) -> dict[str, Any]:
        cur = conn.execute("INSERT INTO notes (title, body) VALUES (?, ?)", (note.title, note.body))
        conn.commit()
        return {"id": cur.lastrowid, "title": note.title}

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"applied_at_start": app.state.schemashift_applied}

    return app


app = create_app()
