"""``schemashift evolve``: pending migrations, then additive model changes."""

from __future__ import annotations

from schemashift.cli.migrate import CliReporter
from schemashift.cli.output import Output
from schemashift.project import Project
from schemashift.runtime.evolve import evolve

# argparse only names the type: the common commands run without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Evolve; exit 1 listing the refused differences if any was destructive."""
    reporter = CliReporter(out)
    report = evolve(project, lock_timeout=args.lock_timeout, reporter=reporter)
    reporter.close()
    if report.written:
        folder = project.settings.migrations
        try:
            shown = folder.relative_to(project.settings.root) / report.written
        except ValueError:
            shown = folder / report.written
        out.line(f"Wrote {shown} for the additive model changes.")
    if report.refused:
        out.error(
            "evolve refused model changes that are not additive and safe; write a reviewed "
            "migration with `schemashift make migration NAME` instead.\n"
            + "\n".join(f"  refused: {r}" for r in report.refused)
        )
        return 1
    if not report.applied:
        out.line("Nothing to evolve: the database matches the models.")
    else:
        out.line(f"Evolved: applied {len(report.applied)} migration(s).")
    return 0
