"""The differ: the ordered operations that turn one schema into another.

``diff`` is a pure function of its arguments (the ``ask`` and ``fill`` callbacks aside,
which it calls in a fixed order). Applying its operations to ``current`` gives
``target``, up to the order of tables, columns, indexes, foreign keys and checks, none
of which is a change.

An index, foreign key or check that is the same but for its name (a table or column
rename changes the names derived from it) is renamed in place, never dropped and built
again: on a large table, rebuilding holds locks for as long as it reads the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from schemashift.diff.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AlterColumn,
    CreateTable,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropTable,
    Operation,
    RenameCheck,
    RenameForeignKey,
    RenameIndex,
    apply_all,
)
from schemashift.diff.ordering import order_operations
from schemashift.diff.renames import plan_renames
from schemashift.errors import ModelError
from schemashift.schema.hints import RenameHints
from schemashift.schema.record import Record, replace
from schemashift.schema.values import Check, Column, ForeignKey, Index, Schema, Table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final, Protocol, TypeVar

    class _Named(Protocol):
        @property
        def name(self) -> str: ...

    _N = TypeVar("_N", bound=_Named)
    _M = TypeVar("_M", Index, ForeignKey, Check)

__all__ = ["DiffResult", "RenameHints", "diff"]

Fill = Callable[[str, str], str | None]


class DiffResult(Record):
    """Ordered operations, and warnings for the user (possible renames, ignored rename
    hints). Why an operation loses data is told by its own ``warnings()``."""

    __slots__ = ("operations", "warnings")
    operations: Final[tuple[Operation, ...]]
    warnings: Final[tuple[str, ...]]

    def __init__(
        self, operations: tuple[Operation, ...] = (), warnings: tuple[str, ...] = ()
    ) -> None:
        self.operations = operations
        self.warnings = warnings


def _changed(before: Sequence[_N], after: Sequence[_N]) -> tuple[list[_N], list[_N]]:
    """Members of ``before`` that are gone or differ, and members of ``after`` that are
    new or differ, matched by name (a changed member is dropped and added again)."""
    old = {m.name: m for m in before}
    new = {m.name: m for m in after}
    return (
        [m for m in before if new.get(m.name) != m],
        [m for m in after if old.get(m.name) != m],
    )


def _moved(
    dropped: list[_M], added: list[_M], taken: Collection[str]
) -> tuple[list[tuple[str, str]], list[_M], list[_M]]:
    """Pairs ``(old, new)`` of a dropped and an added member alike in all but their names:
    the member was renamed (its table's or column's rename changed its derived name, or
    its declared name changed), and is renamed in place rather than dropped and built
    again. A new name in ``taken`` (in use before the change) is not moved to: the two
    renames could each wait for the other. Then the members left dropped and added."""
    pairs: list[tuple[str, str]] = []
    left = list(added)
    kept: list[_M] = []
    for member in dropped:
        match = next(
            (a for a in left if a.name not in taken and replace(member, name=a.name) == a),
            None,
        )
        if match is None:
            kept.append(member)
            continue
        left.remove(match)
        pairs.append((member.name, match.name))
    return pairs, kept, left


def table_changes(
    before: Table, after: Table, index_names: Collection[str] | None = None
) -> list[Operation]:
    """The operations that turn ``before`` into ``after`` (same table name), grouped in
    the order they can run in. ``index_names`` are the names of every index of the
    schema ``before`` belongs to (index names share one namespace across tables); the
    table's own by default."""
    name = after.name
    drop_fks, add_fks = _changed(before.foreign_keys, after.foreign_keys)
    drop_checks, add_checks = _changed(before.checks, after.checks)
    drop_indexes, add_indexes = _changed(before.indexes, after.indexes)
    constraints = {fk.name for fk in before.foreign_keys} | {c.name for c in before.checks}
    indexes = {i.name for i in before.indexes} if index_names is None else index_names
    moved_fks, drop_fks, add_fks = _moved(drop_fks, add_fks, constraints)
    moved_checks, drop_checks, add_checks = _moved(drop_checks, add_checks, constraints)
    moved_indexes, drop_indexes, add_indexes = _moved(drop_indexes, add_indexes, indexes)
    old_columns = {c.name: c for c in before.columns}
    new_names = {c.name for c in after.columns}
    return [
        *(RenameIndex(name, old, new) for old, new in moved_indexes),
        *(RenameForeignKey(name, old, new) for old, new in moved_fks),
        *(RenameCheck(name, old, new) for old, new in moved_checks),
        *(DropForeignKey(name, fk) for fk in drop_fks),
        *(DropCheck(name, c) for c in drop_checks),
        *(DropIndex(name, i) for i in drop_indexes),
        *(DropColumn(name, c) for c in before.columns if c.name not in new_names),
        *(
            AlterColumn(name, old_columns[c.name], c)
            for c in after.columns
            if c.name in old_columns and old_columns[c.name] != c
        ),
        *(AddColumn(name, c) for c in after.columns if c.name not in old_columns),
        *(AddIndex(name, i) for i in add_indexes),
        *(AddCheck(name, c) for c in add_checks),
        *(AddForeignKey(name, fk) for fk in add_fks),
    ]


def _needs_fill(op: Operation) -> Column | None:
    """The column that existing rows must fill when ``op`` runs, if any."""
    if isinstance(op, AddColumn):
        column = op.column
    elif isinstance(op, AlterColumn) and op.before.nullable:
        column = op.after
    else:
        return None
    if column.nullable or column.default is not None or column.autoincrement:
        return None
    return column


def _with_fill(op: Operation, fill: Fill | None) -> Operation:
    column = _needs_fill(op)
    if column is None:
        return op
    assert isinstance(op, (AddColumn, AlterColumn))
    value = fill(op.table, column.name) if fill is not None else None
    if value is None:
        raise ModelError(
            f"{op.table}.{column.name} is NOT NULL without a default, and existing rows "
            "need a value. Give the field a default=..., make it nullable, or run make "
            "migration on a terminal to enter a one-off value."
        )
    if isinstance(op, AddColumn):
        return AddColumn(op.table, op.column, value)
    return AlterColumn(op.table, op.before, op.after, value)


def diff(
    current: Schema,
    target: Schema,
    *,
    hints: RenameHints | None = None,
    ask: Callable[[str], bool] | None = None,
    fill: Fill | None = None,
) -> DiffResult:
    """The operations that turn ``current`` into ``target``, in an order valid to run.

    Renames come from ``hints`` or, for a dropped and an added table with the same
    columns, or a dropped and an added column of the same kind, from ``ask`` (given a
    question ending in ``[y/N]``); without either, a drop and an add are written and a
    warning names the possible rename. A column that becomes NOT NULL without a default
    on a table that already has rows gets ``fill(table, column)``, a one-off SQL value;
    when ``fill`` is missing or gives None, :class:`ModelError` says how to proceed.
    """
    plan = plan_renames(current, target, hints, ask)
    renames = plan.operations()
    renamed = apply_all(current, renames)
    index_names = {i.name for t in renamed.tables.values() for i in t.indexes}
    changes: list[Operation] = []
    for name in sorted(set(renamed.tables) | set(target.tables)):
        before, after = renamed.table(name), target.table(name)
        if before is None:
            assert after is not None
            changes.append(CreateTable(after))
        elif after is None:
            changes.append(DropTable(before))
        elif before != after:
            changes.extend(_with_fill(op, fill) for op in table_changes(before, after, index_names))
    return DiffResult(order_operations([*renames, *changes]), plan.warnings)
