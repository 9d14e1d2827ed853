"""Operations as SQLite statements: ALTER TABLE where SQLite can, a rebuild otherwise.

Consecutive changes to one table form a run. A run that ALTER TABLE can express is
written statement by statement; any other run becomes a single rebuild from the table
as it was before the run to the table after it, so that two column changes copy the
rows once, not twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.dialects.base import Comment, Step
from schemashift.dialects.sqlite.ddl import create_table
from schemashift.dialects.sqlite.inplace import in_place, inline_keys
from schemashift.dialects.sqlite.quoting import quote
from schemashift.dialects.sqlite.rebuild import rebuild
from schemashift.dialects.sqlite.types import value_change
from schemashift.dialects.values import check_steps
from schemashift.diff.operations import (
    AddIndex,
    AlterColumn,
    CreateTable,
    DropIndex,
    DropTable,
    Operation,
    RenameColumn,
    RenameIndex,
    RenameTable,
    apply_all,
)
from schemashift.schema.record import replace
from schemashift.schema.values import Schema, Table

_TABLE_LEVEL = (CreateTable, DropTable, RenameTable)


def render(operations: Sequence[Operation], before: Schema) -> list[Step]:
    """The steps that turn ``before`` into the schema after ``operations``."""
    steps: list[Step] = []
    schema = before
    for run in runs(operations):
        steps.extend(render_run(run, schema))
        schema = apply_all(schema, run)
    return steps


def runs(operations: Sequence[Operation]) -> list[list[Operation]]:
    """``operations`` cut into runs of consecutive changes to one table's contents.
    Creating, dropping or renaming a table is a run of its own."""
    result: list[list[Operation]] = []
    for op in operations:
        previous = result[-1][-1] if result else None
        if (
            previous is not None
            and not isinstance(op, _TABLE_LEVEL)
            and not isinstance(previous, _TABLE_LEVEL)
            and previous.table_name == op.table_name
        ):
            result[-1].append(op)
        else:
            result.append([op])
    return result


def render_run(run: list[Operation], schema: Schema) -> list[Step]:
    """One run's steps. Dropped indexes go first (a column can then be dropped in
    place); renames stay plain statements, so that SQLite carries them into views,
    triggers and hand-made indexes, and split the run around them; a renamed index is
    dropped and created again."""
    ordered = sorted(
        rebuilt_indexes(split_renames(run), schema), key=lambda op: not isinstance(op, DropIndex)
    )
    steps: list[Step] = []
    part: list[Operation] = []
    for op in ordered:
        if isinstance(op, RenameColumn):
            steps.extend(render_part(part, schema))
            schema = apply_all(schema, part)
            steps.extend(render_part([op], schema))
            schema = op.apply(schema)
            part = []
        else:
            part.append(op)
    steps.extend(render_part(part, schema))
    return steps


def split_renames(run: list[Operation]) -> list[Operation]:
    """``run`` with each change of a column that also renames it made a RENAME COLUMN
    followed by the change under the new name."""
    out: list[Operation] = []
    for op in run:
        if isinstance(op, AlterColumn) and op.before.name != op.after.name:
            out.append(RenameColumn(op.table, op.before.name, op.after.name))
            op = replace(op, before=replace(op.before, name=op.after.name))
        out.append(op)
    return out


def rebuilt_indexes(run: list[Operation], schema: Schema) -> list[Operation]:
    """``run`` with each renamed index dropped and created under its new name: SQLite has
    no ALTER INDEX ... RENAME."""
    if not any(isinstance(op, RenameIndex) for op in run):
        return list(run)
    out: list[Operation] = []
    for op in run:
        if isinstance(op, RenameIndex):
            table = schema.table(op.table)
            index = table.index(op.old) if table is not None else None
            assert index is not None, f"rename of unknown index {op.old!r}"
            out.extend(
                [DropIndex(op.table, index), AddIndex(op.table, replace(index, name=op.new))]
            )
        else:
            out.append(op)
        schema = op.apply(schema)
    return out


def render_part(part: list[Operation], schema: Schema) -> list[Step]:
    """Plain statements for ``part`` if each has one, else one rebuild of its table."""
    if not part:
        return []
    inline = inline_keys(part)
    steps: list[Step] = []
    state = schema
    for op in part:
        done = in_place(op, state, inline)
        if done is None:
            return rebuild_part(part, schema)
        steps.extend(Comment(f"WARNING: {w}") for w in op.warnings())
        steps.extend(done)
        state = op.apply(state)
    return steps


def rebuild_part(part: list[Operation], schema: Schema) -> list[Step]:
    """One rebuild of the table that ``part`` changes. Its index changes stay plain
    statements around the rebuild, which keeps every index the live table has."""
    name = part[0].table_name
    dropped = [op for op in part if isinstance(op, DropIndex)]
    added = [op for op in part if isinstance(op, AddIndex)]
    rest = [op for op in part if not isinstance(op, (DropIndex, AddIndex))]
    inline = inline_keys(part)
    steps = [step for op in dropped for step in in_place(op, schema, inline) or []]
    before = apply_all(schema, dropped)
    after = apply_all(before, rest)
    old, new = _table(before, name), _table(after, name)
    if _same_on_sqlite(old, new):
        changes = "; ".join(op.describe()[2:] for op in rest)
        steps.extend(Comment(f"WARNING: {w}") for op in rest for w in op.warnings())
        steps.append(Comment(f"Nothing to run on SQLite ({changes}): the table's SQL is the same."))
    else:
        steps.extend(value_checks(old, rest))
        steps.extend(rebuild(old, new, rest))
    steps.extend(step for op in added for step in in_place(op, after, inline) or [])
    return steps


def _table(schema: Schema, name: str) -> Table:
    table = schema.table(name)
    assert table is not None, f"rebuild of unknown table {name!r}"
    return table


def value_checks(old: Table, part: list[Operation]) -> list[Step]:
    """For each kind change in ``part`` that may change stored values (see the
    conversion table in :mod:`schemashift.dialects.sqlite.types`): the warning, and a
    check that refuses, before the rebuild starts, while a row of ``old`` holds a value
    the copy would change."""
    steps: list[Step] = []
    for op in part:
        if not isinstance(op, AlterColumn) or op.before.kind == op.after.kind:
            continue
        source = old.column(op.before.name)
        change = value_change(source, op.after) if source is not None else None
        if change is not None:
            steps.extend(
                check_steps(
                    old.name,
                    op.before.name,
                    quote(op.before.name),
                    op.before.kind,
                    op.after.kind,
                    change,
                )
            )
    return steps


def _same_on_sqlite(old: Table, new: Table) -> bool:
    """Whether SQLite would store the very same table: a change of a Python-side kind or
    of max_length (Integer to BigInteger, String(255) to String(200)) alters no SQL here,
    and copying every row for it would be waste."""
    return create_table(old) == create_table(new)
