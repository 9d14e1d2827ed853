"""Applying and rolling back migrations in atomic batches, under the migration lock."""

from __future__ import annotations

import time
from contextlib import contextmanager
from functools import partial

from schemashift.errors import (
    DatabaseError,
    IntegrityError,
    MigrationFailed,
    MigrationFileError,
    SchemashiftError,
)
from schemashift.migrations.files import MigrationFile, list_migrations, resolve
from schemashift.records import NamedTuple
from schemashift.runtime.connection import MigrationConnection
from schemashift.runtime.recorder import AppliedRecord, Recorder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from typing import Any

    from schemashift.dialects.base import Cursor, DBConnection
    from schemashift.project import Project
    from schemashift.runtime.loader import LoadedMigration


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
        #: Why nothing ran although migrations are pending (``--to`` an applied one).
        self.note: str | None = None
        #: The migration files and tracking records the run started from (after writing
        #: back missing files), so that a caller need not read them again.
        self.files: list[MigrationFile] = []
        self.records: list[AppliedRecord] = []

    def __repr__(self) -> str:
        return f"RunResult(names={self.names!r}, batch={self.batch!r})"


def _ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)


def read_applied(project: Project, conn: DBConnection | None) -> list[AppliedRecord]:
    """The tracking table's rows (none when there is no database yet)."""
    if conn is None:
        return []
    return Recorder(conn, project.dialect).applied()


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
    if statement_timeout is not None:
        # How long each statement of a batch may wait for a table lock.
        dialect.set_statement_lock_timeout(conn, statement_timeout)
    try:
        yield conn
    except BaseException as exc:
        conn.close()
        # A run that committed part of its batch before failing keeps the file it made.
        if not getattr(exc, "changed_database", False):
            dialect.remove_created(conn)
        raise
    else:
        conn.close()


def integrity_problems(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRecord], dialect: str
) -> list[tuple[str, str]]:
    """``(name, "changed" | "missing")`` for each applied migration whose file was edited
    since it was applied, or is gone with no copy in the database (one with a copy is
    written back, so it is no problem) and no squash replacing it."""
    from schemashift.migrations.squash import Squashes

    by_name = {f.name: f for f in files}
    squashes = Squashes.of(files)
    problems = []
    for rec in applied:
        f = by_name.get(rec.name)
        if f is None:
            if not rec.stored and squashes.replaced_by(rec.name) is None:
                problems.append((rec.name, "missing"))
        elif f.checksum(dialect) != rec.checksum:
            problems.append((rec.name, "changed"))
    return problems


def refuse_if_failed(applied: Sequence[AppliedRecord]) -> None:
    """Refuse to go on while a migration that failed part-way is recorded: the schema is
    between two states that no migration file describes."""
    for rec in applied:
        if rec.failed is None:
            continue
        ran = "".join(f"\n  {sql}" for sql in rec.failed) or "\n  (none)"
        if rec.interrupted is not None:
            _refuse_interrupted(rec, ran)
        if rec.rollback:
            raise MigrationFailed(
                f"The rollback of {rec.name} failed part-way and it is recorded as failed: "
                f"{len(rec.failed)} of the statements of its down() took effect (listed "
                "below), because this database commits each DDL statement on its own. "
                "Finish the rollback by hand (the rest of its down()), then run "
                f"`schemashift migrate --repair {rec.name}` to forget its record; or undo "
                f"them, `--repair` it and run `schemashift migrate --fake --to {rec.name}`. "
                "Nothing was changed.",
                f"Took effect from the down() of {rec.name}:{ran}",
            )
        raise MigrationFailed(
            f"{rec.name} failed part-way on {rec.applied_at} UTC and is recorded as failed: "
            f"{len(rec.failed)} of its statements took effect (listed below), because this "
            "database commits each DDL statement on its own. Undo them by hand, then run "
            f"`schemashift migrate --repair {rec.name}` to forget the failed record and "
            "`schemashift migrate` again; nothing was changed.",
            f"Took effect from {rec.name}:{ran}",
        )


def _refuse_interrupted(rec: AppliedRecord, ran: str) -> None:
    """Refuse after a run that ended (killed, its connection lost) while applying
    ``rec``: its record says which statements took effect, and which may have."""
    assert rec.interrupted is not None
    more, running = rec.interrupted.more, rec.interrupted.running
    count = len(rec.failed or ()) + more
    if more:
        ran += f"\n  (and {more} more statements after these)"
    of = f"the down() of {rec.name}" if rec.rollback else rec.name
    details = f"Took effect from {of}:{ran}"
    if running is not None:
        details += f"\nMay have taken effect (it was running when the run ended):\n  {running}"
    maybe = " and the one that was running may have too" if running is not None else ""
    if rec.rollback:
        raise MigrationFailed(
            f"{rec.name} was being rolled back when the run ended (killed, or its connection "
            f"lost), and is recorded as failed: {count} of the statements of its down() took "
            f"effect{maybe}, listed below, because this database commits each DDL statement "
            "on its own. Check the database and finish the rollback by hand, then run "
            f"`schemashift migrate --repair {rec.name}` to forget its record; or undo them, "
            f"`--repair` it and run `schemashift migrate --fake --to {rec.name}`. Nothing "
            "was changed.",
            details,
        )
    raise MigrationFailed(
        f"{rec.name} was being applied on {rec.applied_at} UTC when the run ended (killed, "
        f"or its connection lost), and is recorded as failed: {count} of its statements "
        f"took effect{maybe}, listed below, because this database commits each DDL "
        "statement on its own. Check the database and undo them by hand, then run "
        f"`schemashift migrate --repair {rec.name}` to forget the failed record and "
        "`schemashift migrate` again; nothing was changed.",
        details,
    )


def _refuse_if_tampered(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRecord], dialect: str
) -> None:
    problems = integrity_problems(files, applied, dialect)
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
    """The pending files to apply, by number, limited by ``step`` or ``to``. A squash runs
    instead of the migrations it replaces on a database that applied none of them."""
    from schemashift.migrations.squash import Squashes

    done = {r.name for r in applied}
    squashes = Squashes.of(files)
    pending = squashes.to_run(files, done)
    done = squashes.counted_applied(done)
    if to is not None:
        target = resolve(to, [f.name for f in files])
        number = next(f.number for f in files if f.name == target)
        # An applied target still lets a pending file numbered below it (merged from
        # another branch) be applied: the run goes up to and including the target.
        pending = [f for f in pending if f.number <= number]
    if step is not None:
        pending = pending[:step]
    return pending


#: ``--rollback --to`` values meaning "before the first migration" (``zero`` as Django).
ZERO = ("0", "0000", "zero")


def target_reached(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRecord], to: str
) -> str:
    """Why ``migrate --to`` has nothing to do: its target is applied. Says what is pending
    after it, and how to go back to it when later migrations are applied."""
    target = resolve(to, [f.name for f in files])
    number = next(f.number for f in files if f.name == target)
    done = {r.name for r in applied}
    later_applied = [r.name for r in sorted(applied, key=lambda r: r.number) if r.number > number]
    later_pending = [f.name for f in files if f.name not in done and f.number > number]
    text = f"Nothing to migrate up to {target}: it is applied"
    if later_applied:
        text += f", and so are later migrations ({', '.join(later_applied)})"
    text += "."
    if later_pending:
        text += (
            f" Pending after it: {', '.join(later_pending)} (run `schemashift migrate` to "
            "apply them)."
        )
    if later_applied:
        text += f" To go back to {target}, run `schemashift migrate --rollback --to {target}`."
    return text


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


class _Watched(MigrationConnection):
    """The ``conn`` a migration receives, noting which of its statements took effect and
    which one raised, so that a failure names the right statement (or the line of
    Python that raised) and says what a migration outside a transaction left done."""

    def __init__(self, db: DBConnection | None, dialect: str, *, dry_run: bool = False) -> None:
        super().__init__(db, dialect, dry_run=dry_run)
        self.succeeded: list[str] = []
        self.failed: tuple[str, BaseException] | None = None
        #: Called before each statement with the statements that succeeded so far.
        self.before: Callable[[Sequence[str], str], None] | None = None

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Cursor:
        if self.before is not None:
            self.before(self.succeeded, sql)
        try:
            cursor = super().execute(sql, params)
        except Exception as exc:
            self.failed = (sql, exc)
            raise
        self.succeeded.append(sql)
        return cursor


def _run_one(mig: LoadedMigration, direction: str, conn: _Watched) -> int:
    """Run one migration's ``up`` or ``down``. A failure is a MigrationFailed that says
    what failed, but not yet what the batch left behind: the caller adds that."""
    start = time.perf_counter()
    func = mig.up if direction == "up" else mig.down
    assert func is not None, "migrations without down() are refused before running"
    try:
        func(conn)
    except Exception as exc:
        name = mig.file.name
        if conn.failed is not None and conn.failed[1] is exc:
            # A statement raised: the database's own message, and the statement.
            raise MigrationFailed(
                f"Migration {name} ({direction}) failed: {_described(exc)}",
                details=f"Statement: {conn.failed[0]}",
            ) from exc
        # Python code raised (the migration's own, or a check of schemashift's that it
        # called): the exception and the line of the file, not the last statement run.
        own = exc.details if isinstance(exc, SchemashiftError) else None
        from schemashift.runtime.loader import raising_line

        line = raising_line(mig.file, exc)
        if line is None:
            raise MigrationFailed(
                f"Migration {name} ({direction}) failed: {_described(exc)}", own
            ) from exc
        number, text = line
        where = f"{mig.file.path}, line {number}: {text}"
        raise MigrationFailed(
            f"Migration {name} ({direction}) failed at line {number}: {_described(exc)}",
            details=where if own is None else f"{where}\n{own}",
        ) from exc
    return _ms(start)


def _described(exc: BaseException) -> str:
    """``Type: message.`` of an exception raised by a driver or by Python code (the
    message of schemashift's own errors stands alone)."""
    if isinstance(exc, SchemashiftError):
        return exc.message
    said = str(exc).strip()
    text = f"{type(exc).__name__}: {said}" if said else type(exc).__name__
    return text if text.endswith((".", "!", "?")) else text + "."


def _refuse_without_down(migs: Sequence[LoadedMigration]) -> None:
    for mig in migs:
        if mig.down is None:
            raise MigrationFailed(
                f"Migration {mig.file.name} has no down(conn) function, so it cannot be "
                "rolled back. Add one, or use --fake to forget it without running SQL. "
                "Nothing was changed."
            )


def _segments(migs: Sequence[LoadedMigration]) -> list[list[LoadedMigration]]:
    """Consecutive atomic migrations share one transaction; a non-atomic one runs alone."""
    out: list[list[LoadedMigration]] = []
    for mig in migs:
        if mig.atomic and out and out[-1][0].atomic:
            out[-1].append(mig)
        else:
            out.append([mig])
    return out


class _Failure(NamedTuple):
    """Where a run stopped: what earlier transactions committed, the migration that was
    running, and which of its statements took effect outside a transaction."""

    direction: str
    batch: int
    committed: list[str]
    not_done: list[str]
    running: str | None
    atomic: bool
    took_effect: list[str]
    #: Whether the database has transactional DDL (else each migration ran on its own).
    transactional: bool = True
    #: Whether the partly run migration was recorded as failed.
    recorded_failed: bool = False
    #: Whether its record, written before it ran, could not be settled (the connection
    #: was lost): it stays recorded as failed, the running statement in doubt.
    left_recorded: bool = False

    @property
    def changed_database(self) -> bool:
        return bool(self.committed or self.took_effect)


def _outcome(failure: _Failure) -> tuple[str, str | None]:
    """What the failed run left behind, for the user: sentences for the message, and
    the statements that took effect (for the details)."""
    running = failure.running
    if not failure.transactional:
        return _outcome_without_transactions(failure)
    if not failure.changed_database:
        if failure.atomic:
            return "The batch was rolled back; nothing was changed.", None
        return (
            f"Nothing was changed: {running} runs outside a transaction (atomic = False) "
            "and none of its statements took effect.",
            None,
        )
    up = failure.direction == "up"
    if failure.atomic:
        sentences = [
            "Its transaction was rolled back, but earlier parts of the batch had been committed."
        ]
    elif failure.took_effect:
        state = "partly applied and not recorded" if up else "partly rolled back and still recorded"
        sentences = [
            f"{running} runs outside a transaction (atomic = False) and "
            f"{len(failure.took_effect)} of its statements had already taken effect (listed "
            f"below): it is {state}."
        ]
    else:
        sentences = [
            f"{running} runs outside a transaction (atomic = False) and none of its "
            "statements took effect."
        ]
    names = ", ".join(failure.committed)
    if not failure.committed:
        sentences.append("Nothing else of the batch was committed.")
    elif up:
        sentences.append(f"Applied (batch {failure.batch}): {names}.")
    else:
        sentences.append(f"Rolled back: {names}.")
    if failure.not_done:
        sentences.append(
            f"{'Not applied' if up else 'Still applied'}: {', '.join(failure.not_done)}."
        )
    command = "schemashift migrate" + ("" if up else " --rollback")
    if failure.took_effect:
        sentences.append(
            f"Undo those statements (or make {running} safe to run again), then run "
            f"`{command}` again."
        )
    else:
        sentences.append(f"Fix the failure, then run `{command}` again.")
    took = "".join(f"\n  {sql}" for sql in failure.took_effect)
    return " ".join(sentences), f"Took effect from {running}:{took}" if took else None


def _outcome_without_transactions(failure: _Failure) -> tuple[str, str | None]:
    """What a run on a database without transactional DDL left behind: the migrations
    before the failing one stay applied, and the failing one is recorded as failed when
    some of its statements took effect."""
    running = failure.running
    up = failure.direction == "up"
    sentences: list[str] = []
    if failure.committed:
        done = "Applied" if up else "Rolled back"
        sentences.append(f"{done} before it: {', '.join(failure.committed)}.")
    count = len(failure.took_effect)
    if failure.left_recorded and up:
        sentences.append(
            f"The connection was lost, so the record of {running} (written before it ran) "
            f"could not be updated: it stays recorded as failed, with {count} of its "
            "statements taken effect (listed below) and the one that was running in "
            "doubt. Check the database and undo what took effect by hand, then run "
            f"`schemashift migrate --repair {running}` and `schemashift migrate` again."
        )
    elif failure.left_recorded:
        sentences.append(
            f"The connection was lost, so the record of {running} (marked before its down() "
            f"ran) could not be updated: it stays recorded as failed, with {count} of its "
            "down() statements taken effect (listed below) and the one that was running in "
            "doubt. Check the database and finish the rollback by hand, then run "
            f"`schemashift migrate --repair {running}` to forget its record."
        )
    elif failure.recorded_failed and up:
        sentences.append(
            f"This database commits each DDL statement on its own, and {count} "
            f"of the statements of {running} had already taken effect (listed below): it is "
            "recorded as failed, and `schemashift migrate` refuses to run until that is "
            f"resolved. Undo those statements by hand, then run `schemashift migrate --repair "
            f"{running}` and `schemashift migrate` again."
        )
    elif failure.recorded_failed:
        sentences.append(
            f"This database commits each DDL statement on its own, and {count} of the "
            f"statements of the down() of {running} had already taken effect (listed below): "
            "it is recorded as failed, partly rolled back, and `schemashift migrate` refuses "
            "to run until that is resolved. Finish the rollback by hand (the rest of its "
            f"down()), then run `schemashift migrate --repair {running}` to forget its "
            f"record; or undo those statements, then `--repair` it and run `schemashift "
            f"migrate --fake --to {running}`."
        )
    else:
        sentences.append(f"None of the statements of {running} took effect.")
        command = "schemashift migrate" + ("" if up else " --rollback")
        sentences.append(f"Fix the failure, then run `{command}` again.")
    if failure.not_done:
        sentences.append(
            f"{'Not applied' if up else 'Still applied'}: {', '.join(failure.not_done)}."
        )
    took = "".join(f"\n  {sql}" for sql in failure.took_effect)
    return " ".join(sentences), f"Took effect from {running}:{took}" if took else None


def _settle_started(
    recorder: Recorder, name: str, took_effect: list[str], rollback: bool
) -> bool | None:
    """After ``name`` failed, its record written before it ran: failed with the
    statements that took effect (True), or else as it was before the run (False):
    forgotten, or applied again after a ``rollback``; None when the connection is gone
    and the record stays as it was."""
    try:
        if took_effect:
            recorder.record_failed(name, took_effect, rollback=rollback)
            return True
        if rollback:
            recorder.restore_applied(name)
        else:
            recorder.forget(name)
    except DatabaseError:
        return None
    return False


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
    if direction == "down" and not fake:
        _refuse_without_down(migs)
    # Names of the migrations whose transaction (or non-atomic run) has committed.
    committed: list[str] = []
    transactional = dialect.transactional_ddl
    # Without transactional DDL nothing can hold a batch together: each migration runs
    # and is recorded on its own, as failed before its first statement, so that a run
    # that ends without a word (killed) leaves a record of what took effect.
    segments = _segments(migs) if transactional else [[m] for m in migs]
    started = not transactional and not fake
    down = direction == "down"
    for segment in segments:
        atomic = (segment[0].atomic and transactional) or fake
        if not atomic and transactional:
            reporter.info(
                f"{segment[0].file.name} runs outside the batch transaction (atomic = False)."
            )
        scope = dialect.batch(conn) if atomic else dialect.outside_batch(conn)
        # Reported once the segment has committed: a migration is not "applied" while a
        # later one in the same transaction can still roll it back.
        done: list[tuple[str, int, bool]] = []
        mconn: _Watched | None = None
        try:
            with scope:
                recorder.ensure()
                for mig in segment:
                    index += 1
                    reporter.starting(mig.file.name, direction, total, index)
                    mconn = _Watched(conn, dialect.name)
                    skip = fake or mig.file.name == adopted
                    if started and not skip:
                        name = mig.file.name
                        if down:
                            recorder.record_rolling_back(name)
                        else:
                            recorder.record_started(name, batch, mig.checksum, mig.source)
                        mconn.before = partial(recorder.record_progress, name, rollback=down)
                        ms = _run_one(mig, direction, mconn)
                        if down:
                            recorder.forget(name)
                        else:
                            recorder.mark_applied(name, ms)
                        done.append((name, ms, False))
                        continue
                    ms = 0 if skip else _run_one(mig, direction, mconn)
                    if direction == "up":
                        recorder.record(mig.file.name, batch, mig.checksum, ms, mig.source)
                    else:
                        recorder.forget(mig.file.name)
                    done.append((mig.file.name, ms, skip))
        except (MigrationFailed, DatabaseError) as exc:
            took_effect = mconn.succeeded if mconn is not None and not atomic else []
            # A partly run migration is neither applied nor not applied: it is named apart.
            not_done = migs[len(committed) + (1 if took_effect else 0) :]
            settled: bool | None = False
            if started and not done and segment[0].file.name != adopted:
                settled = _settle_started(recorder, segment[0].file.name, took_effect, down)
            failure = _Failure(
                direction,
                batch,
                committed,
                [m.file.name for m in not_done],
                None if atomic else segment[0].file.name,
                atomic,
                took_effect,
                transactional,
                settled is True,
                settled is None,
            )
            raise _with_outcome(exc, failure, [m.file.name for m in segment]) from (
                exc.__cause__ if isinstance(exc, MigrationFailed) else exc
            )
        committed.extend(name for name, _, _ in done)
        for name, ms, skip in done:
            reporter.finished(name, direction, ms, skip)


def _with_outcome(
    exc: MigrationFailed | DatabaseError, failure: _Failure, segment: list[str]
) -> SchemashiftError:
    """``exc`` completed with what the failed run left behind."""
    outcome, took = _outcome(failure)
    details = "\n".join(d for d in (exc.details, took) if d) or None
    error: SchemashiftError
    if isinstance(exc, MigrationFailed):
        error = MigrationFailed(f"{exc.message} {outcome}", details)
    elif failure.changed_database:
        error = DatabaseError(f"{exc.message} {outcome}", details)
    else:
        error = DatabaseError(
            f"{exc.message} Migrations in the failed batch: {', '.join(segment)}.", details
        )
    error.changed_database = failure.changed_database
    return error


def _dry_run(
    project: Project, migs: Sequence[LoadedMigration], direction: str, reporter: Reporter
) -> dict[str, list[str]]:
    if direction == "down":
        _refuse_without_down(migs)
    statements: dict[str, list[str]] = {}
    for mig in migs:
        mconn = _Watched(None, project.dialect.name, dry_run=True)
        try:
            _run_one(mig, direction, mconn)
        except MigrationFailed as exc:
            raise MigrationFailed(
                f"{exc.message} This was a dry run; nothing was changed.", exc.details
            ) from exc.__cause__
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
    refuse_if_failed(applied)
    _refuse_if_tampered(files, applied, project.url.dialect)
    result.files, result.records = files, list(applied)
    pending = select_pending(files, applied, step=step, to=to)
    if not pending:
        if to is not None:
            result.note = target_reached(files, applied, to)
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
    from schemashift.runtime.loader import load

    migs = [load(f, dialect=project.url.dialect) for f in pending]
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
            refuse_if_failed(applied)
            _refuse_if_tampered(files, chosen, project.url.dialect)
        result.batch = chosen[0].batch
        result.names = [r.name for r in chosen]
        from schemashift.runtime.loader import LoadedMigration, load

        if fake:
            migs = [
                LoadedMigration(by_name[r.name], _noop, _noop, True, r.checksum)
                if r.name in by_name
                else _missing(project, r)
                for r in chosen
            ]
        else:
            migs = [
                load(by_name[r.name], dialect=project.url.dialect)
                if r.name in by_name
                else _from_database(project, conn, r)
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
    from schemashift.runtime.loader import LoadedMigration
    from schemashift.runtime.stored import ghost

    file = ghost(record, project.settings.migrations)
    return LoadedMigration(file, _noop, _noop, True, record.checksum)


def _from_database(project: Project, conn: DBConnection, record: AppliedRecord) -> LoadedMigration:
    """A missing file loaded from the copy the tracking table keeps (``_refuse_if_tampered``
    has made sure there is one)."""
    from schemashift.runtime.loader import load
    from schemashift.runtime.stored import ghost

    data = Recorder(conn, project.dialect).source(record.name)
    assert data is not None
    return load(ghost(record, project.settings.migrations), data, dialect=project.url.dialect)
