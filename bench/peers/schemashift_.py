"""schemashift: models under ``src/models/``, migrations under ``src/migrations/``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from measure import Run
from peers.base import Adapter, count_rows
from postgres import Server, count
from workloads.spec import DECIMAL_DIGITS, Col, Tab
from workloads.w2 import Step

_HISTORY = Path(__file__).with_name("schemashift_history.py")
#: Models per file under src/models/, as a real project would split them.
MODELS_PER_FILE = 30
_FIELDS = {
    "string": "String",
    "text": "Text",
    "integer": "Integer",
    "biginteger": "BigInteger",
    "float": "Float",
    "decimal": "Decimal",
    "boolean": "Boolean",
    "date": "Date",
    "datetime": "DateTime",
    "json": "JSON",
    "uuid": "UUID",
    "enum": "Enum",
}


def field(col: Col) -> str:
    """The ``Field.X(...)`` expression for ``col``."""
    if col.references:
        target = col.references[:1].upper() + col.references[1:]
        return f'Field.ForeignKey("{target}", on_delete="CASCADE")'
    args: list[str] = []
    if col.kind == "string":
        args.append(f"max_length={col.max_length}")
    elif col.kind == "enum":
        args.append(repr(list(col.choices)))
    elif col.kind == "decimal":
        args.append("max_digits={}, decimal_places={}".format(*DECIMAL_DIGITS))
    if not col.nullable:
        args.append("nullable=False")
    if col.unique:
        args.append("unique=True")
    if col.default is not None:
        args.append(f"default={col.default!r}")
    return f"Field.{_FIELDS[col.kind]}({', '.join(args)})"


def models_py(tables: Sequence[Tab]) -> str:
    """One models module declaring ``tables``."""
    out = ["from schemashift import Field, Index, Model", ""]
    for tab in tables:
        out += ["", f"class {tab.class_name}(Model):", f'    __tablename__ = "{tab.name}"']
        if tab.indexes:
            idx = ", ".join(f"Index({', '.join(map(repr, cols))})" for cols in tab.indexes)
            out.append(f"    __indexes__ = [{idx}]")
        out += [f"    {c.name} = {field(c)}" for c in tab.columns]
        out.append("")
    return "\n".join(out)


class Schemashift(Adapter):
    """The ``schemashift`` command (a console script or ``python -m schemashift``)."""

    name: ClassVar[str] = "schemashift"

    def __init__(self, command: Sequence[str], python: str) -> None:
        self.command = list(command)
        #: The interpreter schemashift is installed in, for writing long histories.
        self.python = python

    def migrations_dir(self, root: Path) -> Path:
        return root / "src" / "migrations"

    def write_project(self, root: Path, tables: Sequence[Tab]) -> None:
        models = root / "src" / "models"
        shutil.rmtree(models, ignore_errors=True)
        models.mkdir(parents=True)
        self.migrations_dir(root).mkdir(parents=True, exist_ok=True)
        database = "" if self.database is None else f'database = "{self.database}"\n'
        (root / "pyproject.toml").write_text(
            '[project]\nname = "bench-project"\nversion = "0"\n\n[tool.schemashift]\n' + database
        )
        for start in range(0, len(tables), MODELS_PER_FILE):
            chunk = tables[start : start + MODELS_PER_FILE]
            (models / f"m{start // MODELS_PER_FILE:03d}.py").write_text(models_py(chunk))

    def write_history(self, root: Path, steps: Sequence[Step]) -> None:
        """Write the history with schemashift's own differ and writer in one process
        (``schemashift_history.py``); the models must already declare the final state."""
        self.clear_migrations(root)
        plan = [
            {
                "name": step.name,
                "creates": {t.name: [c.name for c in t.columns] for t in step.creates},
                "add": [step.table, step.column.name] if step.table and step.column else None,
            }
            for step in steps
        ]
        (root / "history-plan.json").write_text(json.dumps(plan))
        self.call([self.python, str(_HISTORY), "history-plan.json"], root)

    def write_rebuild(self, root: Path, before: Tab, after: Tab) -> None:
        self.write_project(root, [before])
        self.clear_migrations(root)
        self.call(self.make("create"), root)
        self.write_project(root, [after])
        self.call(self.make("change"), root)

    def help(self) -> list[str]:
        return [*self.command, "--help"]

    def status(self) -> list[str]:
        return [*self.command, "migrate", "--status"]

    def make(self, name: str) -> list[str]:
        return [*self.command, "make", "migration", name]

    def check(self) -> list[str]:
        return [*self.command, "check", "--offline"]

    def migrate(self, upto: int | None = None) -> list[str]:
        return [*self.command, "migrate", *([] if upto is None else ["--to", f"{upto:04d}"])]

    def applied(self, db: Path) -> int:
        return count_rows(db, "SELECT COUNT(*) FROM _schemashift_migrations")

    def applied_on(self, server: Server, database: str) -> int:
        return count(server, database, "_schemashift_migrations")

    def status_shows(self, run: Run, applied: int) -> bool:
        lines = run.stdout.splitlines()
        return (
            bool(lines)
            and lines[0] == "MIGRATION STATUS"
            and sum(line.startswith("[X] ") for line in lines) == applied
        )
