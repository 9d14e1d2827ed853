"""The Python API: the commands as functions that return values and print nothing.

Each function takes the same settings as the command line (``database``, ``project``,
``models``, ``migrations``); ``None`` means the usual lookup (``DATABASE_URL``,
``pyproject.toml``, defaults).
"""

from __future__ import annotations

import os

# Only for annotations: importing the differ and the checker here would slow evolve() at
# every application start, which with nothing to do needs neither the settings nor the
# executor (runtime.startup).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from schemashift.generate.make import MakeResult
    from schemashift.project import Project
    from schemashift.runtime.check import Difference
    from schemashift.runtime.evolve import EvolveReport
    from schemashift.runtime.executor import RunResult
    from schemashift.runtime.status import StatusRow


def _project(
    database: str | None,
    project: str | os.PathLike[str] | None,
    models: str | Sequence[str] | None,
    migrations: str | os.PathLike[str] | None,
    lock_timeout: float | None = None,
) -> Project:
    from schemashift.config import load_settings
    from schemashift.project import Project

    return Project(
        load_settings(
            project=os.fspath(project) if project is not None else None,
            database=database,
            migrations=os.fspath(migrations) if migrations is not None else None,
            models=_models(models),
            lock_timeout=lock_timeout,
        )
    )


def _models(models: str | Sequence[str] | None) -> str | None:
    return models if models is None or isinstance(models, str) else ",".join(models)


def make_migration(
    name: str,
    *,
    empty: bool = False,
    renames: Sequence[str] = (),
    rename_tables: Sequence[str] = (),
    concurrently: bool = False,
    online: bool | None = None,
    database: str | None = None,
    project: str | os.PathLike[str] | None = None,
    models: str | Sequence[str] | None = None,
    migrations: str | os.PathLike[str] | None = None,
) -> MakeResult:
    """Write the next migration file (``result.path`` is None when nothing changed).
    Renames are given as ``"table.old=new"`` / ``"old=new"``, as on the command line;
    ``concurrently`` writes PostgreSQL index changes as ``CONCURRENTLY``; ``online``
    (None: the project's ``online`` setting) writes PostgreSQL changes in their online
    forms, possibly as several files (``result.written``)."""
    from schemashift.generate.make import make_migration as make

    proj = _project(database, project, models, migrations)
    return make(
        proj,
        name,
        empty=empty,
        renames=renames,
        rename_tables=rename_tables,
        concurrently=concurrently,
        online=online,
    )


def migrate(
    *,
    step: int | None = None,
    to: str | None = None,
    fake: bool = False,
    dry_run: bool = False,
    lock_timeout: float | None = None,
    database: str | None = None,
    project: str | os.PathLike[str] | None = None,
    models: str | Sequence[str] | None = None,
    migrations: str | os.PathLike[str] | None = None,
) -> RunResult:
    """Apply pending migrations as one batch; returns what ran."""
    from schemashift.runtime import executor

    proj = _project(database, project, models, migrations, lock_timeout)
    return executor.migrate(proj, step=step, to=to, fake=fake, dry_run=dry_run)


def rollback(
    *,
    step: int | None = None,
    to: str | None = None,
    fake: bool = False,
    dry_run: bool = False,
    lock_timeout: float | None = None,
    database: str | None = None,
    project: str | os.PathLike[str] | None = None,
    models: str | Sequence[str] | None = None,
    migrations: str | os.PathLike[str] | None = None,
) -> RunResult:
    """Roll back the last batch (or ``step`` migrations, or everything after ``to``)."""
    from schemashift.runtime import executor

    proj = _project(database, project, models, migrations, lock_timeout)
    return executor.rollback(proj, step=step, to=to, fake=fake, dry_run=dry_run)


def status(
    *,
    database: str | None = None,
    project: str | os.PathLike[str] | None = None,
    models: str | Sequence[str] | None = None,
    migrations: str | os.PathLike[str] | None = None,
) -> list[StatusRow]:
    """Every migration with its state."""
    from schemashift.runtime.status import status as project_status

    return project_status(_project(database, project, models, migrations))


def check(
    *,
    offline: bool = False,
    database: str | None = None,
    project: str | os.PathLike[str] | None = None,
    models: str | Sequence[str] | None = None,
    migrations: str | os.PathLike[str] | None = None,
) -> list[Difference]:
    """Differences between models, files and database (empty when all agree)."""
    from schemashift.runtime.check import check as run_check

    return run_check(_project(database, project, models, migrations), offline=offline)


def evolve(
    database: str | None = None,
    project: str | os.PathLike[str] | None = None,
    models: str | Sequence[str] | None = None,
    migrations: str | os.PathLike[str] | None = None,
    *,
    lock_timeout: float | None = None,
) -> EvolveReport:
    """Apply pending migrations, then additive and safe model changes (for application
    start-up); applied files missing from the migrations folder (written by another
    host) are written back from the database first. Returns a report with ``applied``,
    ``refused`` (each difference with its reason) and ``restored``; raises
    :class:`~schemashift.errors.SchemashiftError` only when it cannot proceed (a failing
    migration included: the file it wrote is deleted again)."""
    from schemashift.runtime.evolve import EvolveReport
    from schemashift.runtime.startup import nothing_to_do

    path = os.fspath(project) if project is not None else None
    folder = os.fspath(migrations) if migrations is not None else None
    if nothing_to_do(database, path, _models(models), folder, lock_timeout):
        return EvolveReport()
    from schemashift.runtime.evolve import evolve as run_evolve

    return run_evolve(_project(database, project, models, migrations, lock_timeout))
