"""A schema as an entity-relationship diagram: Mermaid ``erDiagram`` or Graphviz DOT.

Both are plain text computed from :class:`~schemashift.schema.values.Schema` alone, so
the same picture comes from the models, from the migration files or from a live
database. Tables and columns appear in a stable order (tables by name, columns as
declared), so a diagram kept in version control changes only where the schema does.
"""

from __future__ import annotations

import re
from html import escape

from schemashift.schema.values import Column, ForeignKey, Schema, Table

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def type_label(column: Column) -> str:
    """The column's kind with its parameters, as a reader of any database knows it:
    ``string(255)``, ``decimal(10,2)``, ``enum``."""
    if column.kind == "string" and column.max_length is not None:
        return f"string({column.max_length})"
    if column.kind == "decimal" and column.max_digits is not None:
        places = "" if column.decimal_places is None else f",{column.decimal_places}"
        return f"decimal({column.max_digits}{places})"
    return column.kind


def markers(table: Table, column: Column) -> list[str]:
    """``PK``, ``FK`` and ``UK`` (unique) as they apply to ``column``."""
    found = []
    if column.primary_key:
        found.append("PK")
    if any(fk.column == column.name for fk in table.foreign_keys):
        found.append("FK")
    single_unique = any(i.unique and i.columns == (column.name,) for i in table.indexes)
    if (column.unique or single_unique) and not column.primary_key:
        found.append("UK")
    return found


def _is_unique(table: Table, column: str) -> bool:
    col = table.column(column)
    if col is not None and (col.unique or (col.primary_key and table.primary_key == (column,))):
        return True
    return any(i.unique and i.columns == (column,) for i in table.indexes)


def mermaid(schema: Schema) -> str:
    """The schema as a Mermaid ``erDiagram`` (GitHub renders it in Markdown)."""
    ids = _mermaid_ids(schema)
    lines = ["erDiagram"]
    for name in sorted(schema.tables):
        table = schema.tables[name]
        entity = ids[name] if ids[name] == name else f'{ids[name]}["{_mermaid_text(name)}"]'
        lines.append(f"    {entity} {{")
        for column in table.columns:
            lines.append("        " + _mermaid_attribute(table, column))
        lines.append("    }")
    for name in sorted(schema.tables):
        table = schema.tables[name]
        for fk in sorted(table.foreign_keys, key=lambda f: f.column):
            if fk.ref_table not in ids:
                continue
            lines.append(
                f"    {ids[fk.ref_table]} {_cardinality(table, fk)} {ids[name]} : "
                f'"{_mermaid_text(_edge_label(fk))}"'
            )
    return "\n".join(lines) + "\n"


def _mermaid_ids(schema: Schema) -> dict[str, str]:
    """A Mermaid-safe identifier per table: the name itself when it is a plain word."""
    ids: dict[str, str] = {}
    taken = {n for n in schema.tables if _WORD.match(n)}
    for index, name in enumerate(sorted(schema.tables)):
        if _WORD.match(name):
            ids[name] = name
            continue
        candidate = f"table_{index}"
        while candidate in taken:
            candidate += "_"
        taken.add(candidate)
        ids[name] = candidate
    return ids


def _mermaid_text(text: str) -> str:
    # Mermaid strings cannot hold a double quote and have no escape for one.
    return text.replace('"', "'")


def _mermaid_attribute(table: Table, column: Column) -> str:
    name = column.name if _WORD.match(column.name) else re.sub(r"\W", "_", column.name)
    notes = []
    if name != column.name:
        notes.append(f"column {column.name}")
    notes.append("null" if column.nullable else "not null")
    if column.default is not None:
        notes.append(f"default {column.default}")
    keys = ", ".join(markers(table, column))
    parts = [type_label(column).replace(",", "_"), name]
    if keys:
        parts.append(keys)
    parts.append(f'"{_mermaid_text("; ".join(notes))}"')
    return " ".join(parts)


def _cardinality(child: Table, fk: ForeignKey) -> str:
    """Crow's-foot notation from parent to child: a nullable key may point at no parent;
    a unique key allows one child per parent."""
    column = child.column(fk.column)
    parent = "|o" if column is None or column.nullable else "||"
    many = "o|" if _is_unique(child, fk.column) else "o{"
    return f"{parent}--{many}"


def _edge_label(fk: ForeignKey) -> str:
    return f"{fk.column} -> {fk.ref_column}, on delete {fk.on_delete.lower()}"


def dot(schema: Schema) -> str:
    """The schema as a Graphviz DOT graph: one record-like table per node, one edge per
    foreign key from the referencing column to the referenced one."""
    lines = [
        "digraph schema {",
        '    graph [rankdir=LR, fontname="Helvetica", nodesep=0.6];',
        '    node [shape=plaintext, fontname="Helvetica", fontsize=11];',
        '    edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    nodes = {name: f"t{index}" for index, name in enumerate(sorted(schema.tables))}
    for name in sorted(schema.tables):
        lines.append(f"    {nodes[name]} [label=<{_dot_table(schema.tables[name])}>];")
    for name in sorted(schema.tables):
        table = schema.tables[name]
        for fk in sorted(table.foreign_keys, key=lambda f: f.column):
            parent = schema.tables.get(fk.ref_table)
            if parent is None:
                continue
            source = f"{nodes[name]}:c{_position(table, fk.column)}r:e"
            target = f"{nodes[fk.ref_table]}:c{_position(parent, fk.ref_column)}:w"
            label = escape(f"on delete {fk.on_delete.lower()}")
            lines.append(f'    {source} -> {target} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _position(table: Table, column: str) -> int:
    for index, col in enumerate(table.columns):
        if col.name == column:
            return index
    return 0


def _dot_table(table: Table) -> str:
    rows = [
        '<table border="0" cellborder="1" cellspacing="0" cellpadding="4">',
        f'<tr><td colspan="3" bgcolor="#dbe4f0"><b>{escape(table.name)}</b></td></tr>',
    ]
    for index, column in enumerate(table.columns):
        name = escape(column.name)
        if not column.nullable:
            name = f"<b>{name}</b>"
        rows.append(
            f'<tr><td port="c{index}" align="left">{name}</td>'
            f'<td align="left">{escape(type_label(column))}</td>'
            f'<td port="c{index}r">{" ".join(markers(table, column))}</td></tr>'
        )
    rows.append("</table>")
    return "".join(rows)
