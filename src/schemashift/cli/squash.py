"""``schemashift squash NAME``: one file for every migration up to NAME."""

from __future__ import annotations

from schemashift.cli.output import Output
from schemashift.project import Project

# argparse only names the type: the common commands run without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Write the squashed file and say what it replaces."""
    from schemashift.generate.squash import write_squash

    written, kept = write_squash(project, args.name, keep_hand_written=args.keep_hand_written)
    for path, chosen in written:
        try:
            shown = path.relative_to(project.settings.root)
        except ValueError:
            shown = path
        out.line(
            f"Created {shown} (replaces {len(chosen)} migrations: "
            f"{chosen[0].name} … {chosen[-1].name})"
        )
    for file in kept:
        out.line(f"Kept {file.name} as a step of its own (hand-written).")
    out.line(
        "A database that applied them all counts it as applied; a new database runs it "
        "instead of them. Delete the originals once every database has moved past them."
    )
    return 0
