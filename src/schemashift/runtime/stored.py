"""The applied files' text that the tracking table keeps.

A host whose migrations folder lacks an applied file (one that ``evolve`` wrote on
another host, or in a container since restarted) writes it back from this copy, byte for
byte, so its checksum matches. The read-only commands (``--status``, ``check``) use the
copy without writing anything, and ``--rollback`` of a migration whose file is gone runs
the copy's ``down()``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from schemashift.errors import MigrationFileError
from schemashift.migrations.files import MigrationFile, resolve
from schemashift.records import NamedTuple
from schemashift.runtime.recorder import AppliedRecord, Recorder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from schemashift.dialects.base import DBConnection
    from schemashift.project import Project


class StoredFile(NamedTuple):
    """An applied migration's file as the database keeps it; ``file.path`` is where it
    belongs, and is missing."""

    file: MigrationFile
    data: bytes


def kept_in_database(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRecord]
) -> list[AppliedRecord]:
    """The applied migrations whose file is missing but whose text the database keeps
    (not those a squash in the folder replaces: their files were deleted on purpose)."""
    from schemashift.migrations.squash import Squashes

    present = {f.name for f in files}
    squashes = Squashes.of(files)
    return [
        r
        for r in applied
        if r.stored and r.name not in present and squashes.replaced_by(r.name) is None
    ]


def ghost(record: AppliedRecord, folder: Path) -> MigrationFile:
    """The file an applied record stands for, at the path it would have in ``folder``."""
    return MigrationFile(record.name, record.number, os.path.join(folder, f"{record.name}.py"))


def stored_copies(
    project: Project,
    conn: DBConnection,
    files: Sequence[MigrationFile],
    applied: Sequence[AppliedRecord],
) -> list[StoredFile]:
    """The database's copies of the applied files missing from the folder."""
    recorder = Recorder(conn, project.dialect)
    folder = project.settings.migrations
    copies = []
    for record in kept_in_database(files, applied):
        data = recorder.source(record.name)
        if data is not None:
            copies.append(StoredFile(ghost(record, folder), data))
    return copies


def clashes(
    files: Sequence[MigrationFile], applied: Sequence[AppliedRecord]
) -> list[tuple[str, str]]:
    """``(kept, file)``: an applied migration kept only in the database whose number a
    different file in the folder also has."""
    by_number = {f.number: f.name for f in files}
    return [
        (r.name, by_number[r.number])
        for r in kept_in_database(files, applied)
        if r.number in by_number
    ]


def clash_message(kept: str, other: str) -> str:
    """What to do when an applied migration and a pending file share a number."""
    number = kept.split("_", 1)[0]
    return (
        f"Migration number {number} is taken twice: {kept} is applied (its file comes from "
        f"the database) and {other}.py is not. Run `schemashift rebase` to renumber "
        f"{other}, then run the command again."
    )


def write_back(
    project: Project,
    conn: DBConnection,
    files: Sequence[MigrationFile],
    applied: Sequence[AppliedRecord],
) -> list[Path]:
    """Write each applied file missing from the folder back from the database's copy
    (under the migration lock). A file whose number another file in the folder has is
    written too, then refused, so that ``rebase`` can renumber the other one. A folder
    that holds migration files but none of the applied ones is refused as the wrong
    folder, before anything is written."""
    folder = project.settings.migrations
    if files and applied and not {f.name for f in files} & {r.name for r in applied}:
        raise MigrationFileError(
            f"None of the applied migrations has its file in {folder}, which holds other "
            "migration files: is it the right folder? Check --migrations (or `migrations` "
            "in pyproject.toml); nothing was changed."
        )
    written = []
    for copy in stored_copies(project, conn, files, applied):
        _write_exactly(copy.file.path, copy.data)
        written.append(copy.file.path)
    found = clashes(files, applied)
    if found:
        raise MigrationFileError(clash_message(*found[0]))
    return written


def _write_exactly(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` byte for byte, atomically (never a half-written file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink()
        raise MigrationFileError(
            f"Cannot write {path} back from the database ({exc.strerror}): it is applied but "
            "missing here. Make the migrations folder writable, or ship the file with the "
            "others; nothing was changed."
        ) from exc


def applied_copy(project: Project, name: str) -> tuple[MigrationFile, bytes]:
    """The applied migration ``name`` (full name or number) as the database keeps it: the
    file it stands for and its text, for inspecting a migration whose file may be gone.
    Never writes anything."""
    from schemashift.runtime.executor import connection, read_applied

    with connection(project, create=False) as conn:
        applied = read_applied(project, conn)
        target = resolve(name, [r.name for r in applied])
        record = next(r for r in applied if r.name == target)
        assert conn is not None  # resolve found a record, so the database exists
        data = Recorder(conn, project.dialect).source(target)
    if data is None:
        raise MigrationFileError(
            f"The database keeps no copy of {target}: it was applied before schemashift "
            "kept the files' text. Restore its file from version control."
        )
    return ghost(record, project.settings.migrations), data
