"""What each statement the PostgreSQL renderer writes does to a live table.

One table, :data:`RULES`, classifies every statement shape the renderer emits: the lock
it takes (PostgreSQL's "Explicit Locking" chapter and the ALTER TABLE page give each
sub-command's level), whether it only changes the catalog, scans the table, rewrites it
or builds an index, and so what the application waits for meanwhile. A statement that
blocks reads or writes for longer than a catalog change gets a ``NOTE:`` comment above
it in the migration file, which ``make migration`` also prints as a lock warning, with
the safer way. The rules that squawk (a linter built on PostgreSQL's parser) applies to
migrations are named beside the ones they correspond to, so a reviewer can match them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from schemashift.dialects.base import Comment, Execute, Step

_NAME = r'(?P<table>"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'

#: Functions whose value differs per row: as a new column's default they make PostgreSQL
#: compute a value for every existing row, rewriting the table (a non-volatile default
#: is stored once in the catalog since PostgreSQL 11).
VOLATILE = re.compile(
    r"\b(random|setseed|gen_random_uuid|gen_random_bytes|uuid_generate_v1mc"
    r"|uuid_generate_v[1345]|clock_timestamp|timeofday|nextval|txid_current"
    r"|pg_current_xact_id)\s*\(",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LockRule:
    """How one statement shape behaves on a table in use."""

    #: What the statement does, as the docs' table names it.
    what: str
    pattern: re.Pattern[str]
    #: The lock it takes on the table (``ACCESS EXCLUSIVE``...).
    lock: str
    #: ``catalog`` (a brief lock), ``scan`` (reads every row), ``rewrite`` (writes a new
    #: copy of the table) or ``build`` (builds an index).
    work: str
    #: What other sessions wait for while it runs: ``nothing`` (beyond a brief moment),
    #: ``writes``, or ``reads and writes``.
    blocks: str
    #: The safer way; empty when the statement needs none.
    safer: str = ""
    #: The squawk rule that flags this statement, if any.
    squawk: str = ""

    @property
    def long(self) -> bool:
        """Whether it blocks the application for longer than a catalog change."""
        return self.blocks != "nothing"


def _rule(what: str, regex: str, lock: str, work: str, blocks: str, **more: str) -> LockRule:
    return LockRule(what, re.compile(regex, re.IGNORECASE | re.DOTALL), lock, work, blocks, **more)


_ALTER = rf"^ALTER TABLE (?:ONLY )?{_NAME} "

#: Every statement shape the renderer writes, most specific first.
RULES: tuple[LockRule, ...] = (
    _rule(
        "CREATE INDEX CONCURRENTLY",
        r"^CREATE (?:UNIQUE )?INDEX CONCURRENTLY",
        "SHARE UPDATE EXCLUSIVE",
        "build",
        "nothing",
    ),
    _rule(
        "DROP INDEX CONCURRENTLY",
        r"^DROP INDEX CONCURRENTLY",
        "SHARE UPDATE EXCLUSIVE",
        "catalog",
        "nothing",
    ),
    _rule(
        "CREATE INDEX",
        rf"^CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?\S+ ON {_NAME}",
        "SHARE",
        "build",
        "writes",
        safer="create it with `make migration --concurrently` (CREATE INDEX CONCURRENTLY, "
        "outside the batch transaction)",
        squawk="require-concurrent-index-creation",
    ),
    _rule(
        "DROP INDEX",
        r"^DROP INDEX (?:IF EXISTS )?(?P<table>\S+)",
        "ACCESS EXCLUSIVE",
        "catalog",
        "reads and writes",
        safer="drop it with `make migration --concurrently` (DROP INDEX CONCURRENTLY)",
        squawk="require-concurrent-index-deletion",
    ),
    _rule(
        "ADD CONSTRAINT ... UNIQUE",
        _ALTER + r"ADD CONSTRAINT \S+ UNIQUE \(",
        "ACCESS EXCLUSIVE",
        "build",
        "reads and writes",
        safer="build the index first with CREATE UNIQUE INDEX CONCURRENTLY, then "
        "ADD CONSTRAINT ... UNIQUE USING INDEX",
        squawk="disallowed-unique-constraint",
    ),
    _rule(
        "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID",
        _ALTER + r"ADD CONSTRAINT \S+ FOREIGN KEY .* NOT VALID$",
        "SHARE ROW EXCLUSIVE",
        "catalog",
        "nothing",
    ),
    _rule(
        "ADD CONSTRAINT ... FOREIGN KEY",
        _ALTER + r"ADD CONSTRAINT \S+ FOREIGN KEY",
        "SHARE ROW EXCLUSIVE",
        "scan",
        "writes",
        safer="add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
        squawk="adding-foreign-key-constraint",
    ),
    _rule(
        "VALIDATE CONSTRAINT",
        _ALTER + r"VALIDATE CONSTRAINT",
        "SHARE UPDATE EXCLUSIVE",
        "scan",
        "writes",
        safer="validate in a later migration of its own: in the same transaction as the "
        "NOT VALID constraint, that constraint's lock is held through the whole scan",
        squawk="constraint-missing-not-valid",
    ),
    _rule(
        "ADD CONSTRAINT ... CHECK",
        _ALTER + r"ADD CONSTRAINT \S+ CHECK \(.*\)$",
        "ACCESS EXCLUSIVE",
        "scan",
        "reads and writes",
        safer="add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
        squawk="constraint-missing-not-valid",
    ),
    _rule(
        "ADD PRIMARY KEY",
        _ALTER + r"ADD PRIMARY KEY",
        "ACCESS EXCLUSIVE",
        "build",
        "reads and writes",
        safer="build a unique index CONCURRENTLY, then ADD PRIMARY KEY USING INDEX",
        squawk="adding-serial-primary-key-field",
    ),
    _rule(
        "SET NOT NULL",
        _ALTER + r"ALTER COLUMN \S+ SET NOT NULL",
        "ACCESS EXCLUSIVE",
        "scan",
        "reads and writes",
        safer="add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it in a later "
        "transaction, then SET NOT NULL (PostgreSQL 12+ then skips the scan)",
        squawk="adding-not-nullable-field",
    ),
    _rule(
        "ALTER COLUMN TYPE",
        _ALTER + r"ALTER COLUMN \S+ TYPE ",
        "ACCESS EXCLUSIVE",
        "rewrite",
        "reads and writes",
        safer="expand and contract: add a new column, write both, back-fill in batches, "
        "switch reads, then drop the old column",
        squawk="changing-column-type",
    ),
    _rule(
        "ADD IDENTITY",
        _ALTER + r"ALTER COLUMN \S+ ADD GENERATED",
        "ACCESS EXCLUSIVE",
        "catalog",
        "nothing",
    ),
    _rule(
        "ADD COLUMN with a volatile default or an identity",
        _ALTER
        + r"ADD COLUMN .*(?:GENERATED .*AS IDENTITY|DEFAULT .*\b(?:"
        + VOLATILE.pattern.removeprefix(r"\b(").removesuffix(r")\s*\(")
        + r")\s*\()",
        "ACCESS EXCLUSIVE",
        "rewrite",
        "reads and writes",
        safer="add the column without the default, back-fill it in batches, then SET DEFAULT",
        squawk="adding-field-with-default",
    ),
    _rule(
        "ADD COLUMN",
        _ALTER + r"ADD COLUMN ",
        "ACCESS EXCLUSIVE",
        "catalog",
        "nothing",
    ),
    _rule(
        "back-fill UPDATE",
        rf"^UPDATE {_NAME} SET ",
        "ROW EXCLUSIVE",
        "rewrite",
        "writes",
        safer="back-fill in batches outside the DDL transaction (a hand-written "
        "atomic = False migration), then make the change",
    ),
    _rule(
        "other ALTER TABLE (rename, defaults, DROP NOT NULL, DROP CONSTRAINT, DROP COLUMN)",
        _ALTER,
        "ACCESS EXCLUSIVE",
        "catalog",
        "nothing",
    ),
    _rule(
        "CREATE TABLE, DROP TABLE, COMMENT ON, ALTER INDEX RENAME",
        r"^(?:CREATE TABLE|DROP TABLE|COMMENT ON|ALTER INDEX|ALTER SEQUENCE|SELECT setval)",
        "ACCESS EXCLUSIVE",
        "catalog",
        "nothing",
    ),
)


def classify(sql: str) -> LockRule | None:
    """The rule for statement ``sql``, or None for a statement no rule describes (a
    hand-written one)."""
    text = sql.strip()
    for rule in RULES:
        if rule.pattern.search(text):
            return rule
    return None


def note(sql: str) -> str | None:
    """The lock note for ``sql`` when it blocks the application beyond a brief moment."""
    rule = classify(sql)
    if rule is None or not rule.long:
        return None
    match = rule.pattern.search(sql.strip())
    table = match.group("table") if match and "table" in match.groupdict() else "the table"
    work = {
        "scan": "reads every row",
        "rewrite": "rewrites every row",
        "build": "builds an index",
        "catalog": "waits for every open transaction",
    }[rule.work]
    article = "an" if rule.lock[0] in "AEIOU" else "a"
    return (
        f"NOTE: {rule.what} on {table} takes {article} {rule.lock} lock and {work}; "
        f"{rule.blocks} wait meanwhile. Safer: {rule.safer}."
    )


def annotate(steps: Sequence[Step]) -> list[Step]:
    """``steps`` with a lock note above each statement that blocks the application,
    unless the renderer already explained that statement in a note of its own. A table
    created by an earlier statement of the same steps is new and empty, and no one else
    can see it before the batch commits: nothing done to it needs a note."""
    out: list[Step] = []
    created: set[str] = set()
    for step in steps:
        if isinstance(step, Execute):
            made = _CREATED.match(step.sql.strip())
            if made is not None:
                created.add(made.group("table"))
            text = note(step.sql)
            match = _TABLE.search(step.sql.strip())
            if match is not None and match.group("table") in created:
                text = None
            explained = (
                bool(out) and isinstance(out[-1], Comment) and out[-1].text.startswith("NOTE:")
            )
            if text is not None and explained:
                out[-1] = Comment(text)
            elif text is not None:
                out.append(Comment(_unexplained(step.sql, text)))
        out.append(step)
    return out


_CREATED = re.compile(rf"^CREATE TABLE (?:IF NOT EXISTS )?{_NAME}", re.IGNORECASE)
_TABLE = re.compile(
    rf"^(?:ALTER TABLE (?:ONLY )?|UPDATE |CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?"
    rf"(?:IF NOT EXISTS )?\S+ ON ){_NAME}",
    re.IGNORECASE,
)


def _unexplained(sql: str, text: str) -> str:
    """The note for a type change that the renderer did not mark as a rewrite: PostgreSQL
    skips rewriting the rows (a longer VARCHAR, say), but the lock and the new type stay."""
    rule = classify(sql)
    if rule is None or rule.work != "rewrite" or not rule.what.startswith("ALTER COLUMN TYPE"):
        return text
    return text.replace(
        "and rewrites every row; reads and writes wait meanwhile",
        "(PostgreSQL keeps the rows as they are for this change, so the lock is brief, but "
        "clients that read the column may break)",
    )
