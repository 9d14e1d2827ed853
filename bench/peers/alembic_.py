"""Alembic + SQLAlchemy: ``alembic init``'s project, models as SQLAlchemy tables."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from measure import Run
from peers.base import Adapter
from postgres import Server, scalar
from workloads.spec import DECIMAL_DIGITS, Col, Tab, index_name
from workloads.w2 import Step

_ENV = """\
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

import models

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
target_metadata = models.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
"""
_TYPES = {
    "string": "sa.String({max_length})",
    "text": "sa.Text()",
    "integer": "sa.Integer()",
    "biginteger": "sa.BigInteger()",
    "float": "sa.Float()",
    "decimal": "sa.Numeric({}, {})".format(*DECIMAL_DIGITS),
    "boolean": "sa.Boolean()",
    "date": "sa.Date()",
    "datetime": "sa.DateTime()",
    "json": "sa.JSON()",
    "uuid": "sa.Uuid()",
    "enum": "sa.Enum({choices}, native_enum=False, create_constraint=True)",
}


def sa_type(col: Col, postgres: bool = False) -> str:
    """The SQLAlchemy type expression for ``col`` (JSONB on PostgreSQL, as its users
    write it: plain JSON there has no btree operator class, so it cannot be indexed)."""
    if postgres and col.kind == "json":
        return "postgresql.JSONB()"
    return _TYPES[col.kind].format(
        max_length=col.max_length, choices=", ".join(repr(c) for c in col.choices)
    )


def _server_default(value: object, postgres: bool) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        # PostgreSQL refuses an integer default on a boolean column.
        return f'sa.text("{str(value).lower() if postgres else int(value)}")'
    return f'sa.text("{value!r}")'


def column(col: Col, postgres: bool = False) -> str:
    """The ``sa.Column(...)`` expression, the same in models and revision files
    (``postgres``: for a project on PostgreSQL)."""
    args = [repr(col.name), sa_type(col, postgres)]
    if col.references:
        args.append(f'sa.ForeignKey("{col.references}.id", ondelete="CASCADE")')
    args.append(f"nullable={col.nullable}")
    if col.unique:
        args.append("unique=True")
    if col.references:
        args.append("index=True")
    if col.default is not None:
        args.append(f"server_default={_server_default(col.default, postgres)}")
    return f"sa.Column({', '.join(args)})"


_ID = 'sa.Column("id", sa.Integer(), primary_key=True)'


def models_py(tables: Sequence[Tab], postgres: bool = False) -> str:
    """The models module: one ``sa.Table`` per table on a shared ``metadata``."""
    out = ["import sqlalchemy as sa"]
    if postgres:
        out.append("from sqlalchemy.dialects import postgresql")
    out += ["", "metadata = sa.MetaData()", ""]
    for tab in tables:
        items = [_ID, *(column(c, postgres) for c in tab.columns)]
        items += [
            f'sa.Index("{index_name(tab.name, cols)}", {", ".join(map(repr, cols))})'
            for cols in tab.indexes
        ]
        body = "".join(f"    {item},\n" for item in items)
        out.append(f'{tab.name} = sa.Table(\n    "{tab.name}",\n    metadata,\n{body})')
    return "\n".join(out) + "\n"


def revision_py(number: int, name: str, upgrade: Sequence[str], downgrade: Sequence[str]) -> str:
    """A revision file as ``alembic revision`` lays it out."""
    down = "None" if number == 1 else f'"{number - 1:04d}"'
    return (
        f'"""{name}\n\nRevision ID: {number:04d}\nRevises: {down}\n"""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f'revision = "{number:04d}"\ndown_revision = {down}\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n" + "".join(f"    {line}\n" for line in upgrade) + "\n\n"
        "def downgrade() -> None:\n" + "".join(f"    {line}\n" for line in downgrade)
    )


def _create_table(tab: Tab, postgres: bool) -> list[str]:
    items = ", ".join([_ID, *(column(c, postgres) for c in tab.columns)])
    lines = [f'op.create_table("{tab.name}", {items})']
    lines += [
        f'op.create_index("{index_name(tab.name, cols)}", "{tab.name}", {list(cols)!r})'
        for cols in tab.indexes
    ]
    return lines


class Alembic(Adapter):
    """The ``alembic`` command of the peers' environment."""

    name: ClassVar[str] = "alembic"

    def __init__(self, alembic: str) -> None:
        self.alembic = alembic

    @property
    def postgres(self) -> bool:
        """Whether the projects are configured for PostgreSQL."""
        return self.database is not None

    def migrations_dir(self, root: Path) -> Path:
        return root / "migrations" / "versions"

    def migration_files(self, root: Path) -> list[Path]:
        folder = self.migrations_dir(root)
        return sorted(folder.glob("*.py")) if folder.is_dir() else []

    def write_project(self, root: Path, tables: Sequence[Tab]) -> None:
        if not (root / "alembic.ini").exists():
            shutil.rmtree(root / "migrations", ignore_errors=True)
            root.mkdir(parents=True, exist_ok=True)
            self.call([self.alembic, "init", "-t", "generic", "migrations"], root)
            (root / "migrations" / "env.py").write_text(_ENV)
        # Every time: a PostgreSQL server of an earlier bench run listened elsewhere.
        url = (
            "sqlite:///db.sqlite3"
            if self.database is None
            else self.database.replace("postgresql://", "postgresql+psycopg://", 1)
        )
        ini = (root / "alembic.ini").read_text()
        ini = re.sub(r"(?m)^sqlalchemy\.url = .*$", f"sqlalchemy.url = {url}", ini)
        (root / "alembic.ini").write_text(ini)
        (root / "models.py").write_text(models_py(tables, self.postgres))

    def write_history(self, root: Path, steps: Sequence[Step]) -> None:
        self.clear_migrations(root)
        for step in steps:
            up = [line for t in step.creates for line in _create_table(t, self.postgres)]
            down = [f'op.drop_table("{t.name}")' for t in reversed(step.creates)]
            if step.table is not None and step.column is not None:
                up.append(f'op.add_column("{step.table}", {column(step.column, self.postgres)})')
                down += [
                    f'with op.batch_alter_table("{step.table}") as batch:',
                    f'    batch.drop_column("{step.column.name}")',
                ]
            path = self.migrations_dir(root) / f"{step.number:04d}_{step.name}.py"
            path.write_text(revision_py(step.number, step.name, up, down))

    def write_rebuild(self, root: Path, before: Tab, after: Tab) -> None:
        self.write_project(root, [after])
        self.clear_migrations(root)
        folder = self.migrations_dir(root)
        folder.joinpath("0001_create.py").write_text(
            revision_py(
                1,
                "create",
                _create_table(before, self.postgres),
                [f'op.drop_table("{before.name}")'],
            )
        )
        up: list[str] = []
        alters: list[str] = []
        for new, old in zip(after.columns, before.columns, strict=True):
            if new == old:
                continue
            if old.nullable and not new.nullable:
                up.append(
                    f'op.execute("UPDATE {after.name} SET {new.name} = {new.default!r} '
                    f'WHERE {new.name} IS NULL")'
                )
            args = [repr(new.name), f"existing_type={sa_type(old)}"]
            if new.kind != old.kind:
                args.append(f"type_={sa_type(new)}")
            if new.nullable != old.nullable:
                args.append(f"nullable={new.nullable}")
            if new.default != old.default:
                args.append(f"server_default={_server_default(new.default, self.postgres)}")
            alters.append(f"    batch.alter_column({', '.join(args)})")
        up += [f'with op.batch_alter_table("{after.name}") as batch:', *alters]
        folder.joinpath("0002_change.py").write_text(revision_py(2, "change", up, ["pass"]))

    def help(self) -> list[str]:
        return [self.alembic, "--help"]

    def status(self) -> list[str]:
        return [self.alembic, "current"]

    def make(self, name: str) -> list[str]:
        return [self.alembic, "revision", "--autogenerate", "-m", name]

    def check(self) -> list[str]:
        return [self.alembic, "check"]

    def migrate(self, upto: int | None = None) -> list[str]:
        return [self.alembic, "upgrade", "head" if upto is None else f"{upto:04d}"]

    def applied(self, db: Path) -> int:
        """The number of the current revision (bench-written revisions are numbered), or
        1 for a single autogenerated one."""
        conn = sqlite3.connect(db)
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            row = None
        finally:
            conn.close()
        if row is None:
            return 0
        return int(row[0]) if row[0].isdigit() else 1

    def applied_on(self, server: Server, database: str) -> int:
        """As :meth:`applied`, in PostgreSQL ``database``."""
        if scalar(server, database, "SELECT to_regclass('alembic_version') IS NULL") == "t":
            return 0
        rows = server.rows(database, "SELECT version_num FROM alembic_version")
        if not rows:
            return 0
        return int(rows[0][0]) if rows[0][0].isdigit() else 1

    def status_shows(self, run: Run, applied: int) -> bool:
        if applied == 0:
            return "(head)" not in run.stdout
        return f"{applied:04d} (head)" in run.stdout

    def made_nothing(self, root: Path, before: list[Path]) -> bool:
        """Alembic writes a revision even when nothing changed: accept (and remove) new
        files whose ``upgrade`` is empty."""
        new = [p for p in self.migration_files(root) if p not in before]
        for path in new:
            upgrade = path.read_text().split("def upgrade()")[1].split("def downgrade()")[0]
            if "op." in upgrade:
                return False
            path.unlink()
        return True
