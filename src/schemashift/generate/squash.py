"""``schemashift squash NAME``: write the squash that :func:`plan_squash` describes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from schemashift.errors import MigrationFileError
from schemashift.migrations.files import MigrationFile
from schemashift.migrations.squash import plan_squash, squash_filename, with_replaces
from schemashift.project import Project


def write_squash(
    project: Project, upto: str, *, keep_hand_written: bool = False
) -> tuple[list[tuple[Path, tuple[MigrationFile, ...]]], tuple[MigrationFile, ...]]:
    """Write the squashes of every migration up to ``upto``: each written path with the
    files it replaces, and the hand-written files kept between them. Each squash's
    operations replay to exactly the schema its originals produce."""
    from schemashift.migrations.writer import write_file

    files = project.files
    plan = plan_squash(files, upto, keep_hand_written=keep_hand_written)
    texts = [(squash_filename(part), _squash_text(project, files, part)) for part in plan.parts]
    for filename, _ in texts:
        if (project.settings.migrations / filename).exists():
            raise MigrationFileError(f"{filename} exists already; nothing was written.")
    written = [
        (write_file(project.settings.migrations, filename, text), part)
        for (filename, text), part in zip(texts, plan.parts, strict=True)
    ]
    return written, plan.kept


def _squash_text(
    project: Project, files: Sequence[MigrationFile], part: Sequence[MigrationFile]
) -> str:
    """The text of the squash of ``part``: the change from the schema the files before it
    replay to, to the schema after it."""
    from schemashift.diff.differ import diff
    from schemashift.diff.operations import apply_all
    from schemashift.generate.make import render_parts_for
    from schemashift.migrations.history import replay
    from schemashift.migrations.writer import render_parts

    before = replay(files[: files.index(part[0])])
    after = replay(part, before)
    operations = list(diff(before, after).operations)
    if apply_all(before, operations) != after:
        raise MigrationFileError(
            f"The schema change of {part[0].name} … {part[-1].name} cannot be written as one "
            "migration; nothing was written. Please report it."
        )
    filename = squash_filename(part)
    text = render_parts(filename[5:-3], operations, render_parts_for(project, operations, before))
    return with_replaces(text, [f.name for f in part])
