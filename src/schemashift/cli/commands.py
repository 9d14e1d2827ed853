"""Dispatch from parsed arguments to the module of one command."""

from __future__ import annotations

import os
import sys

from schemashift.cli.output import Output
from schemashift.config import load_settings
from schemashift.defaults import DEFAULT_MODELS_DIR
from schemashift.errors import ConfigError
from schemashift.project import Project

# argparse only names the type: the common commands run without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

_MODULES = {
    "make": "schemashift.cli.make",
    "migrate": "schemashift.cli.migrate",
    "check": "schemashift.cli.check",
    "evolve": "schemashift.cli.evolve",
    "diagram": "schemashift.cli.diagram",
    "rebase": "schemashift.cli.rebase",
    "squash": "schemashift.cli.squash",
    "show": "schemashift.cli.show",
    "render": "schemashift.cli.render",
}


def project_from(args: argparse.Namespace) -> Project:
    """The project the flags point at."""
    settings = load_settings(
        project=args.project,
        database=args.database,
        migrations=args.migrations,
        models=args.models,
        lock_timeout=getattr(args, "lock_timeout", None),
    )
    project = Project(settings)
    # Lets a DBA tell schemashift's sessions (and a killed run's leftovers) apart.
    project.url = project.url._replace(application_name=f"schemashift {args.command}")
    return project


def dispatch(args: argparse.Namespace, out: Output) -> int:
    """Run the command named in ``args``; returns the exit code."""
    name = _MODULES[args.command]
    if args.command == "migrate" and args.status:
        name = "schemashift.cli.status"
    # __import__ rather than importlib, which brings ``warnings`` to every start-up.
    __import__(name)
    module = sys.modules[name]
    project = project_from(args)
    if args.command not in ("make", "diagram", "rebase"):
        refuse_empty_folder(project)
    code: int = module.run(args, project, out)
    return code


def refuse_empty_folder(project: Project) -> None:
    """Refuse to run where nothing says a project lives: no ``[tool.schemashift]``, no
    models and no migrations folder. Carrying on would report success and create a
    database file in the wrong folder."""
    settings = project.settings
    if (
        settings.configured
        or settings.models is not None
        or os.path.isdir(settings.migrations_path)
        or os.path.isdir(settings.models_dir_path)
    ):
        return
    raise ConfigError(
        f"No schemashift project in {settings.root_path}: no [tool.schemashift] in pyproject.toml, "
        f"no {DEFAULT_MODELS_DIR}/ and no migrations folder. Run the command from the project's "
        "folder or pass --project DIR; nothing was created."
    )
