"""Changing a column's kind never changes a stored value by surprise.

For every kind change of the conversion tables (docs/models.md), over rows holding edge
values (text that is no number, text that is a number in another form, floats that 15
digits cannot write, integers beyond 2**53, NULLs), walked through the real command line:
``make migration`` either flags the column or the conversion keeps every value; ``migrate``
either keeps every value or refuses (exit 1, every row byte for byte as before, nothing
recorded); a refused migration applies once the file lists the column in
``accept_value_changes``. Rows are read with the drivers themselves.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.conftest import database_url
from tests.support import db
from tests.support.project import ProjectDir, Result

UTC = dt.timezone.utc

FIELDS = {
    "string": "Field.String(max_length=255)",
    "text": "Field.Text()",
    "integer": "Field.Integer()",
    "biginteger": "Field.BigInteger()",
    "float": "Field.Float()",
    "decimal": "Field.Decimal(max_digits=30, decimal_places=10)",
    "decimal(10, 3)": "Field.Decimal(max_digits=10, decimal_places=3)",
    "decimal(10, 1)": "Field.Decimal(max_digits=10, decimal_places=1)",
    "boolean": "Field.Boolean()",
    "date": "Field.Date()",
    "datetime": "Field.DateTime()",
    "json": "Field.JSON()",
    "binary": "Field.Binary()",
}

# Rows for a column of each kind. SQLite keeps any value in any column (the text 'N/A' in
# an INTEGER column stays text), so its rows mix storage classes; PostgreSQL's are typed.
STRINGS = [
    "Cleo",
    " ",
    "7.5",
    "007",
    " 7",
    "12abc",
    "N/A",
    "7",
    "0.30000000000000004",
    "",
    "0.0",
    "1e3",
]
SQLITE_ROWS: dict[str, list[Any]] = {
    "string": [*STRINGS, "9007199254740993", "Grüße", None],
    "text": [*STRINGS, "1e3", None],
    "integer": [9007199254740993, 2**63 - 1, -(2**63), 0, 7, "N/A", "12abc", 7.5, None],
    "biginteger": [9007199254740993, 2**53, -7, None],
    "float": [0.1 + 0.2, 2.0**53, 1e300, 7.0, 7.5, 1e-7, -2.5, "N/A", None],
    "decimal": [7.5, 12345678901234567890.0, 42, "N/A", None],
    "boolean": [1, 0, 5, None],
    "date": ["2024-01-31", 20240131, None],
    "binary": [b"\x00\xff", "007", 7, 7.5, 9007199254740993, None],
}
NOW = dt.datetime(2024, 1, 31, 10, 30, tzinfo=UTC)
POSTGRES_ROWS: dict[str, list[Any]] = {
    "string": ["007", " 7", "7", "-12", "0.5", None],
    "text": ["abc", "a\\b", "Grüße", None],
    "integer": [7, 0, 1, -(2**31), 2**31 - 1, None],
    "biginteger": [9007199254740993, 2**63 - 1, 2**53, 7, None],
    "float": [0.1 + 0.2, 2.0**53, 7.5, 7.0, -2.5, None],
    "decimal": [Decimal("12345678901234567890.0123456789"), Decimal("7.5"), Decimal("7"), None],
    "decimal(10, 3)": [Decimal("7.555"), Decimal("7.500"), None],
    "boolean": [True, False, None],
    "date": [dt.date(2024, 1, 31), None],
    "datetime": [NOW, None],
    "json": [{"a": [1, "x"]}, [1.5, None], None],
    "binary": [b"\x00\xff", b"abc", None],
}

# MySQL's DATETIME holds no zone (schemashift's connections work in UTC); JSON is text.
MYSQL_ROWS: dict[str, list[Any]] = {
    **POSTGRES_ROWS,
    "datetime": [NOW.replace(tzinfo=None), None],
}

CONVERSIONS = [
    # text kinds to numbers and back
    ("string", "integer"),
    ("text", "decimal"),
    ("string", "float"),
    ("string", "boolean"),
    ("integer", "string"),
    ("decimal", "text"),
    ("float", "text"),
    # between numbers
    ("integer", "float"),
    ("biginteger", "float"),
    ("decimal", "float"),
    ("integer", "decimal"),
    ("integer", "biginteger"),
    ("float", "integer"),
    ("float", "decimal"),
    ("float", "decimal(10, 3)"),
    ("decimal", "integer"),
    ("decimal(10, 3)", "decimal(10, 1)"),
    ("integer", "boolean"),
    ("boolean", "integer"),
    # dates, JSON, binary
    ("date", "datetime"),
    ("datetime", "date"),
    ("json", "text"),
    ("text", "binary"),
    ("integer", "binary"),
    ("binary", "text"),
    ("binary", "integer"),
    ("binary", "float"),
]


def _rows_for(dialect: str, kind: str) -> list[Any]:
    table = {"sqlite": SQLITE_ROWS, "mysql": MYSQL_ROWS}.get(dialect, POSTGRES_ROWS)
    return table.get(kind, table.get(kind.split("(")[0], []))


# -- judging rows with the drivers --------------------------------------------------------


def _texts_of(number: Any) -> set[str]:
    """The texts that read as ``number`` in its canonical forms."""
    forms = {str(number), repr(number)}
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**63:
        forms.add(str(int(number)))
    if isinstance(number, Decimal):
        forms.add(format(number, "f"))
        forms.add(format(number.normalize(), "f"))
    return forms


def kept(old: Any, new: Any) -> bool:
    """Whether ``new`` is ``old`` after a change of the column's kind: the same value,
    or the same number or text read back from the other's form."""
    if old is None or new is None:
        return old is None and new is None
    numbers = (int, float, Decimal)
    if isinstance(old, bool) and isinstance(new, numbers):
        return int(old) == new
    if isinstance(new, bool):
        return isinstance(old, numbers) and old in (0, 1) and bool(old) == new
    if isinstance(old, numbers) and isinstance(new, numbers):
        return old == new
    if isinstance(old, str) and isinstance(new, numbers):
        return old in _texts_of(new)
    if isinstance(old, numbers) and isinstance(new, str):
        try:
            return (float(new) if isinstance(old, float) else Decimal(new)) == old
        except ValueError:
            return False
    if isinstance(old, dt.datetime) and isinstance(new, str):
        return dt.datetime.fromisoformat(new) == old
    if isinstance(old, dt.date) and isinstance(new, dt.datetime):
        return new.date() == old and new.time() == dt.time(0)
    if isinstance(old, (dict, list)) and isinstance(new, str):
        return bool(json.loads(new) == old)
    if isinstance(old, str) and isinstance(new, bytes):
        return new == old.encode()
    if isinstance(old, bytes) and isinstance(new, str):
        # PostgreSQL shows bytes as \x hex; MySQL reads them as UTF-8 text.
        if new.startswith("\\x"):
            return bytes.fromhex(new[2:]) == old
        return new.encode() == old
    if isinstance(old, uuid.UUID):
        return str(old) == new
    return type(old) is type(new) and bool(old == new)


def raw_rows(project: ProjectDir) -> list[tuple[Any, ...]]:
    """Every row of ``items`` exactly: SQLite's storage class, PostgreSQL's text form,
    MySQL's text form as bytes (binary values need not be UTF-8)."""
    if project.dialect == "sqlite":
        return db.query(project.database, "SELECT id, v, typeof(v) FROM items ORDER BY id")
    if project.dialect == "mysql":
        return db.query(project.database, "SELECT id, v, CAST(v AS BINARY) FROM items ORDER BY id")
    return db.query(project.database, "SELECT id, v, v::text FROM items ORDER BY id")


def insert(project: ProjectDir, values: list[Any]) -> None:
    if project.dialect == "sqlite":
        path = project.database.removeprefix("sqlite:///")
        conn = sqlite3.connect(path)
        with conn:
            conn.executemany("INSERT INTO items (v) VALUES (?)", [(v,) for v in values])
        conn.close()
        return
    if project.dialect == "mysql":
        for value in values:
            wrapped = json.dumps(value) if isinstance(value, (dict, list)) else value
            db.execute(project.database, "INSERT INTO items (v) VALUES (?)", (wrapped,))
        return
    import psycopg
    from psycopg.types.json import Jsonb

    with psycopg.connect(project.database) as conn:
        for value in values:
            wrapped = Jsonb(value) if isinstance(value, (dict, list)) else value
            conn.execute("INSERT INTO items (v) VALUES (%s)", (wrapped,))


# -- one kind change, walked through --------------------------------------------------------


def model(kind: str) -> str:
    return f"class Item(Model):\n    v = {FIELDS[kind]}\n"


@dataclass
class Walk:
    """A project with ``items.v`` of one kind holding ``values``, changed to another."""

    project: ProjectDir
    before: list[tuple[Any, ...]]
    made: Result
    text: str

    @property
    def flagged(self) -> bool:
        return "data loss: items.v" in self.made.err and "# WARNING: items.v" in self.text

    def accept(self) -> None:
        path = self.project.migrations / "0002_change.py"
        accept = 'accept_value_changes = ["items.v"]\n\n\ndef up(conn):'
        path.write_text(path.read_text().replace("def up(conn):", accept, 1))


def walk(project: ProjectDir, before: str, after: str, values: list[Any]) -> Walk:
    project.model("models", model(before))
    project.ok("make", "migration", "initial")
    project.ok("migrate")
    insert(project, values)
    rows = raw_rows(project)
    project.model("models", model(after))
    made = project.ok("make", "migration", "change")
    return Walk(project, rows, made, project.read("0002_change.py"))


def migrate_keeps_or_refuses(change: Walk) -> Result:
    """``migrate``: exit 0 with every value kept, or (only for a flagged change) exit 1
    with the database as it was."""
    project = change.project
    result = project.run("migrate")
    assert "Traceback" not in result.err, result.err
    if result.code == 0:
        now = raw_rows(project)
        assert [r[0] for r in now] == [r[0] for r in change.before]
        pairs = zip(change.before, now, strict=True)
        changed = [(b[1], a[1]) for b, a in pairs if not kept(b[1], a[1])]
        assert not changed, f"values changed without a refusal: {changed}\n{change.text}"
        return result
    assert result.code == 1, result
    assert change.flagged, f"an unflagged change failed:\n{result.err}\n{change.text}"
    assert raw_rows(project) == change.before
    assert db.tracking(project.database) == [("0001_initial", 1)]
    return result


@pytest.mark.parametrize(
    ("before", "after"), CONVERSIONS, ids=[f"{b}->{a}" for b, a in CONVERSIONS]
)
def test_a_kind_change_is_flagged_or_keeps_every_value(
    project: ProjectDir, before: str, after: str
) -> None:
    values = _rows_for(project.dialect, before)
    change = walk(project, before, after, values)
    result = migrate_keeps_or_refuses(change)
    if result.code == 1 and "accept_value_changes" in result.err:
        # Without transactional DDL the check ran before any statement of the file.
        unchanged = (
            "rolled back"
            if project.transactional_ddl
            else "None of the statements of 0002_change took effect"
        )
        assert "items.v" in result.err and unchanged in result.err, result.err
        assert "down() converts items.v back" in change.text.split("def down(conn):")[1]
        change.accept()
        accepted = project.run("migrate")
        if accepted.code != 0:
            # A value the new kind cannot hold at all fails the conversion itself.
            assert "accept_value_changes" not in accepted.err, accepted.err
            assert raw_rows(project) == change.before
        assert [r[0] for r in raw_rows(project)] == [r[0] for r in change.before]


# -- the cases that used to change values silently -----------------------------------------


def test_sqlite_keeps_what_affinity_keeps(sqlite_project: ProjectDir) -> None:
    project = sqlite_project
    change = walk(project, "string", "integer", ["Cleo", " ", "7.5", "12abc", "7", None])
    assert change.flagged
    project.ok("migrate")
    assert db.query(project.database, "SELECT v, typeof(v) FROM items ORDER BY id") == [
        ("Cleo", "text"),
        (" ", "text"),
        (7.5, "real"),
        ("12abc", "text"),
        (7, "integer"),
        (None, "null"),
    ]


def test_sqlite_integer_to_float_keeps_text_and_refuses_big_integers(
    sqlite_project: ProjectDir,
) -> None:
    project = sqlite_project
    change = walk(project, "integer", "float", ["N/A", "12abc", 3, 9007199254740993])
    assert change.flagged
    result = migrate_keeps_or_refuses(change)
    assert result.code == 1
    assert "1 row holds a value of items.v" in result.err and "9007199254740993" in result.err
    run = project.run("migrate", "--dry-run")
    assert run.code == 0, run.err
    change.accept()
    project.ok("migrate")
    assert db.query(project.database, "SELECT v, typeof(v) FROM items ORDER BY id") == [
        ("N/A", "text"),
        ("12abc", "text"),
        (3.0, "real"),
        (9007199254740992.0, "real"),
    ]


def test_sqlite_float_to_text_keeps_every_digit(sqlite_project: ProjectDir) -> None:
    project = sqlite_project
    walk(project, "float", "text", [0.1 + 0.2, 2.0**53, 0.5, None])
    project.ok("migrate")
    assert db.query(project.database, "SELECT v FROM items ORDER BY id") == [
        ("0.30000000000000004",),
        ("9007199254740992.0",),
        ("0.5",),
        (None,),
    ]


BINARY_WAYS = {
    ("integer", "binary"): [7, -(2**31), None],
    ("binary", "text"): [b"\x00\xff", b"abc", b"a\\b", None],
    ("json", "binary"): [{"a": "\\"}, [1.5, None], None],
}


@pytest.mark.parametrize(("before", "after"), list(BINARY_WAYS), ids=lambda kind: kind)
def test_a_conversion_to_or_from_binary_rolls_back_with_its_rows(
    project: ProjectDir, before: str, after: str
) -> None:
    if before == "json" and project.dialect == "sqlite":
        pytest.skip("SQLite stores JSON as text: text to binary is another case")
    change = walk(project, before, after, BINARY_WAYS[before, after])
    if project.dialect == "mysql" and before == "binary":
        # MySQL's text holds only UTF-8: the conversion table says the migration fails
        # on the byte 0xFF, and the failed ALTER TABLE changes nothing.
        assert "fails the migration on a value that is not UTF-8 text" in change.made.err
        result = project.run("migrate")
        assert result.code == 1 and "Incorrect string value" in result.err
        assert "None of the statements of 0002_change took effect" in result.err
        assert raw_rows(project) == change.before
        return
    if project.run("migrate").code != 0:
        change.accept()
        project.ok("migrate")
    # PostgreSQL used to read the bytes back as their hex text ('\x37' for 7) and
    # refuse or fail on every row.
    project.ok("migrate", "--rollback")
    assert raw_rows(project) == change.before


@pytest.fixture
def postgres_project(tmp_path: Path) -> Iterator[ProjectDir]:
    """An empty project on a fresh PostgreSQL database."""
    for url in database_url("postgresql", tmp_path):
        yield ProjectDir(tmp_path / "proj", url)


@pytest.mark.parametrize(
    ("before", "value"),
    [("biginteger", 9007199254740993), ("decimal", Decimal("12345678901234567890.0123456789"))],
)
def test_postgres_refuses_to_round_into_a_float(
    postgres_project: ProjectDir, before: str, value: Any
) -> None:
    project = postgres_project
    change = walk(project, before, "float", [value, None])
    assert f"changing {before} to float may change values" in change.made.err
    result = migrate_keeps_or_refuses(change)
    assert result.code == 1 and "1 row holds a value of items.v" in result.err
    change.accept()
    project.ok("migrate")
    assert db.query(project.database, "SELECT v FROM items ORDER BY id") == [
        (float(value),),
        (None,),
    ]


def test_postgres_converts_a_float_to_a_decimal_through_its_exact_text(
    postgres_project: ProjectDir,
) -> None:
    project = postgres_project
    change = walk(project, "float", "decimal", [1234567.8901234567, 0.5, None])
    assert change.flagged
    project.ok("migrate")
    assert db.query(project.database, "SELECT v FROM items ORDER BY id") == [
        (Decimal("1234567.8901234567"),),
        (Decimal("0.5"),),
        (None,),
    ]


# -- any values, on SQLite -------------------------------------------------------------------

SQLITE_VALUES = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(min_value=-1e15, max_value=1e15, allow_nan=False),
    st.sampled_from([0.1 + 0.2, 2.0**53, 1e300, -1e-300]),
    st.text(max_size=8),
    st.sampled_from(STRINGS),
    st.integers(-1000, 1000).map(str),
    st.binary(max_size=4),
)
SQLITE_KINDS = ["string", "integer", "float", "decimal", "boolean", "date", "binary"]


@settings(
    max_examples=max(1, settings().max_examples // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    pair=st.tuples(st.sampled_from(SQLITE_KINDS), st.sampled_from(SQLITE_KINDS)).filter(
        lambda p: p[0] != p[1]
    ),
    values=st.lists(SQLITE_VALUES, min_size=1, max_size=8),
)
def test_any_values_are_kept_or_refused_on_sqlite(
    tmp_path_factory: pytest.TempPathFactory, pair: tuple[str, str], values: list[Any]
) -> None:
    values = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    root = tmp_path_factory.mktemp("values")
    project = ProjectDir(root / "proj", f"sqlite:///{root / 'db.sqlite3'}")
    change = walk(project, pair[0], pair[1], values)
    note(change.text)
    result = migrate_keeps_or_refuses(change)
    if result.code == 1:
        change.accept()
        project.ok("migrate")
