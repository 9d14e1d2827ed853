"""The raw-sqlite3 floor: the same statements, executed by a minimal script."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from measure import Run
from peers.base import Adapter, count_rows
from postgres import Server, count
from workloads import pg_sql, sqlite_sql
from workloads.spec import Tab, tables_to_json
from workloads.w2 import Step

_CLI = Path(__file__).with_name("floor_cli.py")
_PG_CLI = Path(__file__).with_name("floor_pg_cli.py")
MODELS_JSON = "models.json"


def step_sql(step: Step) -> list[str]:
    """The statements of one W2 migration."""
    stmts = [s for t in step.creates for s in sqlite_sql.create_table(t)]
    if step.table is not None and step.column is not None:
        stmts.append(sqlite_sql.add_column(step.table, step.column))
    return stmts


class Floor(Adapter):
    """``python floor_cli.py ...`` (see that file) with the given interpreter."""

    name: ClassVar[str] = "floor"
    suffix: ClassVar[str] = ".sql"

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python

    def migrations_dir(self, root: Path) -> Path:
        return root / "migrations"

    def _write(self, root: Path, number: int, name: str, stmts: Sequence[str]) -> None:
        path = self.migrations_dir(root) / f"{number:04d}_{name}.sql"
        path.write_text(";\n".join(stmts) + "\n")

    def write_project(self, root: Path, tables: Sequence[Tab]) -> None:
        self.migrations_dir(root).mkdir(parents=True, exist_ok=True)
        (root / MODELS_JSON).write_text(tables_to_json(list(tables)))

    def write_history(self, root: Path, steps: Sequence[Step]) -> None:
        self.clear_migrations(root)
        for step in steps:
            self._write(root, step.number, step.name, step_sql(step))

    def write_rebuild(self, root: Path, before: Tab, after: Tab) -> None:
        self.write_project(root, [after])
        self.clear_migrations(root)
        self._write(root, 1, "create", sqlite_sql.create_table(before))
        conversions = {
            c.name: f"COALESCE({c.name}, {sqlite_sql.literal(c.default)})"
            for c in after.columns
            if not c.nullable and c.default is not None
        } | {
            c.name: f"CAST({c.name} AS REAL)"
            for c, old in zip(after.columns, before.columns, strict=True)
            if c.kind == "float" and old.kind != "float"
        }
        # The check schemashift makes before an integer column becomes a real.
        unkept = {
            c.name: f"typeof({c.name}) = 'integer' AND CAST({c.name} AS REAL) <> {c.name}"
            for c, old in zip(after.columns, before.columns, strict=True)
            if c.kind == "float" and old.kind == "integer"
        }
        self._write(root, 2, "change", sqlite_sql.rebuild(before, after, conversions, unkept))

    def _cli(self, *args: str) -> list[str]:
        return [self.python, str(_CLI), *args]

    def help(self) -> list[str]:
        return [self.python, "-c", "import sqlite3"]

    def status(self) -> list[str]:
        return self._cli("status", "migrations")

    def make(self, name: str) -> list[str]:
        return self._cli("make", "migrations", MODELS_JSON)

    def check(self) -> list[str]:
        return self._cli("check", "migrations", MODELS_JSON)

    def migrate(self, upto: int | None = None) -> list[str]:
        return self._cli("migrate", "migrations", *([] if upto is None else [str(upto)]))

    def applied(self, db: Path) -> int:
        return count_rows(db, f"SELECT COUNT(*) FROM {sqlite_sql.TRACKING}")

    def applied_on(self, server: Server, database: str) -> int:
        return count(server, database, pg_sql.TRACKING)

    def status_shows(self, run: Run, applied: int) -> bool:
        return run.stdout.count("[X] ") == applied


class FloorPostgres(Floor):
    """``python floor_pg_cli.py ...``: psycopg executing the workload's PostgreSQL
    statements in one transaction. It has no ``make`` or ``check``: on PostgreSQL only
    ``migrate`` and status are measured, and its W1 migration is written by
    :meth:`write_project`."""

    def write_project(self, root: Path, tables: Sequence[Tab]) -> None:
        super().write_project(root, tables)
        self.clear_migrations(root)
        if tables:
            self._write(root, 1, "initial", [s for t in tables for s in pg_sql.create_table(t)])

    def write_history(self, root: Path, steps: Sequence[Step]) -> None:
        self.clear_migrations(root)
        for step in steps:
            stmts = [s for t in step.creates for s in pg_sql.create_table(t)]
            if step.table is not None and step.column is not None:
                stmts.append(pg_sql.add_column(step.table, step.column))
            self._write(root, step.number, step.name, stmts)

    def write_rebuild(self, root: Path, before: Tab, after: Tab) -> None:
        Floor.write_project(self, root, [after])
        self.clear_migrations(root)
        self._write(root, 1, "create", pg_sql.create_table(before))
        self._write(root, 2, "change", pg_sql.alter(before, after))

    def _pg_cli(self, *args: str) -> list[str]:
        assert self.database is not None, "FloorPostgres needs on_postgres(url)"
        return [self.python, str(_PG_CLI), args[0], "migrations", self.database, *args[1:]]

    def help(self) -> list[str]:
        return [self.python, "-c", "import psycopg"]

    def status(self) -> list[str]:
        return self._pg_cli("status")

    def migrate(self, upto: int | None = None) -> list[str]:
        return self._pg_cli("migrate", *([] if upto is None else [str(upto)]))
