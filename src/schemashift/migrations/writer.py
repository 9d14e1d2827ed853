"""Writing migration files: plain SQL in ``up``/``down`` plus the operations as data."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from schemashift.dialects.base import Comment, Dialect, Step
from schemashift.dialects.kept import keeps_values
from schemashift.dialects.values import ValueFlag
from schemashift.diff.operations import DropColumn, DropTable, Operation
from schemashift.migrations.body import render_body
from schemashift.migrations.codec import operation_to_literal

_OPERATIONS_NOTE = (
    "# The operations above, as data: schemashift reads this list (without importing the\n"
    "# file) to know the schema the migrations produce. Keep it in step with the SQL.\n"
)


def _header(name: str, now: datetime) -> str:
    return (
        '"""\n'
        f"schemashift migration: {name}\n"
        f"Generated at: {now.strftime('%Y-%m-%d %H:%M:%S')}\n"
        '"""\n'
    )


def _down_note(operations: Sequence[Operation], up_steps: Sequence[Step]) -> list[Step]:
    flagged = {s.column for s in up_steps if isinstance(s, ValueFlag)}
    lost = [
        f"{op.table}.{op.column.name}" if isinstance(op, DropColumn) else op.table.name
        for op in operations
        if isinstance(op, DropTable)
        or (
            isinstance(op, DropColumn)
            # An implicit id comes back with each row's id, unless up() says otherwise.
            and (not keeps_values(op.column) or f"{op.table}.{op.column.name}" in flagged)
        )
    ]
    converted = list(
        dict.fromkeys(s.column for s in up_steps if isinstance(s, ValueFlag) and s.changes_values)
    )
    notes: list[Step] = []
    if lost:
        notes.append(
            Comment(
                "down() restores the structure of " + ", ".join(lost) + "; the data dropped "
                "by up() cannot come back."
            )
        )
    if converted:
        notes.append(
            Comment(
                "down() converts " + ", ".join(converted) + " back, but the old values of "
                "rows whose values up() changed (accept_value_changes) cannot come back."
            )
        )
    return notes


def render_file(
    name: str,
    operations: Sequence[Operation],
    up_steps: Sequence[Step],
    down_steps: Sequence[Step],
    now: datetime | None = None,
    *,
    atomic: bool = True,
    outside: str = "CONCURRENTLY cannot run inside a transaction: this migration runs on its own.",
) -> str:
    """The text of a generated migration file (``atomic=False`` runs it outside the batch
    transaction, for ``CREATE INDEX CONCURRENTLY``; ``outside`` says why in the file)."""
    now = now or datetime.now(timezone.utc)
    up_body = render_body(up_steps)
    down_body = render_body([*_down_note(operations, up_steps), *down_steps])
    # One operation per line: repr is fast and deterministic (dicts keep their order),
    # where pprint's layout costs more than the rest of a large migration.
    literals = "[\n" + "".join(f"    {operation_to_literal(op)!r},\n" for op in operations) + "]"
    options = "" if atomic else _outside_note(outside)
    return (
        f"{_header(name, now)}\n\n{options}"
        f'def up(conn):\n    """Apply changes."""\n{up_body}\n\n\n'
        f'def down(conn):\n    """Revert changes."""\n{down_body}\n\n\n'
        f"{_OPERATIONS_NOTE}operations = {literals}\n"
    )


def _outside_note(outside: str) -> str:
    """The header of a migration that runs outside the batch transaction: ``textwrap``
    compiles its patterns on import, which every other file would pay for."""
    import textwrap

    return "".join(f"# {line}\n" for line in textwrap.wrap(outside, 86)) + "atomic = False\n\n\n"


def render_parts(
    name: str,
    operations: Sequence[Operation],
    parts: Sequence[tuple[str, Sequence[Step], Sequence[Step]]],
    now: datetime | None = None,
) -> str:
    """The text of a generated migration file with the ``up``/``down`` steps of each
    ``(dialect, up, down)`` of ``parts``: a one-dialect file for one part, else a file
    whose part for each dialect is exactly that one-dialect file (see
    :mod:`schemashift.migrations.parts`)."""
    from schemashift.migrations.parts import with_parts

    now = now or datetime.now(timezone.utc)
    texts = [(d, render_file(name, operations, up, down, now)) for d, up, down in parts]
    (first, text), *rest = texts
    return with_parts(text, first, rest) if rest else text


def render_empty(name: str, dialects: Sequence[Dialect], now: datetime | None = None) -> str:
    """A template for a hand-written (data) migration, its comments about the databases
    ``dialects`` that the project's files are for."""
    now = now or datetime.now(timezone.utc)
    marks = ", ".join(f"{d.placeholder} on {d.name}" for d in dialects)
    guide = [
        "# Write SQL with conn.execute(sql, params); placeholders are the driver's own",
        f"# ({marks}).",
    ]
    if len(dialects) > 1:
        first, second = dialects[:2]
        update = 'conn.execute("UPDATE users SET name = {} WHERE name IS NULL", ("",))'
        names = f'"{first.name}", "{second.name}"'
        guide += [
            "# Where the databases differ, branch on conn.dialect:",
            f'#     if conn.dialect == "{first.name}":',
            "#         " + update.format(first.placeholder),
            "#     else:",
            "#         " + update.format(second.placeholder),
            "# A file that runs on some databases only declares them at module level:",
            f"# dialects = ({names}).",
        ]
    comments = "".join(f"    {line}\n" for line in guide)
    return (
        f"{_header(name, now)}\n\n"
        "def up(conn):\n"
        '    """Apply changes."""\n'
        f"{comments}"
        "    pass\n\n\n"
        "def down(conn):\n"
        '    """Revert changes."""\n'
        "    pass\n"
    )


def write_file(folder: Path, filename: str, text: str) -> Path:
    """Write ``text`` to ``folder/filename`` atomically (never a half-written file)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    tmp = folder / f".{filename}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path
