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
        return _status(project, out, as_json=args.json)
    if args.sql:
        from schemashift.runtime.script import migrate_script

        out.raw(migrate_script(project, start=args.start, to=args.to))
        return 0
    if args.repair is not None:
        return _repair(project, out, name=args.repair or None, yes=args.yes)
    return _run(args, project, out, rollback=args.rollback)


def _descriptions(project: Project) -> dict[str, str]:
    """One line per migration file saying what it changes (from its operations list,
    read without importing the file); hand-written files say so."""
    from schemashift.errors import MigrationFileError
    from schemashift.migrations.history import operations_in

    found = {}
    for f in project.files:
        try:
            operations = operations_in(f.read_bytes(), f)
        except MigrationFileError:
            found[f.name] = "unreadable (see the warning)"
            continue
        if not operations:
            found[f.name] = "hand-written (no operations list)"
            continue
        shown = "; ".join(op.describe()[2:] for op in operations[:3])
        more = len(operations) - 3
        found[f.name] = shown + (f"; and {more} more" if more > 0 else "")
    return found


def _status(project: Project, out: Output, *, as_json: bool) -> int:
    rows = executor.status(project)
    described = _descriptions(project) if as_json or out.verbose else {}
    _warn_unreadable(project, {r.name for r in rows if not r.applied}, out)
    if as_json:
        import json

        payload = {
            "migrations": [
                {
                    "name": r.name,
                    "applied": r.applied,
                    "batch": r.batch,
                    "applied_at": r.applied_at,
                    "checksum_ok": r.checksum_ok,
                    "file_missing": r.file_missing,
                    "from_database": r.from_database,
                    "duration_ms": r.duration_ms,
                    "replaces": list(r.replaces),
                    "replaced_by": r.replaced_by,
                    "description": described.get(r.name),
                    "failed": r.failed,
                }
                for r in rows
            ]
        }
        out.report(json.dumps(payload, indent=2))
        return 0
    lines = ["MIGRATION STATUS"]
    for r in rows:
        mark = "[!]" if r.failed else "[X]" if r.applied else "[ ]"
        note = ""
        if r.failed:
            note = " (failed)"
        elif r.from_database:
            note = " (from database)"
        elif r.file_missing:
            note = " (missing file)"
        elif r.checksum_ok is False:
            note = " (changed)"
        if r.replaces:
            note += f" (replaces {r.replaces[0]} … {r.replaces[-1]})"
        elif r.replaced_by:
            note += f" (applied as part of {r.replaced_by})"
        extra = ""
        if out.verbose and r.applied:
            took = f", {r.duration_ms} ms" if r.duration_ms is not None else ""
            extra = f"  batch {r.batch}, {r.applied_at}{took}"
        if r.name in described:
            extra += f"  {described[r.name]}"
        lines.append(f"{mark} {r.name}{note}{extra}")
    out.report_lines(lines)
    _warn_clashes(project, rows, out)
    return 0


def _warn_clashes(project: Project, rows: Sequence[executor.StatusRow], out: Output) -> None:
    """An applied migration kept only in the database whose number a pending file has."""
    if not any(r.from_database for r in rows):
        return
    by_number: dict[str, list[executor.StatusRow]] = {}
    for r in rows:
        by_number.setdefault(r.name.split("_", 1)[0], []).append(r)
    for same in by_number.values():
        kept = [r.name for r in same if r.from_database]
        others = [r.name for r in same if not r.from_database]
        if kept and others:
            from schemashift.runtime.stored import clash_message

            out.warn(clash_message(kept[0], others[0]))


def _warn_unreadable(project: Project, pending: set[str], out: Output) -> None:
    """A pending file that migrate would refuse (a syntax error, a NUL byte) is named in
    a warning; the report itself still shows it as pending."""
    from schemashift.errors import MigrationFileError

    for f in project.files:
        if f.name in pending:
            try:
                f.check_source()
            except MigrationFileError as exc:
                out.warn(exc.message)


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
