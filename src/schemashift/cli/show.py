"""``schemashift show NAME [--down]``: the SQL one migration runs."""

from __future__ import annotations

from schemashift.cli.output import Output
from schemashift.project import Project

# argparse only names the type: the common commands run without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Print the statements of NAME's up() (or down()) for the configured database."""
    from schemashift.runtime.script import show

    out.raw(show(project, args.name, down=args.down))
    return 0
