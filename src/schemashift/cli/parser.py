"""The argument parser of the command line, and the checks argparse cannot express.

Imported only for what :func:`schemashift.cli.main.fast_arguments` does not recognise:
building the parser (and importing argparse, ``gettext``, ``locale`` and ``shutil``)
costs more than some commands' own work.
"""

from __future__ import annotations

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

EXAMPLES = {
    "make": "example: schemashift make migration add_phone_to_users",
    "migrate": "examples: schemashift migrate | schemashift migrate --status | "
    "schemashift migrate --rollback",
    "check": "example: schemashift check --offline   (in CI, before merging)",
    "evolve": "example: schemashift evolve   (at application start-up)",
    "rebase": "examples: schemashift rebase   (after a merge) | schemashift rebase 0005_add_bio",
    "squash": "example: schemashift squash 0040   (one file for 0001 to 0040)",
    "show": "examples: schemashift show 0003 | schemashift show 0003_add_bio --down",
    "diagram": "examples: schemashift diagram > schema.mmd | "
    "schemashift diagram --format svg > schema.svg",
    "render": "example: schemashift render --dialect postgresql   (a project moving off SQLite)",
}


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options accepted before or after the command. Under a command their defaults are
    suppressed so that a value given before the command is not overwritten."""
    default = argparse.SUPPRESS if suppress else None
    flag_default = argparse.SUPPRESS if suppress else False
    group = parser.add_argument_group("project options")
    group.add_argument(
        "--database",
        metavar="URL",
        default=default,
        help="database URL (default: DATABASE_URL, pyproject, sqlite:///db.sqlite3)",
    )
    group.add_argument(
        "--migrations",
        metavar="DIR",
        default=default,
        help="migrations folder (default: src/migrations)",
    )
    group.add_argument(
        "--models",
        metavar="MODULE[,MODULE]",
        default=default,
        help="modules holding the models (default: every src/models/*.py)",
    )
    group.add_argument(
        "--project",
        metavar="DIR",
        default=default,
        help="project root (default: nearest folder with pyproject.toml)",
    )
    group.add_argument(
        "--traceback",
        action="store_true",
        default=flag_default,
        help="show the full traceback of an error",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=flag_default,
        help="print only errors and warnings",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=flag_default,
        help="print more detail (batch and time of each applied migration in --status)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


_COMMANDS: dict[str, tuple[str, str]] = {
    "make": ("write a new migration file", "Write a new migration file."),
    "migrate": (
        "apply pending migrations (or --status, --rollback, --repair)",
        "Apply every pending migration, in number order, as one batch.",
    ),
    "check": (
        "exit 1 when models, files and database disagree (for CI)",
        "Exit 0 only when models, migration files and database all agree.",
    ),
    "evolve": (
        "apply pending migrations, then additive model changes",
        "Apply pending migrations; then write and apply additive, safe model changes as "
        "NNNN_auto_evolve.py. Destructive changes are refused.",
    ),
    "rebase": (
        "renumber pending files that share a number after a merge",
        "Move the named pending migration files (or, from each pair sharing a number, the "
        "one not applied in the configured database) after the newest other file, once a "
        "replay shows the merged history still applies.",
    ),
    "show": (
        "print the SQL one migration runs",
        "Print the SQL that migration NAME runs on the configured database (--down: its "
        "down()), from its file or, when the file is missing, the copy the database keeps.",
    ),
    "squash": (
        "write one migration equivalent to every migration up to NAME",
        "Write NNNN_squashed_FIRST_LAST.py, equivalent to every migration up to NAME and "
        "recording which it replaces: databases that applied them carry on, new databases "
        "run the squash instead.",
    ),
    "diagram": (
        "draw the schema as an entity-relationship diagram",
        "Print the models' schema (or the database's, with --live) as a Mermaid erDiagram, "
        "as Graphviz DOT, or drawn as SVG/PNG by Graphviz.",
    ),
    "render": (
        "add another database's SQL to the generated migration files",
        "Add the SQL of --dialect to every generated migration file whose SQL was not "
        "edited by hand, and list the files to extend by hand. Databases that applied a "
        "file see no change.",
    ),
}


def _make_arguments(make: argparse.ArgumentParser) -> None:
    make_kinds = make.add_subparsers(dest="make_kind", metavar="migration")
    mig = make_kinds.add_parser(
        "migration",
        help="compare models with the migration files and write the difference",
        description="Compare the models with the schema the migration files produce and "
        "write the difference as src/migrations/NNNN_NAME.py.",
        epilog=EXAMPLES["make"],
    )
    mig.add_argument("name", metavar="NAME", help="what the migration does, [a-z0-9_]+")
    mig.add_argument(
        "--empty", action="store_true", help="write a template for a hand-written (data) migration"
    )
    mig.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="TABLE.OLD=NEW",
        help="treat a dropped and an added column as a rename",
    )
    mig.add_argument(
        "--rename-table",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="treat a dropped and an added table as a rename",
    )
    mig.add_argument(
        "--concurrently",
        action="store_true",
        help="PostgreSQL: write index changes as CREATE/DROP INDEX CONCURRENTLY in an "
        "atomic = False migration",
    )
    mig.add_argument(
        "--online",
        action="store_true",
        default=None,
        help="PostgreSQL: write the online forms of the changes (no long locks), possibly "
        "as several files; the online setting does the same for every migration",
    )
    _global_options(mig, suppress=True)


def _migrate_arguments(migrate: argparse.ArgumentParser) -> None:
    mode = migrate.add_mutually_exclusive_group()
    mode.add_argument("--status", action="store_true", help="list migrations and their state")
    mode.add_argument(
        "--rollback",
        action="store_true",
        help="roll back the last batch (or --step N migrations, or --to NAME)",
    )
    mode.add_argument(
        "--repair",
        nargs="?",
        const="",
        metavar="NAME",
        help="accept edited or missing applied files as they are now (NAME: only that one)",
    )
    mode.add_argument(
        "--sql",
        action="store_true",
        help="print the whole SQL script migrate would run (BEGIN ... COMMIT), change nothing",
    )
    migrate.add_argument(
        "--from",
        dest="start",
        metavar="NAME",
        help="with --sql: take NAME as the last applied migration (0: none); no database",
    )
    migrate.add_argument("--json", action="store_true", help="with --status: print JSON")
    migrate.add_argument(
        "--step", type=_positive_int, metavar="N", help="apply (or roll back) only N migrations"
    )
    migrate.add_argument(
        "--to",
        metavar="NAME",
        help="apply up to and including NAME (rollback: roll back after NAME)",
    )
    migrate.add_argument(
        "--all",
        action="store_true",
        help="with --rollback: roll back every applied migration (as --to 0)",
    )
    migrate.add_argument(
        "--fake", action="store_true", help="record (or unrecord) without running any SQL"
    )
    migrate.add_argument(
        "--dry-run", action="store_true", help="print the SQL that would run and change nothing"
    )
    migrate.add_argument(
        "--yes", action="store_true", help="with --repair: do it without asking (off a terminal)"
    )
    migrate.add_argument(
        "--lock-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="how long to wait for another migrate (default: 60)",
    )


def _check_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--offline", action="store_true", help="compare models and files only, without a database"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")


def _evolve_arguments(evolve: argparse.ArgumentParser) -> None:
    evolve.add_argument(
        "--lock-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="how long to wait for another migrate (default: 60)",
    )


def _rebase_arguments(rebase: argparse.ArgumentParser) -> None:
    rebase.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="pending files to move (default: the unapplied one of each pair sharing a number)",
    )


def _show_arguments(show: argparse.ArgumentParser) -> None:
    show.add_argument("name", metavar="NAME", help="the migration (full name or number)")
    show.add_argument("--down", action="store_true", help="the SQL of its down() instead")


def _squash_arguments(squash: argparse.ArgumentParser) -> None:
    squash.add_argument("name", metavar="NAME", help="the last migration to fold in")
    squash.add_argument(
        "--keep-hand-written",
        action="store_true",
        help="keep hand-written migrations in the range as steps of their own",
    )


def _diagram_arguments(diagram: argparse.ArgumentParser) -> None:
    diagram.add_argument(
        "--format",
        choices=("mermaid", "dot", "svg", "png"),
        default="mermaid",
        help="mermaid (default; GitHub renders it in Markdown), dot, or svg/png drawn by Graphviz",
    )
    diagram.add_argument(
        "--live", action="store_true", help="draw the configured database instead of the models"
    )


def _render_arguments(render: argparse.ArgumentParser) -> None:
    from schemashift.dialects import known_dialects

    render.add_argument(
        "--dialect",
        required=True,
        choices=known_dialects(),
        help="the database whose SQL to add",
    )


_ARGUMENTS = {
    "make": _make_arguments,
    "migrate": _migrate_arguments,
    "check": _check_arguments,
    "evolve": _evolve_arguments,
    "rebase": _rebase_arguments,
    "squash": _squash_arguments,
    "show": _show_arguments,
    "diagram": _diagram_arguments,
    "render": _render_arguments,
}
_VALUE_FLAGS = {"--database", "--migrations", "--models", "--project"}


def command_in(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (None when there is none), found without parsing."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in _VALUE_FLAGS:
            skip = True
        elif token in _COMMANDS:
            return token
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser. With ``only``, just that command's options are added (every
    command is still listed): building the others would slow every start-up."""
    from schemashift import __version__

    parser = argparse.ArgumentParser(
        prog="schemashift",
        description="Schema migrations from Python models: make migration, migrate, check.",
        epilog="Run `schemashift COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"schemashift {__version__}")
    _global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, description) in _COMMANDS.items():
        sub = commands.add_parser(
            name, help=summary, description=description, epilog=EXAMPLES[name]
        )
        if only is None or only == name:
            _ARGUMENTS[name](sub)
        _global_options(sub, suppress=True)
        sub.set_defaults(command_parser=sub)
    return parser


def parse(argv: Sequence[str]) -> argparse.Namespace | None:
    """``argv`` parsed as the command line; argparse reports errors (exit 2). None when no
    command is named: the help was printed."""
    parser = build_parser(command_in(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return None
    if args.command == "make" and args.make_kind is None:
        args.command_parser.error("say what to make: schemashift make migration NAME")
    if args.command == "migrate":
        _check_migrate_flags(args.command_parser, args)
    return args


def _check_migrate_flags(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.json and not args.status:
        parser.error("--json goes with --status (or use `schemashift check --json`)")
    if args.yes and args.repair is None:
        parser.error("--yes goes with --repair")
    if args.status or args.repair is not None:
        extra = [f for f in ("step", "to") if getattr(args, f) is not None]
        if args.status and args.lock_timeout is not None:
            extra.append("lock_timeout")
        extra += [f for f in ("fake", "dry_run") if getattr(args, f)]
        if extra:
            flag = "--" + extra[0].replace("_", "-")
            mode = "--status" if args.status else "--repair"
            parser.error(f"{flag} cannot be used with {mode}")
    if args.step is not None and args.to is not None:
        parser.error("--step and --to cannot be used together")
    if args.start is not None and not args.sql:
        parser.error("--from goes with --sql (the last applied migration of the script)")
    if args.sql:
        extra = [f for f in ("step", "lock_timeout") if getattr(args, f) is not None]
        extra += [f for f in ("fake", "dry_run", "all") if getattr(args, f)]
        if extra:
            parser.error(f"--{extra[0].replace('_', '-')} cannot be used with --sql")
    if args.all:
        if not args.rollback:
            parser.error("--all goes with --rollback (roll back every applied migration)")
        if args.step is not None or args.to is not None:
            parser.error("--all cannot be used with --step or --to")
        args.to = "0"
