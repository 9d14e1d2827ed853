"""``rebase``: after a merge, move pending migration files after the newest other file.

Two branches that each add a migration usually pick the same number. Rebasing gives the
file merged second the next free numbers (same names, nothing inside a file refers to
its number), after checking by replay that it still applies on top of the other
branch's files — and that the two branches did not change the same thing, which a
replay alone can miss (two different ALTERs of one column both "apply").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from schemashift.diff.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AlterColumn,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    Operation,
    RenameCheck,
    RenameColumn,
    RenameForeignKey,
    RenameIndex,
    RenameTable,
)
from schemashift.errors import MigrationFileError
from schemashift.migrations.files import MigrationFile, scan_migrations
from schemashift.migrations.history import operations_in, replay
from schemashift.project import Project


class Move(NamedTuple):
    """One renamed file."""

    file: MigrationFile
    new_number: int

    @property
    def new_filename(self) -> str:
        """``0007_add_bio.py`` for ``0005_add_bio.py`` moved to 7."""
        return f"{self.new_number:04d}_{self.file.name.split('_', 1)[1]}.py"


def _applied_names(project: Project) -> set[str]:
    from schemashift.runtime.executor import connection, read_applied

    with connection(project, create=False) as conn:
        return {r.name for r in read_applied(project, conn)}


def _resolve(token: str, files: Sequence[MigrationFile]) -> MigrationFile:
    by_name = [f for f in files if f.name == token or f.path.name == token]
    if not by_name and token.isdigit():
        by_name = [f for f in files if f.number == int(token)]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        listed = " and ".join(f.name for f in by_name)
        raise MigrationFileError(f"{token} names {listed}. Give the full name of the file to move.")
    raise MigrationFileError(
        f"No migration file called {token!r}. Give its full name (0005_add_bio) or its "
        "number; `schemashift migrate --status` lists them."
    )


def choose(
    files: Sequence[MigrationFile], applied: set[str], names: Sequence[str]
) -> list[MigrationFile]:
    """The files to move: the named ones, or from each group sharing a number the one not
    applied in the configured database."""
    if names:
        chosen = []
        for token in names:
            f = _resolve(token, files)
            if f.name in applied:
                raise MigrationFileError(
                    f"{f.name} is applied in the configured database, so rebase will not "
                    "renumber it (its record would no longer match). Name the other file."
                )
            if f not in chosen:
                chosen.append(f)
        return chosen
    groups: dict[int, list[MigrationFile]] = {}
    for f in files:
        groups.setdefault(f.number, []).append(f)
    chosen = []
    for number, group in sorted(groups.items()):
        if len(group) < 2:
            continue
        pending = [f for f in group if f.name not in applied]
        if len(pending) != len(group) - 1:
            listed = ", ".join(f.path.name for f in group)
            state = "none of them is" if len(pending) == len(group) else "more than one is"
            raise MigrationFileError(
                f"Files {listed} share the number {number:04d} and {state} applied in the "
                "configured database, so which to move is ambiguous. Name it: "
                "`schemashift rebase NAME` (the one merged second)."
            )
        chosen.extend(pending)
    return chosen


def plan_moves(files: Sequence[MigrationFile], moving: Sequence[MigrationFile]) -> list[Move]:
    """New numbers for ``moving``, after the newest other file, in their present order."""
    staying = [f for f in files if f not in moving]
    top = max((f.number for f in staying), default=0)
    ordered = sorted(moving, key=lambda f: (f.number, f.name))
    return [Move(f, top + i) for i, f in enumerate(ordered, start=1)]


def _touched(op: Operation) -> set[tuple[str, str]]:
    """What ``op`` changes: ``(table, "")`` for the whole table, ``(table, part)`` for a
    column, index, foreign key or check of it."""
    if isinstance(op, (AddColumn, DropColumn)):
        return {(op.table, op.column.name)}
    if isinstance(op, AlterColumn):
        return {(op.table, op.before.name), (op.table, op.after.name)}
    if isinstance(op, RenameColumn):
        return {(op.table, op.old), (op.table, op.new)}
    if isinstance(op, (AddIndex, DropIndex)):
        return {(op.table, f"index {op.index.name}")}
    if isinstance(op, (AddForeignKey, DropForeignKey)):
        return {(op.table, f"foreign key {op.foreign_key.name}")}
    if isinstance(op, (AddCheck, DropCheck)):
        return {(op.table, f"check {op.check.name}")}
    if isinstance(op, RenameIndex):
        return {(op.table, f"index {op.old}"), (op.table, f"index {op.new}")}
    if isinstance(op, RenameForeignKey):
        return {(op.table, f"foreign key {op.old}"), (op.table, f"foreign key {op.new}")}
    if isinstance(op, RenameCheck):
        return {(op.table, f"check {op.old}"), (op.table, f"check {op.new}")}
    if isinstance(op, RenameTable):
        return {(op.old, ""), (op.new, "")}
    return {(op.table_name, "")}


def _overlap(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> tuple[str, str] | None:
    for table, part in sorted(a):
        for other_table, other_part in sorted(b):
            if table == other_table and (part == other_part or not part or not other_part):
                return table, part or other_part
    return None


def _what(table: str, part: str) -> str:
    if not part:
        return f"table {table}"
    if " " in part:
        kind, name = part.split(" ", 1)
        return f"{kind} {name} of table {table}"
    return f"column {table}.{part}"


def _changes(file: MigrationFile) -> set[tuple[str, str]]:
    """Everything ``file``'s operations change (see :func:`_touched`)."""
    found: set[tuple[str, str]] = set()
    for op in operations_in(file.read_bytes(), file):
        found |= _touched(op)
    return found


def conflicts(files: Sequence[MigrationFile], moves: Sequence[Move]) -> list[str]:
    """Where a moved file changes what a file of the other branch changes: those are the
    files numbered at or after the moved one's old number that stay where they are."""
    moving = {m.file for m in moves}
    first = min(m.file.number for m in moves)
    # Each file is read and parsed once, however many files move.
    theirs = {f: _changes(f) for f in files if f not in moving and f.number >= first}
    found = []
    for move in moves:
        mine = _changes(move.file)
        for other, changed in theirs.items():
            if other.number < move.file.number:
                continue
            clash = _overlap(mine, changed)
            if clash is not None:
                found.append(
                    f"{move.file.path.name} and {other.path.name} both change {_what(*clash)}"
                )
    return found


def rebase(project: Project, names: Sequence[str] = ()) -> list[Move]:
    """Renumber the chosen pending files after the newest other file, once the merged
    history is shown to replay in its new order; nothing is renamed otherwise."""
    folder = project.settings.migrations
    files = scan_migrations(folder)
    moving = choose(files, _applied_names(project), names)
    if not moving:
        return []
    moves = [m for m in plan_moves(files, moving) if m.new_number != m.file.number]
    if not moves:
        return []
    clashes = conflicts(files, moves)
    if clashes:
        raise MigrationFileError(
            "The branches changed the same thing: " + "; ".join(clashes) + ". Resolve it "
            "by hand — edit or delete the file that is not deployed yet and run `schemashift "
            "make migration` on the merged models. Nothing was renamed."
        )
    new_order = [f for f in files if f not in moving] + [m.file for m in moves]
    try:
        replay(new_order)
    except MigrationFileError as exc:
        raise MigrationFileError(
            f"In their new order the files do not replay: {exc.message} Nothing was renamed."
        ) from exc
    taken = {f.path.name for f in files}
    for move in moves:
        if move.new_filename in taken:
            raise MigrationFileError(f"{move.new_filename} exists already; nothing was renamed.")
    for move in moves:
        move.file.path.rename(folder / move.new_filename)
    return moves
