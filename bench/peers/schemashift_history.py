"""Write a long schemashift history the way ``make migration`` writes each file, in one
process instead of one ``make migration`` per step.

Run with schemashift's interpreter, in the project folder whose models already declare
the final state: ``python schemashift_history.py PLAN_JSON``. The plan lists, per step,
its name and the tables it creates (with their column names) or the column it adds. Each
step's target is the final schema cut down to what exists after the step; the file holds
what ``make migration`` would write for it: schemashift's own differ, the rendering of
the project's database (SQLite, or PostgreSQL when its ``database`` says so) and file
writer. The benchmark then checks that ``make migration`` and ``check --offline``
find nothing to do, so a history that drifted from the tool's own output cannot pass.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from schemashift.config import load_settings
from schemashift.diff.differ import diff
from schemashift.diff.operations import apply_all
from schemashift.generate.make import render_parts_for, target_schema
from schemashift.migrations.writer import render_parts, write_file
from schemashift.project import Project
from schemashift.schema.values import Schema, Table


def _cut(table: Table, columns: list[str]) -> Table:
    """``table`` with only its key and ``columns``."""
    keep = set(columns)
    return table.with_(columns=tuple(c for c in table.columns if c.primary_key or c.name in keep))


def main(plan_path: str) -> None:
    project = Project(load_settings())
    final, _ = target_schema(project)
    folder = project.settings.migrations
    present: dict[str, list[str]] = {}
    current = Schema()
    for number, step in enumerate(json.loads(Path(plan_path).read_text()), start=1):
        touched = dict(step["creates"])
        if step.get("add"):
            table, column = step["add"]
            touched[table] = [*present[table], column]
        present.update(touched)
        before = Schema.of(current.tables[t] for t in touched if t in current.tables)
        after = Schema.of(_cut(final.tables[t], cols) for t, cols in touched.items())
        operations = list(diff(before, after).operations)
        new = apply_all(current, operations)
        name = f"{number:04d}_{step['name']}"
        parts = render_parts_for(project, operations, current)
        write_file(folder, f"{name}.py", render_parts(name, operations, parts))
        current = new


if __name__ == "__main__":
    main(sys.argv[1])
