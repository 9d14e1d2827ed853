"""Entry point: parse arguments, run one command, turn known errors into exit 1.

The most common invocations (``--help``, ``--version``, ``migrate``, ``migrate --status``,
``check``, ``evolve``, ``make migration NAME``) are recognised without argparse, whose
import (with ``gettext``, ``locale`` and ``shutil``) costs more than some of those
commands' own work; :func:`fast_arguments` gives exactly the values argparse would, and
anything else goes through argparse (:mod:`schemashift.cli.parser`, not even imported for
the common invocations). Each command imports what it needs.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from argparse import Namespace as _Parsed
    from collections.abc import Sequence
else:
    _Parsed = object


class FastArguments(_Parsed):
    """The values argparse gives for one of the common invocations (see
    :func:`fast_arguments`); read like an ``argparse.Namespace``."""

    def __init__(self, command: str, **values: object) -> None:
        self.command = command
        self.database = self.migrations = self.models = self.project = None
        self.traceback = self.quiet = self.verbose = False
        self.__dict__.update(values)


_MIGRATE_DEFAULTS: dict[str, object] = {
    "status": False,
    "rollback": False,
    "repair": None,
    "sql": False,
    "start": None,
    "json": False,
    "step": None,
    "to": None,
    "all": False,
    "fake": False,
    "dry_run": False,
    "yes": False,
    "lock_timeout": None,
}


def fast_arguments(argv: Sequence[str]) -> FastArguments | None:
    """The parsed arguments of the few invocations most runs are, without argparse; None
    for anything else (argparse then parses, reports errors and prints help). Every
    value equals argparse's (a test compares them), except ``command_parser``, which
    only argparse's error messages need and these invocations never give."""
    n = len(argv)
    command = argv[0] if argv else None
    if command == "migrate" and (
        n == 1 or (n == 2 and argv[1] == "--status") or argv[1:] == ["--status", "--json"]
    ):
        values = dict(_MIGRATE_DEFAULTS, status="--status" in argv, json="--json" in argv)
        return FastArguments("migrate", **values)
    if command == "check" and (n == 1 or (n == 2 and argv[1] == "--offline")):
        return FastArguments("check", offline=n == 2, json=False)
    if command == "evolve" and n == 1:
        return FastArguments("evolve", lock_timeout=None)
    if (
        command == "make"
        and n == 3
        and argv[1] == "migration"
        and argv[2]
        and not argv[2].startswith("-")
    ):
        return FastArguments(
            "make",
            make_kind="migration",
            name=argv[2],
            empty=False,
            rename=[],
            rename_table=[],
            concurrently=False,
            online=None,
        )
    return None


def _help_fast(argv: Sequence[str]) -> bool:
    """Print the top-level help or the version as argparse would, when that can be done
    without it: the help text is kept prebuilt for the width argparse uses when nothing
    says otherwise (80 columns) and the Python versions whose argparse is known to
    format it so. True when it was printed."""
    if len(argv) != 1:
        return False
    if argv[0] == "--version":
        from schemashift import __version__

        sys.stdout.write(f"schemashift {__version__}\n")
        return True
    if argv[0] not in ("-h", "--help") or not (3, 10) <= sys.version_info[:2] <= (3, 13):
        return False
    if help_columns() != 80:
        return False
    from schemashift.cli.helptext import HELP

    sys.stdout.write(HELP)
    return True


def help_columns() -> int:
    """The terminal width argparse formats help for (``shutil.get_terminal_size``'s,
    without importing ``shutil``)."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if _help_fast(arguments):
        # argparse ends --help and --version with sys.exit(0).
        raise SystemExit(0)
    args: argparse.Namespace | None = fast_arguments(arguments)
    if args is None:
        from schemashift.cli.parser import parse

        args = parse(arguments)
        if args is None:
            return 2
    from schemashift.cli.output import Output

    out = Output(quiet=args.quiet, verbose=args.verbose)
    try:
        from schemashift.cli import commands

        return commands.dispatch(args, out)
    except KeyboardInterrupt:
        out.error(
            "Interrupted. The transaction in progress was rolled back; migrations already "
            "reported as applied (or rolled back) stay so: `schemashift migrate --status` "
            "shows where things stand."
        )
        return 1
    except Exception as exc:
        from schemashift.errors import SchemashiftError
        from schemashift.url import redact

        if args.traceback:
            raise
        # Drivers and settings may quote a URL or conninfo in their text: mask every
        # password, whatever the message's origin.
        if isinstance(exc, SchemashiftError):
            out.error(redact(str(exc)))
        else:
            out.error(
                f"schemashift failed unexpectedly: {type(exc).__name__}: {redact(str(exc))}. "
                "Run the command again with --traceback to see where, and report it."
            )
        # `check` tells CI "could not compare" apart from "differences found" (exit 1).
        return 3 if args.command == "check" else 1


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
