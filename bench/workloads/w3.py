"""W3: one large table; a migration makes a nullable text column NOT NULL DEFAULT '' and
turns an integer column into a real one (on SQLite both need a table rebuild). On
PostgreSQL the integer column becomes a bigint instead (``AFTER_PG``): a change of type
that rewrites the table there."""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from workloads.spec import Col, Tab

TABLE = "readings"
NOTE = "note"
QTY = "qty"

BEFORE = Tab(
    name=TABLE,
    columns=(
        Col("name", "string", nullable=False, max_length=100),
        Col(NOTE, "text"),
        Col(QTY, "integer"),
        Col("price", "float"),
        Col("taken_at", "datetime"),
        Col("flag", "boolean"),
    ),
    indexes=(("name",),),
)
AFTER = Tab(
    name=TABLE,
    columns=tuple(
        Col(NOTE, "text", nullable=False, default="")
        if c.name == NOTE
        else Col(QTY, "float")
        if c.name == QTY
        else c
        for c in BEFORE.columns
    ),
    indexes=BEFORE.indexes,
)
AFTER_PG = Tab(
    name=TABLE,
    columns=tuple(Col(QTY, "biginteger") if c.name == QTY else c for c in AFTER.columns),
    indexes=AFTER.indexes,
)
_NULL_SHARE = 0.3
_COLUMNS = ("id", *(c.name for c in BEFORE.columns))


@dataclass(frozen=True)
class Facts:
    """What every correct rebuild must keep: the rows, their ids and values."""

    rows: int
    id_sum: int
    null_notes: int
    qty_sum: int


def _rows(count: int, seed: int) -> Iterator[tuple[object, ...]]:
    rng = random.Random(seed)
    for i in range(1, count + 1):
        note = None if rng.random() < _NULL_SHARE else f"note {rng.randrange(10**6)}"
        yield (
            i,
            f"name-{rng.randrange(50_000):05d}",
            note,
            rng.randrange(1000),
            round(rng.random() * 100, 2),
            f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} 12:00:00",
            rng.randrange(2),
        )


def build_data(path: Path, rows: int, seed: int = 3) -> Facts:
    """A database holding the table's rows (no constraints, no index), built once and
    reused; returns the facts to check every rebuild against."""
    facts_path = path.with_suffix(".json")
    if path.exists() and facts_path.exists():
        facts = Facts(**json.loads(facts_path.read_text()))
        if facts.rows == rows:
            return facts
    path.unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as db:
        db.execute(f"CREATE TABLE {TABLE} ({', '.join(_COLUMNS)})")
        db.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)", _rows(rows, seed))
        id_sum, nulls, qty_sum = db.execute(
            f"SELECT SUM(id), SUM({NOTE} IS NULL), SUM({QTY}) FROM {TABLE}"
        ).fetchone()
    db.close()
    tmp.rename(path)
    facts = Facts(rows=rows, id_sum=id_sum, null_notes=nulls, qty_sum=qty_sum)
    facts_path.write_text(json.dumps(asdict(facts)))
    return facts


def load_rows(db_path: Path, data_path: Path) -> None:
    """Copy the rows of the data database into the (already created) table at
    ``db_path``."""
    db = sqlite3.connect(db_path, isolation_level=None)
    try:
        db.execute("ATTACH DATABASE ? AS src", (str(data_path),))
        cols = ", ".join(_COLUMNS)
        db.execute("BEGIN")
        db.execute(f"INSERT INTO main.{TABLE} ({cols}) SELECT {cols} FROM src.{TABLE}")
        db.execute("COMMIT")
        db.execute("DETACH DATABASE src")
    finally:
        db.close()


def columns() -> tuple[str, ...]:
    """The table's column names, ``id`` first, as the data holds them."""
    return _COLUMNS


def export_csv(data_path: Path, csv_path: Path) -> Path:
    """The rows of the data database as CSV for PostgreSQL's COPY (a NULL is an empty
    unquoted field; no note is empty), written once and reused."""
    if csv_path.exists():
        return csv_path
    tmp = csv_path.with_suffix(".tmp")
    db = sqlite3.connect(data_path)
    try:
        with open(tmp, "w", newline="") as f:
            csv.writer(f).writerows(db.execute(f"SELECT {', '.join(_COLUMNS)} FROM {TABLE}"))
    finally:
        db.close()
    tmp.rename(csv_path)
    return csv_path
