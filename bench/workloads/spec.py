"""Tool-neutral values describing the benchmark schemas.

Every tool adapter (schemashift, Django, Alembic, the raw-sqlite3 floor) renders these
same values into its own files, so all of them do the same work.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

#: A Python literal used as a column's database default.
Default = str | int | float | bool | None

#: Decimal columns are always NUMERIC(10, 2).
DECIMAL_DIGITS = (10, 2)


@dataclass(frozen=True)
class Col:
    """One column. ``references`` names the table a foreign key points at."""

    name: str
    kind: str
    nullable: bool = True
    unique: bool = False
    default: Default = None
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    references: str | None = None


@dataclass(frozen=True)
class Tab:
    """A table with an implicit integer ``id`` key, its columns and plain indexes."""

    name: str
    columns: tuple[Col, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def class_name(self) -> str:
        """The model class name used by the ORM-style tools (``t0001`` -> ``T0001``)."""
        return self.name[:1].upper() + self.name[1:]

    def column_names(self) -> tuple[str, ...]:
        """All column names, ``id`` first."""
        return ("id", *(c.name for c in self.columns))

    def with_column(self, col: Col) -> Tab:
        """A copy with ``col`` appended."""
        return replace(self, columns=(*self.columns, col))


def index_name(table: str, columns: tuple[str, ...]) -> str:
    """The index name every tool is told to use (schemashift's default naming)."""
    return "idx_" + "_".join((table, *columns))


def tables_to_json(tables: list[Tab]) -> str:
    """The tables as tool-neutral JSON (what the floor's ``make`` and ``check`` read)."""
    return json.dumps(
        [
            {
                "name": t.name,
                "columns": [asdict(c) for c in t.columns],
                "indexes": [list(i) for i in t.indexes],
            }
            for t in tables
        ]
    )
