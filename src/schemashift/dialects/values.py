"""Kind changes that may change stored values: how a dialect says so in a migration file.

Each dialect keeps its own conversion table (``value_change`` in its ``types`` module):
for a kind change, None when every value comes through unchanged, otherwise a
:class:`ValueChange` saying what may change and, where the rows can tell, an SQL test
for a row whose value would not survive. The renderer turns it into a warning comment
and a ``conn.check_values(...)`` call that runs just before the conversion, so that
``migrate`` refuses while such rows exist, unless the file lists the column in
``accept_value_changes``.
"""

from __future__ import annotations

from schemashift.dialects.base import Code, Comment, Step, sql_literal
from schemashift.schema.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Final

    from schemashift.schema.values import ForeignKey, Schema


class ValueChange(Record):
    """What a kind change may do to stored values.

    ``what`` completes "changing integer to float ..." for humans; ``unkept`` builds,
    from the quoted column name, an SQL condition true for a non-NULL value that the
    conversion would change (None when no row can be singled out: the conversion then
    fails on such a value instead of changing it)."""

    __slots__ = ("unkept", "what")
    what: Final[str]
    unkept: Final[Callable[[str], str] | None]

    def __init__(self, what: str, unkept: Callable[[str], str] | None = None) -> None:
        self.what = what
        self.unkept = unkept


class ValueFlag(Comment):
    """The warning comment on a conversion, knowing its column (``table.column``) and
    whether it may change values (rather than only fail on them), for the file's
    ``down()`` note and ``make migration``'s output."""

    __slots__ = ("changes_values", "column")
    __match_args__ = _fields = ("text", "column", "changes_values")
    column: str
    changes_values: bool

    def __init__(self, text: str, column: str = "", changes_values: bool = False) -> None:
        super().__init__(text)
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "changes_values", changes_values)


def flag(table: str, column: str, before: str, after: str, change: ValueChange) -> str:
    """The warning line: ``users.age: changing integer to float may change values...``."""
    return f"{table}.{column}: changing {before} to {after} {change.what}"


def check_steps(
    table: str, column: str, quoted_column: str, before: str, after: str, change: ValueChange
) -> list[Step]:
    """The warning comment and, when the rows can tell, the runtime check that refuses
    while a row holds a value the conversion would change."""
    name = f"{table}.{column}"
    text = "WARNING: " + flag(table, column, before, after, change)
    steps: list[Step] = [ValueFlag(text, name, change.unkept is not None)]
    if change.unkept is None:
        return steps
    # Imported here: every make migration imports this module, few convert a kind.
    import json

    steps.append(
        Comment(
            f"migrate refuses while a row holds such a value, unless this file says\n"
            f"accept_value_changes = [{json.dumps(name)}] (after checking the rows)."
        )
    )
    steps.append(
        Code(
            f"conn.check_values({sql_literal(table)}, {sql_literal(column)}, "
            f"{sql_literal(change.unkept(quoted_column))})"
        )
    )
    return steps


class RenderState:
    """The schema so far while a migration is rendered, and the foreign keys of created
    tables waiting for the table they reference (created later in the same migration)."""

    __slots__ = ("schema", "waiting")

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.waiting: list[tuple[str, ForeignKey]] = []

    def ready_foreign_keys(self, *, final: bool = False) -> list[tuple[str, ForeignKey]]:
        """``(table, foreign key)`` for each waiting key whose target exists now (every one
        with ``final``), taken off the waiting list; keys of a table dropped meanwhile
        are left out."""
        ready = [
            (t, fk)
            for t, fk in self.waiting
            if final or self.schema.table(fk.ref_table) is not None
        ]
        self.waiting = [w for w in self.waiting if w not in ready]
        return [(t, fk) for t, fk in ready if self.schema.table(t) is not None]
