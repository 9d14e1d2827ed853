"""``check``: do models, migration files and database agree?"""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.diff.operations import (
    AddColumn,
    AlterColumn,
    DropColumn,
    Operation,
    RenameColumn,
)
from schemashift.migrations.files import MigrationFile, list_migrations
from schemashift.migrations.history import replay_sources
from schemashift.project import Project
from schemashift.schema.record import Record
from schemashift.schema.values import Schema

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

CAUSES = ("model_change", "pending", "edited", "missing_file", "database_drift")


class Difference(Record):
    """One disagreement and its cause (one of :data:`CAUSES`)."""

    __slots__ = ("cause", "column", "detail", "index", "migration", "table")
    cause: Final[str]
    detail: Final[str]
    #: The table, column, index and migration it is about, where they apply.
    table: Final[str | None]
    column: Final[str | None]
    index: Final[str | None]
    migration: Final[str | None]

    def __init__(
        self,
        cause: str,
        detail: str,
        table: str | None = None,
        column: str | None = None,
        index: str | None = None,
        migration: str | None = None,
    ) -> None:
        self.cause = cause
        self.detail = detail
        self.table = table
        self.column = column
        self.index = index
        self.migration = migration

    def fields(self) -> dict[str, str]:
        """The JSON form: cause, detail and whichever of the others apply."""
        found = {"cause": self.cause, "detail": self.detail}
        for key in ("table", "column", "index", "migration"):
            value = getattr(self, key)
            if value is not None:
                found[key] = value
        return found


def _column_of(op: Operation) -> str | None:
    """The column an operation changes, if it changes one."""
    if isinstance(op, (AddColumn, DropColumn)):
        return op.column.name
    if isinstance(op, AlterColumn):
        return op.after.name
    if isinstance(op, RenameColumn):
        return op.new
    return None


def model_changes(project: Project, history: Schema | None = None) -> list[Difference]:
    """Model changes that no migration makes yet. ``history`` is the schema the
    migrations produce, when some of them come from the database (default: the files)."""
    from schemashift.generate.make import placeholder_fill, plan, target_schema

    if history is None:
        _, operations, _ = plan(project, fill=placeholder_fill)
    else:
        from schemashift.diff.differ import diff

        target, hints = target_schema(project)
        operations = list(diff(history, target, hints=hints, fill=placeholder_fill).operations)
    return [
        Difference(
            "model_change",
            f"{op.describe()[2:]}: the models changed but no migration does this; run "
            "`schemashift make migration NAME`",
            table=op.table_name,
            column=_column_of(op),
        )
        for op in operations
    ]


def _without_ignored(schema: Schema, patterns: tuple[str, ...]) -> Schema:
    if not patterns:
        return schema
    from fnmatch import fnmatchcase

    return Schema(
        {n: t for n, t in schema.tables.items() if not any(fnmatchcase(n, p) for p in patterns)}
    )


def _replay(
    files: Sequence[MigrationFile], data: dict[str, bytes], names: set[str] | None = None
) -> Schema:
    """The schema ``files`` (only ``names`` when given) produce, reading each file's bytes
    from ``data`` if there, else from disk."""
    chosen = [f for f in files if names is None or f.name in names]
    sources = [data[f.name] if f.name in data else f.read_bytes() for f in chosen]
    return replay_sources(chosen, sources, Schema())


def check(project: Project, *, offline: bool = False) -> list[Difference]:
    """Every difference between models, migration files and (unless ``offline``) the
    database. Empty means all agree. Applied migrations whose file is missing but kept in
    the database count as present (nothing is written)."""
    if offline:
        return model_changes(project)
    # Only here: `check --offline` opens no database, and these modules bring the
    # executor, the tracking table's code and pathlib.
    from schemashift.migrations.squash import Squashes
    from schemashift.runtime.drift import drift
    from schemashift.runtime.executor import connection, integrity_problems, read_applied
    from schemashift.runtime.stored import clash_message, clashes, stored_copies

    files = list_migrations(project.settings.migrations_path)
    squashes = Squashes.of(files)
    with connection(project, create=False) as conn:
        applied = read_applied(project, conn)
        recorded = {r.name for r in applied}
        done = squashes.counted_applied(recorded)
        copies = stored_copies(project, conn, files, applied) if conn is not None else []
        kept = {c.file.name: c.data for c in copies}
        clashing = clashes(files, applied)
        # A pending file sharing its number with an applied one has no place in history
        # until it is renumbered.
        unplaced = {other for _, other in clashing}
        history = squashes.effective(
            sorted(
                [*(f for f in files if f.name not in unplaced), *(c.file for c in copies)],
                key=lambda f: (f.number, f.name),
            )
        )
        differences = model_changes(project, _replay(history, kept) if kept else None)
        for name, kind in integrity_problems(files, applied, project.url.dialect):
            if kind == "changed":
                text = f"{name} was edited after it was applied"
                differences.append(Difference("edited", text, migration=name))
            else:
                text = f"{name} is applied but its file is missing"
                differences.append(Difference("missing_file", text, migration=name))
        differences.extend(
            Difference(
                "pending",
                f"{f.name} is not applied yet; run `schemashift migrate`",
                migration=f.name,
            )
            for f in squashes.to_run(files, recorded)
        )
        differences.extend(
            Difference("pending", clash_message(name, other), migration=other)
            for name, other in clashing
        )
        if conn is not None:
            dialect = project.dialect
            expected = dialect.comparable(_replay(history, kept, done))
            live = _without_ignored(dialect.introspect(conn), project.settings.ignore_tables)
            differences.extend(
                Difference(
                    "database_drift",
                    f"{d.text} (changed by hand?)",
                    table=d.table,
                    column=d.member if d.kind == "column" else None,
                    index=d.member if d.kind == "index" else None,
                )
                for d in drift(expected, live)
            )
    return differences
