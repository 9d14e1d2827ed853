"""What the models say about renames, for the differ to honour (never a guess)."""

from __future__ import annotations

from schemashift.schema.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final


class RenameHints(Record):
    """Declared renames. ``tables`` maps a new table name to its old name; ``columns``
    maps ``(table, new_column)`` to the old column name, where ``table`` is the table's
    new name (its old name is accepted too)."""

    __slots__ = ("columns", "tables")
    tables: Final[Mapping[str, str]]
    columns: Final[Mapping[tuple[str, str], str]]

    def __init__(
        self,
        tables: Mapping[str, str] | None = None,
        columns: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        # None for a fresh empty mapping each (the default is shared by every call).
        self.tables = {} if tables is None else tables
        self.columns = {} if columns is None else columns

    def merged(self, other: RenameHints) -> RenameHints:
        """These hints with ``other``'s added; ``other`` wins where both name a rename."""
        return RenameHints(
            tables={**self.tables, **other.tables},
            columns={**self.columns, **other.columns},
        )
