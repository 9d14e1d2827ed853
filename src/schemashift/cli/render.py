"""``schemashift render --dialect D``: add D's SQL to the generated migration files."""

from __future__ import annotations

import argparse

from schemashift.cli.output import Output
from schemashift.project import Project


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Add the dialect's part where it can, and list the files to extend by hand."""
    from schemashift.generate.render import add_dialect

    name = args.dialect
    report = add_dialect(project, name)
    if report.added:
        out.line(f"Added {name} SQL to {len(report.added)} migration file(s):")
        for file in report.added:
            out.line(f"  {file}")
    elif not report.by_hand:
        out.line(f"Every migration file already carries {name} SQL; nothing was changed.")
    if report.by_hand:
        out.line(f"Extend or check these by hand ({name}):")
        for file, reason in report.by_hand:
            out.line(f"  {file}: {reason}")
    if name not in (project.settings.dialects or (project.url.dialect,)):
        out.line(
            f'Add "{name}" to dialects in [tool.schemashift] so that new migrations carry '
            "its SQL too."
        )
    return 0
