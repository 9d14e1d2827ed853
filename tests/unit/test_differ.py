"""The differ: golden diffs for each kind of change, renames, NOT NULL fills, ordering,
and properties over random pairs of schemas."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemashift.diff.differ import DiffResult, diff, table_changes
from schemashift.diff.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AlterColumn,
    CreateTable,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropTable,
    Operation,
    RenameCheck,
    RenameColumn,
    RenameForeignKey,
    RenameIndex,
    RenameTable,
    reverse_all,
)
from schemashift.diff.ordering import order_operations
from schemashift.diff.renames import _column_renames, merge_cli_renames
from schemashift.errors import ConfigError, ModelError
from schemashift.schema.checksql import check_columns
from schemashift.schema.hints import RenameHints
from schemashift.schema.record import replace
from schemashift.schema.values import (
    ON_DELETE_ACTIONS,
    Check,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
)

ID = Column("id", "biginteger", nullable=False, primary_key=True, autoincrement=True)


def col(name: str, kind: str = "integer", **options: Any) -> Column:
    return Column(name, kind, **options)


def table(
    name: str,
    *columns: Column,
    indexes: Sequence[Index] = (),
    fks: Sequence[ForeignKey] = (),
    checks: Sequence[Check] = (),
) -> Table:
    return Table(name, (ID, *columns), tuple(indexes), tuple(fks), tuple(checks))


def fk(table_name: str, column: str, ref: str, on_delete: str = "NO ACTION") -> ForeignKey:
    return ForeignKey(f"fk_{table_name}_{column}", column, ref, "id", on_delete)


def schema(*tables: Table) -> Schema:
    return Schema.of(tables)


def canonical(s: Schema) -> dict[str, Table]:
    """The schema with every order that is not a change taken out."""
    return {
        name: Table(
            name,
            tuple(sorted(t.columns, key=lambda c: c.name)),
            tuple(sorted(t.indexes, key=lambda i: i.name)),
            tuple(sorted(t.foreign_keys, key=lambda f: f.name)),
            tuple(sorted(t.checks, key=lambda c: c.name)),
        )
        for name, t in s.tables.items()
    }


def _consistent(s: Schema) -> None:
    index_names: set[str] = set()
    for t in s.tables.values():
        names = [c.name for c in t.columns]
        assert len(set(names)) == len(names), f"{t.name}: repeated column"
        for i in t.indexes:
            assert i.name not in index_names, f"index {i.name} twice"
            index_names.add(i.name)
            for c in i.columns:
                assert c in names, f"index {i.name} on missing {t.name}.{c}"
        for f in t.foreign_keys:
            assert f.column in names, f"foreign key {f.name} on missing {t.name}.{f.column}"
            ref = s.table(f.ref_table)
            assert ref is not None, f"foreign key {f.name} to missing table {f.ref_table}"
            assert ref.column(f.ref_column) is not None, f"{f.name} to missing column"


def _payload_matches(s: Schema, op: Operation) -> None:
    """A drop or alter carries exactly what it replaces, so its reverse is exact."""
    t = s.table(op.table_name)
    if isinstance(op, DropTable):
        assert t is not None and canonical(Schema.of([t])) == canonical(Schema.of([op.table]))
    elif isinstance(op, DropColumn):
        assert t is not None and t.column(op.column.name) == op.column
    elif isinstance(op, AlterColumn):
        assert t is not None and t.column(op.before.name) == op.before
    elif isinstance(op, DropIndex):
        assert t is not None and t.index(op.index.name) == op.index
    elif isinstance(op, DropForeignKey):
        assert t is not None and op.foreign_key in t.foreign_keys
    elif isinstance(op, DropCheck):
        assert t is not None and op.check in t.checks


def strict_apply(s: Schema, operations: Sequence[Operation]) -> Schema:
    """Apply ``operations`` one by one, checking that each is valid where it runs."""
    _consistent(s)
    for op in operations:
        _payload_matches(s, op)
        s = op.apply(s)
        _consistent(s)
    return s


def zero(table: str, column: str) -> str:
    return "0"


def check_result(a: Schema, b: Schema, result: DiffResult) -> None:
    assert canonical(strict_apply(a, result.operations)) == canonical(b)
    assert canonical(strict_apply(b, reverse_all(result.operations))) == canonical(a)


def ops_of(a: Schema, b: Schema, **kwargs: Any) -> list[Operation]:
    result = diff(a, b, **kwargs)
    check_result(a, b, result)
    return list(result.operations)


USERS = table("users", col("email", "string", max_length=100), col("age"))
POSTS = table(
    "posts",
    col("author_id", "biginteger", nullable=False),
    col("title", "text"),
    indexes=[Index("idx_posts_author_id", ("author_id",))],
    fks=[fk("posts", "author_id", "users")],
)


# -- nothing to do ---------------------------------------------------------------------


def test_identical_schemas_give_nothing() -> None:
    assert diff(schema(USERS, POSTS), schema(POSTS, USERS)) == DiffResult((), ())
    assert diff(Schema(), Schema()) == DiffResult()


def test_column_order_is_not_a_change() -> None:
    reordered = USERS.with_(columns=(USERS.columns[2], USERS.columns[0], USERS.columns[1]))
    assert diff(schema(USERS), schema(reordered)).operations == ()


def test_index_and_constraint_order_is_not_a_change() -> None:
    a = table(
        "t",
        col("x"),
        col("y"),
        indexes=[Index("i1", ("x",)), Index("i2", ("y",))],
        checks=[Check("k1", "x > 0"), Check("k2", "y > 0")],
    )
    b = a.with_(indexes=a.indexes[::-1], checks=a.checks[::-1])
    assert diff(schema(a), schema(b)).operations == ()


# -- tables ----------------------------------------------------------------------------


def test_new_tables_are_created_referenced_first() -> None:
    assert ops_of(Schema(), schema(USERS, POSTS)) == [CreateTable(USERS), CreateTable(POSTS)]
    a_refs_z = table("a", col("z_id", "biginteger"), fks=[fk("a", "z_id", "z")])
    z = table("z")
    assert ops_of(Schema(), schema(a_refs_z, z)) == [CreateTable(z), CreateTable(a_refs_z)]


def test_dropped_tables_are_dropped_referencing_first() -> None:
    assert ops_of(schema(USERS, POSTS), Schema()) == [DropTable(POSTS), DropTable(USERS)]


def test_self_references_need_no_special_care() -> None:
    node = table("nodes", col("parent", "biginteger"), fks=[fk("nodes", "parent", "nodes")])
    assert ops_of(Schema(), schema(node)) == [CreateTable(node)]
    assert ops_of(schema(node), Schema()) == [DropTable(node)]


def test_created_tables_in_a_cycle_get_the_closing_foreign_key_afterwards() -> None:
    a = table("a", col("b_id", "biginteger"), fks=[fk("a", "b_id", "b")])
    b = table("b", col("a_id", "biginteger"), fks=[fk("b", "a_id", "a")])
    assert ops_of(Schema(), schema(a, b)) == [
        CreateTable(a.with_(foreign_keys=())),
        CreateTable(b),
        AddForeignKey("a", fk("a", "b_id", "b")),
    ]
    assert ops_of(schema(a, b), Schema()) == [
        DropForeignKey("a", fk("a", "b_id", "b")),
        DropTable(b),
        DropTable(a.with_(foreign_keys=())),
    ]


def test_a_longer_cycle_is_broken_once() -> None:
    a = table("a", col("b_id", "biginteger"), fks=[fk("a", "b_id", "b")])
    b = table("b", col("c_id", "biginteger"), fks=[fk("b", "c_id", "c")])
    c = table("c", col("a_id", "biginteger"), fks=[fk("c", "a_id", "a")])
    ops = ops_of(Schema(), schema(a, b, c))
    assert sum(isinstance(op, AddForeignKey) for op in ops) == 1
    assert [type(op) for op in ops] == [CreateTable] * 3 + [AddForeignKey]


def test_a_new_table_and_an_existing_one_pointing_at_it() -> None:
    tags = table("tags", col("label", "text"))
    posts_after = POSTS.with_(
        columns=(*POSTS.columns, col("tag_id", "biginteger")),
        indexes=(*POSTS.indexes, Index("idx_posts_tag_id", ("tag_id",))),
        foreign_keys=(*POSTS.foreign_keys, fk("posts", "tag_id", "tags")),
    )
    assert ops_of(schema(USERS, POSTS), schema(USERS, posts_after, tags)) == [
        CreateTable(tags),
        AddColumn("posts", col("tag_id", "biginteger")),
        AddIndex("posts", Index("idx_posts_tag_id", ("tag_id",))),
        AddForeignKey("posts", fk("posts", "tag_id", "tags")),
    ]


def test_a_dropped_table_still_referenced_by_an_existing_one() -> None:
    posts_after = POSTS.with_(
        columns=POSTS.columns[:1] + POSTS.columns[2:], indexes=(), foreign_keys=()
    )
    assert ops_of(schema(USERS, POSTS), schema(posts_after)) == [
        DropForeignKey("posts", fk("posts", "author_id", "users")),
        DropIndex("posts", Index("idx_posts_author_id", ("author_id",))),
        DropColumn("posts", col("author_id", "biginteger", nullable=False)),
        DropTable(USERS),
    ]


# -- columns ---------------------------------------------------------------------------


def test_new_nullable_column() -> None:
    after = USERS.with_(columns=(*USERS.columns, col("bio", "text")))
    assert ops_of(schema(USERS), schema(after)) == [AddColumn("users", col("bio", "text"))]


def test_new_not_null_column_with_a_default_needs_no_fill() -> None:
    phone = col("phone", "string", nullable=False, default="''", max_length=20)
    after = USERS.with_(columns=(*USERS.columns, phone))
    assert ops_of(schema(USERS), schema(after)) == [AddColumn("users", phone)]


def test_new_not_null_column_without_a_default_asks_for_a_fill() -> None:
    phone = col("phone", "string", nullable=False, max_length=20)
    after = USERS.with_(columns=(*USERS.columns, phone))
    asked: list[tuple[str, str]] = []

    def fill(table_name: str, column: str) -> str:
        asked.append((table_name, column))
        return "'none'"

    assert ops_of(schema(USERS), schema(after), fill=fill) == [AddColumn("users", phone, "'none'")]
    assert asked == [("users", "phone")]


@pytest.mark.parametrize("fill", [None, lambda t, c: None])
def test_not_null_without_default_or_fill_is_refused(
    fill: Callable[[str, str], str | None] | None,
) -> None:
    after = USERS.with_(columns=(*USERS.columns, col("phone", "string", nullable=False)))
    with pytest.raises(ModelError) as info:
        diff(schema(USERS), schema(after), fill=fill)
    assert str(info.value) == (
        "users.phone is NOT NULL without a default, and existing rows need a value. Give "
        "the field a default=..., make it nullable, or run make migration on a terminal to "
        "enter a one-off value."
    )


def test_new_tables_never_need_a_fill() -> None:
    strict = table("t", col("x", nullable=False))
    assert ops_of(Schema(), schema(strict)) == [CreateTable(strict)]


def test_dropped_column() -> None:
    after = USERS.with_(columns=USERS.columns[:2])
    ops = ops_of(schema(USERS), schema(after))
    assert ops == [DropColumn("users", col("age"))]
    assert ops[0].destructive


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "biginteger"},
        {"nullable": False, "default": "0"},
        {"default": "5"},
        {"unique": True},
        {"primary_key": True, "nullable": False, "default": "0"},
    ],
)
def test_altered_column_is_one_alter(changes: dict[str, Any]) -> None:
    before = col("age")
    after = replace(before, **changes)
    ops = ops_of(schema(table("t", before)), schema(table("t", after)))
    assert ops == [AlterColumn("t", before, after)]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (col("s", "string", max_length=10), col("s", "string", max_length=20)),
        (
            col("d", "decimal", max_digits=5, decimal_places=2),
            col("d", "decimal", max_digits=6, decimal_places=3),
        ),
        (col("e", "enum", choices=("a",)), col("e", "enum", choices=("a", "b"))),
    ],
)
def test_altered_type_details(before: Column, after: Column) -> None:
    assert ops_of(schema(table("t", before)), schema(table("t", after))) == [
        AlterColumn("t", before, after)
    ]


def test_becoming_not_null_without_a_default_takes_a_fill() -> None:
    before, after = col("age"), col("age", nullable=False)
    ops = ops_of(schema(table("t", before)), schema(table("t", after)), fill=zero)
    assert ops == [AlterColumn("t", before, after, "0")]
    with pytest.raises(ModelError, match=r"^t\.age is NOT NULL without a default"):
        diff(schema(table("t", before)), schema(table("t", after)))


def test_becoming_not_null_with_a_default_fills_from_the_default() -> None:
    before, after = col("age"), col("age", nullable=False, default="0")
    assert ops_of(schema(table("t", before)), schema(table("t", after))) == [
        AlterColumn("t", before, after)
    ]


# -- indexes, foreign keys, checks -----------------------------------------------------


def test_indexes_added_dropped_and_changed() -> None:
    x, y = col("x"), col("y")
    a = table("t", x, y, indexes=[Index("i_old", ("x",)), Index("i_same", ("x", "y"))])
    b = table(
        "t",
        x,
        y,
        indexes=[Index("i_same", ("x", "y"), unique=True), Index("i_new", ("y",))],
    )
    assert ops_of(schema(a), schema(b)) == [
        DropIndex("t", Index("i_old", ("x",))),
        DropIndex("t", Index("i_same", ("x", "y"))),
        AddIndex("t", Index("i_same", ("x", "y"), unique=True)),
        AddIndex("t", Index("i_new", ("y",))),
    ]


def test_foreign_keys_added_dropped_and_changed() -> None:
    a = POSTS
    b = POSTS.with_(foreign_keys=(fk("posts", "author_id", "users", "CASCADE"),))
    assert ops_of(schema(USERS, a), schema(USERS, b)) == [
        DropForeignKey("posts", fk("posts", "author_id", "users")),
        AddForeignKey("posts", fk("posts", "author_id", "users", "CASCADE")),
    ]
    c = POSTS.with_(foreign_keys=())
    assert ops_of(schema(USERS, a), schema(USERS, c)) == [
        DropForeignKey("posts", fk("posts", "author_id", "users"))
    ]
    assert ops_of(schema(USERS, c), schema(USERS, a)) == [
        AddForeignKey("posts", fk("posts", "author_id", "users"))
    ]


def test_checks_added_dropped_and_changed() -> None:
    a = table("t", col("x"), checks=[Check("k1", "x > 0"), Check("k2", "x < 9")])
    b = table("t", col("x"), checks=[Check("k1", "x >= 0"), Check("k3", "x <> 5")])
    assert ops_of(schema(a), schema(b)) == [
        DropCheck("t", Check("k1", "x > 0")),
        DropCheck("t", Check("k2", "x < 9")),
        AddCheck("t", Check("k1", "x >= 0")),
        AddCheck("t", Check("k3", "x <> 5")),
    ]


def test_a_check_waits_for_the_columns_it_may_use() -> None:
    a = table("t", col("x"), checks=[Check("k", "x > 0")])
    b = table("t", col("y"), checks=[Check("k", "y > 0")])
    assert ops_of(schema(a), schema(b)) == [
        DropCheck("t", Check("k", "x > 0")),
        DropColumn("t", col("x")),
        AddColumn("t", col("y")),
        AddCheck("t", Check("k", "y > 0")),
    ]


def test_one_table_changes_grouped_in_a_valid_order() -> None:
    a = table(
        "t",
        col("gone"),
        col("kept"),
        indexes=[Index("i_gone", ("gone",))],
        checks=[Check("k_gone", "gone > 0")],
    )
    b = table("t", col("kept", "text"), col("new"), indexes=[Index("i_new", ("new", "kept"))])
    assert ops_of(schema(a), schema(b)) == [
        DropCheck("t", Check("k_gone", "gone > 0")),
        DropIndex("t", Index("i_gone", ("gone",))),
        DropColumn("t", col("gone")),
        AlterColumn("t", col("kept"), col("kept", "text")),
        AddColumn("t", col("new")),
        AddIndex("t", Index("i_new", ("new", "kept"))),
    ]


def test_changes_stay_grouped_by_table() -> None:
    a = schema(table("a", col("x")), table("b", col("x")))
    b = schema(table("a", col("y"), col("z")), table("b", col("y"), col("z")))
    ops = ops_of(a, b)
    assert [op.table_name for op in ops] == ["a"] * 3 + ["b"] * 3


def test_an_index_name_moving_between_tables_is_dropped_first() -> None:
    a = schema(table("a", col("x"), indexes=[Index("n", ("x",))]), table("b", col("x")))
    b = schema(table("a", col("x")), table("b", col("x"), indexes=[Index("n", ("x",))]))
    assert ops_of(a, b) == [
        DropIndex("a", Index("n", ("x",))),
        AddIndex("b", Index("n", ("x",))),
    ]
    c = schema(table("c", col("x"), indexes=[Index("n", ("x",))]))
    d = schema(table("b", col("x")), table("d", col("x"), indexes=[Index("n", ("x",))]))
    ops = ops_of(schema(table("b", col("x")), *c.tables.values()), d)
    assert ops.index(DropTable(c.tables["c"])) < ops.index(CreateTable(d.tables["d"]))


def test_a_new_primary_key_that_others_point_at() -> None:
    code = col("code", "string", nullable=False, primary_key=True, max_length=2)
    countries_a = table("countries")
    countries_b = Table("countries", (code,))
    cities_a = table(
        "cities", col("country", "biginteger"), fks=[fk("cities", "country", "countries")]
    )
    cities_b = table(
        "cities",
        col("country", "string", max_length=2),
        fks=[ForeignKey("fk_cities_country", "country", "countries", "code")],
    )
    ops = ops_of(
        schema(countries_a, cities_a), schema(countries_b, cities_b), fill=lambda t, c: "'xx'"
    )
    assert ops == [
        DropForeignKey("cities", fk("cities", "country", "countries")),
        AlterColumn("cities", col("country", "biginteger"), col("country", "string", max_length=2)),
        DropColumn("countries", ID),
        AddColumn("countries", code, "'xx'"),
        AddForeignKey("cities", ForeignKey("fk_cities_country", "country", "countries", "code")),
    ]


# -- renames ---------------------------------------------------------------------------


def test_table_rename_from_a_hint() -> None:
    people = USERS.with_(name="people")
    ops = ops_of(
        schema(USERS, POSTS),
        schema(people, replace_ref(POSTS, "people")),
        hints=RenameHints(tables={"people": "users"}),
    )
    assert ops == [RenameTable("users", "people")]


def replace_ref(t: Table, ref: str) -> Table:
    return t.with_(foreign_keys=tuple(replace(f, ref_table=ref) for f in t.foreign_keys))


def test_column_rename_from_a_hint_then_alteration() -> None:
    a = table("users", col("phone", "string", max_length=10))
    b = table("users", col("mobile", "string", max_length=20))
    hints = RenameHints(columns={("users", "mobile"): "phone"})
    assert ops_of(schema(a), schema(b), hints=hints) == [
        RenameColumn("users", "phone", "mobile"),
        AlterColumn(
            "users",
            col("mobile", "string", max_length=10),
            col("mobile", "string", max_length=20),
        ),
    ]


def test_column_hint_may_name_the_old_table() -> None:
    a = table("users", col("phone"))
    b = table("people", col("mobile"))
    hints = RenameHints(tables={"people": "users"}, columns={("users", "mobile"): "phone"})
    assert ops_of(schema(a), schema(b), hints=hints) == [
        RenameTable("users", "people"),
        RenameColumn("people", "phone", "mobile"),
    ]


def test_renamed_columns_carry_their_index_and_foreign_keys() -> None:
    a = schema(USERS, POSTS)
    writer_posts = table(
        "posts",
        col("writer_id", "biginteger", nullable=False),
        col("title", "text"),
        indexes=[Index("idx_posts_writer_id", ("writer_id",))],
        fks=[fk("posts", "writer_id", "users")],
    )
    hints = RenameHints(columns={("posts", "writer_id"): "author_id"})
    ops = ops_of(a, schema(USERS, writer_posts), hints=hints)
    assert ops == [
        RenameColumn("posts", "author_id", "writer_id"),
        RenameIndex("posts", "idx_posts_author_id", "idx_posts_writer_id"),
        RenameForeignKey("posts", "fk_posts_author_id", "fk_posts_writer_id"),
    ]


def test_a_renamed_table_renames_the_names_derived_from_it_in_place() -> None:
    posts = table(
        "posts",
        col("author_id", "biginteger", nullable=False),
        col("slug", "string", max_length=20),
        indexes=[
            Index("idx_posts_author_id", ("author_id",)),
            Index("uq_posts_slug", ("slug",), unique=True),
        ],
        fks=[fk("posts", "author_id", "users")],
        checks=[Check("ck_posts_1a2b3c4d", "slug <> ''")],
    )
    articles = table(
        "articles",
        col("writer_id", "biginteger", nullable=False),
        col("slug", "string", max_length=20),
        indexes=[
            Index("idx_articles_writer_id", ("writer_id",)),
            Index("uq_articles_slug", ("slug",), unique=True),
        ],
        fks=[fk("articles", "writer_id", "users")],
        checks=[Check("ck_articles_1a2b3c4d", "slug <> ''")],
    )
    hints = RenameHints(
        tables={"articles": "posts"}, columns={("articles", "writer_id"): "author_id"}
    )
    ops = ops_of(schema(USERS, posts), schema(USERS, articles), hints=hints)
    assert ops == [
        RenameTable("posts", "articles"),
        RenameColumn("articles", "author_id", "writer_id"),
        RenameIndex("articles", "idx_posts_author_id", "idx_articles_writer_id"),
        RenameIndex("articles", "uq_posts_slug", "uq_articles_slug"),
        RenameForeignKey("articles", "fk_posts_author_id", "fk_articles_writer_id"),
        RenameCheck("articles", "ck_posts_1a2b3c4d", "ck_articles_1a2b3c4d"),
    ]
    assert reverse_all(ops)[:4] == [
        RenameCheck("articles", "ck_articles_1a2b3c4d", "ck_posts_1a2b3c4d"),
        RenameForeignKey("articles", "fk_articles_writer_id", "fk_posts_author_id"),
        RenameIndex("articles", "uq_articles_slug", "uq_posts_slug"),
        RenameIndex("articles", "idx_articles_writer_id", "idx_posts_author_id"),
    ]


def test_a_check_using_a_renamed_column_is_renamed_with_it() -> None:
    """The databases rewrite a check that uses a renamed column: the check is the same
    object, its derived name (from its SQL) moves, and one with a name of its own stays."""
    before = table(
        "posts",
        col("score"),
        checks=[Check("ck_posts_0d5a974c", "score >= 0"), Check("below", '"score" < 1000')],
    )
    after = table(
        "posts",
        col("points"),
        checks=[Check("ck_posts_78c450f6", "points >= 0"), Check("below", '"points" < 1000')],
    )
    hints = RenameHints(columns={("posts", "points"): "score"})
    ops = ops_of(schema(before), schema(after), hints=hints)
    assert ops == [
        RenameColumn("posts", "score", "points"),
        RenameCheck("posts", "ck_posts_0d5a974c", "ck_posts_78c450f6"),
    ]
    # Written otherwise than the database would write it, the check is dropped and added.
    other = table("posts", col("points"), checks=[Check("below", "points<1000")])
    changed = ops_of(schema(before), schema(other), hints=hints)
    assert DropCheck("posts", Check("below", '"points" < 1000')) in changed
    assert AddCheck("posts", Check("below", "points<1000")) in changed


def test_a_member_changed_besides_its_name_is_dropped_and_added() -> None:
    a = table("users", col("age"), col("score"), indexes=[Index("by_age", ("age",))])
    b = table("users", col("age"), col("score"), indexes=[Index("by_score", ("score",))])
    assert ops_of(schema(a), schema(b)) == [
        DropIndex("users", Index("by_age", ("age",))),
        AddIndex("users", Index("by_score", ("score",))),
    ]
    unique = table("users", col("age"), col("score"), indexes=[Index("u", ("age",), True)])
    assert ops_of(schema(a), schema(unique)) == [
        DropIndex("users", Index("by_age", ("age",))),
        AddIndex("users", Index("u", ("age",), True)),
    ]


def test_names_that_swap_are_dropped_and_added_not_renamed_in_a_cycle() -> None:
    def users(first: str, second: str) -> Table:
        return table(
            "users",
            col("age"),
            col("score"),
            indexes=[Index(first, ("age",)), Index(second, ("score",))],
            checks=[Check(first, "age > 0"), Check(second, "score > 0")],
        )

    ops = ops_of(schema(users("one", "two")), schema(users("two", "one")))
    assert not any(isinstance(op, (RenameIndex, RenameCheck)) for op in ops), ops


def test_an_index_name_taken_in_another_table_is_not_renamed_to() -> None:
    """Index names share one namespace: a rename onto a name that another table's index
    gives up in the same change could wait for it; a drop and an add do not."""
    a = schema(
        table("users", col("age"), indexes=[Index("by_age", ("age",))]),
        table("posts", col("age"), indexes=[Index("old", ("age",))]),
    )
    b = schema(
        table("users", col("age")),
        table("posts", col("age"), indexes=[Index("by_age", ("age",))]),
    )
    ops = ops_of(a, b)
    assert not any(isinstance(op, RenameIndex) for op in ops), ops
    c = schema(
        table("users", col("age"), indexes=[Index("by_age", ("age",))]),
        table("posts", col("age"), indexes=[Index("posts_by_age", ("age",))]),
    )
    assert ops_of(a, c) == [RenameIndex("posts", "old", "posts_by_age")]


def test_stale_hints_are_harmless() -> None:
    hints = RenameHints(tables={"users": "members"}, columns={("users", "email"): "mail"})
    assert diff(schema(USERS), schema(USERS), hints=hints) == DiffResult()


def test_hints_that_cannot_apply_are_reported() -> None:
    a = table("users", col("phone"))
    b = table("users", col("phone"), col("mobile"))
    result = diff(
        schema(a),
        schema(b, table("people")),
        hints=RenameHints(tables={"people": "persons"}, columns={("users", "mobile"): "phone"}),
    )
    assert result.warnings == (
        "rename of table persons to people ignored: there is no table persons",
        "rename of users.phone to mobile ignored: users.phone is still in the models",
    )
    result = diff(
        schema(table("users")),
        schema(table("users", col("mobile"))),
        hints=RenameHints(columns={("users", "mobile"): "phone"}),
    )
    assert result.warnings == (
        "rename of users.phone to mobile ignored: there is no column users.phone",
    )


def test_without_ask_or_hint_a_possible_rename_is_a_drop_and_add_with_warnings() -> None:
    a = schema(table("users", col("phone", "text"), col("age")))
    b = schema(table("users", col("mobile", "text"), col("age", "text")))
    result = diff(a, b)
    check_result(a, b, result)
    assert [type(op) for op in result.operations] == [DropColumn, AlterColumn, AddColumn]
    assert result.warnings == (
        "users.phone was dropped and users.mobile added: if this was a rename, run make "
        "migration again with --rename users.phone=mobile",
    )


def test_possible_table_rename_is_warned() -> None:
    result = diff(schema(USERS), schema(USERS.with_(name="members")))
    assert result.warnings == (
        "table users was dropped and table members added: if this was a rename, run make "
        "migration again with --rename-table users=members",
    )


def test_renames_are_asked_in_a_fixed_order() -> None:
    a = schema(USERS, table("things", col("phone", "text"), col("fax", "text"), col("n")))
    b = schema(
        USERS.with_(name="members"),
        table("things", col("mobile", "text"), col("email", "text"), col("m", "float")),
    )
    questions: list[str] = []
    yes = {
        "Did you rename table users to members? [y/N]",
        "Did you rename things.phone to things.email? [y/N]",
    }

    def ask(question: str) -> bool:
        questions.append(question)
        return question in yes

    result = diff(a, b, ask=ask)
    check_result(a, b, result)
    assert questions == [
        "Did you rename table users to members? [y/N]",
        "Did you rename things.phone to things.mobile? [y/N]",
        "Did you rename things.phone to things.email? [y/N]",
        "Did you rename things.fax to things.mobile? [y/N]",
    ]
    assert result.operations[:2] == (
        RenameTable("users", "members"),
        RenameColumn("things", "phone", "email"),
    )
    # Pairs of different kinds are not asked about, but still warned of.
    assert result.warnings == (
        "things.fax was dropped and things.m added: if this was a rename, run make "
        "migration again with --rename things.fax=m",
        "things.n was dropped and columns things.mobile, things.m added: if it was renamed "
        "to one of them, run make migration again with --rename things.n=NEW, NEW being "
        "its new name (mobile, m)",
    )
    assert DropColumn("things", col("fax", "text")) in result.operations


def test_tables_with_different_columns_are_not_asked_about() -> None:
    asked: list[str] = []

    def ask(question: str) -> bool:
        asked.append(question)
        return False

    diff(schema(USERS), schema(table("members")), ask=ask)
    assert asked == []


# -- renames known from identity ---------------------------------------------------------


def owned(t: Table, model: str | None, **attributes: str) -> Table:
    """``t`` declared by ``model``, its columns by the attributes given (column name ->
    attribute); other columns by an attribute of their own name, except ``id``."""
    cols = tuple(
        replace(c, attribute=attributes.get(c.name, None if c.name == "id" else c.name))
        for c in t.columns
    )
    return t.with_(columns=cols, model=model)


def never(question: str) -> bool:
    raise AssertionError(f"asked {question!r}")


def test_identity_is_no_part_of_a_definition() -> None:
    plain = table("dogs", col("age"))
    known = owned(plain, "Dog", age="years")
    assert plain == known and hash(plain) == hash(known)
    assert diff(schema(plain), schema(known)) == DiffResult()
    assert diff(schema(known), schema(owned(plain, "Hound", age="age"))) == DiffResult()


def test_new_table_name_of_the_same_model_is_a_rename_without_a_question() -> None:
    dogs = owned(table("dogs", col("name", "text"), col("age")), "Dog")
    hounds = owned(table("hounds", col("name", "text"), col("age"), col("x")), "Dog")
    result = diff(schema(dogs), schema(hounds), ask=never)
    check_result(schema(dogs), schema(hounds), result)
    assert result.operations == (
        RenameTable("dogs", "hounds"),
        AddColumn("hounds", col("x")),
    )
    assert result.warnings == ()


def test_new_column_name_of_the_same_attribute_is_a_rename_without_a_question() -> None:
    before = owned(table("dogs", col("age"), col("name", "text")), "Dog")
    after = owned(
        table("dogs", col("years", "biginteger"), col("name", "text")), "Dog", years="age"
    )
    result = diff(schema(before), schema(after), ask=never)
    check_result(schema(before), schema(after), result)
    assert result.operations == (
        RenameColumn("dogs", "age", "years"),
        AlterColumn("dogs", col("years"), col("years", "biginteger")),
    )
    assert result.warnings == ()


def test_table_and_column_renamed_by_identity_at_once() -> None:
    users = owned(table("users", col("phone", "text")), "User")
    posts = owned(
        table(
            "posts",
            col("author", "biginteger", nullable=False),
            indexes=[Index("idx_posts_author", ("author",))],
            fks=[fk("posts", "author", "users")],
        ),
        "Post",
    )
    members = owned(table("members", col("mobile", "text")), "User", mobile="phone")
    posts_after = owned(
        table(
            "posts",
            col("author_id", "biginteger", nullable=False),
            indexes=[Index("idx_posts_author_id", ("author_id",))],
            fks=[fk("posts", "author_id", "members")],
        ),
        "Post",
        author_id="author",
    )
    a, b = schema(users, posts), schema(members, posts_after)
    result = diff(a, b, ask=never)
    check_result(a, b, result)
    assert result.operations[:3] == (
        RenameTable("users", "members"),
        RenameColumn("members", "phone", "mobile"),
        RenameColumn("posts", "author", "author_id"),
    )
    assert not any(isinstance(op, (DropColumn, DropTable)) for op in result.operations)
    assert result.warnings == ()


def test_a_hint_wins_over_identity() -> None:
    before = owned(table("t", col("a"), col("b")), "T")
    after = owned(table("t", col("c"), col("d")), "T", d="a", c="b")
    result = diff(schema(before), schema(after), hints=RenameHints(columns={("t", "c"): "a"}))
    check_result(schema(before), schema(after), result)
    # Identity would rename b to c, which the hint took: b is dropped, d added.
    assert result.operations == (
        RenameColumn("t", "a", "c"),
        DropColumn("t", col("b")),
        AddColumn("t", col("d")),
    )
    assert result.warnings == (
        "t.b was dropped and t.d added: if this was a rename, run make migration again "
        "with --rename t.b=d",
    )


def test_class_renamed_with_its_table_is_not_guessed() -> None:
    dogs = owned(table("dogs", col("age")), "Dog")
    hounds = owned(table("hounds", col("age")), "Hound")
    result = diff(schema(dogs), schema(hounds))
    assert [type(op) for op in result.operations] == [CreateTable, DropTable]
    assert result.warnings == (
        "table dogs was dropped and table hounds added: if this was a rename, run make "
        "migration again with --rename-table dogs=hounds",
    )


def test_class_renamed_keeping_its_table_still_knows_its_attributes() -> None:
    before = owned(table("dogs", col("age")), "Dog")
    after = owned(table("dogs", col("years")), "Hound", years="age")
    assert diff(schema(before), schema(after), ask=never).operations == (
        RenameColumn("dogs", "age", "years"),
    )


def test_swapped_table_names_are_changed_by_name_with_a_warning() -> None:
    cats = owned(table("cats", col("lives")), "Cat")
    dogs = owned(table("dogs", col("name", "text")), "Dog")
    a = schema(cats, dogs)
    b = schema(
        owned(table("dogs", col("lives")), "Cat"), owned(table("cats", col("name", "text")), "Dog")
    )
    result = diff(a, b, ask=never)
    check_result(a, b, result)
    assert not any(isinstance(op, (RenameTable, RenameColumn)) for op in result.operations)
    assert result.warnings[:2] == (
        "model Cat moved from table cats to table dogs, but table dogs still exists in the "
        "migrations: this is written as changes to each table by name, not as a rename. To "
        "keep the data with it, make the change in two migrations, the first giving one of "
        "them a name no other table uses",
        "model Dog moved from table dogs to table cats, but table cats still exists in the "
        "migrations: this is written as changes to each table by name, not as a rename. To "
        "keep the data with it, make the change in two migrations, the first giving one of "
        "them a name no other table uses",
    )


def test_swapped_and_chained_columns_are_changed_by_name_with_a_warning() -> None:
    before = owned(table("t", col("a"), col("b"), col("c")), "T", a="x", b="y", c="z")
    after = owned(table("t", col("b"), col("a"), col("d")), "T", b="x", a="y", d="z")
    result = diff(schema(before), schema(after))
    check_result(schema(before), schema(after), result)
    assert result.operations == (RenameColumn("t", "c", "d"),)
    assert [w.split(",")[0] for w in result.warnings] == [
        "field T.x moved from column t.a to column t.b",
        "field T.y moved from column t.b to column t.a",
    ]
    chained = owned(table("t", col("b"), col("c"), col("d")), "T", b="x", c="y", d="z")
    result = diff(schema(before), schema(chained))
    check_result(schema(before), schema(chained), result)
    assert not any(isinstance(op, RenameColumn) for op in result.operations)
    assert "but column t.b still exists in the migrations" in result.warnings[0]
    assert "but column t.c still exists in the migrations" in result.warnings[1]


def test_a_table_name_freed_by_a_drop_is_not_taken_by_identity() -> None:
    a = schema(owned(table("old", col("x")), "A"), owned(table("new", col("y")), None))
    b = schema(owned(table("new", col("x")), "A"))
    result = diff(a, b)
    check_result(a, b, result)
    assert not any(isinstance(op, RenameTable) for op in result.operations)
    assert result.warnings[:1] == (
        "model A moved from table old to table new, but table new still exists in the "
        "migrations: this is written as changes to each table by name, not as a rename. To "
        "keep the data with it, make the change in two migrations, the first giving one of "
        "them a name no other table uses",
    )


def test_unknown_or_shared_identities_tell_nothing() -> None:
    a = schema(owned(table("a", col("x")), None), owned(table("b", col("y")), "M"))
    b = schema(owned(table("c", col("x")), "M"), owned(table("d", col("y")), "M"))
    result = diff(a, b)
    check_result(a, b, result)
    assert not any(isinstance(op, RenameTable) for op in result.operations)
    before = table("t", col("a"), col("b"))
    after = owned(table("t", col("c"), col("b")), "T", c="a")
    # Columns made by files that recorded no attribute.
    assert diff(schema(before), schema(after)).operations == (
        DropColumn("t", col("a")),
        AddColumn("t", col("c")),
    )
    # An attribute that two columns claim.
    shared = diff(schema(owned(before, "T")), schema(owned(after, "T", c="a", b="a")))
    assert RenameColumn("t", "a", "c") not in shared.operations


def test_columns_of_another_model_are_not_matched_by_attribute() -> None:
    # Table t changes hands from model A to model B, both still in the models: A's
    # attributes say nothing about B's columns.
    a = schema(owned(table("t", col("a")), "A", a="x"), owned(table("u"), "B"))
    b = schema(owned(table("t", col("b")), "B", b="x"), owned(table("u"), "A"))
    result = diff(a, b)
    assert not any(isinstance(op, RenameColumn) for op in result.operations)
    assert "t.a was dropped and t.b added" in " ".join(result.warnings)


def test_every_drop_and_add_is_warned_of_whatever_the_kinds() -> None:
    a = schema(table("users", col("phone", "text")), table("teams", col("label", "text")))
    b = schema(table("users", col("mobile")), table("groups", col("size")))
    result = diff(a, b)
    assert result.warnings == (
        "table teams was dropped and table groups added: if this was a rename, run make "
        "migration again with --rename-table teams=groups",
        "users.phone was dropped and users.mobile added: if this was a rename, run make "
        "migration again with --rename users.phone=mobile",
    )
    asked: list[str] = []
    result = diff(a, b, ask=lambda q: bool(asked.append(q)))
    assert asked == []
    assert len(result.warnings) == 2


def test_one_warning_per_dropped_member_however_many_were_added() -> None:
    added = [f"t{i}" for i in range(8)]
    a = schema(table("old", col("a")))
    b = schema(*(table(name, col(name)) for name in added))
    assert diff(a, b).warnings == (
        "table old was dropped and tables t0, t1, t2, t3, t4 and 3 more added: if it was "
        "renamed to one of them, run make migration again with --rename-table old=NEW, NEW "
        "being its new name (t0, t1, t2, t3, t4 and 3 more)",
    )


def test_a_pair_answered_no_is_not_warned_of_but_a_later_yes_is_kept() -> None:
    a = schema(table("t", col("a", "text")))
    b = schema(table("t", col("b"), col("c", "text")))
    result = diff(a, b, ask=lambda q: True)
    assert result.operations[0] == RenameColumn("t", "a", "c")
    assert result.warnings == ()
    result = diff(a, b, ask=lambda q: False)
    assert result.warnings == (
        "t.a was dropped and t.b added: if this was a rename, run make migration again "
        "with --rename t.a=b",
    )


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "integer"},
        {"nullable": False},
        {"default": "1"},
        {"unique": True},
        {"primary_key": True},
        {"autoincrement": False},
        {"max_length": 10},
        {"max_digits": 12},
        {"decimal_places": 3},
        {"choices": ("a",)},
    ],
)
def test_an_altered_column_line_names_what_changes(change: dict[str, Any]) -> None:
    before = Column("pk", "biginteger", nullable=True, autoincrement=True)
    line = AlterColumn("dogs", before, replace(before, **change)).describe()
    assert line == f"~ alter column dogs.pk ({', '.join(change)})"


def test_the_implicit_id_renamed_says_what_changes() -> None:
    after = owned(
        table("dogs").with_(
            columns=(Column("pk", "biginteger", nullable=False, primary_key=True),)
        ),
        "Dog",
        pk="pk",
    )
    result = diff(
        schema(table("dogs")), schema(after), hints=RenameHints(columns={("dogs", "pk"): "id"})
    )
    lines = [op.describe() for op in result.operations]
    assert lines[0] == "~ rename column dogs.id to pk"
    assert all(not line.endswith("()") for line in lines), lines


def test_cli_renames_merge_over_model_hints() -> None:
    hints = RenameHints({"a": "x"}, {("t", "n"): "o"})
    merged = merge_cli_renames(hints, ["t.q=n", "u.c=d"], ["y=a"])
    assert merged == RenameHints({"a": "y"}, {("t", "n"): "q", ("u", "d"): "c"})
    assert merge_cli_renames(None, [], []) == RenameHints()


@pytest.mark.parametrize(
    ("renames", "tables", "fragment"),
    [
        (["users.phone"], [], "--rename expects TABLE.OLD=NEW"),
        (["phone=mobile"], [], "--rename expects TABLE.OLD=NEW"),
        (["users.=mobile"], [], "--rename expects TABLE.OLD=NEW"),
        ([], ["users"], "--rename-table expects OLD=NEW"),
        ([], ["=x"], "--rename-table expects OLD=NEW"),
    ],
)
def test_malformed_cli_renames(renames: list[str], tables: list[str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        merge_cli_renames(None, renames, tables)


# -- determinism -----------------------------------------------------------------------


def test_same_input_same_output_regardless_of_dict_order() -> None:
    a = [USERS, POSTS, table("tags"), table("x", col("y"))]
    b = [
        POSTS.with_(columns=(*POSTS.columns, col("tag_id", "biginteger"))),
        table("tags", col("label", "text")),
        table("z", col("q")),
        USERS,
    ]
    first = diff(Schema.of(a), Schema.of(b), fill=zero)
    again = diff(Schema.of(a[::-1]), Schema.of(b[::-1]), fill=zero)
    assert first == again


def test_ordering_is_idempotent() -> None:
    result = diff(Schema(), schema(USERS, POSTS, table("z")))
    assert order_operations(result.operations) == result.operations


# -- properties ------------------------------------------------------------------------

TABLES = ("a", "b", "c", "d")
COLUMNS = ("x", "y", "z", "w")
SIMPLE_KINDS = ("integer", "text", "string", "biginteger")
INDEX_NAMES = ("i1", "i2", "i3", "i4", "i5", "i6")
CHECKS = (Check("k1", "x > 0"), Check("k1", "y > 0"), Check("k2", "1 = 1"))


@st.composite
def columns(draw: st.DrawFn, name: str) -> Column:
    kind = draw(st.sampled_from(SIMPLE_KINDS))
    return Column(
        name,
        kind,
        nullable=draw(st.booleans()),
        default=draw(st.sampled_from((None, "0"))),
        unique=draw(st.booleans()),
        max_length=draw(st.sampled_from((None, 10, 20))) if kind == "string" else None,
    )


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    names = draw(st.lists(st.sampled_from(TABLES), unique=True, max_size=len(TABLES)))
    free_index_names = list(draw(st.permutations(INDEX_NAMES)))
    tables: list[Table] = []
    for name in names:
        cols = [ID]
        fks: list[ForeignKey] = []
        for cname in draw(st.lists(st.sampled_from(COLUMNS), unique=True, max_size=3)):
            ref = draw(st.none() | st.sampled_from(names))
            if ref is None:
                cols.append(draw(columns(cname)))
                continue
            cols.append(Column(cname, "biginteger", nullable=draw(st.booleans())))
            action = draw(st.sampled_from(ON_DELETE_ACTIONS))
            fks.append(ForeignKey(f"fk_{name}_{cname}", cname, ref, "id", action))
        indexes: list[Index] = []
        for _ in range(draw(st.integers(0, 2))):
            if not free_index_names:
                break
            on = draw(
                st.lists(
                    st.sampled_from([c.name for c in cols]), unique=True, min_size=1, max_size=2
                )
            )
            indexes.append(Index(free_index_names.pop(), tuple(on), draw(st.booleans())))
        # A check uses only columns of its table, as a database holds it (a column
        # rename rewrites the checks that use the column).
        present = {c.name for c in cols}
        usable = [k for k in CHECKS if set(check_columns(k.sql)) <= present]
        checks = (
            draw(st.lists(st.sampled_from(usable), unique_by=lambda c: c.name, max_size=2))
            if usable
            else []
        )
        tables.append(Table(name, tuple(cols), tuple(indexes), tuple(fks), tuple(checks)))
    return Schema.of(tables)


@st.composite
def schema_pairs(draw: st.DrawFn) -> tuple[Schema, Schema]:
    """Two schemas, the second often sharing some tables of the first unchanged."""
    a, b = draw(schemas()), draw(schemas())
    mixed = dict(b.tables)
    for name in a.tables:
        if draw(st.booleans()):
            mixed[name] = a.tables[name]
    try:
        _consistent(Schema(mixed))
    except AssertionError:
        return a, b
    return a, Schema(mixed)


hint_maps = st.builds(
    RenameHints,
    st.dictionaries(st.sampled_from(TABLES), st.sampled_from(TABLES), max_size=2),
    st.dictionaries(
        st.tuples(st.sampled_from(TABLES), st.sampled_from(COLUMNS)),
        st.sampled_from(COLUMNS),
        max_size=3,
    ),
)


@settings(deadline=None)
@given(schema_pairs())
def test_diff_turns_one_schema_into_the_other_and_back(pair: tuple[Schema, Schema]) -> None:
    a, b = pair
    result = diff(a, b, fill=zero)
    check_result(a, b, result)
    assert diff(b, b).operations == ()
    assert diff(a, b, fill=zero) == result


@settings(deadline=None)
@given(schema_pairs(), st.randoms(use_true_random=False))
def test_answered_renames_keep_the_guarantee(
    pair: tuple[Schema, Schema], rnd: random.Random
) -> None:
    a, b = pair
    check_result(a, b, diff(a, b, fill=zero, ask=lambda q: rnd.random() < 0.7))


@settings(deadline=None)
@given(schema_pairs(), hint_maps)
def test_any_hints_keep_the_guarantee(pair: tuple[Schema, Schema], hints: RenameHints) -> None:
    a, b = pair
    check_result(a, b, diff(a, b, fill=zero, hints=hints))


@settings(deadline=None)
@given(schemas())
def test_from_and_to_nothing(a: Schema) -> None:
    check_result(Schema(), a, diff(Schema(), a))
    check_result(a, Schema(), diff(a, Schema()))


@settings(deadline=None)
@given(schema_pairs(), st.randoms(use_true_random=False))
def test_operations_in_any_order_are_made_valid(
    pair: tuple[Schema, Schema], rnd: random.Random
) -> None:
    a, b = pair
    ops = list(diff(a, b, fill=zero).operations)
    shuffled = ops[:]
    rnd.shuffle(shuffled)
    reordered = order_operations(shuffled)
    assert canonical(strict_apply(a, reordered)) == canonical(b)


MODELS = ("A", "B", "C", None)
ATTRIBUTES = ("p", "q", "r", None)


@st.composite
def identified(draw: st.DrawFn, s: Schema) -> Schema:
    """``s`` with models and attributes drawn from a few, so that they often repeat."""
    return Schema.of(
        t.with_(
            model=draw(st.sampled_from(MODELS)),
            columns=tuple(
                replace(c, attribute=draw(st.sampled_from(ATTRIBUTES))) for c in t.columns
            ),
        )
        for t in s.tables.values()
    )


@settings(deadline=None)
@given(st.data(), schema_pairs(), st.randoms(use_true_random=False), hint_maps)
def test_identities_keep_the_guarantee(
    data: st.DataObject, pair: tuple[Schema, Schema], rnd: random.Random, hints: RenameHints
) -> None:
    a, b = data.draw(identified(pair[0])), data.draw(identified(pair[1]))
    result = diff(a, b, fill=zero)
    check_result(a, b, result)
    assert diff(a, b, fill=zero) == result
    check_result(a, b, diff(a, b, fill=zero, hints=hints, ask=lambda q: rnd.random() < 0.5))
    renamed = {op.old for op in result.operations if isinstance(op, RenameTable)}
    for op in result.operations:
        if isinstance(op, RenameTable):
            before, after = a.tables[op.old], b.tables[op.new]
            assert before.model is not None and before.model == after.model
    assert renamed <= set(a.tables) - set(b.tables)


def test_equal_tables_whose_fields_swapped_columns_still_warn() -> None:
    # Equal by definition, yet not identical: each field now maps to the other column.
    before = owned(table("t", col("a"), col("b")), "T", a="x", b="y")
    after = owned(table("t", col("a"), col("b")), "T", a="y", b="x")
    assert before == after
    result = diff(schema(before), schema(after))
    assert result.operations == ()
    assert len(result.warnings) == 2 and all("moved from column" in w for w in result.warnings)


@settings(deadline=None)
@given(st.data(), schemas(), hint_maps, st.randoms(use_true_random=False))
def test_identical_tables_give_no_renames_nor_warnings_nor_changes(
    data: st.DataObject, s: Schema, hints: RenameHints, rnd: random.Random
) -> None:
    """What diff skips for a table that did not change: the rename analysis and the
    table's changes would have given nothing, whatever the hints and answers."""
    s = data.draw(identified(s))
    other = data.draw(identified(s))
    for t in s.tables.values():
        warnings: list[str] = []
        found = _column_renames(
            t.name,
            t.name,
            t,
            t,
            hints,
            lambda q: rnd.random() < 0.5,
            warnings,
            same_owner=True,
        )
        assert (found, warnings) == ([], [])
        twin = other.tables[t.name]
        assert twin == t  # equal, with other models and attributes
        assert table_changes(t, twin) == []
