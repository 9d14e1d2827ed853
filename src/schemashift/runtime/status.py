"""What ``migrate --status`` reports: every migration file and tracking record, merged.

Apart from :mod:`schemashift.runtime.executor`, which it imports only to read a database
that exists: status runs at every start of a project's tooling, and on a project without
a database it needs neither the executor, nor the tracking table's code, nor ``sqlite3``.
"""

from __future__ import annotations

from schemashift.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from schemashift.migrations.files import MigrationFile
    from schemashift.project import Project
    from schemashift.runtime.recorder import AppliedRecord


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
    #: How long it took to apply (None for a pending one, or one counted as applied).
    duration_ms: int | None = None
    #: A squash: the migrations it replaces.
    replaces: tuple[str, ...] = ()
    #: The squash that replaces this migration, when the database ran the squash.
    replaced_by: str | None = None
    #: It failed part-way on a database without transactional DDL and is recorded so
    #: until ``migrate --repair NAME`` forgets the record.
    failed: bool = False


def status_rows(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRecord], dialect: str
) -> list[StatusRow]:
    """Files and records merged, by number. A squash counts as applied on a database that
    applied every migration it replaces, and those count as applied where the squash ran."""
    from schemashift.migrations.squash import Squashes

    by_name = {r.name: r for r in applied}
    squashes = Squashes.of(files)
    counted = squashes.counted_applied(set(by_name))
    rows: list[StatusRow] = []
    names = {f.name: f for f in files}
    for f in files:
        rec = by_name.get(f.name)
        replaces = squashes.replaces.get(f.name, ())
        replaced_by = squashes.replaced_by(f.name)
        if replaced_by is not None and replaced_by not in by_name:
            replaced_by = None
        if rec is not None:
            ok = f.checksum(dialect) == rec.checksum
            failed = rec.failed is not None
            rows.append(
                StatusRow(
                    f.name,
                    not failed,
                    rec.batch,
                    rec.applied_at,
                    ok,
                    False,
                    False,
                    rec.duration_ms,
                    replaces,
                    failed=failed,
                )
            )
        elif f.name in counted:
            # Applied through the squash, or through every migration the squash replaces.
            via = [by_name[n] for n in (*replaces, replaced_by or "") if n in by_name]
            last = max(via, key=lambda r: (r.batch, r.number))
            rows.append(
                StatusRow(
                    f.name,
                    True,
                    last.batch,
                    last.applied_at,
                    None,
                    False,
                    False,
                    None,
                    replaces,
                    replaced_by,
                )
            )
        else:
            rows.append(StatusRow(f.name, False, None, None, None, False, False, None, replaces))
    for rec in applied:
        if rec.name in names or squashes.replaced_by(rec.name) is not None:
            continue
        rows.append(
            StatusRow(
                rec.name,
                True,
                rec.batch,
                rec.applied_at,
                None,
                True,
                rec.stored,
                rec.duration_ms,
            )
        )
    rows.sort(key=lambda r: (int(r.name.split("_", 1)[0]), r.name))
    return rows


def status(project: Project) -> list[StatusRow]:
    """Every migration with its state; never creates or changes anything."""
    files = project.files
    applied: list[AppliedRecord] = []
    if project.dialect.database_exists(project.url):
        from schemashift.runtime.executor import connection, read_applied

        with connection(project, create=False) as conn:
            applied = read_applied(project, conn)
    return status_rows(files, applied, project.url.dialect)
