"""``make migration``: models vs. replayed history -> a new migration file."""

from __future__ import annotations

from schemashift.dialects.base import Comment, Step
from schemashift.diff.operations import (
    AddIndex,
    DropIndex,
    Operation,
    RenameIndex,
    apply_all,
    reverse_all,
)
from schemashift.errors import ConfigError, ModelError
from schemashift.migrations.cache import replay_cached
from schemashift.migrations.files import check_name, next_number
from schemashift.migrations.writer import render_empty, render_file, render_parts, write_file
from schemashift.project import Project
from schemashift.schema.hints import RenameHints
from schemashift.schema.values import Schema

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path


class WrittenFile:
    """One file ``make migration`` wrote, and one line per change it makes."""

    __slots__ = ("lines", "path")

    def __init__(self, path: Path, lines: list[str]) -> None:
        self.path = path
        self.lines = lines

    def __repr__(self) -> str:
        return f"WrittenFile(path={self.path!r}, lines={self.lines!r})"


class MakeResult:
    """What ``make migration`` produced. ``path`` is None when nothing changed; it is the
    first file when an online change writes several (all of them in ``written``)."""

    __slots__ = ("notes", "operations", "path", "value_changes", "warnings", "written")

    def __init__(
        self,
        path: Path | None,
        operations: list[Operation] | None = None,
        warnings: list[str] | None = None,
        notes: list[str] | None = None,
        value_changes: list[str] | None = None,
        written: list[WrittenFile] | None = None,
    ) -> None:
        self.path = path
        self.operations: list[Operation] = [] if operations is None else operations
        self.warnings: list[str] = [] if warnings is None else warnings
        #: Operational notes of the rendered SQL (PostgreSQL: table rewrites, long locks).
        self.notes: list[str] = [] if notes is None else notes
        #: Conversions the dialect flags as possibly changing stored values.
        self.value_changes: list[str] = [] if value_changes is None else value_changes
        #: The files written, in order.
        self.written: list[WrittenFile] = [] if written is None else written

    def __repr__(self) -> str:
        names = ("path", "operations", "warnings", "notes", "value_changes", "written")
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"MakeResult({values})"

    @property
    def destructive(self) -> list[str]:
        """Warnings of the operations that can lose data, then the conversions that may
        change stored values."""
        return [w for op in self.operations for w in op.warnings()] + self.value_changes


def placeholder_fill(table: str, column: str) -> str:
    """A stand-in one-off value, for callers that only need to know what differs (check,
    evolve) and never write the value into a file."""
    return "NULL"


def target_schema(project: Project, *, require: bool = False) -> tuple[Schema, RenameHints]:
    """The schema the models declare, and their rename hints. With ``require`` (nothing in
    the history yet), finding no model at all is refused: that is a wrong folder or
    setting, not a project with nothing to do."""
    from schemashift.discovery import load_models
    from schemashift.schema.from_models import schema_from_models

    models = load_models(project.settings)
    if require and not models:
        settings = project.settings
        where = (
            ", ".join(settings.models) if settings.models is not None else str(settings.models_dir)
        )
        raise ModelError(
            f"No models found in {where}, and the migration files create no table yet. "
            "Check the models setting (or --models), or run the command in the project's "
            "folder. No file was written."
        )
    longest = min(d.max_identifier_length for d in project.generated_dialects)
    declared = schema_from_models(models, max_identifier_length=longest)
    return declared.schema, declared.hints


def plan(
    project: Project,
    *,
    renames: Sequence[str] = (),
    rename_tables: Sequence[str] = (),
    ask: Callable[[str], bool] | None = None,
    fill: Callable[[str, str], str | None] | None = None,
    require_models: bool = False,
) -> tuple[Schema, list[Operation], list[str]]:
    """The replayed schema, the operations that bring it to the models, and warnings."""
    from schemashift.diff.differ import diff
    from schemashift.diff.renames import merge_cli_renames
    from schemashift.migrations.squash import Squashes

    current = replay_cached(Squashes.of(project.files).effective(project.files))
    target, hints = target_schema(project, require=require_models and not current.tables)
    hints = merge_cli_renames(hints, renames, rename_tables)
    result = diff(current, target, hints=hints, ask=ask, fill=fill)
    return current, list(result.operations), list(result.warnings)


def make_migration(
    project: Project,
    name: str,
    *,
    empty: bool = False,
    renames: Sequence[str] = (),
    rename_tables: Sequence[str] = (),
    ask: Callable[[str], bool] | None = None,
    fill: Callable[[str, str], str | None] | None = None,
    concurrently: bool = False,
    online: bool | None = None,
) -> MakeResult:
    """Write the next migration file, or nothing when the models match history. With
    ``concurrently`` (PostgreSQL), index changes are written as ``CONCURRENTLY`` in an
    ``atomic = False`` migration. ``online`` (PostgreSQL; None: the project's ``online``
    setting) writes the online forms of the changes, possibly as several consecutive
    files; the setting has no effect on other databases, where asking for it by this
    argument is refused."""
    check_name(name)
    files = project.files
    number = next_number(files)
    filename = f"{number:04d}_{name}.py"
    if empty:
        path = write_file(
            project.settings.migrations, filename, render_empty(name, project.generated_dialects)
        )
        return MakeResult(path)
    online = _online(project, online)
    current, operations, warnings = plan(
        project,
        renames=renames,
        rename_tables=rename_tables,
        ask=ask,
        fill=fill,
        require_models=True,
    )
    project.settings.migrations.mkdir(parents=True, exist_ok=True)
    if not operations:
        return MakeResult(None, [], warnings)
    if online:
        return _write_online(project, name, number, current, operations, warnings)
    made = write_migration(project, name, current, operations, concurrently=concurrently)
    made.warnings = warnings
    return made


def write_migration(
    project: Project,
    name: str,
    current: Schema,
    operations: Sequence[Operation],
    *,
    concurrently: bool = False,
) -> MakeResult:
    """Write ``operations``, which change the schema ``current``, as the next migration
    file ``NNNN_name.py`` (with ``concurrently``, index changes only, as ``CONCURRENTLY``
    in an ``atomic = False`` migration)."""
    filename = f"{next_number(project.files):04d}_{name}.py"
    if concurrently:
        up, down = _concurrent_steps(project, operations)
        text = render_file(name, operations, up, down, atomic=False)
        ups = [up]
    else:
        parts = render_parts_for(project, operations, current)
        text = render_parts(name, operations, parts)
        ups = [up for _, up, _ in parts]
    path = write_file(project.settings.migrations, filename, text)
    notes = [
        s.text.removeprefix("NOTE: ")
        for up in ups
        for s in up
        if isinstance(s, Comment) and s.text.startswith("NOTE: ")
    ]
    changes = [change for up in ups for change in _value_changes(up)]
    written = [WrittenFile(path, [op.describe() for op in operations])]
    return MakeResult(path, list(operations), [], notes, list(dict.fromkeys(changes)), written)


def _online(project: Project, asked: bool | None) -> bool:
    """Whether to write online forms: ``--online`` outside PostgreSQL is refused, while
    the ``online`` setting is ignored there (locks are a PostgreSQL concern, and a
    project may run SQLite in development and PostgreSQL in production)."""
    has_forms = project.dialect.online_changes
    if asked and not has_forms:
        raise ConfigError(
            "--online is for PostgreSQL (changes without long locks); on "
            f"{project.url.dialect} every migration runs inside the batch transaction. "
            "Run make migration without it."
        )
    wanted = has_forms and project.settings.online if asked is None else asked
    if wanted and len(project.generated_dialects) > 1:
        raise ConfigError(
            "Online forms are written for PostgreSQL alone, but this project's files carry "
            "SQL for several dialects. Run make migration without --online (and without "
            "online = true), then edit the PostgreSQL part by hand (docs/online-changes.md)."
        )
    return wanted


def _write_online(
    project: Project,
    name: str,
    number: int,
    current: Schema,
    operations: Sequence[Operation],
    warnings: list[str],
) -> MakeResult:
    """Write the online files of ``operations``: the first named ``NNNN_name``, the later
    ones after their step (``NNNN_name_validate``), all checked before any is written."""
    steps = project.dialect.online_phases(operations, current)
    texts = []
    for offset, phase in enumerate(steps):
        stem = f"{name}_{phase.step}" if offset and phase.step else name
        text = render_file(
            stem,
            phase.operations,
            phase.up,
            phase.down,
            atomic=phase.atomic,
            outside=phase.outside,
        )
        texts.append((f"{number + offset:04d}_{stem}.py", text, phase.lines))
    written = [
        WrittenFile(write_file(project.settings.migrations, filename, text), lines)
        for filename, text, lines in texts
    ]
    up = [step for phase in steps for step in phase.up]
    notes = [
        s.text.removeprefix("NOTE: ")
        for s in up
        if isinstance(s, Comment) and s.text.startswith("NOTE: ")
    ]
    return MakeResult(
        written[0].path, list(operations), warnings, notes, _value_changes(up), written
    )


def render_parts_for(
    project: Project, operations: Sequence[Operation], before: Schema
) -> list[tuple[str, list[Step], list[Step]]]:
    """``(dialect, up, down)`` for each dialect the project's files carry SQL for."""
    after = apply_all(before, operations)
    reverse = reverse_all(operations)
    return [
        (dialect.name, dialect.render(operations, before), dialect.render(reverse, after))
        for dialect in project.generated_dialects
    ]


def _value_changes(up: Sequence[Step]) -> list[str]:
    """The renderer's flags on conversions that may change or reject stored values."""
    from schemashift.dialects.values import ValueFlag

    return [s.text.removeprefix("WARNING: ") for s in up if isinstance(s, ValueFlag)]


def _concurrent_steps(
    project: Project, operations: Sequence[Operation]
) -> tuple[list[Step], list[Step]]:
    if len(project.generated_dialects) > 1:
        raise ConfigError(
            "--concurrently writes PostgreSQL's CREATE INDEX CONCURRENTLY, but this project's "
            "files carry SQL for several dialects. Run make migration without it, then "
            "edit the PostgreSQL part by hand (`atomic = False` at module level)."
        )
    if not project.dialect.concurrent_index:
        raise ConfigError(
            "--concurrently is for PostgreSQL (CREATE INDEX CONCURRENTLY); SQLite builds "
            "indexes inside the batch. Run make migration without it."
        )
    others = [op for op in operations if not isinstance(op, (AddIndex, DropIndex, RenameIndex))]
    if others:
        raise ConfigError(
            "--concurrently writes index changes only, but the models also change: "
            + "; ".join(op.describe()[2:] for op in others)
            + ". Make a migration for those first, then run again with --concurrently."
        )
    dialect = project.dialect
    return dialect.render_concurrently(operations), dialect.render_concurrently(
        reverse_all(operations)
    )
