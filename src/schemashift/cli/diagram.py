"""``schemashift diagram``: the schema as an entity-relationship diagram."""

from __future__ import annotations

import shutil
import subprocess

from schemashift.cli.output import Output
from schemashift.errors import ConfigError, DatabaseError
from schemashift.project import Project
from schemashift.schema.values import Schema

# argparse only names the type: the common commands run without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def _models_schema(project: Project) -> Schema:
    from schemashift.generate.make import target_schema

    schema, _ = target_schema(project, require=True)
    return schema


def _live_schema(project: Project) -> Schema:
    from schemashift.runtime.executor import connection

    with connection(project, create=False) as conn:
        if conn is None:
            raise DatabaseError(
                f"The database {project.url.redacted()} does not exist, so --live has nothing "
                "to draw. Run `schemashift migrate` first, or drop --live to draw the models."
            )
        return project.dialect.introspect(conn, exclude=project.settings.ignore_tables)


def _draw(dot_text: str, fmt: str) -> bytes:
    """Graphviz's rendering of ``dot_text`` as ``fmt`` (svg or png)."""
    program = shutil.which("dot")
    if program is None:
        raise ConfigError(
            f"--format {fmt} needs Graphviz's `dot` program, which is not installed. Install "
            "Graphviz (Debian: apt-get install graphviz), or use --format dot and draw it "
            "elsewhere."
        )
    done = subprocess.run(
        [program, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=120
    )
    if done.returncode != 0:
        raise ConfigError(
            f"Graphviz could not draw the diagram ({done.stderr.decode(errors='replace').strip()})."
            " Use --format dot to see the graph it was given."
        )
    return done.stdout


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Print the diagram of the models (or, with ``--live``, of the database)."""
    from schemashift.schema import diagram

    schema = _live_schema(project) if args.live else _models_schema(project)
    if args.format == "mermaid":
        out.raw(diagram.mermaid(schema))
    elif args.format == "dot":
        out.raw(diagram.dot(schema))
    else:
        out.raw_bytes(_draw(diagram.dot(schema), args.format))
    return 0
