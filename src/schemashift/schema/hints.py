"""What the models say about renames, for the differ to honour (never a guess)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RenameHints:
    """Declared renames. ``tables`` maps a new table name to its old name; ``columns``
    maps ``(table, new_column)`` to the old column name, where ``table`` is the table's
    new name (its old name is accepted too)."""

    tables: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def merged(self, other: RenameHints) -> RenameHints:
        """These hints with ``other``'s added; ``other`` wins where both name a rename."""
        return RenameHints(
            tables={**self.tables, **other.tables},
            columns={**self.columns, **other.columns},
        )
