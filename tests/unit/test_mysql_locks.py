"""The MySQL lock classification: the docs' table lists every rule, and a statement takes
the costliest algorithm of its clauses (the server side is in
tests/behaviour/test_mysql_online.py)."""

from __future__ import annotations

from pathlib import Path

from schemashift.dialects.base import Comment, Execute
from schemashift.dialects.mysql import locks
from schemashift.schema.values import Column

DOC = Path(__file__).resolve().parents[2] / "docs" / "mysql-locks.md"


def test_every_rule_is_in_the_docs_table() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for rule in locks.RULES:
        algorithm = f"`{rule.algorithm}`" if rule.algorithm else "—"
        writes = "yes" if rule.concurrent_dml else "no"
        row = f"| {rule.what} | {algorithm} | {writes} | {rule.rebuilds} |"
        assert row in doc, row


def _sql(*clauses: str) -> tuple[str, list[str]]:
    steps = locks.alter_table("t", "t", [(c, None) for c in clauses])
    notes = [s.text for s in steps if isinstance(s, Comment)]
    (statement,) = [s for s in steps if isinstance(s, Execute)]
    return statement.sql, notes


def test_a_statement_takes_the_costliest_algorithm_of_its_clauses() -> None:
    assert _sql("ADD COLUMN a INT") == ("ALTER TABLE t ADD COLUMN a INT, ALGORITHM=INSTANT", [])
    sql, notes = _sql("ADD COLUMN a INT", "ADD INDEX i (a)")
    assert sql.endswith("ADD INDEX i (a),\n    ALGORITHM=INPLACE, LOCK=NONE") and not notes
    sql, notes = _sql("ADD COLUMN a INT", "ADD CONSTRAINT c CHECK (a > 0)")
    assert sql.endswith("ALGORITHM=COPY, LOCK=SHARED")
    assert notes == [locks.note(locks.ADD_CHECK, "t", locks.COPY)]
    assert "on t copies the table" in notes[0]
    # The implicit id comes back bare, then becomes AUTO_INCREMENT: a copy.
    sql, notes = _sql("MODIFY COLUMN id BIGINT NOT NULL AUTO_INCREMENT")
    assert sql.endswith("ALGORITHM=COPY, LOCK=SHARED")
    assert "on t copies the table" in notes[0]
    # A primary key replaced in one statement is done in place.
    assert _sql("DROP PRIMARY KEY")[0].endswith("ALGORITHM=COPY, LOCK=SHARED")
    sql, notes = _sql("DROP PRIMARY KEY", "ADD PRIMARY KEY (code)")
    assert sql.endswith("ALGORITHM=INPLACE, LOCK=NONE") and not notes


def _modify(before: Column, after: Column, old: str, new: str) -> locks.OnlineRule:
    return locks.modify_rule(before, after, old, new)


def test_modify_column_is_classified_by_what_changes() -> None:
    text = Column("a", "string", max_length=40)
    assert _modify(text, text, "VARCHAR(40)", "VARCHAR(60)") is locks.MODIFY_LONGER_VARCHAR
    # 4 bytes a character: 60 characters fit in one length byte, 100 do not.
    assert _modify(text, text, "VARCHAR(40)", "VARCHAR(100)") is locks.MODIFY_TYPE
    assert _modify(text, text, "VARCHAR(100)", "VARCHAR(200)") is locks.MODIFY_LONGER_VARCHAR
    assert _modify(text, text, "VARCHAR(60)", "VARCHAR(40)") is locks.MODIFY_TYPE
    assert _modify(text, text, "INT", "BIGINT") is locks.MODIFY_TYPE
    required = Column("a", "string", max_length=40, nullable=False)
    assert _modify(text, required, "VARCHAR(40)", "VARCHAR(40)") is locks.MODIFY_NOT_NULL
    assert _modify(required, text, "VARCHAR(40)", "VARCHAR(40)") is locks.MODIFY_NULL
    with_default = Column("a", "string", max_length=40, default="'x'")
    assert _modify(text, with_default, "VARCHAR(40)", "VARCHAR(40)") is locks.MODIFY_DEFAULT
    counted = Column("a", "integer", autoincrement=True)
    assert _modify(Column("a", "integer"), counted, "INT", "INT") is locks.MODIFY_TYPE
