"""The lock classification covers every statement the PostgreSQL renderer writes, and the
docs' table lists every rule."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from schemashift.dialects.base import Execute
from schemashift.dialects.postgres import PostgresDialect, locks
from schemashift.diff.differ import diff
from schemashift.schema.values import Column, ForeignKey, Index, Schema, Table

DOC = Path(__file__).resolve().parents[2] / "docs" / "postgresql-locks.md"
DIALECT = PostgresDialect()
ID = Column("id", "biginteger", nullable=False, primary_key=True, autoincrement=True)


def test_every_rule_is_in_the_docs_table() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for rule in locks.RULES:
        assert f"| {rule.what} | `{rule.lock}` |" in doc, rule.what


columns = st.builds(
    Column,
    name=st.sampled_from(["a", "b", "c"]),
    kind=st.sampled_from(["string", "text", "integer", "biginteger", "float", "boolean"]),
    nullable=st.booleans(),
    default=st.sampled_from([None, "0", "random()"]),
    unique=st.booleans(),
    max_length=st.just(20),
)


def _table(name: str, cols: list[Column], indexed: bool, fk: bool) -> Table:
    unique = {c.name: c for c in cols}
    body = tuple(unique.values())
    indexes = (Index(f"idx_{name}_{body[0].name}", (body[0].name,)),) if indexed and body else ()
    fks = ()
    if fk and name == "b":
        fks = (ForeignKey(f"fk_{name}_ref", "ref", "t_a", "id", "CASCADE"),)
        body = (*body, Column("ref", "biginteger"))
    return Table(f"t_{name}", (ID, *body), indexes, fks)


schemas = st.builds(
    lambda a, b, ia, ib, fk: Schema.of([_table("a", a, ia, False), _table("b", b, ib, fk)]),
    st.lists(columns, min_size=1, max_size=3),
    st.lists(columns, min_size=1, max_size=3),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=60)
@given(schemas, schemas)
def test_every_rendered_statement_is_classified(before: Schema, after: Schema) -> None:
    result = diff(before, after, fill=lambda table, column: "0")
    for step in DIALECT.render(result.operations, before):
        if isinstance(step, Execute):
            assert locks.classify(step.sql) is not None, step.sql
