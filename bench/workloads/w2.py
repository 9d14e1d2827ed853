"""W2: a long migration history. The first migration creates five tables; each later one
adds one nullable column to an existing table or creates one new table.

A history of length n is the first n steps of the same seeded sequence, so the histories
of the length sweep are prefixes of each other.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from workloads.spec import Col, Tab

_KINDS = ("string", "text", "integer", "biginteger", "float", "boolean", "datetime")
_FIRST_TABLES = 5
_NEW_TABLE_SHARE = 0.25


@dataclass(frozen=True)
class Step:
    """One migration: tables it creates, or a column it adds to ``table``."""

    number: int
    creates: tuple[Tab, ...] = ()
    table: str | None = None
    column: Col | None = None

    @property
    def name(self) -> str:
        """The migration's name without its number (``step_0042``)."""
        return f"step_{self.number:04d}"


def _col(rng: random.Random, name: str) -> Col:
    kind = rng.choice(_KINDS)
    return Col(name=name, kind=kind, max_length=100 if kind == "string" else None)


def _new_table(rng: random.Random, number: int) -> Tab:
    return Tab(name=f"h{number:04d}", columns=tuple(_col(rng, f"c{j:03d}") for j in range(1, 4)))


def _steps(seed: int) -> Iterator[Step]:
    rng = random.Random(seed)
    first = tuple(_new_table(rng, n) for n in range(1, _FIRST_TABLES + 1))
    yield Step(number=1, creates=first)
    widths = {t.name: len(t.columns) for t in first}
    number = 2
    while True:
        if rng.random() < _NEW_TABLE_SHARE:
            table = _new_table(rng, number + _FIRST_TABLES)
            widths[table.name] = len(table.columns)
            yield Step(number=number, creates=(table,))
        else:
            name = rng.choice(sorted(widths))
            widths[name] += 1
            yield Step(number=number, table=name, column=_col(rng, f"c{widths[name]:03d}"))
        number += 1


def history(length: int = 1000, seed: int = 2) -> list[Step]:
    """The first ``length`` migrations of the seeded history."""
    out: list[Step] = []
    for step in _steps(seed):
        if len(out) == length:
            break
        out.append(step)
    return out


def final_tables(steps: list[Step]) -> list[Tab]:
    """The tables as they stand after every step, in creation order."""
    tables: dict[str, Tab] = {}
    for step in steps:
        for t in step.creates:
            tables[t.name] = t
        if step.table is not None and step.column is not None:
            tables[step.table] = tables[step.table].with_column(step.column)
    return list(tables.values())
