"""Operations as plain Python literals, and back.

Generated migration files carry their operations as a literal list (``operations =
[...]``) so that schemashift can replay history with :func:`ast.literal_eval`, never
importing the file. Only dicts, lists, strings, ints and booleans appear; attributes
equal to their defaults are left out to keep files short.

A table's ``model`` and a column's ``attribute`` (their identities in the models) are
written when known; literals from files written before they existed simply lack them,
and read back as unknown.
"""

from __future__ import annotations

from schemashift.diff import operations as ops
from schemashift.schema.record import Record
from schemashift.schema.values import Check, Column, ForeignKey, Index, Table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Literal = dict[str, Any]

_OP_NAMES: dict[type[ops.Operation], str] = {
    ops.CreateTable: "create_table",
    ops.DropTable: "drop_table",
    ops.RenameTable: "rename_table",
    ops.AddColumn: "add_column",
    ops.DropColumn: "drop_column",
    ops.RenameColumn: "rename_column",
    ops.AlterColumn: "alter_column",
    ops.AddIndex: "add_index",
    ops.DropIndex: "drop_index",
    ops.AddForeignKey: "add_foreign_key",
    ops.DropForeignKey: "drop_foreign_key",
    ops.AddCheck: "add_check",
    ops.DropCheck: "drop_check",
    ops.RenameIndex: "rename_index",
    ops.RenameForeignKey: "rename_foreign_key",
    ops.RenameCheck: "rename_check",
}
_OP_TYPES = {v: k for k, v in _OP_NAMES.items()}


class CodecError(ValueError):
    """A literal that does not describe a known operation."""


#: Per value class: each field's name, whether it has a default, and that default, in
#: the order of the class's fields.
_FIELDS: dict[type, tuple[tuple[str, bool, Any], ...]] = {}
_SCALARS = frozenset({str, int, bool, float, type(None)})


def _fields(cls: type[Record]) -> tuple[tuple[str, bool, Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        defaults = cls._defaults
        found = _FIELDS[cls] = tuple(
            (name, name in defaults, defaults.get(name)) for name in cls._fields
        )
    return found


def _column_to_literal(c: Column) -> Literal:
    """A column as :func:`_record_to_literal` writes it, spelled out: columns are most
    of the values of a large migration. Each comparison is with the field's own default
    (a test keeps the two in step), by ``!=`` as the generic writer does (so a 1 read from
    a hand-edited literal is left out like True); no value of a column equals None but
    None itself."""
    out: Literal = {"name": _value_to_literal(c.name), "kind": _value_to_literal(c.kind)}
    v: Any = c.nullable
    if v != True:  # noqa: E712
        out["nullable"] = _value_to_literal(v)
    v = c.default
    if v is not None:
        out["default"] = _value_to_literal(v)
    v = c.unique
    if v != False:  # noqa: E712
        out["unique"] = _value_to_literal(v)
    v = c.primary_key
    if v != False:  # noqa: E712
        out["primary_key"] = _value_to_literal(v)
    v = c.autoincrement
    if v != False:  # noqa: E712
        out["autoincrement"] = _value_to_literal(v)
    v = c.max_length
    if v is not None:
        out["max_length"] = _value_to_literal(v)
    v = c.max_digits
    if v is not None:
        out["max_digits"] = _value_to_literal(v)
    v = c.decimal_places
    if v is not None:
        out["decimal_places"] = _value_to_literal(v)
    v = c.choices
    if v != ():
        out["choices"] = _value_to_literal(v)
    v = c.db_type
    if v is not None:
        out["db_type"] = _value_to_literal(v)
    v = c.attribute
    if v is not None:
        out["attribute"] = _value_to_literal(v)
    return out


def _value_to_literal(value: Any) -> Any:
    cls = type(value)
    if cls in _SCALARS:
        return value
    if cls is Column:
        return _column_to_literal(value)
    if cls is tuple:
        return [_value_to_literal(v) for v in value]
    if cls in _FIELDS or isinstance(value, Record):
        return _record_to_literal(value)
    if isinstance(value, tuple):
        return [_value_to_literal(v) for v in value]
    return value


def _record_to_literal(value: Record) -> Literal:
    out: Literal = {}
    for name, has_default, default in _fields(type(value)):
        v = getattr(value, name)
        if has_default and v == default:
            continue
        out[name] = _value_to_literal(v)
    return out


def table_to_literal(table: Table) -> Literal:
    """A table as a literal dict."""
    return _record_to_literal(table)


def table_from_literal(lit: Literal) -> Table:
    """The table described by ``lit``."""
    return Table(
        name=lit["name"],
        columns=tuple(column_from_literal(c) for c in lit["columns"]),
        indexes=tuple(index_from_literal(i) for i in lit.get("indexes", ())),
        foreign_keys=tuple(ForeignKey(**fk) for fk in lit.get("foreign_keys", ())),
        checks=tuple(Check(**c) for c in lit.get("checks", ())),
        model=lit.get("model"),
    )


def column_from_literal(lit: Literal) -> Column:
    """The column described by ``lit``."""
    if "choices" in lit:
        lit = {**lit, "choices": tuple(lit["choices"])}
    return Column(**lit)


def index_from_literal(lit: Literal) -> Index:
    """The index described by ``lit``."""
    return Index(name=lit["name"], columns=tuple(lit["columns"]), unique=lit.get("unique", False))


def operation_to_literal(op: ops.Operation) -> Literal:
    """``op`` as a literal dict, tagged with its kind under ``"op"``."""
    return {"op": _OP_NAMES[type(op)], **_record_to_literal(op)}


def operation_from_literal(lit: Literal) -> ops.Operation:
    """The operation described by ``lit`` (as written by :func:`operation_to_literal`)."""
    try:
        cls = _OP_TYPES[lit["op"]]
        args: dict[str, Any] = {}
        for name in cls._fields:
            if name not in lit:
                continue
            v = lit[name]
            if name == "table" and isinstance(v, dict):
                v = table_from_literal(v)
            elif name in ("column", "before", "after"):
                v = column_from_literal(v)
            elif name == "index":
                v = index_from_literal(v)
            elif name == "foreign_key":
                v = ForeignKey(**v)
            elif name == "check":
                v = Check(**v)
            args[name] = v
        return cls(**args)
    except (KeyError, TypeError, AttributeError) as exc:
        raise CodecError(f"not a schemashift operation: {lit!r:.120} ({exc})") from exc
