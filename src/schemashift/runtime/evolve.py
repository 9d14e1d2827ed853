"""Auto-evolution: pending migrations, then additive model changes as a new file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from schemashift.diff.operations import (
    AddColumn,
    AddForeignKey,
    AddIndex,
    CreateTable,
    Operation,
)
from schemashift.runtime.executor import Reporter, apply_pending, locked
from schemashift.runtime.project import Project

AUTO_NAME = "auto_evolve"


@dataclass
class EvolveReport:
    """What :func:`evolve` did: migrations applied (names) and differences refused."""

    applied: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    written: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return not self.refused


def is_additive(op: Operation, operations: Sequence[Operation] = ()) -> bool:
    """New tables, new nullable or defaulted columns, new indexes: safe to apply alone.
    A foreign key counts when it closes a cycle between tables created alongside it."""
    if isinstance(op, (CreateTable, AddIndex)):
        return True
    if isinstance(op, AddForeignKey):
        created = {o.table_name for o in operations if isinstance(o, CreateTable)}
        return op.table in created
    if isinstance(op, AddColumn):
        col = op.column
        return op.fill is None and (col.nullable or col.default is not None) and not col.unique
    return False


def evolve(
    project: Project, *, lock_timeout: float | None = None, reporter: Reporter | None = None
) -> EvolveReport:
    """Apply pending migrations; then, if the models still differ only additively, write
    the difference as ``NNNN_auto_evolve.py`` and apply it. Everything happens under the
    migration lock, so several processes starting at once are safe."""
    from schemashift.migrations.maker import make_migration, placeholder_fill, plan

    report = EvolveReport()
    with locked(project, lock_timeout=lock_timeout) as conn:
        first = apply_pending(project, conn, reporter=reporter)
        report.applied.extend(first.names)
        fresh = Project(project.settings)
        _, operations, _ = plan(fresh, fill=placeholder_fill)
        if not operations:
            return report
        refused = [op for op in operations if not is_additive(op, operations)]
        if refused:
            report.refused = [op.describe()[2:] for op in refused]
            return report
        made = make_migration(fresh, AUTO_NAME)
        report.written = made.path.name if made.path else None
        second = apply_pending(fresh, conn, reporter=reporter)
        report.applied.extend(second.names)
    return report
