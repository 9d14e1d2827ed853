"""Auto-evolution: pending migrations, then additive model changes as a new file."""

from __future__ import annotations

# Nothing heavy is imported at run time: the start-up check (runtime.startup) returns
# an EvolveReport from here without needing the executor, the settings or the models.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from schemashift.dialects.base import DBConnection, Dialect
    from schemashift.diff.operations import Operation
    from schemashift.errors import SchemashiftError
    from schemashift.project import Project
    from schemashift.runtime.executor import Reporter
    from schemashift.schema.values import Schema

AUTO_NAME = "auto_evolve"

#: Why evolve may not write migration files in this process (set by the pytest plugin:
#: an application started by a test must never add files to the project), or None.
_no_files: str | None = None


def forbid_writing(reason: str) -> None:
    """Make :func:`evolve` in this process refuse model changes instead of writing them
    as a new migration file, saying ``reason``."""
    global _no_files
    _no_files = reason


class EvolveReport:
    """What :func:`evolve` did: migrations applied (names), differences refused (each with
    its reason), and applied files written back from the database."""

    __slots__ = ("applied", "refused", "restored", "written")

    def __init__(
        self,
        applied: list[str] | None = None,
        refused: list[str] | None = None,
        written: str | None = None,
        restored: list[str] | None = None,
    ) -> None:
        self.applied: list[str] = [] if applied is None else applied
        self.refused: list[str] = [] if refused is None else refused
        self.written = written
        self.restored: list[str] = [] if restored is None else restored

    def _values(self) -> tuple[list[str], list[str], str | None, list[str]]:
        return (self.applied, self.refused, self.written, self.restored)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EvolveReport):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"EvolveReport(applied={self.applied!r}, refused={self.refused!r}, "
            f"written={self.written!r}, restored={self.restored!r})"
        )

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return not self.refused


def refusal(op: Operation, operations: Sequence[Operation] = ()) -> str | None:
    """Why ``op`` is not additive and safe to apply unreviewed (None when it is), judged
    from the operations alone. A unique index on an existing table is accepted here and
    must pass :func:`duplicates` against the rows."""
    from schemashift.diff.operations import AddColumn, AddForeignKey, AddIndex, CreateTable

    created = {o.table_name for o in operations if isinstance(o, CreateTable)}
    if isinstance(op, (CreateTable, AddIndex)):
        return None
    if isinstance(op, AddForeignKey):
        # It closes a cycle between tables created alongside it; on an existing table the
        # rows may not satisfy it.
        return None if op.table in created else "existing rows may not satisfy a new foreign key"
    if isinstance(op, AddColumn):
        col = op.column
        if op.fill is not None or not (col.nullable or col.default is not None):
            return "a NOT NULL column without a default needs a value for the existing rows"
        return None
    if op.destructive:
        return "it can lose data"
    return "it changes what exists; only new tables, columns and indexes are additive"


def duplicates(
    dialect: Dialect, conn: DBConnection, op: Operation, operations: Sequence[Operation]
) -> str | None:
    """Why the live rows refuse ``op``, a new unique index or unique column (None when
    they do not, or when ``op`` adds no uniqueness to an existing table)."""
    from schemashift.diff.operations import AddColumn, AddIndex, CreateTable

    created = {o.table_name for o in operations if isinstance(o, CreateTable)}
    if op.table_name in created:
        return None
    added = {
        o.column.name: o.column
        for o in operations
        if isinstance(o, AddColumn) and o.table == op.table_name
    }
    if isinstance(op, AddColumn) and op.column.unique:
        columns: tuple[str, ...] = (op.column.name,)
    elif isinstance(op, AddIndex) and op.index.unique:
        columns = op.index.columns
    else:
        return None
    # A new column holds NULL in every existing row (rows a unique index tells apart) or
    # else its default (the same value in every row, telling none apart).
    if any(c in added and added[c].default is None for c in columns):
        return None
    existing = [c for c in columns if c not in added]
    q = dialect.quote
    table = q(op.table_name)
    if not existing:
        rows = conn.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT 2) AS r")
        if rows.fetchone()[0] < 2:
            return None
        return (
            f"every existing row of {op.table_name} would get the same default value, which "
            "a unique column refuses"
        )
    listed = ", ".join(q(c) for c in existing)
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in existing)
    found = conn.execute(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {present} GROUP BY {listed} "
        "HAVING COUNT(*) > 1) AS d"
    ).fetchone()[0]
    if not found:
        return None
    what = existing[0] if len(existing) == 1 else f"({', '.join(existing)})"
    return (
        f"{found} value(s) of {op.table_name}.{what} occur in more than one row; remove the "
        "duplicates first"
    )


def long_locks(dialect: Dialect, operations: Sequence[Operation], current: Schema) -> list[str]:
    """The statements of ``operations`` that would make the application wait (a lock
    note of the dialect, e.g. a plain CREATE INDEX on a PostgreSQL table in use): at
    start-up, with no one reviewing, evolve applies none of them."""
    from schemashift.dialects.base import Comment

    return [
        f"{step.text.removeprefix('NOTE: ')} At start-up evolve applies only changes that "
        'take no long lock (evolve_locks = "safe"): run `schemashift make migration NAME` '
        'and review it, or set evolve_locks = "any"'
        for step in dialect.render(operations, current)
        if isinstance(step, Comment) and step.text.startswith("NOTE: ")
    ]


def evolve(
    project: Project, *, lock_timeout: float | None = None, reporter: Reporter | None = None
) -> EvolveReport:
    """Apply pending migrations (writing back applied files missing here); then, if the
    models still differ only additively and safely, write the difference as
    ``NNNN_auto_evolve.py`` and apply it, or delete the file again if applying it fails.
    Everything happens under the migration lock, so several processes starting at once
    are safe: one writes and applies, the others get the file written back."""
    from schemashift.errors import SchemashiftError
    from schemashift.project import Project
    from schemashift.runtime import fingerprint
    from schemashift.runtime.executor import apply_pending, locked
    from schemashift.runtime.recorder import META_TABLE, Recorder

    report = EvolveReport()
    with locked(project, lock_timeout=lock_timeout) as conn:
        assert conn is not None  # not a dry run, so the database is created if missing
        first = apply_pending(project, conn, reporter=reporter)
        report.applied.extend(first.names)
        report.restored.extend(first.restored)
        fresh = Project(project.settings)
        recorder = Recorder(conn, project.dialect)
        if not first.names:
            # Nothing ran: the files and records apply_pending read are still current.
            fresh.files = first.files
        # apply_pending refused any applied file that differs from its record.
        records = first.records if not first.names else recorder.applied()
        known = {r.name: r.checksum for r in records}
        recorded = recorder.meta_value(fingerprint.KEY)
        dialect_name = project.url.dialect
        if fingerprint.matches(recorded, fresh.settings, dialect_name, fresh.files, known):
            # The same files, model code and schemashift as when a full comparison last
            # found nothing to do: it would find nothing again.
            return report
        from schemashift.generate.make import placeholder_fill, plan

        current, operations, _ = plan(fresh, fill=placeholder_fill)
        if not operations:
            value = fingerprint.record_value(fresh.settings, dialect_name, fresh.files, known)
            if value is not None and value != recorded and recorder.exists(META_TABLE):
                recorder.set_meta_value(fingerprint.KEY, value)
            return report
        dialect = project.dialect
        for op in operations:
            reason = refusal(op, operations) or duplicates(dialect, conn, op, operations)
            if reason is not None:
                report.refused.append(f"{op.describe()[2:]}: {reason}")
        online = project.settings.evolve_locks != "any"
        built = concurrent_indexes(fresh, operations) if online else []
        rest = [op for op in operations if op not in built]
        if not report.refused and online:
            report.refused.extend(long_locks(dialect, rest, current))
        if not report.refused and _no_files is not None:
            report.refused.extend(f"{op.describe()[2:]}: {_no_files}" for op in operations)
        if report.refused:
            return report
        written = _write(fresh, current, rest, built)
        report.written = written[0].name
        try:
            second = apply_pending(Project(fresh.settings), conn, reporter=reporter)
        except BaseException as exc:
            applied = {r.name for r in Recorder(conn, dialect).applied()}
            removed = [p for p in written if p.stem not in applied]
            for path in removed:
                path.unlink(missing_ok=True)
            if isinstance(exc, SchemashiftError) and removed:
                kept = [*first.names, *(p.stem for p in written if p.stem in applied)]
                message = _failed(removed[0].name, kept, exc)
                raise type(exc)(message, exc.details) from exc
            raise
        report.applied.extend(second.names)
    return report


def concurrent_indexes(project: Project, operations: Sequence[Operation]) -> list[Operation]:
    """The new indexes on existing tables among ``operations`` that the database can
    build without blocking writes (PostgreSQL's ``CREATE INDEX CONCURRENTLY``), when the
    files carry one database's SQL: evolve writes them in an ``atomic = False`` file of
    their own instead of refusing them for the lock a plain build takes."""
    from schemashift.diff.operations import AddIndex, CreateTable

    if not project.dialect.concurrent_index or len(project.generated_dialects) > 1:
        return []
    created = {o.table_name for o in operations if isinstance(o, CreateTable)}
    return [op for op in operations if isinstance(op, AddIndex) and op.table not in created]


def _write(
    project: Project, current: Schema, rest: Sequence[Operation], built: Sequence[Operation]
) -> list[Path]:
    """Write ``rest`` as ``NNNN_auto_evolve.py`` and then ``built`` (indexes) as
    ``NNNN_auto_evolve_index.py``, built CONCURRENTLY; returns the paths written."""
    from schemashift.diff.operations import apply_all
    from schemashift.generate.make import write_migration
    from schemashift.project import Project

    written = []
    if rest:
        written.append(write_migration(project, AUTO_NAME, current, rest).path)
    if built:
        after = apply_all(current, rest)
        name = f"{AUTO_NAME}_index" if rest else AUTO_NAME
        made = write_migration(Project(project.settings), name, after, built, concurrently=True)
        written.append(made.path)
    return [path for path in written if path is not None]


def _failed(filename: str, applied: Sequence[str], exc: SchemashiftError) -> str:
    kept = (
        f" The pending migrations applied before it stay applied: {', '.join(applied)}."
        if applied
        else ""
    )
    return (
        f"evolve wrote {filename} for the model changes, but applying it failed, so it "
        f"deleted the file again; fix the cause, or write a reviewed migration with "
        f"`schemashift make migration NAME`.{kept} {exc.message}"
    )
