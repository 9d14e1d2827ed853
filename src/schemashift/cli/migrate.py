"""``schemashift migrate`` and its modes: --status, --rollback, --repair."""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.cli.output import Output
from schemashift.errors import ConfigError
from schemashift.project import Project
from schemashift.runtime import executor

# argparse only names the type: the common commands run without importing it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

# Show a progress line instead of one line per migration past this many.
_PROGRESS_AFTER = 50


class CliReporter(executor.Reporter):
    """Prints each migration's name and duration as it finishes."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.total = 0
        self._progress = False

    def starting(self, name: str, direction: str, total: int, index: int) -> None:
        self.total = total
        self._progress = total > _PROGRESS_AFTER and self.out.colour_out and not self.out.quiet

    def finished(self, name: str, direction: str, duration_ms: int, fake: bool) -> None:
        verb = "Applied" if direction == "up" else "Rolled back"
        if fake:
            verb = "Faked" if direction == "up" else "Unrecorded (fake)"
        if self._progress:
            import sys

            sys.stdout.write(f"\r{verb} {name} ({duration_ms} ms)\033[K")
            sys.stdout.flush()
            return
        timing = "" if fake else f" ({duration_ms} ms)"
        self.out.line(f"{self.out.paint(verb, 'green')} {name}{timing}")

    def warn(self, message: str) -> None:
        self.out.warn(message)

    def info(self, message: str) -> None:
        self.out.line(message)

    def statements(self, name: str, direction: str, sql: Sequence[str]) -> None:
        self.out.report(f"-- {name} ({direction})")
        for statement in sql:
            self.out.report(statement if statement.startswith("--") else statement + ";")

    def close(self) -> None:
        """End a progress line."""
        if self._progress:
            import sys

            sys.stdout.write("\n")


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Dispatch to the mode the flags ask for."""
    if args.status:
        from schemashift.cli import status

        return status.run(args, project, out)
    if args.sql:
        from schemashift.runtime.script import migrate_script

        out.raw(migrate_script(project, start=args.start, to=args.to))
        return 0
    if args.repair is not None:
        return _repair(project, out, name=args.repair or None, yes=args.yes)
    return _run(args, project, out, rollback=args.rollback)


def _summary(result: executor.RunResult, rollback: bool) -> str:
    n = len(result.names)
    noun = "migration" if n == 1 else "migrations"
    if rollback:
        if result.dry_run:
            return f"Dry run: {n} {noun} would be rolled back; nothing was changed."
        if result.fake:
            return f"Unrecorded {n} {noun} without running SQL."
        return f"Rolled back {n} {noun} ({result.duration_ms} ms)."
    if result.dry_run:
        return f"Dry run: {n} {noun} would run in batch {result.batch}; nothing was changed."
    if result.fake:
        return f"Recorded {n} {noun} as applied in batch {result.batch} without running SQL."
    return f"Applied {n} {noun} in batch {result.batch} ({result.duration_ms} ms)."


def _run(args: argparse.Namespace, project: Project, out: Output, *, rollback: bool) -> int:
    reporter = CliReporter(out)
    run = executor.rollback if rollback else executor.migrate
    result = run(
        project,
        step=args.step,
        to=args.to,
        fake=args.fake,
        dry_run=args.dry_run,
        lock_timeout=args.lock_timeout,
        reporter=reporter,
    )
    reporter.close()
    if not result.names:
        if rollback:
            out.line("Nothing to roll back.")
        else:
            out.line(result.note or "Nothing to migrate: every migration is applied.")
        return 0
    out.line(_summary(result, rollback))
    return 0


def _repair(project: Project, out: Output, *, name: str | None, yes: bool) -> int:
    from schemashift.runtime.repair import Item, repair

    def confirm(items: list[Item]) -> bool:
        out.report("--repair will:")
        for item, kind in items:
            if kind == "changed":
                out.report(f"  record the current checksum of {item} (edited since it was applied)")
            elif kind == "failed":
                out.report(f"  forget {item} (it failed part-way; you have cleaned up after it)")
            else:
                out.report(f"  forget {item} (its file is missing)")
        if yes:
            return True
        from schemashift.cli.prompts import ask_yes_no, interactive

        if not interactive():
            raise ConfigError(
                "--repair changes the tracking table, so off a terminal it needs --yes: check "
                "the list above, then run the command again with --yes. Nothing was changed."
            )
        return ask_yes_no("Repair these records? [y/N]")

    done = repair(project, name=name, confirm=confirm)
    if not done.items:
        which = f"{name} matches its file" if name else "every applied migration matches its file"
        out.line(f"Nothing to repair: {which}.")
        return 0
    if not done.done:
        out.error("Repair not confirmed; nothing was changed.")
        return 1
    for item, kind in done.items:
        if kind == "changed":
            out.line(f"Recorded the current checksum of {item}.")
        elif kind == "failed":
            out.line(f"Forgot the failed record of {item}: it is pending again.")
        else:
            out.line(f"Forgot {item} (its file is missing).")
    return 0
