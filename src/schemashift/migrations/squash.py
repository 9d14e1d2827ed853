"""Squashing: one migration file equivalent to every migration up to a given one.

The squashed file is named ``NNNN_squashed_FIRST_LAST.py`` with the number of the last
migration it replaces, and declares ``replaces = [...]`` (as Django's ``replaces``). While
the originals are still in the folder, a database that applied all of them counts the
squash as applied, a new database runs the squash instead of them, and a database that
applied some runs the rest of the originals. Once every database has moved past them,
the originals can be deleted; the squash then stands alone.

Nothing here imports a migration file: ``replaces`` is read from the file's text, like
the operations list.
"""

from __future__ import annotations

from schemashift.errors import MigrationFileError
from schemashift.migrations.files import MigrationFile, resolve

# Every migrate, status and evolve asks whether a file is a squash: this module imports
# neither ``re`` (needed only for a likely squash) nor ``dataclasses``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

#: The name part that marks a squashed file; ``replaces`` is looked for only there.
SQUASHED = r"^\d{4,}_squashed_"
_REPLACES = r"^replaces = (\[[^\]]*\])$"


def is_squash(file: MigrationFile) -> bool:
    """Whether ``file`` is a squashed migration (by its name)."""
    # Every run asks this of every file: the pattern is only needed for a likely one.
    if "_squashed_" not in file.name:
        return False
    import re

    return re.match(SQUASHED, file.name) is not None


def replaces_in(file: MigrationFile) -> tuple[str, ...]:
    """The migrations a squashed file replaces (empty for any other file)."""
    if not is_squash(file):
        return ()
    import re

    text = file.read_bytes().decode("utf-8", errors="replace")
    match = re.search(_REPLACES, text, re.MULTILINE)
    if match is None:
        raise MigrationFileError(
            f"{file.path}: a squashed migration must declare `replaces = [...]`, the names "
            "of the migrations it replaces. Restore the line as generated."
        )
    import ast

    try:
        names = ast.literal_eval(match.group(1))
    except (SyntaxError, ValueError) as exc:
        raise MigrationFileError(
            f"{file.path}: `replaces` cannot be read ({exc}). Restore it as generated."
        ) from exc
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise MigrationFileError(f"{file.path}: `replaces` must be a list of migration names.")
    return tuple(names)


class Squashes:
    """Which files replace which, for one folder."""

    __slots__ = ("replaces",)

    def __init__(self, replaces: dict[str, tuple[str, ...]]) -> None:
        #: Squash name -> the names it replaces.
        self.replaces = replaces

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Squashes):
            return NotImplemented
        return self.replaces == other.replaces

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Squashes(replaces={self.replaces!r})"

    @classmethod
    def of(cls, files: Sequence[MigrationFile]) -> Squashes:
        """The squashes among ``files``."""
        return cls({f.name: replaces_in(f) for f in files if is_squash(f)})

    def replaced_by(self, name: str) -> str | None:
        """The squash that replaces migration ``name``, if any."""
        for squash, names in self.replaces.items():
            if name in names:
                return squash
        return None

    def effective(self, files: Sequence[MigrationFile]) -> list[MigrationFile]:
        """The files whose operations make up the history: the originals while every one
        of them is still there (the squash is their sum), else the squash."""
        present = {f.name for f in files}
        skip: set[str] = set()
        for squash, names in self.replaces.items():
            if all(n in present for n in names):
                skip.add(squash)
            else:
                skip.update(names)
        return [f for f in files if f.name not in skip]

    def to_run(self, files: Sequence[MigrationFile], applied: set[str]) -> list[MigrationFile]:
        """The files still to apply to a database that applied ``applied``: a squash
        instead of its originals on a database that applied none of them; the rest of
        the originals on one that applied some (the squash then counts as applied)."""
        present = {f.name for f in files}
        skip: set[str] = set()
        for squash, names in self.replaces.items():
            done = [n for n in names if n in applied]
            if squash in applied or not done:
                skip.update(names)
                continue
            skip.add(squash)
            gone = [n for n in names if n not in applied and n not in present]
            if gone:
                raise MigrationFileError(
                    f"This database applied only some of the migrations that {squash} "
                    f"replaces, and {', '.join(gone)} {'is' if len(gone) == 1 else 'are'} "
                    "no longer in the folder. Restore the missing files (from version "
                    "control) so the rest can be applied; nothing was changed."
                )
        return [f for f in files if f.name not in applied and f.name not in skip]

    def counted_applied(self, applied: set[str]) -> set[str]:
        """``applied`` plus what it implies: a squash whose originals were all applied,
        and the originals of an applied squash."""
        out = set(applied)
        for squash, names in self.replaces.items():
            if squash in applied:
                out.update(names)
            elif names and all(n in applied for n in names):
                out.add(squash)
        return out


class SquashPlan:
    """What a squash up to a migration writes: one squash per run of consecutive
    generated files (``parts``), with the hand-written files it keeps between them."""

    __slots__ = ("kept", "parts")

    def __init__(
        self, parts: tuple[tuple[MigrationFile, ...], ...], kept: tuple[MigrationFile, ...]
    ) -> None:
        self.parts = parts
        self.kept = kept

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SquashPlan):
            return NotImplemented
        return (self.parts, self.kept) == (other.parts, other.kept)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SquashPlan(parts={self.parts!r}, kept={self.kept!r})"


def plan_squash(
    files: Sequence[MigrationFile], upto: str, *, keep_hand_written: bool = False
) -> SquashPlan:
    """The squash of every file numbered up to ``upto``. A file without an operations
    list (hand-written) cannot be folded into SQL made from the operations: it is refused
    by name, or, with ``keep_hand_written``, kept as a step of its own between the
    squashes of the runs before and after it."""
    target = resolve(upto, [f.name for f in files])
    number = next(f.number for f in files if f.name == target)
    chosen = [f for f in files if f.number <= number]
    if any(is_squash(f) for f in chosen):
        squashed = next(f.name for f in chosen if is_squash(f))
        raise MigrationFileError(
            f"{squashed} is itself a squash. Delete the migrations it replaces once every "
            "database has applied it, then squash again. Nothing was written."
        )
    from schemashift.migrations.history import operations_in

    hand_written = [f for f in chosen if not operations_in(f.read_bytes(), f)]
    if hand_written and not keep_hand_written:
        names = ", ".join(f.name for f in hand_written)
        raise MigrationFileError(
            f"{names} {'is' if len(hand_written) == 1 else 'are'} hand-written (no "
            "operations list), so its effect cannot be written as SQL from the operations. "
            "Squash up to the migration before it, or pass --keep-hand-written to keep it as "
            "a step of its own. Nothing was written."
        )
    runs: list[list[MigrationFile]] = [[]]
    for file in chosen:
        if file in hand_written:
            runs.append([])
        else:
            runs[-1].append(file)
    parts = tuple(tuple(run) for run in runs if len(run) >= 2)
    if not parts:
        raise MigrationFileError(
            f"Squashing up to {target} would replace no two consecutive generated files; "
            "give a later migration. Nothing was written."
        )
    return SquashPlan(parts, tuple(hand_written))


def squash_filename(chosen: Sequence[MigrationFile]) -> str:
    """``0040_squashed_0001_0040.py``: the last number, then the range it replaces."""
    first, last = chosen[0].number, chosen[-1].number
    return f"{last:04d}_squashed_{first:04d}_{last:04d}.py"


def with_replaces(text: str, names: Sequence[str]) -> str:
    """A generated file's text with its ``replaces`` list after the docstring."""
    listed = "[" + ", ".join(repr(n) for n in names) + "]"
    block = (
        "# This migration replaces the ones listed: a database that applied them all counts\n"
        "# it as applied; a new database runs it instead of them. Delete them (and this\n"
        "# note) once every database has moved past them.\n"
        f"replaces = {listed}\n\n\n"
    )
    end = text.index('"""\n', 3) + 4
    return text[:end] + "\n\n" + block + text[end:].lstrip("\n")
