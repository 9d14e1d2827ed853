"""``schemashift make migration NAME``."""

from __future__ import annotations

from schemashift.cli.output import Output
from schemashift.cli.prompts import prompts
from schemashift.generate.make import make_migration
from schemashift.project import Project

# argparse only names the type: the common commands run without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def _shown(project: Project, path: object) -> str:
    from pathlib import Path

    assert isinstance(path, Path)
    try:
        return str(path.relative_to(project.settings.root))
    except ValueError:
        return str(path)


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Write the next migration file and list its changes."""
    ask, fill = prompts()
    result = make_migration(
        project,
        args.name,
        empty=args.empty,
        renames=args.rename,
        rename_tables=args.rename_table,
        ask=ask,
        fill=fill,
        concurrently=args.concurrently,
        online=args.online,
    )
    for warning in result.warnings:
        out.warn(warning)
    if result.path is not None and any("rename" in w for w in result.warnings):
        paths = [w.path for w in result.written] or [result.path]
        files = ", ".join(_shown(project, p) for p in paths)
        out.warn(
            f"To record a rename instead, delete {files} and run make "
            "migration again with the --rename or --rename-table option named above."
        )
    if result.path is None:
        out.line("No changes detected: the models match the migration files. No file written.")
        return 0
    if args.empty:
        out.line(
            f"Created {_shown(project, result.path)} (empty template for a hand-written migration)"
        )
        return 0
    out.lines(
        [
            line
            for written in result.written
            for line in (
                f"Created {_shown(project, written.path)}",
                *(f"  {text}" for text in written.lines),
            )
        ]
    )
    for warning in result.destructive:
        out.warn(f"data loss: {warning}")
    for note in result.notes:
        out.warn(f"lock: {note}")
    return 0
