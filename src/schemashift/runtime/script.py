"""SQL for reading: what one migration runs (``show``), and the whole script that
``migrate`` would run (``migrate --sql``) for a DBA who applies SQL by hand.

The statements come from running ``up``/``down`` against a connection that records
instead of executing (as ``--dry-run`` does), so what generated Python steps would run
is there too. Nothing here changes a database or writes a file.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.errors import MigrationFileError
from schemashift.migrations.files import list_migrations, resolve
from schemashift.project import Project
from schemashift.runtime.connection import MigrationConnection
from schemashift.runtime.loader import LoadedMigration, load
from schemashift.runtime.recorder import (
    META_TABLE,
    TRACKING_TABLE,
    record_statement,
    setup_statements,
)


def statements(project: Project, mig: LoadedMigration, direction: str) -> list[str]:
    """The statements ``mig`` runs in ``direction`` (``"up"`` or ``"down"``)."""
    func = mig.up if direction == "up" else mig.down
    if func is None:
        raise MigrationFileError(
            f"Migration {mig.file.name} has no down(conn) function, so it has no SQL to roll back."
        )
    conn = MigrationConnection(None, project.dialect.name, dry_run=True)
    func(conn)
    return conn.statements


def _terminated(sql: str) -> str:
    text = sql.rstrip()
    if text.startswith("--"):
        return text
    return text if text.endswith(";") else text + ";"


def _rebuild_note(found: Sequence[str]) -> list[str]:
    if not any(s.startswith("-- rebuild of ") for s in found):
        return []
    return [
        "-- Table rebuilds are written here for the tables as the migration files describe",
        "-- them; `schemashift migrate` takes what a migration does not change from the live",
        "-- table instead.",
    ]


def show(project: Project, name: str, *, down: bool = False) -> str:
    """The SQL that migration ``name`` runs on the configured database (``down``: its
    ``down()``), from its file or, when the file is missing, from the copy the database
    keeps."""
    files = project.files
    try:
        target = resolve(name, [f.name for f in files])
    except MigrationFileError:
        from schemashift.runtime.stored import applied_copy

        kept, data = applied_copy(project, name)
        target, mig = kept.name, load(kept, data, dialect=project.url.dialect)
        origin = " (its file is missing here: from the copy the database keeps)"
    else:
        mig = load(next(f for f in files if f.name == target), dialect=project.url.dialect)
        origin = ""
    direction = "down" if down else "up"
    found = statements(project, mig, direction)
    header = [f"-- {target} {direction}(){origin}, {project.dialect.name}"]
    if not mig.atomic:
        header.append("-- atomic = False: these statements run outside a transaction")
    body = [_terminated(s) for s in found] or ["-- (no SQL)"]
    return "\n".join([*header, *_rebuild_note(found), *body]) + "\n"


def migrate_script(project: Project, *, start: str | None = None, to: str | None = None) -> str:
    """The script ``migrate`` would run for the pending migrations: ``BEGIN``, each
    migration's statements and its tracking-table row, ``COMMIT``; a migration with
    ``atomic = False`` outside the transaction. ``start`` names the last applied migration
    (``0`` for none), so that no database is needed."""
    from schemashift.migrations.squash import Squashes
    from schemashift.runtime.executor import ZERO, connection, read_applied

    files = list_migrations(project.settings.migrations)
    names = [f.name for f in files]
    if start is not None:
        if start.lower() in ZERO:
            applied: set[str] = set()
        else:
            last = resolve(start, names)
            number = next(f.number for f in files if f.name == last)
            applied = {f.name for f in files if f.number <= number}
    else:
        with connection(project, create=False) as conn:
            applied = {r.name for r in read_applied(project, conn)}
    pending = Squashes.of(files).to_run(files, applied)
    if to is not None:
        number = next(f.number for f in files if f.name == resolve(to, names))
        pending = [f for f in pending if f.number <= number]
    dialect = project.dialect
    # Without a connection the current schema is unknown: names stay unqualified, so the
    # script works in whatever schema the session that runs it is in.
    table, meta = dialect.quote(TRACKING_TABLE), dialect.quote(META_TABLE)
    where = f" after {start}" if start is not None else ""
    lines = [
        f"-- schemashift migrate --sql: {len(pending)} migration(s) for {dialect.name}{where}",
    ]
    if not pending:
        return "\n".join([*lines, "-- Nothing to migrate."]) + "\n"
    lines.extend(dialect.script_preamble)
    setup = [_terminated(s) for s in setup_statements(dialect, table, meta)]
    in_transaction = False
    first = True
    for f in pending:
        mig = load(f, dialect=dialect.name)
        found = statements(project, mig, "up")
        if mig.atomic and not in_transaction:
            lines.append("BEGIN;")
            in_transaction = True
        elif not mig.atomic and in_transaction:
            lines.append("COMMIT;")
            in_transaction = False
        if not mig.atomic:
            lines.append(f"-- {f.name} runs outside a transaction (atomic = False)")
        if first:
            lines.extend(setup)
        lines.append(f"-- {f.name}")
        lines.extend(_rebuild_note(found))
        lines.extend(_terminated(s) for s in found)
        lines.append(
            _terminated(record_statement(dialect, table, f.name, mig.checksum, first=first))
        )
        first = False
    if in_transaction:
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n"
