"""``migrate --repair``: accept edited applied files and forget the records of missing
ones, after saying exactly which, and never a whole history by mistake."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from schemashift.errors import ConfigError, MigrationFileError
from schemashift.migrations.files import list_migrations, resolve
from schemashift.migrations.parts import checksum_for
from schemashift.runtime.executor import integrity_problems, locked, read_applied
from schemashift.runtime.recorder import Recorder

if TYPE_CHECKING:
    from pathlib import Path

    from schemashift.project import Project

#: ``(name, "changed" | "missing" | "failed")``: update the record's checksum, or forget
#: the record (of a missing file, or of a migration that failed part-way).
Item = tuple[str, str]


class Repair(NamedTuple):
    """What ``--repair`` found and whether it was done (not done when not confirmed)."""

    items: list[Item]
    done: bool


def _refuse_wrong_folder(folder: Path) -> None:
    """Every applied file would look missing in a folder that is wrong."""
    if not folder.is_dir():
        raise ConfigError(
            f"The migrations folder {folder} does not exist, so --repair would take every "
            "applied migration for missing. Check --migrations (or `migrations` in "
            "pyproject.toml); nothing was changed."
        )
    if not list_migrations(folder):
        raise ConfigError(
            f"The migrations folder {folder} holds no migration file, so --repair would take "
            "every applied migration for missing. Check --migrations (or `migrations` in "
            "pyproject.toml); nothing was changed."
        )


def _only(name: str, items: list[Item], applied: Sequence[str], files: Sequence[str]) -> list[Item]:
    """The repair of ``name`` alone. Named, a record whose file is missing here but kept
    in the database is forgotten too (a file renamed on purpose); unnamed, never."""
    target = resolve(name, [*applied, *(f for f in files if f not in applied)])
    if target not in applied:
        raise MigrationFileError(
            f"{target} is not applied, so it has no record to repair (see `schemashift "
            "migrate --status`)."
        )
    chosen = [item for item in items if item[0] == target]
    if target not in files and not chosen:
        return [(target, "missing")]
    return chosen


def repair(
    project: Project,
    *,
    name: str | None = None,
    confirm: Callable[[list[Item]], bool] | None = None,
) -> Repair:
    """Under the migration lock, find the applied migrations whose file was edited (or is
    missing with no copy in the database), only ``name`` if given, and once ``confirm``
    (given the list) agrees, record the current checksums and texts and forget the
    missing ones. Refuses a missing or empty migrations folder, and forgetting every
    applied record."""
    folder = project.settings.migrations
    _refuse_wrong_folder(folder)
    with locked(project, create=False) as conn:
        if conn is None:
            return Repair([], True)
        files = list_migrations(folder)
        applied = read_applied(project, conn)
        items = integrity_problems(files, applied, project.url.dialect)
        # Once the user has cleaned up after it, a failed migration is pending again.
        failed = {r.name for r in applied if r.failed is not None}
        items = [(n, k) for n, k in items if n not in failed]
        items += [(n, "failed") for n in sorted(failed)]
        if name is not None:
            items = _only(name, items, [r.name for r in applied], [f.name for f in files])
        if not items:
            return Repair([], True)
        forgotten = {n for n, kind in items if kind == "missing"}
        if forgotten == {r.name for r in applied}:
            raise ConfigError(
                f"--repair would forget every applied migration: none of their files is in "
                f"{folder}. That is a wrong migrations folder, not a repair; check "
                "--migrations (or `migrations` in pyproject.toml). Nothing was changed."
            )
        if confirm is not None and not confirm(items):
            return Repair(items, False)
        by_name = {f.name: f for f in files}
        recorder = Recorder(conn, project.dialect)
        with project.dialect.batch(conn):
            recorder.ensure()
            for item, kind in items:
                if kind == "changed":
                    data = by_name[item].read_bytes()
                    recorder.set_checksum(item, checksum_for(data, project.url.dialect), data)
                else:
                    recorder.forget(item)
        return Repair(items, True)
