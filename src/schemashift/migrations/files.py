"""Migration files on disk: names, numbers, checksums. Nothing here imports a file."""

from __future__ import annotations

import itertools
import os

from schemashift.errors import MigrationFileError
from schemashift.hashing import checksum_of as checksum_of
from schemashift.hashing import sha256 as _sha256
from schemashift.migrations.parts import checksum_for
from schemashift.paths import path_text
from schemashift.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from pathlib import Path

#: The characters of a migration's NAME. :func:`file_number` reads the file name
#: ``^(\d{4,})_([a-z0-9_]+)\.py$`` without a regular expression: compiling one would cost
#: every start-up more than checking 1,000 names does.
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
NAME_RE = r"^[a-z0-9_]+$"
#: The longest NAME of ``make migration``: ``NNNN_NAME.py`` (and the ``.NNNN_NAME.py.tmp``
#: it is first written as) then stays well within the 255 bytes that a file name may have
#: on ext4, XFS, APFS, NTFS and most other file systems, even past migration 9999.
MAX_NAME_LENGTH = 200


class MigrationFile(NamedTuple):
    """One migration file: ``0003_add_author_bio.py`` has number 3."""

    name: str
    number: int
    #: Where the file is, as a string; :attr:`path` is the same as a ``Path``.
    location: str

    @property
    def path(self) -> Path:
        """Where the file is."""
        # Built on demand: status and evolve name no file, and pathlib (with
        # urllib.parse and ipaddress) costs a good part of their start-up.
        from pathlib import Path

        return Path(self.location)

    def read_bytes(self) -> bytes:
        """The file's bytes; a file that vanished is a clear error."""
        try:
            return read_file(self.location)
        except OSError as exc:
            raise MigrationFileError(
                f"Migration file {self.path} cannot be read ({exc.strerror})."
            ) from exc

    def checksum(self, dialect: str) -> str:
        """The checksum a ``dialect`` database records for this file: lowercase hex
        SHA-256 of the bytes of its part for ``dialect`` (the whole file when it has no
        parts), with CRLF turned into LF."""
        return checksum_for(self.read_bytes(), dialect)

    def check_source(self) -> None:
        """Refuse a file that Python cannot parse (a syntax error, a NUL byte), naming
        the line; nothing of it runs."""
        from schemashift.migrations.quickread import read_literals

        data = self.read_bytes()
        if read_literals(self, data) is None:
            parse_source(self, data)


#: SHA-256 without OpenSSL, for every hash schemashift takes of a file.
sha256 = _sha256

_CHUNK = 1 << 16


def read_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the file at ``path``. Status, migrate and evolve read every migration
    file: through ``os.read`` this takes four system calls, where ``open().read()`` makes
    nine (it also asks whether the file is a terminal, and its size and position twice)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = os.read(fd, _CHUNK)
        if not data:
            return data
        chunks = [data]
        while chunk := os.read(fd, _CHUNK):
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def list_migrations(folder: str | os.PathLike[str]) -> list[MigrationFile]:
    """Every migration file in ``folder``, by number. Refuses duplicate numbers and
    ``.py`` files that look like migrations but are misnamed."""
    files = scan_migrations(folder)
    for a, b in itertools.pairwise(files):
        if a.number == b.number and not _squash_pair(a, b):
            raise MigrationFileError(
                f"Two migration files share the number {a.number:04d}: {a.path.name} and "
                f"{b.path.name}. Renumber one of them with `schemashift rebase` (for example "
                "after merging branches)."
            )
    return files


def _squash_pair(a: MigrationFile, b: MigrationFile) -> bool:
    """Whether one of two files sharing a number is a squash that replaces the other (a
    squash takes the number of the last migration it replaces)."""
    from schemashift.migrations.squash import replaces_in

    return a.name in replaces_in(b) or b.name in replaces_in(a)


def scan_migrations(folder: str | os.PathLike[str]) -> list[MigrationFile]:
    """Every migration file in ``folder``, by number then name, duplicate numbers
    included (``rebase`` is what sorts those out). Misnamed files are refused."""
    if not os.path.isdir(folder):
        return []
    base = path_text(folder)
    files: list[MigrationFile] = []
    for fname in os.listdir(folder):
        if not fname.endswith(".py") or fname.startswith(("_", ".")):
            continue
        path = os.path.join(base, fname) if base != "." else fname
        number = file_number(fname)
        if number is None:
            raise MigrationFileError(
                f"{path} is not a valid migration file name: expected NNNN_name.py with "
                "a lowercase name of letters, digits and underscores. Rename or move it."
            )
        files.append(MigrationFile(fname[:-3], number, path))
    files.sort(key=lambda f: (f.number, f.name))
    return files


def file_number(fname: str) -> int | None:
    """The number of a file named ``NNNN_name.py`` (four digits or more, a name of
    lowercase letters, digits and underscores); None for any other name."""
    if not fname.endswith(".py"):
        return None
    digits, underscore, name = fname[:-3].partition("_")
    if (
        not underscore
        or len(digits) < 4
        or not digits.isdecimal()
        or not name
        or not _NAME_CHARACTERS.issuperset(name)
    ):
        return None
    return int(digits)


def check_name(name: str) -> None:
    """Refuse a migration NAME that is not ``[a-z0-9_]+`` or is too long for a file name."""
    import re

    if not re.match(NAME_RE, name):
        raise MigrationFileError(
            f"Migration name {name!r} is not allowed: use only lowercase letters, digits "
            "and underscores, e.g. add_phone_to_users."
        )
    if len(name) > MAX_NAME_LENGTH:
        raise MigrationFileError(
            f"Migration name {name[:20]}... is {len(name)} characters long; the limit is "
            f"{MAX_NAME_LENGTH}, so that its file name stays within the 255 bytes file "
            "systems allow. Give a shorter name."
        )


def source_error(file: MigrationFile, exc: SyntaxError) -> MigrationFileError:
    """The error for a migration file that Python cannot parse, naming file and line."""
    where = f", line {exc.lineno}" if exc.lineno else ""
    return MigrationFileError(
        f"Migration file {file.path}{where}: syntax error ({exc.msg}). Fix the file; "
        "nothing was changed."
    )


def check_nul(file: MigrationFile, data: bytes) -> None:
    """Refuse a file holding a NUL byte, which Python source cannot contain, naming the
    line it is on (Python itself names none)."""
    at = data.find(b"\0")
    if at < 0:
        return
    line = data.count(b"\n", 0, at) + 1
    raise MigrationFileError(
        f"Migration file {file.path}, line {line}: the file holds a NUL byte, which Python "
        "source cannot contain (a bad merge or a binary editor may have written it). Remove "
        "it; nothing was changed."
    )


def parse_source(file: MigrationFile, data: bytes | str) -> ast.Module:
    """The syntax tree of a migration file, without running any of it. A NUL byte or a
    syntax error is a :class:`MigrationFileError` naming the file and the line."""
    import ast

    check_nul(file, data if isinstance(data, bytes) else data.encode("utf-8", "replace"))
    try:
        return ast.parse(data, filename=file.location)
    except SyntaxError as exc:
        raise source_error(file, exc) from exc


def resolve(token: str, names: list[str]) -> str:
    """The migration named by ``token``: a full name (``0003_add_bio``) or its number
    (``0003`` or ``3``)."""
    if token in names:
        return token
    if token.isdigit():
        matches = [n for n in names if int(n.split("_", 1)[0]) == int(token)]
        if len(matches) == 1:
            return matches[0]
    raise MigrationFileError(
        f"No migration called {token!r}. Give its full name (0003_add_author_bio) or its "
        "number (0003); `schemashift migrate --status` lists them."
    )


def next_number(files: list[MigrationFile]) -> int:
    """One more than the highest existing number."""
    return max((f.number for f in files), default=0) + 1
