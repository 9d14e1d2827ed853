"""The SQL shown in docs/models.md, produced by the real differ and renderers.

docs/models.md holds generated blocks between ``<!-- generated: KEY -->`` and
``<!-- end generated -->``. ``tests/docs/test_models_doc.py`` fails when a block differs
from what the code produces now; rewrite them with::

    python -m tests.docs.sql_reference --write
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from schemashift.dialects import get_dialect
from schemashift.dialects.base import Execute
from schemashift.diff.differ import diff
from schemashift.models import Model
from schemashift.schema.from_models import schema_from_models
from schemashift.schema.values import Schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "models.md"
DIALECTS = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"), ("mysql", "MySQL"))
BEGIN = re.compile(r"<!-- generated: ([a-z_]+) -->\n")
END = "<!-- end generated -->"

PRELUDE = """\
import datetime
import uuid
from decimal import Decimal

from schemashift import SQL, Check, Field, Index, Model
"""

USER = """\
class User(Model):
    email = Field.String(max_length=255, nullable=False)
"""

KINDS = """\
class Item(Model):
    name = Field.String(max_length=100)
    body = Field.Text()
    quantity = Field.Integer()
    views = Field.BigInteger()
    ratio = Field.Float()
    price = Field.Decimal(max_digits=10, decimal_places=2)
    active = Field.Boolean()
    released_on = Field.Date()
    updated_at = Field.DateTime()
    opens_at = Field.Time()
    attributes = Field.JSON()
    token = Field.UUID()
    thumbnail = Field.Binary()
    status = Field.Enum(["draft", "published"])
    owner_id = Field.ForeignKey("User")
"""

#: One field per row of the options table: (attribute, declaration).
OPTIONS = (
    ("title", "Field.String(max_length=100, nullable=False)"),
    ("email", "Field.String(max_length=255, unique=True)"),
    ("stock", "Field.Integer(default=0, nullable=False)"),
    ("rank", "Field.Integer(index=True)"),
    ("note", 'Field.Text(default="it\'s new")'),
    ("visible", "Field.Boolean(default=True)"),
    ("price", 'Field.Decimal(max_digits=8, decimal_places=2, default=Decimal("9.99"))'),
    ("weight", "Field.Float(default=0.5)"),
    ("starts_on", "Field.Date(default=datetime.date(2024, 1, 31))"),
    ("created_at", 'Field.DateTime(default=SQL("CURRENT_TIMESTAMP"))'),
    ("opens_at", "Field.Time(default=datetime.time(9, 30))"),
    ("settings", 'Field.JSON(default={"theme": "dark"})'),
    ("ref", 'Field.UUID(default=uuid.UUID("12345678-1234-5678-1234-567812345678"))'),
    ("magic", 'Field.Binary(default=b"\\x89PNG")'),
    ("size", 'Field.Enum(["s", "m", "l"], default="m", nullable=False)'),
    ("label", 'Field.String(max_length=50, db_column="Display Name")'),
    ("author_id", 'Field.ForeignKey("User", on_delete="CASCADE")'),
    ("editor_id", 'Field.ForeignKey("User", on_delete="SET NULL", nullable=True)'),
    ("reviewer_id", 'Field.ForeignKey(User, on_delete="RESTRICT", index=False)'),
    ("parent_id", 'Field.ForeignKey("self", nullable=True)'),
)

TABLE_OPTIONS = """\
class Category(Model):
    __tablename__ = "categories_v2"
    code = Field.String(max_length=10, primary_key=True)
    name = Field.String(max_length=100, nullable=False)


class BlogPost(Model):
    __indexes__ = [
        Index("category_code", "published_at"),
        Index("slug", unique=True),
        Index("title", name="posts_by_title"),
    ]
    __checks__ = [
        Check("score >= 0", name="score_non_negative"),
        Check("published_at IS NULL OR score > 0"),
    ]
    category_code = Field.ForeignKey(Category, on_delete="RESTRICT")
    slug = Field.String(max_length=200, nullable=False)
    title = Field.String(max_length=200, nullable=False)
    score = Field.Integer(default=0, nullable=False)
    published_at = Field.DateTime()
"""

CHANGE_BEFORE = """\
class Product(Model):
    title = Field.String(max_length=100, nullable=False)
    price = Field.Integer()
"""

CHANGE_AFTER = """\
class Product(Model):
    name = Field.String(max_length=100, nullable=False, renamed_from="title")
    price = Field.Integer()
    sku = Field.String(max_length=40)
    stock = Field.Integer(default=0, nullable=False)
"""


def models_of(source: str) -> list[type[Model]]:
    """The model classes that ``source`` (with :data:`PRELUDE`) declares, in order."""
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(PRELUDE + source, namespace)
    return [
        v
        for v in namespace.values()
        if isinstance(v, type) and issubclass(v, Model) and v is not Model
    ]


def statements(dialect: str, source: str, before_source: str | None = None) -> list[str]:
    """The SQL of the migration that ``make migration`` would write (``up``), from an
    empty schema or from the models of ``before_source``."""
    declared = schema_from_models(models_of(source))
    before = schema_from_models(models_of(before_source)).schema if before_source else Schema()
    operations = diff(before, declared.schema, hints=declared.hints).operations
    steps = get_dialect(dialect).render(operations, before)
    return [s.sql for s in steps if isinstance(s, Execute)]


def _sql_blocks(source: str, before_source: str | None = None) -> str:
    out = []
    for dialect, label in DIALECTS:
        sql = ";\n".join(statements(dialect, source, before_source)) + ";"
        out.append(f"{label}:\n\n```sql\n{sql}\n```\n")
    return "\n".join(out)


def kinds() -> str:
    """Every field kind in one model, and its CREATE TABLE on each database."""
    return f"```python\n{USER}\n\n{KINDS}```\n\n{_sql_blocks(USER + KINDS)}"


def _field_sql(dialect: str, attribute: str, declaration: str) -> list[str]:
    """The lines of ``items`` that the field adds (column, constraints) and the other
    statements it brings (indexes...)."""
    model = f"class Item(Model):\n    {attribute} = {declaration}\n"
    everything = statements(dialect, USER + model)
    lines: list[str] = []
    for sql in everything:
        if sql.startswith("CREATE TABLE users"):
            continue
        if sql.startswith("CREATE TABLE items"):
            body = sql.split("\n")[2:-1]
            lines.extend(line.strip().rstrip(",") for line in body)
        else:
            lines.append(sql)
    return lines


def _cell(lines: list[str]) -> str:
    return "<br>".join(f"`{line.replace('|', '&#124;')}`" for line in lines)


def options() -> str:
    """A table: each option, and the SQL it gives on each database."""
    rows = ["| field | SQLite | PostgreSQL |", "| --- | --- | --- |"]
    for attribute, declaration in OPTIONS:
        cells = [_cell(_field_sql(d, attribute, declaration)) for d, _ in DIALECTS]
        rows.append(f"| `{attribute} = {declaration}` | {cells[0]} | {cells[1]} |")
    return "\n".join(rows) + "\n"


def table_options() -> str:
    """Table name, own primary key, indexes and checks."""
    return f"```python\n{TABLE_OPTIONS}```\n\n{_sql_blocks(TABLE_OPTIONS)}"


def changes() -> str:
    """A model change (rename, new columns) and the migration it gives."""
    return (
        f"Before:\n\n```python\n{CHANGE_BEFORE}```\n\nAfter:\n\n```python\n{CHANGE_AFTER}```\n\n"
        + _sql_blocks(CHANGE_AFTER, CHANGE_BEFORE)
    )


BLOCKS: dict[str, Callable[[], str]] = {
    "kinds": kinds,
    "options": options,
    "table_options": table_options,
    "changes": changes,
}


def doc_blocks(text: str) -> dict[str, str]:
    """The generated blocks of ``text`` by key."""
    found = {}
    for match in BEGIN.finditer(text):
        end = text.index(END, match.end())
        found[match.group(1)] = text[match.end() : end]
    return found


def rewrite(text: str) -> str:
    """``text`` with every generated block produced afresh."""

    def fresh(match: re.Match[str]) -> str:
        return f"<!-- generated: {match.group(1)} -->\n{BLOCKS[match.group(1)]()}{END}"

    return re.sub(r"<!-- generated: ([a-z_]+) -->\n.*?" + re.escape(END), fresh, text, flags=re.S)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        DOC.write_text(rewrite(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        for key, make in BLOCKS.items():
            print(f"<!-- generated: {key} -->\n{make()}{END}\n")
        print(textwrap.dedent(__doc__ or ""))
