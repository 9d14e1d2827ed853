"""Django 6: a settings module, one app, ``manage.py`` commands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from measure import Run
from peers.base import Adapter, count_rows
from postgres import Server, count
from workloads.spec import DECIMAL_DIGITS, Col, Tab, index_name
from workloads.w2 import Step

APP = "benchapp"
_MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""
_SETTINGS = f"""\
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "benchmark"
DEBUG = False
INSTALLED_APPS = ["{APP}"]
DATABASES = {{"default": {{databases}}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
"""
_SQLITE = '{"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}'


def _postgres(url: str) -> str:
    """The ``DATABASES`` entry of a PostgreSQL URL (psycopg 3)."""
    parts = urlsplit(url)
    entry = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username,
        "HOST": parts.hostname,
        "PORT": str(parts.port),
    }
    return repr(entry)


_ID = (
    '("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, '
    'verbose_name="ID"))'
)
_FIELDS = {
    "string": "CharField",
    "text": "TextField",
    "integer": "IntegerField",
    "biginteger": "BigIntegerField",
    "float": "FloatField",
    "decimal": "DecimalField",
    "boolean": "BooleanField",
    "date": "DateField",
    "datetime": "DateTimeField",
    "json": "JSONField",
    "uuid": "UUIDField",
    "enum": "CharField",
}


def field_name(col: Col) -> str:
    """The model attribute for ``col`` (a foreign key ``x_id`` is the field ``x``)."""
    return col.name.removesuffix("_id") if col.references else col.name


def field(col: Col) -> str:
    """The field expression, the same in models.py and in migration files."""
    if col.references:
        target = col.references[:1].upper() + col.references[1:]
        return f'models.ForeignKey("{target}", on_delete=models.CASCADE)'
    args: list[str] = []
    if col.kind == "string":
        args.append(f"max_length={col.max_length}")
    elif col.kind == "enum":
        args.append(f"max_length=1, choices={[(c, c) for c in col.choices]!r}")
    elif col.kind == "decimal":
        args.append("max_digits={}, decimal_places={}".format(*DECIMAL_DIGITS))
    if col.nullable:
        args.append("null=True")
    if col.unique:
        args.append("unique=True")
    if col.default is not None:
        args.append(f"db_default={col.default!r}")
    return f"models.{_FIELDS[col.kind]}({', '.join(args)})"


def _meta_indexes(tab: Tab) -> str:
    return ", ".join(
        f'models.Index(fields={list(cols)!r}, name="{index_name(tab.name, cols)}")'
        for cols in tab.indexes
    )


def models_py(tables: Sequence[Tab]) -> str:
    """The app's models module."""
    out = ["from django.db import models", ""]
    for tab in tables:
        out += ["", f"class {tab.class_name}(models.Model):"]
        out += [f"    {field_name(c)} = {field(c)}" for c in tab.columns]
        out += ["", "    class Meta:", f'        db_table = "{tab.name}"']
        if tab.indexes:
            out.append(f"        indexes = [{_meta_indexes(tab)}]")
        out.append("")
    return "\n".join(out)


def _create_model(tab: Tab) -> str:
    fields = ",\n                ".join(
        [_ID, *(f'("{field_name(c)}", {field(c)})' for c in tab.columns)]
    )
    options = f'"db_table": "{tab.name}"'
    if tab.indexes:
        options += f', "indexes": [{_meta_indexes(tab)}]'
    return (
        f'migrations.CreateModel(\n            name="{tab.class_name}",\n'
        f"            fields=[\n                {fields},\n            ],\n"
        f"            options={{{options}}},\n        )"
    )


def _alter_field(table: str, col: Col, verb: str) -> str:
    return f'migrations.{verb}(model_name="{table}", name="{field_name(col)}", field={field(col)})'


def migration_py(previous: str | None, operations: Sequence[str]) -> str:
    """One migration module."""
    deps = f'[("{APP}", "{previous}")]' if previous else "[]"
    ops = "".join(f"        {op},\n" for op in operations)
    return (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    initial = {previous is None}\n"
        f"    dependencies = {deps}\n"
        f"    operations = [\n{ops}    ]\n"
    )


class Django(Adapter):
    """``python manage.py ...`` with the peers' interpreter."""

    name: ClassVar[str] = "django"

    def __init__(self, python: str) -> None:
        self.python = python

    def migrations_dir(self, root: Path) -> Path:
        return root / APP / "migrations"

    def write_project(self, root: Path, tables: Sequence[Tab]) -> None:
        (root / "benchsite").mkdir(parents=True, exist_ok=True)
        self.migrations_dir(root).mkdir(parents=True, exist_ok=True)
        (root / "manage.py").write_text(_MANAGE)
        (root / "benchsite" / "__init__.py").write_text("")
        databases = _SQLITE if self.database is None else _postgres(self.database)
        (root / "benchsite" / "settings.py").write_text(_SETTINGS.replace("{databases}", databases))
        (root / APP / "__init__.py").write_text("")
        (self.migrations_dir(root) / "__init__.py").write_text("")
        (root / APP / "models.py").write_text(models_py(tables))

    def _write(self, root: Path, name: str, previous: str | None, ops: Sequence[str]) -> None:
        (self.migrations_dir(root) / f"{name}.py").write_text(migration_py(previous, ops))

    def write_history(self, root: Path, steps: Sequence[Step]) -> None:
        self.clear_migrations(root)
        previous = None
        for step in steps:
            ops = [_create_model(t) for t in step.creates]
            if step.table is not None and step.column is not None:
                ops.append(_alter_field(step.table, step.column, "AddField"))
            name = f"{step.number:04d}_{step.name}"
            self._write(root, name, previous, ops)
            previous = name

    def write_rebuild(self, root: Path, before: Tab, after: Tab) -> None:
        self.write_project(root, [after])
        self.clear_migrations(root)
        self._write(root, "0001_create", None, [_create_model(before)])
        changed = [c for c, old in zip(after.columns, before.columns, strict=True) if c != old]
        self._write(
            root,
            "0002_change",
            "0001_create",
            [_alter_field(after.name, c, "AlterField") for c in changed],
        )

    def _manage(self, *args: str) -> list[str]:
        return [self.python, "manage.py", *args]

    def help(self) -> list[str]:
        return self._manage("--help")

    def status(self) -> list[str]:
        return self._manage("showmigrations", APP)

    def make(self, name: str) -> list[str]:
        return self._manage("makemigrations", APP)

    def check(self) -> list[str]:
        return self._manage("makemigrations", "--check", "--dry-run", APP)

    def migrate(self, upto: int | None = None) -> list[str]:
        return self._manage("migrate", *([] if upto is None else [APP, f"{upto:04d}"]))

    def applied(self, db: Path) -> int:
        return count_rows(db, f"SELECT COUNT(*) FROM django_migrations WHERE app = '{APP}'")

    def applied_on(self, server: Server, database: str) -> int:
        return count(server, database, "django_migrations", f"WHERE app = '{APP}'")

    def status_shows(self, run: Run, applied: int) -> bool:
        return run.stdout.count("[X]") == applied
