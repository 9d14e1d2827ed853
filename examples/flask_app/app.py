"""A Flask application that brings its database up to date when it starts.

``create_app()`` calls :func:`schemashift.evolve` before serving: pending migration files
are applied, then additive model changes (a new table, a new nullable column...) are
written as a new migration file and applied. A destructive change is refused and the
application does not start, so that nobody drops a column by restarting a server.

Run it from this folder::

    flask --app app run
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask, g, jsonify, request
from flask.typing import ResponseReturnValue

import schemashift

HERE = Path(__file__).resolve().parent


def create_app(database: str | Path | None = None) -> Flask:
    """The application, on the SQLite file ``database`` (default ``notes.sqlite3`` here)."""
    path = Path(database or HERE / "notes.sqlite3").resolve()
    report = schemashift.evolve(database=f"sqlite:///{path}", project=str(HERE))
    if report.refused:
        raise RuntimeError(
            "The models changed in ways that lose data: "
            + "; ".join(report.refused)
            + ". Write a reviewed migration with `schemashift make migration NAME`."
        )

    app = Flask(__name__)
    app.config["DATABASE_PATH"] = path
    app.config["SCHEMASHIFT_APPLIED"] = report.applied

    def db() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(path)
            g.db.row_factory = sqlite3.Row
        conn: sqlite3.Connection = g.db
        return conn

    @app.teardown_appcontext
    def close_db(exc: BaseException | None) -> None:
        conn = g.pop("db", None)
        if conn is not None:
            conn.close()

    @app.get("/notes")
    def list_notes() -> ResponseReturnValue:
        rows = db().execute("SELECT id, title, body FROM notes ORDER BY id").fetchall()
        return jsonify([dict(row) for row in rows])

    @app.post("/notes")
    def add_note() -> ResponseReturnValue:
        data = request.get_json(force=True)
        conn = db()
        cur = conn.execute(
            "INSERT INTO notes (title, body) VALUES (?, ?)", (data["title"], data.get("body"))
        )
        conn.commit()
        return jsonify({"id": cur.lastrowid, "title": data["title"]}), 201

    @app.get("/health")
    def health() -> ResponseReturnValue:
        return jsonify({"applied_at_start": app.config["SCHEMASHIFT_APPLIED"]})

    return app
