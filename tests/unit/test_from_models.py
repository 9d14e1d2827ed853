"""Models -> Schema: every rule, every default rendering, every error."""

from __future__ import annotations

import datetime
import decimal
import hashlib
import uuid
from typing import Any

import pytest

from schemashift import SQL, Check, Field, Index, Model
from schemashift.errors import ModelError
from schemashift.schema import values as v
from schemashift.schema.from_models import schema_from_models
from schemashift.schema.hints import RenameHints


def table_of(*models: type[Model], name: str | None = None) -> v.Table:
    schema = schema_from_models(models).schema
    table = schema.table(name or next(iter(schema.tables)))
    assert table is not None
    return table


def model(class_name: str, base: type[Model] = Model, /, **attrs: Any) -> type[Model]:
    return type(class_name, (base,), attrs)


def error_of(*models: type[Model], max_identifier_length: int | None = None) -> str:
    with pytest.raises(ModelError) as info:
        schema_from_models(models, max_identifier_length=max_identifier_length)
    return str(info.value)


ID = v.Column("id", "biginteger", nullable=False, primary_key=True, autoincrement=True)


class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
    name = Field.String(max_length=100, default="")
    bio = Field.Text()
    age = Field.Integer(index=True)
    is_active = Field.Boolean(default=True, nullable=False)
    created_at = Field.DateTime(default=SQL("CURRENT_TIMESTAMP"))


class BlogPost(Model):
    __tablename__ = "posts"
    __indexes__ = [Index("author_id", "created_at"), Index("slug", unique=True)]
    __checks__ = [Check("score >= 0", name="score_non_negative")]
    author_id = Field.ForeignKey("User", on_delete="CASCADE")
    slug = Field.String(max_length=200, nullable=False)
    score = Field.Integer(default=0, nullable=False)
    status = Field.Enum(["draft", "published"], default="draft")
    created_at = Field.DateTime()


def test_the_spec_example() -> None:
    result = schema_from_models([BlogPost, User])
    assert list(result.schema.tables) == ["posts", "users"]
    assert result.schema.tables["users"] == v.Table(
        "users",
        (
            ID,
            v.Column("email", "string", nullable=False, unique=True, max_length=255),
            v.Column("name", "string", default="''", max_length=100),
            v.Column("bio", "text"),
            v.Column("age", "integer"),
            v.Column("is_active", "boolean", nullable=False, default="TRUE"),
            v.Column("created_at", "datetime", default="CURRENT_TIMESTAMP"),
        ),
        indexes=(v.Index("idx_users_age", ("age",)),),
    )
    assert result.schema.tables["posts"] == v.Table(
        "posts",
        (
            ID,
            v.Column("author_id", "biginteger", nullable=False),
            v.Column("slug", "string", nullable=False, max_length=200),
            v.Column("score", "integer", nullable=False, default="0"),
            v.Column("status", "enum", default="'draft'", choices=("draft", "published")),
            v.Column("created_at", "datetime"),
        ),
        indexes=(
            v.Index("idx_posts_author_id_created_at", ("author_id", "created_at")),
            v.Index("uq_posts_slug", ("slug",), unique=True),
        ),
        foreign_keys=(v.ForeignKey("fk_posts_author_id", "author_id", "users", "id", "CASCADE"),),
        checks=(v.Check("score_non_negative", "score >= 0"),),
    )
    assert result.hints == RenameHints()


def test_conversion_is_deterministic() -> None:
    assert schema_from_models([User, BlogPost]) == schema_from_models([BlogPost, User])


def test_abstract_models_and_repeats_are_skipped() -> None:
    Base = model("Base", __abstract__=True, created=Field.DateTime())
    Thing = model("Thing", Base, name=Field.Text())
    schema = schema_from_models([Base, Thing, Thing, Model]).schema
    assert list(schema.tables) == ["things"]
    assert [c.name for c in schema.tables["things"].columns] == ["id", "created", "name"]


def test_a_primary_key_field_replaces_the_implicit_id() -> None:
    Country = model("Country", code=Field.String(max_length=2, primary_key=True))
    table = table_of(Country)
    assert table.columns == (
        v.Column("code", "string", nullable=False, primary_key=True, max_length=2),
    )
    assert table.primary_key == ("code",)


def test_foreign_keys_take_the_type_of_the_target_key() -> None:
    Country = model("Country", code=Field.String(max_length=2, primary_key=True))
    Token = model("Token", key=Field.UUID(primary_key=True))
    Price = model("Price", amount=Field.Decimal(8, 3, primary_key=True))
    City = model(
        "City",
        country=Field.ForeignKey("Country"),
        token=Field.ForeignKey(Token, nullable=True),
        price=Field.ForeignKey("prices"),
    )
    table = table_of(Country, Token, Price, City, name="cities")
    assert table.columns[1:] == (
        v.Column("country", "string", nullable=False, max_length=2),
        v.Column("token", "uuid"),
        v.Column("price", "decimal", nullable=False, max_digits=8, decimal_places=3),
    )
    assert table.foreign_keys == (
        v.ForeignKey("fk_cities_country", "country", "countries", "code"),
        v.ForeignKey("fk_cities_token", "token", "tokens", "key"),
        v.ForeignKey("fk_cities_price", "price", "prices", "amount"),
    )


def test_a_key_that_is_itself_a_foreign_key_passes_its_type_on() -> None:
    Account = model("Account", code=Field.String(max_length=8, primary_key=True))
    Profile = model("Profile", account=Field.ForeignKey("Account", primary_key=True))
    Badge = model("Badge", profile=Field.ForeignKey("Profile"))
    schema = schema_from_models([Account, Profile, Badge]).schema
    assert schema.tables["profiles"].columns == (
        v.Column("account", "string", nullable=False, primary_key=True, max_length=8),
    )
    # The key is indexed already: no extra index for a primary-key foreign key.
    assert schema.tables["profiles"].indexes == ()
    assert schema.tables["badges"].columns[1] == v.Column(
        "profile", "string", nullable=False, max_length=8
    )
    assert schema.tables["badges"].foreign_keys[0].ref_column == "account"


def test_self_references_and_forward_references() -> None:
    Node = model("Node", parent=Field.ForeignKey("self", nullable=True, on_delete="SET NULL"))
    Leaf = model("Leaf", node=Field.ForeignKey("Node"), other=Field.ForeignKey("Leaf"))
    schema = schema_from_models([Leaf, Node]).schema
    assert schema.tables["nodes"].foreign_keys == (
        v.ForeignKey("fk_nodes_parent", "parent", "nodes", "id", "SET NULL"),
    )
    assert [fk.ref_table for fk in schema.tables["leafs"].foreign_keys] == ["nodes", "leafs"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("cascade", "CASCADE"),
        ("set_null", "SET NULL"),
        ("Set Null", "SET NULL"),
        ("RESTRICT", "RESTRICT"),
        ("no action", "NO ACTION"),
    ],
)
def test_on_delete_spellings(given: str, expected: str) -> None:
    A = model("A")
    B = model("B", a=Field.ForeignKey("A", on_delete=given, nullable=True))
    assert table_of(A, B, name="bs").foreign_keys[0].on_delete == expected


def test_columns_are_named_by_db_column_or_attribute() -> None:
    Thing = model(
        "Thing",
        title=Field.String(db_column="heading"),
        owner=Field.ForeignKey("Thing", db_column="owner_id", nullable=True),
        __indexes__=[Index("title", "owner")],
    )
    table = table_of(Thing)
    assert [c.name for c in table.columns] == ["id", "heading", "owner_id"]
    assert table.foreign_keys[0].name == "fk_things_owner_id"
    # The composite index starts with ``heading``, so the foreign key still gets one.
    assert [i.name for i in table.indexes] == ["idx_things_owner_id", "idx_things_heading_owner_id"]


def test_foreign_key_indexes() -> None:
    A = model("A")
    B = model(
        "B",
        a1=Field.ForeignKey("A"),
        a2=Field.ForeignKey("A", index=False),
        a3=Field.ForeignKey("A"),
        a4=Field.ForeignKey("A", index=True),
        __indexes__=[Index("a3", "a1", unique=True), Index("a4", "a2")],
    )
    table = table_of(A, B, name="bs")
    assert table.indexes == (
        v.Index("idx_bs_a1", ("a1",)),
        v.Index("idx_bs_a4", ("a4",)),
        v.Index("uq_bs_a3_a1", ("a3", "a1"), unique=True),
        v.Index("idx_bs_a4_a2", ("a4", "a2")),
    )


def test_index_options() -> None:
    Thing = model(
        "Thing",
        a=Field.Integer(index=True),
        b=Field.Integer(unique=True),
        c=Field.Integer(),
        __indexes__=[Index("b", "c", name="my_index"), Index("a")],
    )
    table = table_of(Thing)
    assert table.indexes == (
        v.Index("idx_things_a", ("a",)),
        v.Index("my_index", ("b", "c")),
    )
    assert table.column("b") == v.Column("b", "integer", unique=True)


def test_check_names_default_to_a_hash_of_their_sql() -> None:
    sql = "price > 0 AND length(name) > 0"
    Thing = model(
        "Thing",
        price=Field.Integer(),
        name=Field.Text(),
        __checks__=[Check(sql), Check("price < 100", name="cheap")],
    )
    digest = hashlib.sha256(sql.encode()).hexdigest()[:8]
    assert table_of(Thing).checks == (
        v.Check(f"ck_things_{digest}", sql),
        v.Check("cheap", "price < 100"),
    )


@pytest.mark.parametrize(
    "sql",
    [
        "price > 0",
        "\"price\" > 0 AND name <> 'it''s'",
        "CAST(price AS DOUBLE PRECISION) > 0",
        "price::numeric > 0 OR price IS NULL",
        "status IN ('a', 'b') AND name NOT LIKE 'x%'",
        "things.price BETWEEN 0 AND 10",
        "created_at > DATE '2020-01-01' AND EXTRACT(YEAR FROM created_at) > 2000",
        "typeof(price) = 'integer' AND data <> X'00'",
        "CASE WHEN price > 0 THEN TRUE ELSE FALSE END",
        "Price > 0",
        "price < 1e5 AND price > .5 AND price <> 0x1F",
        "name ~ '^[a-z]+$' AND coalesce(price, 0) >= 0",
        "été > 0",
    ],
)
def test_check_sql_that_names_only_columns_is_accepted(sql: str) -> None:
    Thing = model(
        "Thing",
        price=Field.Integer(),
        name=Field.Text(),
        status=Field.Text(),
        created_at=Field.Date(),
        data=Field.Binary(),
        été=Field.Integer(),
        __checks__=[Check(sql)],
    )
    assert table_of(Thing).checks[0].sql == sql


def test_column_kinds_and_their_attributes() -> None:
    Thing = model(
        "Thing",
        s=Field.String(max_length=12),
        t=Field.Text(),
        i=Field.Integer(),
        bi=Field.BigInteger(),
        f=Field.Float(),
        d=Field.Decimal(max_digits=10, decimal_places=2),
        b=Field.Boolean(),
        da=Field.Date(),
        dt=Field.DateTime(),
        ti=Field.Time(),
        j=Field.JSON(),
        u=Field.UUID(),
        bin=Field.Binary(),
        e=Field.Enum(("x", "y")),
    )
    columns = table_of(Thing).columns[1:]
    assert [c.kind for c in columns] == [
        "string",
        "text",
        "integer",
        "biginteger",
        "float",
        "decimal",
        "boolean",
        "date",
        "datetime",
        "time",
        "json",
        "uuid",
        "binary",
        "enum",
    ]
    assert columns[0].max_length == 12
    assert (columns[5].max_digits, columns[5].decimal_places) == (10, 2)
    assert columns[-1].choices == ("x", "y")
    assert all(c.nullable for c in columns)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (Field.String(default="it's"), "'it''s'"),
        (Field.Text(default=""), "''"),
        (Field.Enum(["a", "b"], default="b"), "'b'"),
        (Field.Integer(default=-3), "-3"),
        (Field.BigInteger(default=2**40), str(2**40)),
        (Field.Float(default=1.5), "1.5"),
        (Field.Float(default=2), "2"),
        (Field.Decimal(5, 2, default=decimal.Decimal("9.99")), "9.99"),
        (Field.Decimal(5, 2, default="1.50"), "1.50"),
        (Field.Boolean(default=False), "FALSE"),
        (Field.Boolean(default=True), "TRUE"),
        (Field.Date(default=datetime.date(2024, 2, 29)), "'2024-02-29'"),
        (
            Field.DateTime(default=datetime.datetime(2024, 1, 2, 3, 4, 5)),
            "'2024-01-02T03:04:05'",
        ),
        (Field.Time(default=datetime.time(12, 30)), "'12:30:00'"),
        (
            Field.UUID(default=uuid.UUID("12345678-1234-5678-1234-567812345678")),
            "'12345678-1234-5678-1234-567812345678'",
        ),
        (Field.Binary(default=b"\x00\xffA"), "X'00FF41'"),
        (Field.JSON(default={"b": [1, 2], "a": "it's"}), """'{"a":"it''s","b":[1,2]}'"""),
        (Field.JSON(default=[]), "'[]'"),
        (Field.DateTime(default=SQL("CURRENT_TIMESTAMP")), "CURRENT_TIMESTAMP"),
        (Field.Integer(default=SQL("1 + 1")), "1 + 1"),
        (Field.Integer(default=None), None),
    ],
)
def test_defaults_become_sql_expressions(field: Any, expected: str | None) -> None:
    assert table_of(model("Thing", x=field)).columns[1].default == expected


def test_foreign_key_defaults_follow_the_target_key_type() -> None:
    A = model("A")
    B = model("B", a=Field.ForeignKey("A", default=1))
    assert table_of(A, B, name="bs").columns[1].default == "1"
    C = model("C", a=Field.ForeignKey("A", default="1"))
    assert "C.a" in error_of(A, C)


def test_nullable_defaults() -> None:
    A = model("A")
    B = model(
        "B",
        a=Field.ForeignKey("A"),
        b=Field.ForeignKey("A", nullable=True),
        c=Field.Integer(),
        d=Field.Integer(nullable=False),
    )
    assert [c.nullable for c in table_of(A, B, name="bs").columns] == [
        False,
        False,
        True,
        True,
        False,
    ]


def test_rename_hints_come_from_renamed_from() -> None:
    Person = model(
        "Person",
        __renamed_from__="users",
        mobile=Field.String(renamed_from="phone"),
        name=Field.Text(renamed_from="name"),
        nick=Field.Text(db_column="nickname"),
    )
    hints = schema_from_models([Person]).hints
    assert hints == RenameHints({"persons": "users"}, {("persons", "mobile"): "phone"})


def test_renamed_from_uses_the_column_name() -> None:
    Person = model("Person", mobile=Field.String(db_column="mobile_no", renamed_from="phone"))
    assert schema_from_models([Person]).hints.columns == {("persons", "mobile_no"): "phone"}


def test_identifier_lengths_count_utf8_bytes() -> None:
    name = "é" * 20  # 40 bytes
    Thing = model("Thing", __tablename__=name)
    assert schema_from_models([Thing], max_identifier_length=40).schema.table(name)
    message = error_of(Thing, max_identifier_length=39)
    assert message.startswith("Thing: the table name")
    assert "40 bytes" in message and "__tablename__" in message


@pytest.mark.parametrize("limit", [39, 40, 41])
def test_four_byte_characters_at_the_limit(limit: int) -> None:
    name = "\U0001d538" * 10  # 40 bytes, 10 characters
    Thing = model("Thing", **{name: Field.Integer()})
    if limit >= 40:
        assert schema_from_models([Thing], max_identifier_length=limit).schema
    else:
        assert "is 40 bytes long" in error_of(Thing, max_identifier_length=limit)


@pytest.mark.parametrize(
    ("attrs", "where", "advice"),
    [
        ({"x" * 31: Field.Integer()}, "Thing." + "x" * 31, "db_column"),
        ({"x": Field.Integer(), "__indexes__": [Index("x", name="i" * 31)]}, "Thing", "name="),
        ({"x": Field.Integer(index=True, db_column="y" * 20)}, "Thing", "name="),
        ({"p" * 21: Field.ForeignKey("Thing", index=False)}, "Thing." + "p" * 21, "db_column"),
        ({"x": Field.Integer(), "__checks__": [Check("x > 0", name="c" * 31)]}, "Thing", "name="),
    ],
)
def test_identifiers_longer_than_the_limit_are_refused(
    attrs: dict[str, Any], where: str, advice: str
) -> None:
    Thing = model("Thing", **attrs)
    message = error_of(Thing, max_identifier_length=30)
    assert message.startswith(where + ": ")
    assert "more than the 30" in message and advice in message
    schema_from_models([Thing])


@pytest.mark.parametrize(
    ("attrs", "fragments"),
    [
        ({"a": Field.ForeignKey("Usr")}, ["Thing.a", "'Usr'", "Did you mean 'User'"]),
        ({"a": Field.ForeignKey(42)}, ["Thing.a", "model class"]),
        ({"a": Field.Integer(), "b": Field.Integer(db_column="a")}, ["Thing.b", "column a"]),
        ({"id": Field.Integer()}, ["Thing.id", "implicit primary key", "primary_key=True"]),
        ({"a": Field.Integer(db_column="ID")}, ["Thing.a", "implicit primary key"]),
        ({"a": Field.Integer(), "__indexes__": [Index("a", "nope")]}, ["Thing", "'nope'"]),
        ({"__indexes__": [Index()]}, ["Thing", "names no column"]),
        ({"a": Field.Integer(), "__indexes__": [Index("a", "a")]}, ["Thing", "twice"]),
        ({"__indexes__": ["a"]}, ["Thing", "not an Index"]),
        ({"__checks__": [Check("nope > 0")]}, ["Thing", "'nope'"]),
        ({"__checks__": [Check('"id" > 0 AND "Nope" > 0')]}, ["Thing", "'Nope'"]),
        ({"__checks__": [Check("")]}, ["Thing", "SQL expression"]),
        ({"__checks__": ["x > 0"]}, ["Thing", "not a Check"]),
        ({"e": Field.Enum([])}, ["Thing.e", "at least one value"]),
        ({"e": Field.Enum("ab")}, ["Thing.e", "list of string values"]),
        ({"e": Field.Enum(["a", 1])}, ["Thing.e", "must be strings"]),
        ({"e": Field.Enum(["a", "a"])}, ["Thing.e", "repeat"]),
        ({"a": Field.ForeignKey("User", on_delete="DELETE")}, ["Thing.a", "on_delete='DELETE'"]),
        ({"a": Field.ForeignKey("User", on_delete="SET NULL")}, ["Thing.a", "nullable=True"]),
        ({"d": Field.Decimal()}, ["Thing.d", "max_digits"]),
        ({"d": Field.Decimal(5)}, ["Thing.d", "decimal_places"]),
        ({"d": Field.Decimal(2, 3)}, ["Thing.d", "more than max_digits"]),
        ({"s": Field.String(max_length=0)}, ["Thing.s", "max_length"]),
        ({"s": Field.String(max_length=None)}, ["Thing.s", "max_length"]),
        ({"a": Field.Integer(primary_key=True), "b": Field.UUID(primary_key=True)}, ["a, b"]),
        ({"a": Field.Integer(primary_key=True, nullable=True)}, ["Thing.a", "nullable"]),
        ({"a": Field.Integer(nullable="yes")}, ["Thing.a", "nullable must be True or False"]),
        ({"a": Field.Integer(unique=1)}, ["Thing.a", "unique"]),
        ({"a": Field.Integer(db_column="")}, ["Thing.a", "db_column"]),
        ({"a": Field.Integer(renamed_from=3)}, ["Thing.a", "renamed_from"]),
        ({"__tablename__": ""}, ["Thing", "__tablename__"]),
        ({"__tablename__": "_schemashift_migrations"}, ["Thing", "reserved"]),
        ({"__renamed_from__": 1}, ["Thing", "__renamed_from__"]),
    ],
)
def test_model_errors_name_the_place_and_the_fix(
    attrs: dict[str, Any], fragments: list[str]
) -> None:
    message = error_of(User, model("Thing", **attrs))
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    ("field", "wanted"),
    [
        (Field.Integer(default="1"), "needs an int"),
        (Field.Integer(default=True), "needs an int"),
        (Field.Integer(default=2**31), "does not fit"),
        (Field.BigInteger(default=2**63), "does not fit"),
        (Field.Float(default="1.0"), "needs a float"),
        (Field.Float(default=float("nan")), "finite"),
        (Field.Decimal(5, 2, default=1.5), "decimal.Decimal"),
        (Field.Decimal(5, 2, default="abc"), "not a number"),
        (Field.Decimal(5, 2, default=decimal.Decimal("Infinity")), "finite"),
        (Field.Boolean(default=1), "True or False"),
        (Field.String(default=1), "needs a str"),
        (Field.String(max_length=2, default="abc"), "longer than max_length=2"),
        (Field.Enum(["a"], default="b"), "not one of the values"),
        (Field.Date(default=datetime.datetime(2024, 1, 1)), "datetime.date"),
        (Field.Date(default="2024-01-01"), "datetime.date"),
        (Field.DateTime(default=datetime.date(2024, 1, 1)), "datetime.datetime"),
        (Field.Time(default="12:00"), "datetime.time"),
        (Field.JSON(default="{}"), "dict or a list"),
        (Field.JSON(default={"a": {1, 2}}), "JSON"),
        (Field.UUID(default="nope"), "not a UUID"),
        (Field.UUID(default=1), "uuid.UUID"),
        (Field.Binary(default="ab"), "bytes"),
        (Field.Text(default=SQL("  ")), "non-empty"),
    ],
)
def test_defaults_of_the_wrong_type_are_refused(field: Any, wanted: str) -> None:
    message = error_of(model("Thing", x=field))
    assert message.startswith("Thing.x: default=")
    assert wanted in message
    assert 'SQL("...")' in message


def test_a_uuid_default_may_be_a_string() -> None:
    Thing = model("Thing", u=Field.UUID(default="12345678123456781234567812345678"))
    assert table_of(Thing).columns[1].default == "'12345678-1234-5678-1234-567812345678'"


def test_duplicate_table_names_are_refused() -> None:
    A = model("A", __tablename__="things")
    B = model("B", __tablename__="Things")
    message = error_of(A, B)
    assert "table Things" in message and "__tablename__" in message
    assert "A" in message and "B" in message


def test_index_names_must_be_unique_across_tables() -> None:
    A = model("A", x=Field.Integer(), __indexes__=[Index("x", name="by_x")])
    B = model("B", x=Field.Integer(), __indexes__=[Index("x", name="by_x")])
    assert "by_x" in error_of(A, B)


def test_two_different_indexes_of_one_name_are_refused() -> None:
    A = model(
        "A",
        x=Field.Integer(),
        y=Field.Integer(),
        __indexes__=[Index("x", name="n"), Index("y", name="n")],
    )
    assert "two different indexes are named n" in error_of(A)


def test_same_index_declared_twice_is_one_index() -> None:
    A = model("A", x=Field.Integer(index=True), __indexes__=[Index("x")])
    assert table_of(A).indexes == (v.Index("idx_as_x", ("x",)),)


def test_ambiguous_and_missing_targets() -> None:
    First = type("Dup", (Model,), {"__tablename__": "dup1", "__module__": "one"})
    Second = type("Dup", (Model,), {"__tablename__": "dup2", "__module__": "two"})
    Ref = model("Ref", d=Field.ForeignKey("Dup"))
    assert "ambiguous" in error_of(First, Second, Ref)
    Outside = model("Outside")
    assert "not among the models" in error_of(model("Ref", o=Field.ForeignKey(Outside)))
    Abstract = model("Abstract", __abstract__=True)
    assert "not among the models" in error_of(model("Ref", o=Field.ForeignKey(Abstract)))


def test_primary_keys_referring_to_each_other_in_a_cycle() -> None:
    A = model("A", b=Field.ForeignKey("B", primary_key=True))
    B = model("B", a=Field.ForeignKey("A", primary_key=True))
    assert "cycle" in error_of(A, B)


def test_non_models_are_refused() -> None:
    with pytest.raises(ModelError, match="not a model class"):
        schema_from_models([int])  # type: ignore[list-item]
