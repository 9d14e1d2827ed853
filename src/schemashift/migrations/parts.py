"""Migration files that carry SQL for several databases, one part per dialect.

A generated file for one dialect is ``header, [options], up, down, operations``, its
top-level blocks separated by two blank lines. A file for several dialects declares
``dialects = (...)``, has ``up``/``down`` functions that dispatch on ``conn.dialect``, and
for each dialect D the functions ``up_D``/``down_D``, whose text is exactly what the
one-dialect file for D holds as ``up``/``down``. So the part of D (:func:`part_of`) — the
file without the declaration, the dispatchers and the other dialects' functions, with
``up_D``/``down_D`` named back — is byte for byte the one-dialect file for D. The tracking
table records the checksum of the part that ran: adding another dialect's part to an
applied file (``schemashift render``) is therefore no change for a database that applied
it, while an edit of the part that ran is.

Nothing here imports a migration file: parts are found in the text.
"""

from __future__ import annotations

from schemashift.errors import MigrationFileError
from schemashift.hashing import checksum_of

# Every checksum goes through this module, at every start of an application calling
# evolve: ``ast`` is imported only for a file that declares its dialects.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from schemashift.migrations.files import MigrationFile

_SEPARATOR = "\n\n\n"
# Patterns, not compiled ones, and ``re`` imported where they are used: only a file with
# parts needs them, and compiling them would cost every command's start-up more than
# reading the settings does.
_DECLARATION = rb"(?m)^dialects = (\([^)\n]*\)|\[[^\]\n]*\])[ \t]*\r?$"
_PART_FUNCTION = r"^def (up|down)_([a-z]+)\(conn\):\n"
_ONE_FUNCTION = r"^def (up|down)\(conn\):\n"

DISPATCH_UP = (
    "def up(conn):\n"
    '    """Apply changes: the part for the connected database (conn.dialect)."""\n'
    '    globals()["up_" + conn.dialect](conn)'
)
DISPATCH_DOWN = (
    "def down(conn):\n"
    '    """Revert changes: the part for the connected database (conn.dialect)."""\n'
    '    globals()["down_" + conn.dialect](conn)'
)


def declared_dialects(file: MigrationFile, data: bytes) -> tuple[str, ...] | None:
    """The dialects ``file`` declares with ``dialects = (...)``, or None when it declares
    none (it then runs on any database)."""
    if b"dialects = " not in data:
        return None
    import re

    match = re.search(_DECLARATION, data)
    if match is None:
        return None
    import ast

    try:
        value = ast.literal_eval(match.group(1).decode("utf-8"))
    except (SyntaxError, ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, (tuple, list)) or not all(isinstance(d, str) for d in value):
        from schemashift.dialects import known_dialects

        names = ", ".join(f'"{name}"' for name in known_dialects())
        raise MigrationFileError(
            f"Migration file {file.path}: dialects must be a tuple of database names among "
            f"{names}. Fix the file; nothing was changed."
        )
    return tuple(value)


def refuse_without_part(file: MigrationFile, data: bytes, dialect: str) -> None:
    """Refuse ``file`` on a ``dialect`` database when it declares dialects without it."""
    declared = declared_dialects(file, data)
    if declared is None or dialect in declared:
        return
    raise MigrationFileError(
        f"{file.name} has no SQL for {dialect}: it declares dialects = {declared!r}. Add "
        f'"{dialect}" to dialects in [tool.schemashift] and run `schemashift render '
        f"--dialect {dialect}` (generated files), or write its part by hand; nothing was "
        "changed."
    )


def part_of(data: bytes, dialect: str) -> bytes:
    """The file as the one-dialect file for ``dialect`` (a file without parts as it is)."""
    if b"\ndef up_" not in data and b"\ndialects = " not in data:
        return data
    import re

    text = data.decode("utf-8", errors="surrogateescape").replace("\r\n", "\n")
    kept = []
    for block in text.split(_SEPARATOR):
        if block.startswith("dialects = ") or block in (DISPATCH_UP, DISPATCH_DOWN):
            continue
        match = re.match(_PART_FUNCTION, block)
        if match is None:
            kept.append(block)
        elif match.group(2) == dialect:
            kept.append(f"def {match.group(1)}(conn):\n" + block[match.end() :])
    return _SEPARATOR.join(kept).encode("utf-8", errors="surrogateescape")


def checksum_for(data: bytes, dialect: str) -> str:
    """The checksum the tracking table of a ``dialect`` database records for a file: that
    of the part for ``dialect`` (for a file without parts, of the whole file)."""
    return checksum_of(part_of(data, dialect))


def declaration(dialects: Sequence[str]) -> str:
    """The ``dialects = (...)`` line of a file carrying parts for ``dialects``."""
    names = ", ".join(f'"{d}"' for d in dialects)
    return f"dialects = ({names},)" if len(dialects) == 1 else f"dialects = ({names})"


def functions_of(single: str) -> tuple[str, str]:
    """The ``up`` and ``down`` blocks of a one-dialect file."""
    import re

    found = {}
    for block in single.split(_SEPARATOR):
        match = re.match(_ONE_FUNCTION, block)
        if match is not None:
            found[match.group(1)] = block
    return found["up"], found["down"]


def with_parts(single: str, dialect: str, added: Sequence[tuple[str, str]]) -> str:
    """A file carrying the parts of ``single`` (a file whose ``up``/``down`` are
    ``dialect``'s, with or without other parts already) plus, for each ``(D, text)`` of
    ``added``, the ``up``/``down`` of the one-dialect file ``text`` for D."""
    import re

    blocks = single.replace("\r\n", "\n").split(_SEPARATOR)
    present = [dialect]
    out: list[str] = []
    last_part = 0
    for block in blocks:
        if block.startswith("dialects = ") or block in (DISPATCH_UP, DISPATCH_DOWN):
            continue
        one = re.match(_ONE_FUNCTION, block)
        part = re.match(_PART_FUNCTION, block)
        if one is not None:
            block = f"def {one.group(1)}_{dialect}(conn):\n" + block[one.end() :]
        elif part is not None and part.group(2) not in present:
            present.append(part.group(2))
        out.append(block)
        if one is not None or part is not None:
            last_part = len(out)
    new = []
    for name, text in added:
        up, down = functions_of(text)
        new += [
            f"def up_{name}(conn):\n" + up.split("\n", 1)[1],
            f"def down_{name}(conn):\n" + down.split("\n", 1)[1],
        ]
        present.append(name)
    first_part = next(i for i, b in enumerate(out) if re.match(_PART_FUNCTION, b))
    head = out[:first_part]
    # The declaration goes after the docstring and any options, right before the code.
    return _SEPARATOR.join(
        [
            *head,
            declaration(present),
            DISPATCH_UP,
            DISPATCH_DOWN,
            *out[first_part:last_part],
            *new,
            *out[last_part:],
        ]
    )
