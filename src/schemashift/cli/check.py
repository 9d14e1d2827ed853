"""``schemashift check``: exit 0 only when models, files and database agree, 1 when they
differ, 3 when they could not be compared (the error handler of the CLI gives that)."""

from __future__ import annotations

from schemashift.cli.output import Output
from schemashift.project import Project
from schemashift.runtime.check import check

# argparse only names the type: the common commands run without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

#: The version of ``check --json``'s format; it grows when a key changes meaning.
JSON_VERSION = 1


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Print each difference with its cause; exit 1 when there is any."""
    differences = check(project, offline=args.offline)
    if args.json:
        import json

        payload = {
            "version": JSON_VERSION,
            "ok": not differences,
            "differences": [d.fields() for d in differences],
        }
        out.report(json.dumps(payload, indent=2))
        return 0 if not differences else 1
    if not differences:
        scope = "models and migration files" if args.offline else "models, files and database"
        out.report(f"OK: {scope} agree.")
        return 0
    for d in differences:
        out.report(f"{d.cause}: {d.detail}")
    n = len(differences)
    out.report(f"{n} difference{'s' if n != 1 else ''} found.")
    return 1
