"""Migration files on disk: names, numbers, checksums. Nothing here imports a file."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import NamedTuple

from schemashift.errors import MigrationFileError

FILE_RE = re.compile(r"^(\d{4,})_([a-z0-9_]+)\.py$")
NAME_RE = re.compile(r"^[a-z0-9_]+$")


class MigrationFile(NamedTuple):
    """One migration file: ``0003_add_author_bio.py`` has number 3."""

    name: str
    number: int
    path: Path

    def read_bytes(self) -> bytes:
        """The file's bytes; a file that vanished is a clear error."""
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise MigrationFileError(
                f"Migration file {self.path} cannot be read ({exc.strerror})."
            ) from exc

    def checksum(self) -> str:
        """Lowercase hex SHA-256 of the bytes with CRLF turned into LF."""
        return checksum_of(self.read_bytes())


# The built-in SHA-256 avoids loading OpenSSL through hashlib, which costs more than the
# rest of `migrate --status` put together.
try:
    from _sha2 import sha256 as _sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment,unused-ignore]


def checksum_of(data: bytes) -> str:
    """The tracking table's checksum of a file's bytes."""
    return str(_sha256(data.replace(b"\r\n", b"\n")).hexdigest())


def list_migrations(folder: Path) -> list[MigrationFile]:
    """Every migration file in ``folder``, by number. Refuses duplicate numbers and
    ``.py`` files that look like migrations but are misnamed."""
    files = scan_migrations(folder)
    for a, b in itertools.pairwise(files):
        if a.number == b.number:
            raise MigrationFileError(
                f"Two migration files share the number {a.number:04d}: {a.path.name} and "
                f"{b.path.name}. Renumber one of them with `schemashift rebase` (for example "
                "after merging branches)."
            )
    return files


def scan_migrations(folder: Path) -> list[MigrationFile]:
    """Every migration file in ``folder``, by number then name, duplicate numbers
    included (``rebase`` is what sorts those out). Misnamed files are refused."""
    if not folder.is_dir():
        return []
    files: list[MigrationFile] = []
    for path in folder.iterdir():
        fname = path.name
        if not fname.endswith(".py") or fname.startswith(("_", ".")):
            continue
        match = FILE_RE.match(fname)
        if not match:
            raise MigrationFileError(
                f"{path} is not a valid migration file name: expected NNNN_name.py with "
                "a lowercase name of letters, digits and underscores. Rename or move it."
            )
        files.append(MigrationFile(fname[:-3], int(match.group(1)), path))
    files.sort(key=lambda f: (f.number, f.name))
    return files


def check_name(name: str) -> None:
    """Refuse a migration NAME that is not ``[a-z0-9_]+``."""
    if not NAME_RE.match(name):
        raise MigrationFileError(
            f"Migration name {name!r} is not allowed: use only lowercase letters, digits "
            "and underscores, e.g. add_phone_to_users."
        )


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
