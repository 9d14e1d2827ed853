"""What each statement the MySQL renderer writes does to a table in use.

One table, :data:`RULES`, classifies every clause the renderer puts in an ``ALTER
TABLE``: the algorithm both servers can use for it (``INSTANT``, ``INPLACE`` or
``COPY``), whether the application may go on writing meanwhile, and whether the table
is rebuilt. A statement's algorithm is the costliest of its clauses' and is written into
it (``ALGORITHM=INSTANT``, ``ALGORITHM=INPLACE, LOCK=NONE``, or ``ALGORITHM=COPY,
LOCK=SHARED``), so that a server which cannot make a change the way the file says
refuses it, rather than silently copying the table under a lock. A statement that
copies the table or makes writes wait gets a ``NOTE:`` comment above it, which ``make
migration`` also prints as a lock warning, with the safer way.

The rules hold on both MySQL 8.0 and MariaDB 10.11 (MySQL's "Online DDL Operations"
tables; MariaDB's "InnoDB Online DDL Operations" pages, checked against a MariaDB
server by the test suite). Where one server could do better than the other, the rule
takes what both can do and says so in ``servers``. MariaDB reads ``INPLACE`` as the
least it accepts and still makes a change instantly when it can; MySQL does what it is
told.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemashift.dialects.base import Comment, Execute, Step

if TYPE_CHECKING:
    from schemashift.schema.values import Column

#: A table's name as the renderer writes it: quoted only when it has to be.
_NAME = r"(?P<table>`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_$]*)"
#: A column's or constraint's name, the same way.
_MEMBER = r"(?:`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_$]*)"

INSTANT = "INSTANT"
INPLACE = "INPLACE"
COPY = "COPY"
_COST = {INSTANT: 0, INPLACE: 1, COPY: 2}

_EXPAND_CONTRACT = (
    "expand and contract: add a new column, write both, back-fill it in batches, switch "
    "reads, then drop the old column"
)


@dataclass(frozen=True)
class OnlineRule:
    """How one clause of an ``ALTER TABLE`` (or one statement) behaves on a table in use."""

    #: What it does, as the docs' table names it.
    what: str
    #: Matches the clause's text; None for a rule the renderer picks itself (a
    #: ``MODIFY COLUMN``, whose text does not say what changed).
    pattern: re.Pattern[str] | None
    #: ``INSTANT``, ``INPLACE`` or ``COPY``; empty for a statement with no ALGORITHM
    #: clause (``CREATE TABLE``, ``RENAME TABLE``, ``UPDATE``...).
    algorithm: str
    #: Whether other sessions may write to the table while it runs.
    concurrent_dml: bool
    #: Whether the table is rebuilt: ``no``, ``yes``, or how the two servers differ.
    rebuilds: str
    #: The safer way; empty when the clause needs none.
    safer: str = ""
    #: Where MySQL 8 and MariaDB differ, or a version matters.
    servers: str = ""

    @property
    def warned(self) -> bool:
        """Whether a note warns of it: it copies the table or makes writes wait."""
        return self.algorithm == COPY or not self.concurrent_dml


def _rule(
    what: str,
    regex: str | None,
    algorithm: str,
    concurrent_dml: bool,
    rebuilds: str,
    **more: str,
) -> OnlineRule:
    pattern = re.compile(regex, re.IGNORECASE | re.DOTALL) if regex is not None else None
    return OnlineRule(what, pattern, algorithm, concurrent_dml, rebuilds, **more)


ADD_KEY_COLUMN = _rule(
    "ADD COLUMN ... PRIMARY KEY",
    r"^ADD COLUMN .*\bPRIMARY KEY$",
    INPLACE,
    True,
    "yes",
)
ADD_COLUMN = _rule(
    "ADD COLUMN",
    r"^ADD COLUMN ",
    INSTANT,
    True,
    "no",
    servers="MySQL 8.0.12+ (a column at the end; from 8.0.29 at most 64 instant changes "
    "per table before it must be rebuilt); MariaDB 10.3+",
)
DROP_COLUMN = _rule(
    "DROP COLUMN",
    r"^DROP COLUMN ",
    INPLACE,
    True,
    "MySQL: yes; MariaDB: no",
    servers="MySQL 8.0.29+ could drop it instantly (ALGORITHM=INSTANT), earlier 8.0 "
    "releases cannot; MariaDB 10.4+ drops it instantly under INPLACE",
)
RENAME_COLUMN = _rule("RENAME COLUMN", r"^RENAME COLUMN ", INPLACE, True, "no")
COLUMN_DEFAULT = _rule(
    "ALTER COLUMN ... SET/DROP DEFAULT",
    rf"^ALTER COLUMN {_MEMBER} (?:SET|DROP) DEFAULT",
    INSTANT,
    True,
    "no",
)
MODIFY_DEFAULT = _rule("MODIFY COLUMN, a new default only", None, INPLACE, True, "no")
MODIFY_LONGER_VARCHAR = _rule(
    "MODIFY COLUMN, a longer VARCHAR",
    None,
    INPLACE,
    True,
    "no",
    servers="only while the length stays on the same side of 255 bytes (utf8mb4: 4 bytes "
    "a character, so up to VARCHAR(63), or from VARCHAR(64) on); across it, a type change",
)
MODIFY_NULL = _rule("MODIFY COLUMN, NOT NULL to NULL", None, INPLACE, True, "yes")
MODIFY_NOT_NULL = _rule(
    "MODIFY COLUMN, NULL to NOT NULL",
    None,
    INPLACE,
    True,
    "yes",
    servers="needs strict SQL mode (STRICT_TRANS_TABLES, the default on both)",
)
MODIFY_TYPE = _rule(
    "MODIFY COLUMN, another type or AUTO_INCREMENT",
    # The implicit id coming back is made AUTO_INCREMENT by a clause of its own.
    r"^MODIFY COLUMN .*\bAUTO_INCREMENT\b",
    COPY,
    False,
    "yes",
    safer=_EXPAND_CONTRACT,
    servers="MariaDB 10.4+ makes a few widenings (INT to BIGINT...) instantly, MySQL "
    "copies: the file says COPY for both",
)
ADD_INDEX = _rule(
    "ADD INDEX, ADD UNIQUE KEY",
    r"^ADD (?:UNIQUE )?(?:INDEX|KEY) ",
    INPLACE,
    True,
    "no",
)
DROP_INDEX = _rule("DROP INDEX", r"^DROP INDEX ", INPLACE, True, "no")
RENAME_INDEX = _rule("RENAME INDEX", r"^RENAME INDEX ", INPLACE, True, "no")
ADD_FOREIGN_KEY = _rule(
    "ADD CONSTRAINT ... FOREIGN KEY",
    rf"^ADD CONSTRAINT {_MEMBER} FOREIGN KEY ",
    COPY,
    False,
    "yes",
    safer="check that every row has its parent, then add the key by hand after SET "
    "foreign_key_checks = 0 with ALGORITHM=INPLACE, LOCK=NONE (no copy, but the server "
    "then checks no existing row)",
    servers="both copy while foreign_key_checks is on",
)
DROP_FOREIGN_KEY = _rule("DROP FOREIGN KEY", r"^DROP FOREIGN KEY ", INPLACE, True, "no")
ADD_CHECK = _rule(
    "ADD CONSTRAINT ... CHECK",
    rf"^ADD CONSTRAINT {_MEMBER} CHECK ",
    COPY,
    False,
    "yes",
    safer="neither server checks existing rows without copying the table: add it while "
    "the application does not write to the table, or with an online schema-change tool "
    "(gh-ost, pt-online-schema-change)",
    servers="enforced from MySQL 8.0.16 and MariaDB 10.2; both check existing rows by "
    "copying the table",
)
DROP_CHECK = _rule("DROP CONSTRAINT (a check)", r"^DROP CONSTRAINT ", INPLACE, True, "no")
ADD_PRIMARY_KEY = _rule("ADD PRIMARY KEY", r"^ADD PRIMARY KEY ", INPLACE, True, "yes")
DROP_PRIMARY_KEY = _rule(
    "DROP PRIMARY KEY (without ADD PRIMARY KEY)",
    r"^DROP PRIMARY KEY$",
    COPY,
    False,
    "yes",
    safer="give the table its new primary key in the same statement (DROP PRIMARY KEY, "
    "ADD PRIMARY KEY: in place, writes go on)",
    servers="MariaDB could drop it in place; MySQL copies the table",
)
BACKFILL = _rule(
    "back-fill UPDATE",
    rf"^UPDATE {_NAME} SET ",
    "",
    False,
    "no",
    safer="back-fill in batches in a migration of its own (a hand-written one), then make "
    "the change",
)
OTHER_STATEMENTS = _rule(
    "CREATE TABLE, DROP TABLE, RENAME TABLE",
    r"^(?:CREATE TABLE|DROP TABLE|RENAME TABLE) ",
    "",
    True,
    "no",
)

#: Every clause and statement the renderer writes, most specific first.
RULES: tuple[OnlineRule, ...] = (
    ADD_KEY_COLUMN,
    ADD_COLUMN,
    DROP_COLUMN,
    RENAME_COLUMN,
    COLUMN_DEFAULT,
    MODIFY_DEFAULT,
    MODIFY_LONGER_VARCHAR,
    MODIFY_NULL,
    MODIFY_NOT_NULL,
    MODIFY_TYPE,
    ADD_INDEX,
    DROP_INDEX,
    RENAME_INDEX,
    ADD_FOREIGN_KEY,
    DROP_FOREIGN_KEY,
    ADD_CHECK,
    DROP_CHECK,
    ADD_PRIMARY_KEY,
    DROP_PRIMARY_KEY,
    BACKFILL,
    OTHER_STATEMENTS,
)

#: A clause that gives the table a primary key.
_NEW_KEY = re.compile(r"^ADD (?:PRIMARY KEY |COLUMN .*\bPRIMARY KEY$)", re.IGNORECASE | re.DOTALL)

_CLAUSE_RULES = tuple(r for r in RULES if r.pattern is not None and r.algorithm)


def clause_rule(text: str) -> OnlineRule:
    """The rule of one ``ALTER TABLE`` clause the renderer wrote."""
    for rule in _CLAUSE_RULES:
        assert rule.pattern is not None
        if rule.pattern.search(text):
            return rule
    raise ValueError(f"no online rule for the clause {text!r}")


_VARCHAR = re.compile(r"^VARCHAR\((\d+)\)$", re.IGNORECASE)
#: A VARCHAR keeps its length in one byte up to 255 bytes, in two beyond.
_ONE_LENGTH_BYTE = 255
_UTF8MB4 = 4


def modify_rule(before: Column, after: Column, before_type: str, after_type: str) -> OnlineRule:
    """The rule of ``MODIFY COLUMN`` from ``before`` to ``after`` (SQL types given), by
    the costliest thing that changes."""
    if before.autoincrement != after.autoincrement:
        return MODIFY_TYPE
    if before_type != after_type:
        old, new = _VARCHAR.match(before_type), _VARCHAR.match(after_type)
        if old is None or new is None or int(new.group(1)) < int(old.group(1)):
            return MODIFY_TYPE
        small = [int(m.group(1)) * _UTF8MB4 <= _ONE_LENGTH_BYTE for m in (old, new)]
        if small[0] != small[1]:
            return MODIFY_TYPE
    if before.nullable and not after.nullable:
        return MODIFY_NOT_NULL
    if after.nullable and not before.nullable:
        return MODIFY_NULL
    return MODIFY_LONGER_VARCHAR if before_type != after_type else MODIFY_DEFAULT


def alter_table(
    table: str, quoted: str, clauses: Sequence[tuple[str, OnlineRule | None]]
) -> list[Step]:
    """``ALTER TABLE`` of ``clauses`` (text, and the rule when the text does not tell),
    with the algorithm its costliest clause needs, after a note for each clause that
    copies the table or makes writes wait."""
    rules = [rule or clause_rule(text) for text, rule in clauses]
    if DROP_PRIMARY_KEY in rules and any(_NEW_KEY.search(text) for text, _ in clauses):
        # Both in one statement: the key is replaced in place.
        rules = [ADD_PRIMARY_KEY if r is DROP_PRIMARY_KEY else r for r in rules]
    algorithm = max((r.algorithm for r in rules), key=_COST.__getitem__)
    if algorithm == INSTANT:
        # MySQL refuses any LOCK clause but DEFAULT beside INSTANT.
        option = "ALGORITHM=INSTANT"
    else:
        lock = "NONE" if all(r.concurrent_dml for r in rules) and algorithm != COPY else "SHARED"
        option = f"ALGORITHM={algorithm}, LOCK={lock}"
    texts = [text for text, _ in clauses]
    if len(texts) == 1:
        sql = f"ALTER TABLE {quoted} {texts[0]}, {option}"
    else:
        sql = f"ALTER TABLE {quoted}\n    " + ",\n    ".join([*texts, option])
    notes = [Comment(note(rule, table, algorithm)) for rule in dict.fromkeys(rules) if rule.warned]
    return [*notes, Execute(sql)]


def note(rule: OnlineRule, table: str, algorithm: str = "") -> str:
    """The lock note of ``rule`` on ``table`` (in a statement run with ``algorithm``)."""
    if rule is BACKFILL:
        effect = "locks every row it changes until it commits: writes to those rows wait"
    elif algorithm == COPY or rule.algorithm == COPY:
        effect = (
            "copies the table (ALGORITHM=COPY, LOCK=SHARED): reads go on, writes wait "
            "until the copy is done"
        )
    else:
        effect = (
            f"rebuilds the table under LOCK=SHARED (ALGORITHM={rule.algorithm}): reads go "
            "on, writes wait until it is done"
        )
    return f"NOTE: {rule.what} on {table} {effect}. Safer: {rule.safer}."


_CREATED = re.compile(rf"^CREATE TABLE {_NAME}")
_TABLE = re.compile(rf"^(?:ALTER TABLE|UPDATE) {_NAME}")


def annotate(steps: Sequence[Step]) -> list[Step]:
    """``steps`` with a note above each back-fill ``UPDATE``, and without the notes of
    statements on a table created earlier in the same steps: it is new and empty, so
    copying it or making its writes wait costs nothing."""
    out: list[Step] = []
    created: set[str] = set()
    waiting: list[Step] = []
    for step in steps:
        if isinstance(step, Comment) and step.text.startswith("NOTE: "):
            waiting.append(step)
            continue
        if isinstance(step, Execute):
            sql = step.sql
            made = _CREATED.match(sql)
            if made is not None:
                created.add(made.group("table"))
            target = _TABLE.match(sql)
            if target is not None and target.group("table") in created:
                waiting.clear()
            elif BACKFILL.pattern is not None and BACKFILL.pattern.match(sql):
                name = target.group("table") if target is not None else "the table"
                waiting.append(Comment(note(BACKFILL, _unquoted(name))))
        out.extend(waiting)
        waiting.clear()
        out.append(step)
    out.extend(waiting)
    return out


def _unquoted(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name
