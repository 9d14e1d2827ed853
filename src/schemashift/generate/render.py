"""``schemashift render --dialect D``: add D's SQL to the generated files that lack it.

A file gets D's part only when the SQL it already carries is exactly what this version
renders from its operations list (so it was not edited by hand): the new part is then
rendered from the same operations, on the schema the files before it produce. Every
other file is listed for the user to extend. Adding a part leaves the part of every
other dialect byte for byte as it was, so databases that applied the file see no change
(see :mod:`schemashift.migrations.parts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schemashift.errors import ConfigError
from schemashift.migrations.files import MigrationFile
from schemashift.migrations.parts import (
    declaration,
    declared_dialects,
    functions_of,
    part_of,
    with_parts,
)

if TYPE_CHECKING:
    from schemashift.diff.operations import Operation
    from schemashift.project import Project
    from schemashift.schema.values import Schema


@dataclass
class Extension:
    """What ``render`` did: files given the dialect's part, files that had it, and
    ``(name, reason)`` for each file the user must extend or check."""

    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    by_hand: list[tuple[str, str]] = field(default_factory=list)


def add_dialect(project: Project, name: str) -> Extension:
    """Give every generated file of ``project`` the part for dialect ``name``."""
    from schemashift.dialects import known_dialects
    from schemashift.migrations.history import operations_in
    from schemashift.migrations.squash import Squashes
    from schemashift.migrations.writer import write_file
    from schemashift.schema.values import Schema

    if name not in known_dialects():
        raise ConfigError(f"Unknown dialect {name!r}: render knows {', '.join(known_dialects())}.")
    files = project.files
    squashes = Squashes.of(files)
    history = {f.name for f in squashes.effective(files)}
    before: dict[str, Schema] = {}
    schema = Schema()
    texts: dict[str, tuple[MigrationFile, bytes, list[Operation]]] = {}
    for file in files:
        data = file.read_bytes()
        operations = operations_in(data, file)
        texts[file.name] = (file, data, operations)
        if file.name in history:
            before[file.name] = schema
            for op in operations:
                schema = op.apply(schema)
    report = Extension()
    # A one-dialect file whose SQL several dialects render alike is taken for the
    # database the project runs on, then for the configured dialects in their order.
    preferred = [project.url.dialect, *project.settings.dialects]
    changed: list[tuple[MigrationFile, str]] = []
    for file in files:
        _, data, operations = texts[file.name]
        start = _start_of(file.name, squashes.replaces.get(file.name, ()), before)
        text, reason = _extended(file, data, operations, start, name, preferred)
        if text is not None:
            changed.append((file, text))
        if reason is not None:
            report.by_hand.append((file.name, reason))
        elif text is None:
            report.present.append(file.name)
        else:
            report.added.append(file.name)
    for file, text in changed:
        write_file(file.path.parent, file.path.name, text)
    return report


def _start_of(name: str, replaced: tuple[str, ...], before: dict[str, Schema]) -> Schema | None:
    """The schema a file starts from: the history's before it, or for a squash whose
    originals are still the history, the schema before the first of them."""
    if name in before:
        return before[name]
    if replaced and replaced[0] in before:
        return before[replaced[0]]
    return None


def _extended(
    file: MigrationFile,
    data: bytes,
    operations: list[Operation],
    before: Schema | None,
    name: str,
    preferred: list[str],
) -> tuple[str | None, str | None]:
    """The file's new text (None: unchanged) and, when the user must extend or check it,
    why. A generated file edited by hand that declares no dialects is given the
    declaration of the database it was applied on, so that a ``name`` database refuses
    it instead of running SQL written for another."""
    declared = declared_dialects(file, data)
    if declared is not None and name in declared:
        return None, None
    if not operations:
        if declared is None:
            return None, (
                f"hand-written and declares no dialects, so it runs on {name} as it is: "
                "check that its SQL works there"
            )
        return None, f"hand-written for {', '.join(declared)}: add a part for {name}"
    if before is None:
        return None, "replaced by a squash whose originals are incomplete"
    candidates = declared if declared is not None else _known_except(name, preferred)
    matched = [d for d in candidates if _renders_as(file, data, operations, before, d)]
    if (declared is not None and len(matched) != len(declared)) or not matched:
        reason = "its SQL was edited after it was generated: add the part by hand"
        return (_declared(data, preferred[0]) if declared is None else None), reason
    rendered = _render_single(file, operations, before, name)
    return with_parts(data.decode("utf-8"), matched[0], [(name, rendered)]), None


def _declared(data: bytes, dialect: str) -> str | None:
    """The one-dialect file ``data`` declaring ``dialects = (dialect,)`` before its code,
    or None when the declaration cannot stand apart from the rest (the file's checksum
    for ``dialect`` would change)."""
    text = data.decode("utf-8").replace("\r\n", "\n")
    at = text.find("\n\n\ndef up(conn):")
    if at < 0:
        return None
    new = text[: at + 3] + declaration([dialect]) + text[at:]
    return new if part_of(new.encode("utf-8"), dialect) == text.encode("utf-8") else None


def _known_except(name: str, preferred: list[str]) -> tuple[str, ...]:
    """Every dialect but ``name``, those in ``preferred`` first."""
    from schemashift.dialects import known_dialects

    ordered = dict.fromkeys([*preferred, *known_dialects()])
    return tuple(d for d in ordered if d != name)


def _renders_as(
    file: MigrationFile,
    data: bytes,
    operations: list[Operation],
    before: Schema,
    dialect: str,
) -> bool:
    """Whether the part of ``dialect`` in the file is what rendering its operations for
    ``dialect`` gives today."""
    own = part_of(data, dialect).decode("utf-8", errors="replace").replace("\r\n", "\n")
    try:
        mine = functions_of(own)
    except KeyError:
        return False
    return mine == functions_of(_render_single(file, operations, before, dialect))


def _render_single(
    file: MigrationFile,
    operations: list[Operation],
    before: Schema,
    dialect: str,
) -> str:
    """The one-dialect file for ``dialect`` that ``make migration`` would write."""
    from schemashift.dialects import get_dialect
    from schemashift.diff.operations import apply_all, reverse_all
    from schemashift.migrations.writer import render_file

    target = get_dialect(dialect)
    up = target.render(operations, before)
    down = target.render(reverse_all(operations), apply_all(before, operations))
    return render_file(file.name.split("_", 1)[1], operations, up, down)
