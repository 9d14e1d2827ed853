"""What a batch must not break, checked before it commits.

SQLite checks little by itself inside a batch: foreign keys are off (so that rebuilding a
parent table never cascades), and a table rebuild renames tables in legacy mode, which
leaves views and triggers pointing at columns that may be gone. So a batch reads a
:class:`Baseline` right after BEGIN and :func:`verify` compares with it before COMMIT:

- foreign keys: only rows that point at nothing *because of the batch* refuse it; rows
  that already did are reported as a warning, so that old data never blocks every later
  batch;
- views and triggers (when the schema changed): each must still compile. SQLite's own
  ``ALTER TABLE ... RENAME`` re-reads every view and trigger of the schema and names the
  first that fails, so renaming a scratch table inside a savepoint (rolled back at once)
  is the probe;
- the tables and indexes the batch created or changed pass ``PRAGMA quick_check``
  (restricted to them, so a big untouched table costs nothing).
"""

from __future__ import annotations

import sqlite3
from collections import Counter

from schemashift.dialects.sqlite.quoting import quote
from schemashift.errors import DatabaseError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from schemashift.dialects.sqlite.connection import SQLiteConnection

#: How many offending rows or objects a message lists.
SHOWN = 10
_PROBE = "_schemashift_probe"
_SAVEPOINT = "_schemashift_verify"

#: ``(table, rowid, parent)`` of a row whose foreign key points at no row.
Orphan = tuple[str, int | None, str]
#: ``(type, name)`` of a view or trigger.
Dependent = tuple[str, str]


class Baseline:
    """The state a batch started from (a plain class: ``dataclasses`` would cost every
    migrate more to import than this module's work)."""

    __slots__ = ("broken", "orphans", "schema_version", "storage")

    def __init__(
        self,
        schema_version: int,
        storage: frozenset[tuple[str, str, str, int, str | None]],
        orphans: Counter[Orphan],
        broken: dict[Dependent, str] | None,
    ) -> None:
        self.schema_version = schema_version
        #: ``(type, name, tbl_name, rootpage, sql)`` of every table and index.
        self.storage = storage
        self.orphans = orphans
        #: Views and triggers that did not compile, with SQLite's reason (None: unknown).
        self.broken = broken


def baseline(db: SQLiteConnection) -> Baseline:
    """Read the state at the start of a batch (inside its transaction)."""
    return Baseline(_schema_version(db), _storage(db), _orphans(db), broken_dependents(db))


def verify(db: SQLiteConnection, before: Baseline, warn: Callable[[str], None]) -> None:
    """Raise :class:`DatabaseError` if the batch broke anything that :class:`Baseline`
    saw intact; ``warn`` about what was already broken and still is."""
    after = _orphans(db)
    introduced = after - before.orphans
    if introduced:
        raise _orphan_error(introduced, after - introduced)
    if after:
        warn(
            f"{after.total()} row(s) already had a foreign key pointing at no row before "
            f"this batch, which leaves them as they were: {', '.join(_described(after, 3))}. "
            "Fix them when you can (PRAGMA foreign_key_check lists them)."
        )
    changed = _schema_version(db) != before.schema_version
    broken = broken_dependents(db) if changed else before.broken
    if broken is not None and before.broken is not None:
        new = {key: reason for key, reason in broken.items() if key not in before.broken}
        if new:
            raise _dependents_error(new)
        for (kind, name), reason in broken.items():
            warn(
                f"{kind.capitalize()} {name} was already broken before this batch ({reason}); "
                "it was left as it is. Drop or re-create it."
            )
    if changed:
        for table in _changed_tables(before.storage, _storage(db)):
            _quick_check(db, table)


def broken_dependents(db: SQLiteConnection) -> dict[Dependent, str] | None:
    """Views and triggers that no longer compile, with SQLite's reason; None when the
    probe fails for a reason it cannot pin on one of them."""
    objects = {
        (kind, name)
        for kind, name in db.raw.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger')"
        )
    }
    if not objects:
        return {}
    db.raw.execute("PRAGMA legacy_alter_table = OFF")
    db.raw.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        return _probe(db, objects)
    except sqlite3.Error:
        return None
    finally:
        db.raw.execute(f"ROLLBACK TO {_SAVEPOINT}")
        db.raw.execute(f"RELEASE {_SAVEPOINT}")


def _probe(db: SQLiteConnection, objects: set[Dependent]) -> dict[Dependent, str] | None:
    """Rename a scratch table until SQLite finds nothing broken, dropping (inside the
    caller's savepoint) each view or trigger it names, so that every one is found."""
    broken: dict[Dependent, str] = {}
    db.raw.execute(f"CREATE TABLE {_PROBE} (x)")
    while True:
        try:
            db.raw.execute(f"ALTER TABLE {_PROBE} RENAME TO {_PROBE}_renamed")
            return broken
        except sqlite3.Error as exc:
            culprit = _culprit(str(exc), objects - broken.keys())
            if culprit is None:
                return None
            key, reason = culprit
            broken[key] = reason
            db.raw.execute(f"DROP {key[0].upper()} {quote(key[1])}")


def _culprit(message: str, candidates: set[Dependent]) -> tuple[Dependent, str] | None:
    """The view or trigger that SQLite's ``error in view v: reason`` names."""
    found = [
        (kind, name) for kind, name in candidates if message.startswith(f"error in {kind} {name}: ")
    ]
    if not found:
        return None
    kind, name = max(found, key=lambda key: len(key[1]))
    return (kind, name), message[len(f"error in {kind} {name}: ") :]


def _schema_version(db: SQLiteConnection) -> int:
    (version,) = db.raw.execute("PRAGMA schema_version").fetchone()
    return int(version)


def _storage(db: SQLiteConnection) -> frozenset[tuple[str, str, str, int, str | None]]:
    rows = db.raw.execute(
        "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master "
        "WHERE type IN ('table', 'index')"
    )
    return frozenset(tuple(row) for row in rows)


def _changed_tables(
    before: frozenset[tuple[str, str, str, int, str | None]],
    after: frozenset[tuple[str, str, str, int, str | None]],
) -> list[str]:
    """Tables created or changed (their own b-tree or an index's) by the batch."""
    existing = {row[1] for row in after if row[0] == "table"}
    return sorted({row[2] for row in after - before if row[2] in existing})


def _quick_check(db: SQLiteConnection, table: str) -> None:
    problems = [row[0] for row in db.raw.execute("SELECT * FROM pragma_quick_check(?)", (table,))]
    if problems == ["ok"]:
        return
    raise DatabaseError(
        f"The batch would leave table {table} failing SQLite's PRAGMA quick_check "
        f"({problems[0]}); it was rolled back. Fix the migration, then run migrate again.",
        "\n".join(problems[:SHOWN]),
    )


def _orphans(db: SQLiteConnection) -> Counter[Orphan]:
    try:
        rows = db.raw.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.OperationalError as exc:
        if "foreign key mismatch" not in str(exc):
            raise
        rows = _orphans_by_table(db)
    return Counter((table, rowid, parent) for table, rowid, parent, _fkid in rows)


def _orphans_by_table(db: SQLiteConnection) -> list[tuple[str, int | None, str, int]]:
    """``PRAGMA foreign_key_check`` table by table: one foreign key that names no key of
    its parent ("foreign key mismatch", a hand-made schema) makes SQLite refuse the check
    of the whole database; the other tables are still checked."""
    names = [
        row[0]
        for row in db.raw.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    rows: list[tuple[str, int | None, str, int]] = []
    for name in names:
        try:
            rows.extend(db.raw.execute("SELECT * FROM pragma_foreign_key_check(?)", (name,)))
        except sqlite3.OperationalError as exc:
            if "foreign key mismatch" not in str(exc):
                raise
    return rows


def _described(orphans: Counter[Orphan], limit: int) -> list[str]:
    """``table row N -> parent`` for the first ``limit`` orphans, and how many more."""
    ordered = sorted(orphans.elements(), key=lambda o: (o[0], o[1] or 0, o[2]))
    shown = [f"{table} row {rowid} -> {parent}" for table, rowid, parent in ordered[:limit]]
    more = len(ordered) - len(shown)
    return shown + ([f"... and {more} more"] if more else [])


def _orphan_error(introduced: Counter[Orphan], older: Counter[Orphan]) -> DatabaseError:
    lines = _described(introduced, SHOWN)
    if older:
        lines.append(f"({older.total()} older row(s) pointed at no row before the batch.)")
    return DatabaseError(
        f"The batch would leave {introduced.total()} row(s) whose foreign key points at no "
        "row; it was rolled back. Fix those rows or the migration, then run migrate again.",
        "\n".join(lines),
    )


def _dependents_error(broken: dict[Dependent, str]) -> DatabaseError:
    (kind, name), reason = min(broken.items())
    others = len(broken) - 1
    also = f" (and {others} more, listed below)" if others else ""
    return DatabaseError(
        f"The batch would break {kind} {name}{also}: {reason}. It was rolled back. Drop or "
        f"re-create the {kind} in the migration that changes what it uses (DROP {kind.upper()} "
        f"before the change, CREATE {kind.upper()} after it), then run migrate again.",
        "\n".join(f"{k} {n}: {r}" for (k, n), r in sorted(broken.items())[:SHOWN]),
    )
