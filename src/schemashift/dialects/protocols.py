"""The driver-facing protocols of :mod:`schemashift.dialects.base`, kept apart because
``typing.Protocol`` costs more to import than a command that needs none of them takes.

They are protocols for the type checker only: at run time (where nothing checks a value
against them) they are plain classes, so that importing them needs no ``typing``, which
costs `make migration` and `check` more than their own work on a small project.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, Protocol

    from schemashift.dialects.base import Step
    from schemashift.diff.operations import Operation
else:
    Protocol = object


class Cursor(Protocol):
    """What ``conn.execute`` returns: a DB-API cursor."""

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class DBConnection(Protocol):
    """A driver connection in autocommit mode: transactions are explicit."""

    dialect: str

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor: ...
    def close(self) -> None: ...


class OnlinePhase(Protocol):
    """One file of an online change (:meth:`Dialect.online_phases`)."""

    #: The file's step name (``""`` for the first file, e.g. ``"validate"`` after it).
    step: str
    #: Whether it runs in the batch transaction.
    atomic: bool
    operations: list[Operation]
    up: list[Step]
    down: list[Step]
    #: What ``make migration`` prints for it.
    lines: list[str]

    @property
    def outside(self) -> str:
        """Why the file runs outside the batch transaction (said in the file)."""


class LockInfo(Protocol):
    """Who holds the migration lock."""

    pid: int
    host: str
    since: str
