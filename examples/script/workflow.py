"""schemashift from Python: the commands as functions that return values.

``run(project)`` writes the initial migration, applies it, adds a hand-written data
migration with parameters, applies that, rolls it back and checks the project, and
returns what each step gave. Nothing is printed by schemashift itself; ``main()`` prints
the values. Run it from the repository root::

    python examples/script/workflow.py

It works on a copy of this folder in a temporary directory, so the example stays as
shipped.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemashift

HERE = Path(__file__).resolve().parent

SEED = '''"""
schemashift migration: seed_products
"""

PRODUCTS = [("A-1", "Anvil", "49.90"), ("B-2", "Bucket", "4.50")]


def up(conn):
    """Insert the starter catalogue."""
    mark = "?" if conn.dialect == "sqlite" else "%s"
    for sku, name, price in PRODUCTS:
        conn.execute(
            f"INSERT INTO products (sku, name, price) VALUES ({mark}, {mark}, {mark})",
            (sku, name, price),
        )


def down(conn):
    """Remove it again."""
    mark = "?" if conn.dialect == "sqlite" else "%s"
    for sku, _, _ in PRODUCTS:
        conn.execute(f"DELETE FROM products WHERE sku = {mark}", (sku,))
'''


def run(project: Path) -> dict[str, Any]:
    """The whole workflow on ``project``; returns each step's result."""
    where = {"project": str(project)}
    made = schemashift.make_migration("initial_schema", **where)
    assert made.path is not None, "the models declare tables, so there is a change"
    first = schemashift.migrate(**where)

    seed = schemashift.make_migration("seed_products", empty=True, **where)
    assert seed.path is not None
    seed.path.write_text(SEED)
    second = schemashift.migrate(**where)
    status = schemashift.status(**where)

    undone = schemashift.rollback(**where)
    differences = schemashift.check(**where)
    return {
        "written": [made.path.name, seed.path.name],
        "changes": [op.describe() for op in made.operations],
        "batches": [(first.batch, first.names), (second.batch, second.names)],
        "status": [(row.name, row.applied, row.batch) for row in status],
        "rolled_back": undone.names,
        "check": [(d.cause, d.detail) for d in differences],
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="schemashift-script-") as tmp:
        project = Path(tmp) / "inventory"
        shutil.copytree(HERE, project, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__"))
        for key, value in run(project).items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
