"""``schemashift migrate --status``: every migration and its state.

Its own module, run without :mod:`schemashift.cli.migrate` and the executor behind it:
status is the command run most often, and on a project without a database it reads
nothing but the folder.
"""

from __future__ import annotations

from schemashift.runtime.status import StatusRow, status

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from schemashift.cli.output import Output
    from schemashift.project import Project


def run(args: argparse.Namespace, project: Project, out: Output) -> int:
    """Print the status report (``--json``: as one JSON object)."""
    return _status(project, out, as_json=args.json)


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
    rows = status(project)
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


def _warn_clashes(project: Project, rows: Sequence[StatusRow], out: Output) -> None:
    """An applied migration kept only in the database whose number a pending file has."""
    if not any(r.from_database for r in rows):
        return
    by_number: dict[str, list[StatusRow]] = {}
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
