"""``check``: do models, migration files and database agree?"""

from __future__ import annotations

from dataclasses import dataclass

from schemashift.migrations.files import list_migrations
from schemashift.migrations.history import replay
from schemashift.runtime.drift import describe_drift
from schemashift.runtime.executor import connection, integrity_problems, read_applied
from schemashift.runtime.project import Project
from schemashift.schema.values import Schema

CAUSES = ("model_change", "pending", "edited", "missing_file", "database_drift")


@dataclass(frozen=True)
class Difference:
    """One disagreement and its cause (one of :data:`CAUSES`)."""

    cause: str
    detail: str


def model_changes(project: Project) -> list[Difference]:
    """Model changes that no migration file makes yet."""
    from schemashift.migrations.maker import placeholder_fill, plan

    _, operations, _ = plan(project, fill=placeholder_fill)
    return [
        Difference(
            "model_change",
            f"{op.describe()[2:]}: the models changed but no migration does this; run "
            "`schemashift make migration NAME`",
        )
        for op in operations
    ]


def _without_ignored(schema: Schema, patterns: tuple[str, ...]) -> Schema:
    if not patterns:
        return schema
    from fnmatch import fnmatchcase

    return Schema(
        {n: t for n, t in schema.tables.items() if not any(fnmatchcase(n, p) for p in patterns)}
    )


def check(project: Project, *, offline: bool = False) -> list[Difference]:
    """Every difference between models, migration files and (unless ``offline``) the
    database. Empty means all agree."""
    differences = model_changes(project)
    if offline:
        return differences
    files = list_migrations(project.settings.migrations)
    with connection(project, create=False) as conn:
        applied = read_applied(project, conn)
        done = {r.name for r in applied}
        for name, kind in integrity_problems(files, applied):
            if kind == "changed":
                differences.append(Difference("edited", f"{name} was edited after it was applied"))
            else:
                differences.append(
                    Difference("missing_file", f"{name} is applied but its file is missing")
                )
        differences.extend(
            Difference("pending", f"{f.name} is not applied yet; run `schemashift migrate`")
            for f in files
            if f.name not in done
        )
        if conn is not None:
            dialect = project.dialect
            expected = dialect.comparable(replay([f for f in files if f.name in done]))
            live = _without_ignored(dialect.introspect(conn), project.settings.ignore_tables)
            differences.extend(
                Difference("database_drift", f"{line} (changed by hand?)")
                for line in describe_drift(expected, live)
            )
    return differences
