"""Dispatch from parsed arguments to the module of one command."""

from __future__ import annotations

import argparse
import importlib

from schemashift.cli.output import Output
from schemashift.config import load_settings
from schemashift.runtime.project import Project

_MODULES = {
    "make": "schemashift.cli.make",
    "migrate": "schemashift.cli.migrate",
    "check": "schemashift.cli.check",
    "evolve": "schemashift.cli.evolve",
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
    module = importlib.import_module(_MODULES[args.command])
    code: int = module.run(args, project_from(args), out)
    return code
