"""``schemashift rebase [NAME]...``: renumber pending files after a merge."""

from __future__ import annotations

from schemashift.cli.output import Output
from schemashift.project import Project

# argparse only names the type: the common commands run without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Move the chosen files after the newest other file and say what moved."""
    from schemashift.runtime.rebase import rebase

    moves = rebase(project, args.names)
    if not moves:
        out.line("Nothing to rebase: no pending file needs a new number.")
        return 0
    for move in moves:
        out.line(f"Renamed {move.file.path.name} to {move.new_filename}")
    out.line(
        "The merged history replays in its new order. Commit the renamed files; "
        "`schemashift check --offline` confirms the models agree."
    )
    return 0
