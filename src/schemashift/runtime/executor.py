"""Applying and rolling back migrations in atomic batches, under the migration lock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

from schemashift.errors import (
    DatabaseError,
    IntegrityError,
    MigrationFailed,
    MigrationFileError,
    SchemashiftError,
)
from schemashift.migrations.files import MigrationFile, list_migrations, resolve
from schemashift.runtime.connection import MigrationConnection
from schemashift.runtime.loader import LoadedMigration, load
from schemashift.runtime.recorder import AppliedRecord, Recorder

if TYPE_CHECKING:
    from schemashift.dialects.base import DBConnection
    from schemashift.runtime.project import Project


class Reporter:
    """Receives progress; the CLI prints it, the Python API ignores it."""

    def starting(self, name: str, direction: str, total: int, index: int) -> None:
        """A migration is about to run (``direction`` is ``"up"`` or ``"down"``)."""

    def finished(self, name: str, direction: str, duration_ms: int, fake: bool) -> None:
        """A migration ran (or was recorded with ``--fake``)."""

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the run."""

    def info(self, message: str) -> None:
        """A neutral note (a migration running outside the batch transaction...)."""

    def statements(self, name: str, direction: str, sql: Sequence[str]) -> None:
        """A dry run's statements for one migration."""


class RunResult:
    """What a migrate or rollback run did."""

    def __init__(self, *, dry_run: bool = False, fake: bool = False) -> None:
        self.names: list[str] = []
        self.batch: int | None = None
        self.duration_ms = 0
        self.dry_run = dry_run
        self.fake = fake
        #: Warnings also given to the reporter (out-of-order files...).
        self.warnings: list[str] = []
        #: A dry run's statements, by migration name.
        self.sql: dict[str, list[str]] = {}
        #: The initial migration recorded without running, its tables being there already.
        self.adopted: str | None = None
        #: Applied files that were missing here, written back from the database.
        self.restored: list[str] = []

    def __repr__(self) -> str:
        return f"RunResult(names={self.names!r}, batch={self.batch!r})"


class StatusRow(NamedTuple):
    """One line of ``migrate --status``."""

    name: str
    applied: bool
    batch: int | None
    applied_at: str | None
    checksum_ok: bool | None
    file_missing: bool
    #: The file is missing here, but the database keeps its text (written back by the
    #: next ``migrate`` or ``evolve``).
    from_database: bool = False


def _ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


def read_applied(project: Project, conn: DBConnection | None) -> list[AppliedRecord]:
    """The tracking table's rows (none when there is no database yet)."""
    if conn is None:
        return []
    return Recorder(conn, project.dialect).applied()


def status_rows(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRecord]
) -> list[StatusRow]:
    """Files and records merged, by number."""
    by_name = {r.name: r for r in applied}
    rows: list[StatusRow] = []
    names = {f.name: f for f in files}
    for f in files:
        rec = by_name.get(f.name)
        if rec is None:
            rows.append(StatusRow(f.name, False, None, None, None, False))
        else:
            rows.append(
                StatusRow(
                    f.name, True, rec.batch, rec.applied_at, f.checksum() == rec.checksum, False
                )
            )
    for rec in applied:
        if rec.name not in names:
            rows.append(
                StatusRow(rec.name, True, rec.batch, rec.applied_at, None, True, rec.stored)
            )
    rows.sort(key=lambda r: (int(r.name.split("_", 1)[0]), r.name))
    return rows


@contextmanager
def connection(project: Project, *, create: bool) -> Iterator[DBConnection | None]:
    """A connection, or None when the database does not exist and must not be created.
    After a failure, the dialect removes a database that this connection created (and
    nothing else)."""
    dialect = project.dialect
    if not create and not dialect.database_exists(project.url):
        yield None
        return
    conn = dialect.connect(project.url, create=create)
    statement_timeout = project.settings.statement_lock_timeout
    if statement_timeout is not None and hasattr(conn, "lock_timeout"):
        # PostgreSQL: how long each statement of a batch may wait for a table lock.
        conn.lock_timeout = statement_timeout
    try:
        yield conn
    except BaseException:
        conn.close()
        dialect.remove_created(conn)
        raise
    else:
        conn.close()


def status(project: Project) -> list[StatusRow]:
    """Every migration with its state; never creates or changes anything."""
    files = project.files
    with connection(project, create=False) as conn:
        applied = read_applied(project, conn)
    return status_rows(files, applied)


def integrity_problems(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRecord]
) -> list[tuple[str, str]]:
    """``(name, "changed" | "missing")`` for each applied migration whose file was edited
    since it was applied, or is gone with no copy in the database (one with a copy is
    written back, so it is no problem)."""
    by_name = {f.name: f for f in files}
    problems = []
    for rec in applied:
        f = by_name.get(rec.name)
        if f is None:
            if not rec.stored:
                problems.append((rec.name, "missing"))
        elif f.checksum() != rec.checksum:
            problems.append((rec.name, "changed"))
    return problems


def _refuse_if_tampered(files: Sequence[MigrationFile], applied: Sequence[AppliedRecord]) -> None:
    problems = integrity_problems(files, applied)
    if problems:
        listed = "; ".join(
            f"{name} ({'edited since it was applied' if kind == 'changed' else 'file missing'})"
            for name, kind in problems
        )
        raise IntegrityError(
            "Applied migrations do not match their files: " + listed + ". Restore the files, "
            "or run `schemashift migrate --repair` once you have checked them. Nothing was "
            "changed."
        )


def select_pending(
    files: Sequence[MigrationFile],
    applied: Sequence[AppliedRecord],
    *,
    step: int | None = None,
    to: str | None = None,
) -> list[MigrationFile]:
    """The pending files to apply, by number, limited by ``step`` or ``to``."""
    done = {r.name for r in applied}
    pending = [f for f in files if f.name not in done]
    if to is not None:
        target = resolve(to, [f.name for f in files])
        if target in done:
            return []
        number = next(f.number for f in files if f.name == target)
        pending = [f for f in pending if f.number <= number]
    if step is not None:
        pending = pending[:step]
    return pending


#: ``--rollback --to`` values meaning "before the first migration" (``zero`` as Django).
ZERO = ("0", "0000", "zero")


def select_rollback(
    applied: Sequence[AppliedRecord], *, step: int | None = None, to: str | None = None
) -> list[AppliedRecord]:
    """The applied migrations to roll back, newest first (``to`` in :data:`ZERO`: all)."""
    newest_first = sorted(applied, key=lambda r: (r.batch, r.number), reverse=True)
    if to is not None and to.lower() in ZERO:
        return newest_first
    if to is not None:
        target = resolve(to, [r.name for r in applied])
        number = next(r.number for r in applied if r.name == target)
        return [r for r in newest_first if r.number > number]
    if step is not None:
        return newest_first[:step]
    if not newest_first:
        return []
    last = newest_first[0].batch
    return [r for r in newest_first if r.batch == last]


def _run_one(mig: LoadedMigration, direction: str, conn: MigrationConnection) -> int:
    start = time.perf_counter()
    func = mig.up if direction == "up" else mig.down
    if func is None:
        raise MigrationFailed(
            f"Migration {mig.file.name} has no down(conn) function, so it cannot be rolled "
            "back. Add one, or use --fake to forget it without running SQL. Nothing was changed."
        )
    try:
        func(conn)
    except SchemashiftError as exc:
        raise MigrationFailed(
            f"Migration {mig.file.name} ({direction}) failed: {exc.message} The batch was "
            "rolled back; nothing was changed.",
            details=f"Statement: {conn.last_statement}" if conn.last_statement else exc.details,
        ) from exc
    except Exception as exc:
        raise MigrationFailed(
            f"Migration {mig.file.name} ({direction}) failed: {type(exc).__name__}: {exc}. "
            "The batch was rolled back; nothing was changed.",
            details=f"Statement: {conn.last_statement}" if conn.last_statement else None,
        ) from exc
    return _ms(start)


def _segments(migs: Sequence[LoadedMigration]) -> list[list[LoadedMigration]]:
    """Consecutive atomic migrations share one transaction; a non-atomic one runs alone."""
    out: list[list[LoadedMigration]] = []
    for mig in migs:
        if mig.atomic and out and out[-1][0].atomic:
            out[-1].append(mig)
        else:
            out.append([mig])
    return out


def _execute(
    project: Project,
    conn: DBConnection,
    migs: Sequence[LoadedMigration],
    direction: str,
    batch: int,
    fake: bool,
    reporter: Reporter,
    adopted: str | None = None,
) -> None:
    dialect = project.dialect
    recorder = Recorder(conn, dialect)
    total = len(migs)
    index = 0
    for segment in _segments(migs):
        atomic = segment[0].atomic
        if not atomic and not fake:
            reporter.info(
                f"{segment[0].file.name} runs outside the batch transaction (atomic = False)."
            )
        scope = dialect.batch(conn) if atomic or fake else dialect.outside_batch(conn)
        # Reported once the segment has committed: a migration is not "applied" while a
        # later one in the same transaction can still roll it back.
        done: list[tuple[str, int, bool]] = []
        try:
            with scope:
                recorder.ensure()
                for mig in segment:
                    index += 1
                    reporter.starting(mig.file.name, direction, total, index)
                    mconn = MigrationConnection(conn, dialect.name)
                    skip = fake or mig.file.name == adopted
                    ms = 0 if skip else _run_one(mig, direction, mconn)
                    if direction == "up":
                        recorder.record(mig.file.name, batch, mig.checksum, ms, mig.source)
                    else:
                        recorder.forget(mig.file.name)
                    done.append((mig.file.name, ms, skip))
        except DatabaseError as exc:
            names = ", ".join(m.file.name for m in segment)
            raise DatabaseError(
                f"{exc.message} Migrations in the failed batch: {names}.", exc.details
            ) from exc
        for name, ms, skip in done:
            reporter.finished(name, direction, ms, skip)


def _dry_run(
    project: Project, migs: Sequence[LoadedMigration], direction: str, reporter: Reporter
) -> dict[str, list[str]]:
    statements: dict[str, list[str]] = {}
    for mig in migs:
        mconn = MigrationConnection(None, project.dialect.name, dry_run=True)
        _run_one(mig, direction, mconn)
        reporter.statements(mig.file.name, direction, mconn.statements)
        statements[mig.file.name] = mconn.statements
    return statements


@contextmanager
def locked(
    project: Project,
    *,
    dry_run: bool = False,
    lock_timeout: float | None = None,
    create: bool | None = None,
) -> Iterator[DBConnection | None]:
    """A connection holding the migration lock (None for a database that does not exist
    and may not be created: a dry run creates nothing and takes no lock). ``create``
    defaults to ``not dry_run``."""
    timeout = project.settings.lock_timeout if lock_timeout is None else lock_timeout
    with connection(project, create=not dry_run if create is None else create) as conn:
        if conn is None or dry_run:
            yield conn
            return
        with project.dialect.lock(conn, project.url, timeout):
            yield conn


def apply_pending(
    project: Project,
    conn: DBConnection | None,
    *,
    step: int | None = None,
    to: str | None = None,
    fake: bool = False,
    dry_run: bool = False,
    reporter: Reporter | None = None,
) -> RunResult:
    """Apply pending migrations as one batch through ``conn``, which holds the lock. The
    files are listed afresh, so a run that waited for the lock sees what the holder wrote."""
    reporter = reporter or Reporter()
    files = list_migrations(project.settings.migrations)
    result = RunResult(dry_run=dry_run, fake=fake)
    start = time.perf_counter()
    applied = read_applied(project, conn)
    if conn is not None and not dry_run:
        files = _write_back(project, conn, files, applied, result, reporter)
    _refuse_if_tampered(files, applied)
    pending = select_pending(files, applied, step=step, to=to)
    if not pending:
        return result
    highest = max((r.number for r in applied), default=0)
    for f in pending:
        if f.number < highest:
            warning = (
                f"{f.name} is numbered below an applied migration (merged from another "
                "branch?); applying it in this batch."
            )
            result.warnings.append(warning)
            reporter.warn(warning)
    migs = [load(f) for f in pending]
    result.batch = max((r.batch for r in applied), default=0) + 1
    result.names = [m.file.name for m in migs]
    if dry_run:
        result.sql = _dry_run(project, migs, "up", reporter)
    else:
        assert conn is not None
        adopted = None
        if not applied and not fake:
            from schemashift.runtime.adopt import adoptable

            found = adoptable(project, conn, pending)
            if found is not None:
                adopted = result.adopted = found.name
                reporter.info(
                    f"The tables of {adopted} already exist exactly as it declares them: "
                    "recording it as applied without running it."
                )
        project.dialect.send_warnings(conn, _warner(result, reporter))
        _execute(project, conn, migs, "up", result.batch, fake, reporter, adopted)
    result.duration_ms = _ms(start)
    return result


def _warner(result: RunResult, reporter: Reporter) -> Callable[[str], None]:
    """Where a batch's warnings go: the run's result and the reporter."""

    def warn(message: str) -> None:
        result.warnings.append(message)
        reporter.warn(message)

    return warn


def _write_back(
    project: Project,
    conn: DBConnection,
    files: list[MigrationFile],
    applied: Sequence[AppliedRecord],
    result: RunResult,
    reporter: Reporter,
) -> list[MigrationFile]:
    """Write back the applied files missing here; returns the files listed afresh."""
    from schemashift.runtime.stored import write_back

    written = write_back(project, conn, files, applied)
    if not written:
        return files
    root = project.settings.root
    for path in written:
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        reporter.info(
            f"Wrote {shown} back from the database: it is applied, but its file was missing here."
        )
        result.restored.append(path.stem)
    return list_migrations(project.settings.migrations)


def migrate(
    project: Project,
    *,
    step: int | None = None,
    to: str | None = None,
    fake: bool = False,
    dry_run: bool = False,
    lock_timeout: float | None = None,
    reporter: Reporter | None = None,
) -> RunResult:
    """Apply pending migrations as one batch, under the migration lock."""
    list_migrations(project.settings.migrations)  # refuse duplicates before connecting
    with locked(project, dry_run=dry_run, lock_timeout=lock_timeout) as conn:
        return apply_pending(
            project, conn, step=step, to=to, fake=fake, dry_run=dry_run, reporter=reporter
        )


def rollback(
    project: Project,
    *,
    step: int | None = None,
    to: str | None = None,
    fake: bool = False,
    dry_run: bool = False,
    lock_timeout: float | None = None,
    reporter: Reporter | None = None,
) -> RunResult:
    """Roll back the last batch (or ``step`` migrations, or everything after ``to``)."""
    reporter = reporter or Reporter()
    result = RunResult(dry_run=dry_run, fake=fake)
    start = time.perf_counter()
    with locked(project, dry_run=dry_run, lock_timeout=lock_timeout, create=False) as conn:
        if conn is None:
            return result
        # Listed under the lock, like apply_pending: the holder may have written files.
        files = list_migrations(project.settings.migrations)
        applied = read_applied(project, conn)
        if to is not None and to.lower() not in ZERO:
            _refuse_unapplied_target(to, files, applied)
        chosen = select_rollback(applied, step=step, to=to)
        if not chosen:
            return result
        by_name = {f.name: f for f in files}
        if not fake:
            _refuse_if_tampered(files, chosen)
        result.batch = chosen[0].batch
        result.names = [r.name for r in chosen]
        if fake:
            migs = [
                LoadedMigration(by_name[r.name], _noop, _noop, True, r.checksum)
                if r.name in by_name
                else _missing(project, r)
                for r in chosen
            ]
        else:
            migs = [
                load(by_name[r.name]) if r.name in by_name else _from_database(project, conn, r)
                for r in chosen
            ]
            for mig in migs:
                if mig.file.name not in by_name:
                    reporter.info(
                        f"{mig.file.name}: its file is missing, so its down() runs from the "
                        "copy kept in the database."
                    )
        if dry_run:
            result.sql = _dry_run(project, migs, "down", reporter)
        else:
            project.dialect.send_warnings(conn, _warner(result, reporter))
            _execute(project, conn, migs, "down", result.batch, fake, reporter)
    result.duration_ms = _ms(start)
    return result


def _refuse_unapplied_target(
    to: str, files: Sequence[MigrationFile], applied: Sequence[AppliedRecord]
) -> None:
    applied_names = [r.name for r in applied]
    try:
        resolve(to, applied_names)
    except MigrationFileError:
        name = resolve(to, [f.name for f in files] + applied_names)
        raise MigrationFileError(
            f"{name} is not applied, so --rollback --to cannot stop there. Give an applied "
            "migration (see `schemashift migrate --status`)."
        ) from None


def _noop(conn: object) -> None:
    return None


def _missing(project: Project, record: AppliedRecord) -> LoadedMigration:
    """A migration whose file is gone, to unrecord with ``--fake`` (nothing runs)."""
    from schemashift.runtime.stored import ghost

    file = ghost(record, project.settings.migrations)
    return LoadedMigration(file, _noop, _noop, True, record.checksum)


def _from_database(project: Project, conn: DBConnection, record: AppliedRecord) -> LoadedMigration:
    """A missing file loaded from the copy the tracking table keeps (``_refuse_if_tampered``
    has made sure there is one)."""
    from schemashift.runtime.stored import ghost

    data = Recorder(conn, project.dialect).source(record.name)
    assert data is not None
    return load(ghost(record, project.settings.migrations), data)
