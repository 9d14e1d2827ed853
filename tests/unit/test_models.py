"""The model API: declarations, naming rules, introspection."""

from __future__ import annotations

import copy
import pickle

import pytest

import schemashift
from schemashift import SQL, Check, Field, Index, Model
from schemashift.models.model import is_abstract, model_fields, table_name
from schemashift.models.naming import default_table_name, pluralize, snake_case


@pytest.mark.parametrize(
    ("class_name", "table"),
    [
        ("User", "users"),
        ("BlogPost", "blog_posts"),
        ("Category", "categories"),
        ("Address", "addresses"),
        ("Box", "boxes"),
        ("Key", "keys"),
        ("Buzz", "buzzes"),
        ("Match", "matches"),
        ("Wish", "wishes"),
        ("Day", "days"),
        ("Toy", "toys"),
        ("Guy", "guys"),
        ("Person", "persons"),
        ("HTTPRequest", "http_requests"),
        ("APIKey", "api_keys"),
        ("OrderLineItem", "order_line_items"),
        ("Item2", "item2s"),
        ("Y", "ys"),
    ],
)
def test_table_names_are_snake_case_plurals(class_name: str, table: str) -> None:
    assert default_table_name(class_name) == table


def test_naming_parts() -> None:
    assert snake_case("BlogPost") == "blog_post"
    assert snake_case("blog_post") == "blog_post"
    assert pluralize("city") == "cities"
    assert pluralize("bus") == "buses"


def test_public_names_come_from_the_package() -> None:
    assert schemashift.Model is Model
    assert schemashift.Field is Field
    assert schemashift.Index is Index
    assert schemashift.Check is Check
    assert schemashift.SQL is SQL


def test_fields_keep_declaration_order_with_inherited_first() -> None:
    class Stamped(Model):
        __abstract__ = True
        created_at = Field.DateTime()
        updated_at = Field.DateTime()

    class Article(Stamped):
        title = Field.String()
        body = Field.Text()

    assert list(model_fields(Article)) == ["created_at", "updated_at", "title", "body"]
    assert is_abstract(Stamped)
    assert not is_abstract(Article)
    assert table_name(Article) == "articles"


def test_a_subclass_may_redefine_or_hide_an_inherited_field() -> None:
    class Base(Model):
        __abstract__ = True
        a = Field.Integer()
        b = Field.Integer()
        c = Field.Integer()

    class Child(Base):
        a = Field.Text()
        b = None  # type: ignore[assignment]

    fields = model_fields(Child)
    assert list(fields) == ["a", "c"]
    assert fields["a"].kind == "text"


def test_class_options_that_do_not_inherit() -> None:
    class Base(Model):
        __abstract__ = True
        __tablename__ = "bases"

    class Thing(Base):
        pass

    assert table_name(Thing) == "things"
    assert not is_abstract(Thing)


def test_explicit_table_name_wins() -> None:
    class BlogPost(Model):
        __tablename__ = "posts"

    assert table_name(BlogPost) == "posts"


def test_declaring_a_model_touches_nothing_and_registers_nothing() -> None:
    class Lonely(Model):
        x = Field.Integer()

    # No registry: the base class knows nothing of its subclasses beyond Python's own.
    assert not hasattr(Model, "registry")
    assert Lonely.x.kind == "integer"


def test_field_constructors_record_their_options() -> None:
    f = Field.String(max_length=20, unique=True, nullable=False, default="x", db_column="c")
    assert (f.kind, f.max_length, f.unique, f.nullable, f.default, f.db_column) == (
        "string",
        20,
        True,
        False,
        "x",
        "c",
    )
    assert Field.String().max_length == 255
    d = Field.Decimal(10, 2)
    assert (d.kind, d.max_digits, d.decimal_places) == ("decimal", 10, 2)
    e = Field.Enum(["a", "b"], default="a")
    assert (e.kind, e.choices) == ("enum", ["a", "b"])
    fk = Field.ForeignKey("User", on_delete="CASCADE", index=False)
    assert (fk.kind, fk.target, fk.on_delete, fk.index, fk.nullable) == (
        "foreignkey",
        "User",
        "CASCADE",
        False,
        None,
    )
    assert Field.Text(renamed_from="old").renamed_from == "old"
    kinds = [
        Field.Text(),
        Field.Integer(),
        Field.BigInteger(),
        Field.Float(),
        Field.Boolean(),
        Field.Date(),
        Field.DateTime(),
        Field.Time(),
        Field.JSON(),
        Field.UUID(),
        Field.Binary(),
    ]
    assert [k.kind for k in kinds] == [
        "text",
        "integer",
        "biginteger",
        "float",
        "boolean",
        "date",
        "datetime",
        "time",
        "json",
        "uuid",
        "binary",
    ]


def test_unknown_field_options_are_refused_when_declared() -> None:
    with pytest.raises(TypeError):
        Field.Integer(nulable=True)
    with pytest.raises(TypeError):
        Field.Integer(max_length=3)


def test_reprs_are_readable() -> None:
    assert repr(Field.String(max_length=10, unique=True)) == (
        "Field.String(max_length=10, unique=True)"
    )
    assert repr(Index("a", "b", unique=True, name="n")) == "Index('a', 'b', unique=True, name='n')"
    assert repr(Check("x > 0")) == "Check('x > 0')"
    assert str(SQL("CURRENT_TIMESTAMP")) == "CURRENT_TIMESTAMP"


def test_sql_is_an_immutable_value() -> None:
    now = SQL("CURRENT_TIMESTAMP")
    assert repr(now) == "SQL(expression='CURRENT_TIMESTAMP')"
    assert now == SQL("CURRENT_TIMESTAMP") and now != SQL("CURRENT_DATE")
    assert now != "CURRENT_TIMESTAMP"
    assert len({now, SQL("CURRENT_TIMESTAMP")}) == 1
    assert pickle.loads(pickle.dumps(now)) == now and copy.deepcopy(now) == now
    with pytest.raises(AttributeError):
        now.expression = "CURRENT_DATE"


def test_many_models_are_cheap_to_declare_and_introspect() -> None:
    models = [
        type(f"M{i}", (Model,), {f"f{j}": Field.Integer() for j in range(20)}) for i in range(300)
    ]
    assert all(len(model_fields(m)) == 20 for m in models)
