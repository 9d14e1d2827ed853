"""Model classes -> the Schema they declare, plus their rename hints.

This is where model declarations are checked: every error names the model, the field
and what to do, as a :class:`~schemashift.errors.ModelError`.
"""

from __future__ import annotations

from collections import Counter

from schemashift.errors import ModelError
from schemashift.hashing import sha256
from schemashift.models import fields as decl
from schemashift.models.defaults import DefaultError, render_default
from schemashift.models.model import Model, is_abstract, model_fields, own_option, table_name
from schemashift.schema.checksql import check_columns
from schemashift.schema.hints import RenameHints
from schemashift.schema.record import Record
from schemashift.schema.values import (
    KINDS,
    ON_DELETE_ACTIONS,
    Check,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Final

# The tracking table of applied migrations (see runtime/recorder.py).
RESERVED_TABLES = ("_schemashift_migrations",)


class ModelSchema(Record):
    """The schema declared by a set of models, and the renames they declare."""

    __slots__ = ("hints", "schema")
    schema: Final[Schema]
    hints: Final[RenameHints]

    def __init__(self, schema: Schema, hints: RenameHints) -> None:
        self.schema = schema
        self.hints = hints


class _TypeInfo(Record):
    """What a column's type is made of; a foreign key copies its target key's."""

    __slots__ = ("choices", "decimal_places", "kind", "max_digits", "max_length")
    kind: Final[str]
    max_length: Final[int | None]
    max_digits: Final[int | None]
    decimal_places: Final[int | None]
    choices: Final[tuple[str, ...]]

    def __init__(
        self,
        kind: str,
        max_length: int | None = None,
        max_digits: int | None = None,
        decimal_places: int | None = None,
        choices: tuple[str, ...] = (),
    ) -> None:
        self.kind = kind
        self.max_length = max_length
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self.choices = choices


#: The type of each kind that takes no sizes or values (frozen, so shared).
_PLAIN_TYPES = {
    kind: _TypeInfo(kind) for kind in KINDS if kind not in ("string", "decimal", "enum")
}

_IMPLICIT_KEY = Column("id", "biginteger", nullable=False, primary_key=True, autoincrement=True)


class _Declared:
    """One model with its table name and its fields' column names."""

    __slots__ = ("columns", "identity", "key", "model", "resolving_key", "table")

    def __init__(
        self, model: type[Model], table: str, columns: dict[str, str], key: str | None
    ) -> None:
        self.model = model
        self.table = table
        self.columns = columns  # attribute -> column name
        self.key = key  # attribute of the primary key field, None for the implicit id
        self.resolving_key = False
        #: What the table records as its model (see :func:`_identify`).
        self.identity: str | None = None

    @property
    def label(self) -> str:
        return self.model.__name__

    def at(self, attr: str | None = None) -> str:
        if not attr:
            return self.label
        if attr in vars(self.model):
            return f"{self.label}.{attr}"
        declaring = next((k for k in self.model.__mro__ if attr in vars(k)), self.model)
        if declaring is self.model:
            return f"{self.label}.{attr}"
        # The fix belongs in the class that declares the field, not in each subclass.
        return f"{declaring.__name__}.{attr} (inherited by {self.label})"

    def fields(self) -> list[tuple[str, decl.Field]]:
        return list(model_fields(self.model).items())


def _fail(where: str, message: str) -> ModelError:
    return ModelError(f"{where}: {message}")


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and value != "" and "\x00" not in value


def _concrete(models: Sequence[Any]) -> list[type[Model]]:
    out: list[type[Model]] = []
    seen: set[type[Model]] = set()
    for m in models:
        if not (isinstance(m, type) and issubclass(m, Model)):
            raise ModelError(
                f"{m!r} is not a model class. Pass classes that subclass schemashift.Model."
            )
        if m is Model or is_abstract(m) or m in seen:
            continue
        seen.add(m)
        out.append(m)
    return out


def _declare(model: type[Model]) -> _Declared:
    label = model.__name__
    explicit = own_option(model, "__tablename__")
    if explicit is not None and not _is_name(explicit):
        raise _fail(label, "__tablename__ must be a non-empty string.")
    table = table_name(model)
    if table in RESERVED_TABLES:
        raise _fail(
            label,
            f"the table name {table} is reserved for schemashift's own records. "
            "Choose another __tablename__.",
        )
    old = own_option(model, "__renamed_from__")
    if old is not None and not _is_name(old):
        raise _fail(label, "__renamed_from__ must be the old table name, a non-empty string.")
    columns: dict[str, str] = {}
    used: dict[str, str] = {}
    keys: list[str] = []
    for attr, f in model_fields(model).items():
        where = f"{label}.{attr}"
        _check_options(where, f)
        column = f.db_column if f.db_column is not None else attr
        if f.primary_key:
            keys.append(attr)
        folded = column.casefold()
        if folded in used:
            raise _fail(
                where,
                f"the column {column} is already used by the field {used[folded]}. "
                "Give one of them another db_column=... .",
            )
        used[folded] = attr
        columns[attr] = column
    if len(keys) > 1:
        raise _fail(
            label,
            f"more than one primary key field ({', '.join(keys)}). Keep primary_key=True "
            "on one field only.",
        )
    if not keys and "id" in used:
        attr = used["id"]
        raise _fail(
            f"{label}.{attr}",
            "the column id is the implicit primary key. Declare this field with "
            "primary_key=True, or give it another name or db_column=... .",
        )
    return _Declared(model, table, columns, keys[0] if keys else None)


#: Every kind a field can have.
_FIELD_KINDS = (*KINDS, "foreignkey")


def _check_options(where: str, f: Any) -> None:
    if not isinstance(f, decl.Field) or f.kind not in _FIELD_KINDS:
        raise _fail(where, "not a field made by a Field kind such as Field.String().")
    # One test of the usual case first: every field of every model comes here each run.
    if not (
        f.unique.__class__ is bool
        and f.primary_key.__class__ is bool
        and f.nullable in (None, True, False)
        and f.index in (None, True, False)
        and (f.db_column is None or _is_name(f.db_column))
        and (f.renamed_from is None or _is_name(f.renamed_from))
    ):
        _check_option_values(where, f)
    if f.primary_key and f.nullable:
        raise _fail(where, "a primary key cannot be nullable. Remove nullable=True.")


def _check_option_values(where: str, f: decl.Field) -> None:
    """Raise for the first option of ``f`` whose value is of the wrong kind."""
    for option in ("unique", "primary_key"):
        if not isinstance(getattr(f, option), bool):
            raise _fail(where, f"{option} must be True or False.")
    for option in ("nullable", "index"):
        if getattr(f, option) not in (None, True, False):
            raise _fail(where, f"{option} must be True or False.")
    for option in ("db_column", "renamed_from"):
        value = getattr(f, option)
        if value is not None and not _is_name(value):
            raise _fail(where, f"{option} must be a non-empty string.")


class _Models:
    """The models being converted, found by class or name."""

    def __init__(self, declared: list[_Declared]) -> None:
        self.declared = declared
        self.by_model = {d.model: d for d in declared}
        self.by_class_name: dict[str, list[_Declared]] = {}
        for d in declared:
            self.by_class_name.setdefault(d.label, []).append(d)
        self.by_table = {d.table: d for d in declared}

    def target(self, owner: _Declared, attr: str, target: Any) -> _Declared:
        where = owner.at(attr)
        if isinstance(target, type) and issubclass(target, Model):
            found = self.by_model.get(target)
            if found is None:
                raise _fail(
                    where,
                    f"the ForeignKey target {target.__name__} is not among the models "
                    "(it is abstract, or its module is not loaded). Point it at a concrete "
                    "model in the model files.",
                )
            return found
        if not isinstance(target, str):
            raise _fail(where, "ForeignKey needs a model class or the name of one.")
        if target == "self":
            return owner
        named = self.by_class_name.get(target, [])
        if len(named) > 1:
            modules = ", ".join(sorted(d.model.__module__ for d in named))
            raise _fail(
                where,
                f"the ForeignKey target {target!r} is ambiguous: models of that name are "
                f"in {modules}. Pass the model class itself.",
            )
        if named:
            return named[0]
        if target in self.by_table:
            return self.by_table[target]
        import difflib

        close = difflib.get_close_matches(target, sorted(self.by_class_name), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise _fail(
            where,
            f"the ForeignKey target {target!r} is not a model.{hint} Name a model class "
            "among the models, or pass the class itself.",
        )

    def key_type(self, d: _Declared) -> tuple[str, _TypeInfo]:
        """The primary key column name and type of ``d``'s table."""
        if d.key is None:
            return "id", _TypeInfo("biginteger")
        if d.resolving_key:
            raise _fail(
                d.at(d.key),
                "primary keys that are foreign keys refer to each other in a cycle. "
                "Give one of these models an own primary key.",
            )
        d.resolving_key = True
        try:
            f = model_fields(d.model)[d.key]
            return d.columns[d.key], self.type_of(d, d.key, f)
        finally:
            d.resolving_key = False

    def type_of(self, d: _Declared, attr: str, f: decl.Field) -> _TypeInfo:
        # Where an error is, d.at(attr), is only worked out for an error: thousands of
        # fields are typed on every run.
        kind = f.kind
        if kind == "foreignkey":
            return self.key_type(self.target(d, attr, f.target))[1]
        if kind == "string":
            if not _positive_int(f.max_length):
                raise _fail(d.at(attr), "String needs max_length, a positive integer.")
            return _TypeInfo("string", max_length=f.max_length)
        if kind == "decimal":
            digits, places = f.max_digits, f.decimal_places
            if not _positive_int(digits) or not _non_negative_int(places):
                raise _fail(
                    d.at(attr),
                    "Decimal needs max_digits and decimal_places, e.g. "
                    "Field.Decimal(max_digits=10, decimal_places=2).",
                )
            if places > digits:
                raise _fail(d.at(attr), "decimal_places cannot be more than max_digits.")
            return _TypeInfo("decimal", max_digits=digits, decimal_places=places)
        if kind == "enum":
            return _TypeInfo("enum", choices=_enum_values(d.at(attr), f.choices))
        plain = _PLAIN_TYPES.get(kind)
        return plain if plain is not None else _TypeInfo(kind)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _non_negative_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _enum_values(where: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise _fail(where, 'Enum needs a list of string values, e.g. Enum(["draft", "done"]).')
    if not values:
        raise _fail(where, "Enum needs at least one value.")
    wrong = [v for v in values if not isinstance(v, str)]
    if wrong:
        raise _fail(where, f"Enum values must be strings, not {wrong[0]!r}.")
    if len(set(values)) != len(values):
        raise _fail(where, "Enum values must not repeat.")
    return tuple(values)


def _on_delete(where: str, value: Any, nullable: bool) -> str:
    action = " ".join(value.upper().replace("_", " ").split()) if isinstance(value, str) else ""
    if action not in ON_DELETE_ACTIONS:
        choices = ", ".join(f'"{a}"' for a in ON_DELETE_ACTIONS)
        raise _fail(where, f"on_delete={value!r} is not one of {choices}.")
    if action == "SET NULL" and not nullable:
        raise _fail(
            where,
            'on_delete="SET NULL" needs a nullable column, but this foreign key is NOT '
            "NULL. Add nullable=True, or choose another on_delete.",
        )
    return action


def _column(d: _Declared, attr: str, f: decl.Field, models: _Models) -> Column:
    info = models.type_of(d, attr, f)
    nullable = (
        f.nullable if f.nullable is not None else not (f.kind == "foreignkey" or f.primary_key)
    )
    try:
        default = (
            None
            if f.default is None
            else render_default(
                info.kind,
                f.default,
                max_length=info.max_length,
                choices=info.choices,
                digits=(
                    (info.max_digits, info.decimal_places)
                    if info.max_digits is not None and info.decimal_places is not None
                    else None
                ),
            )
        )
    except DefaultError as exc:
        shown = getattr(f.default, "__qualname__", None) if callable(f.default) else None
        raise _fail(
            d.at(attr),
            f"default={shown or repr(f.default)} does not suit this field: it {exc}. Give a "
            'value of the field\'s type, or SQL("...") for an SQL expression.',
        ) from None
    return Column(
        name=d.columns[attr],
        attribute=attr,
        kind=info.kind,
        nullable=nullable,
        default=default,
        unique=f.unique,
        primary_key=f.primary_key,
        max_length=info.max_length,
        max_digits=info.max_digits,
        decimal_places=info.decimal_places,
        choices=info.choices,
    )


def _index_columns(d: _Declared, index: decl.Index, known: set[str]) -> tuple[str, ...]:
    where = d.at()
    if not index.columns:
        raise _fail(where, f"{index!r} names no column. Give it one or more field names.")
    cols: list[str] = []
    for name in index.columns:
        column = d.columns.get(name, name) if isinstance(name, str) else None
        if column not in known:
            raise _fail(
                where,
                f"{index!r} names {name!r}, which is not a field of {d.label}. Use the "
                "names of its fields.",
            )
        if column in cols:
            raise _fail(where, f"{index!r} names the column {column} twice.")
        cols.append(column)
    return tuple(cols)


def _declared_indexes(d: _Declared, known: set[str]) -> list[Index]:
    declared = getattr(d.model, "__indexes__", ())
    if not isinstance(declared, (list, tuple)):
        raise _fail(d.at(), "__indexes__ must be a list of Index(...).")
    out: list[Index] = []
    for index in declared:
        if not isinstance(index, decl.Index):
            raise _fail(d.at(), f"__indexes__ holds {index!r}, which is not an Index(...).")
        if not isinstance(index.unique, bool):
            raise _fail(d.at(), f"{index!r}: unique must be True or False.")
        if index.name is not None and not _is_name(index.name):
            raise _fail(d.at(), f"{index!r}: name must be a non-empty string.")
        cols = _index_columns(d, index, known)
        prefix = "uq" if index.unique else "idx"
        name = index.name or f"{prefix}_{d.table}_{'_'.join(cols)}"
        out.append(Index(name, cols, index.unique))
    return out


def _declared_checks(d: _Declared, known: set[str]) -> list[Check]:
    declared = getattr(d.model, "__checks__", ())
    if not isinstance(declared, (list, tuple)):
        raise _fail(d.at(), "__checks__ must be a list of Check(...).")
    folded = {c.casefold() for c in known}
    out: list[Check] = []
    for check in declared:
        if not isinstance(check, decl.Check):
            raise _fail(d.at(), f"__checks__ holds {check!r}, which is not a Check(...).")
        if not isinstance(check.sql, str) or not check.sql.strip():
            raise _fail(d.at(), f"{check!r} needs an SQL expression.")
        if check.name is not None and not _is_name(check.name):
            raise _fail(d.at(), f"{check!r}: name must be a non-empty string.")
        missing = [n for n in check_columns(check.sql) if n.casefold() not in folded]
        if missing:
            raise _fail(
                d.at(),
                f"{check!r} mentions {missing[0]!r}, which is not a column of "
                f"{d.table}. Use the table's column names.",
            )
        # The built-in SHA-256: hashlib would load OpenSSL for eight hex digits.
        digest = sha256(check.sql.encode("utf-8")).hexdigest()[:8]
        out.append(Check(check.name or f"ck_{d.table}_{digest}", check.sql))
    return out


def _unique_by_name(where: str, what: str, items: list[Any]) -> tuple[Any, ...]:
    """``items`` without repeats; two different items of one name are an error."""
    seen: dict[str, Any] = {}
    for item in items:
        other = seen.get(item.name)
        if other is None:
            seen[item.name] = item
        elif other != item:
            raise _fail(where, f"two different {what} are named {item.name}. Rename one.")
    return tuple(seen.values())


def _build_table(d: _Declared, models: _Models) -> Table:
    fields = d.fields()
    columns = [] if d.key is not None else [_IMPLICIT_KEY]
    columns.extend(_column(d, attr, f, models) for attr, f in fields)
    known = {c.name for c in columns}
    declared = _declared_indexes(d, known)
    leading = {i.columns[0] for i in declared}
    field_indexes: list[Index] = []
    foreign_keys: list[ForeignKey] = []
    by_name = {c.name: c for c in columns}
    for attr, f in fields:
        column = d.columns[attr]
        if f.kind == "foreignkey":
            target = models.target(d, attr, f.target)
            ref_column = models.key_type(target)[0]
            action = _on_delete(d.at(attr), f.on_delete, by_name[column].nullable)
            foreign_keys.append(
                ForeignKey(f"fk_{d.table}_{column}", column, target.table, ref_column, action)
            )
            wanted = f.index is True or (
                f.index is None and not f.primary_key and column not in leading
            )
        else:
            wanted = f.index is True
        # A UNIQUE or primary key column has an index already: a second one only costs.
        if wanted and not (by_name[column].unique or by_name[column].primary_key):
            field_indexes.append(Index(f"idx_{d.table}_{column}", (column,)))
    return Table(
        name=d.table,
        columns=tuple(columns),
        indexes=_unique_by_name(d.at(), "indexes", [*field_indexes, *declared]),
        foreign_keys=tuple(foreign_keys),
        checks=_unique_by_name(d.at(), "checks", _declared_checks(d, known)),
        model=d.identity,
    )


def _identify(declared: list[_Declared]) -> None:
    """Name each model as its table records it: the class name, which survives moving
    the class to another module; the module too when two models share a class name."""
    counts = Counter(d.label for d in declared)
    for d in declared:
        shared = counts[d.label] > 1
        d.identity = f"{d.model.__module__}.{d.model.__qualname__}" if shared else d.label


def _check_table_names(declared: list[_Declared]) -> None:
    seen: dict[str, _Declared] = {}
    for d in declared:
        other = seen.setdefault(d.table.casefold(), d)
        if other is not d:
            first = f"{other.model.__module__}.{other.model.__qualname__}"
            second = f"{d.model.__module__}.{d.model.__qualname__}"
            raise _fail(
                d.label,
                f"the table {d.table} is declared by both {first} and {second}. Give one "
                "of them another __tablename__ (or remove the duplicate model).",
            )


def _check_index_names(tables: list[Table], declared: list[_Declared]) -> None:
    # Index names share one namespace per database (schema), across tables.
    owners: dict[str, Table] = {}
    for table, d in zip(tables, declared, strict=True):
        for index in table.indexes:
            other = owners.setdefault(index.name.casefold(), table)
            if other is not table:
                raise _fail(
                    d.label,
                    f"the index name {index.name} is also used on table {other.name}; "
                    "index names must be unique in the database. Give one of them another "
                    "name=... .",
                )


def _check_lengths(tables: list[Table], declared: list[_Declared], limit: int) -> None:
    # UTF-8 spends at most 4 bytes on a character: most schemas need no encoding at all.
    longest = limit // 4
    for table, d in zip(tables, declared, strict=True):
        if (
            len(table.name) <= longest
            and all(len(c.name) <= longest for c in table.columns)
            and all(len(i.name) <= longest for i in table.indexes)
            and all(len(fk.name) <= longest for fk in table.foreign_keys)
            and all(len(c.name) <= longest for c in table.checks)
        ):
            continue
        attrs = {column: attr for attr, column in d.columns.items()}
        # (attribute or None, what, name, advice); where it is (d.at) only for an error.
        names: list[tuple[str | None, str, str, str]] = [
            (None, "table name", table.name, "Give the model a shorter __tablename__.")
        ]
        names.extend(
            (attrs.get(c.name), "column name", c.name, "Give it a shorter db_column=...")
            for c in table.columns
        )
        names.extend(
            (None, "index name", i.name, "Give the index a shorter name=...") for i in table.indexes
        )
        names.extend(
            (
                attrs.get(fk.column),
                "foreign key name",
                fk.name,
                "Shorten the table name (__tablename__) or the column name (db_column=...).",
            )
            for fk in table.foreign_keys
        )
        names.extend(
            (None, "check name", c.name, "Give the Check a shorter name=...") for c in table.checks
        )
        for attr, what, name, advice in names:
            size = len(name.encode("utf-8"))
            if size > limit:
                raise _fail(
                    d.at(attr),
                    f"the {what} {name} is {size} bytes long, more than the {limit} the "
                    f"database allows. {advice}",
                )


def _hints(declared: list[_Declared]) -> RenameHints:
    tables: dict[str, str] = {}
    columns: dict[tuple[str, str], str] = {}
    for d in declared:
        old_table = own_option(d.model, "__renamed_from__")
        if isinstance(old_table, str) and old_table != d.table:
            tables[d.table] = old_table
        for attr, f in d.fields():
            column = d.columns[attr]
            if f.renamed_from is not None and f.renamed_from != column:
                columns[(d.table, column)] = f.renamed_from
    return RenameHints(tables, columns)


def schema_from_models(
    models: Sequence[type[Model]], *, max_identifier_length: int | None = None
) -> ModelSchema:
    """The schema ``models`` declare (tables sorted by name) and their rename hints.

    Abstract models and repeats are skipped. Foreign keys given by class name (or table
    name) resolve among ``models``. With ``max_identifier_length``, any table, column,
    index or constraint name longer than that many bytes (UTF-8) is refused. Raises
    :class:`~schemashift.errors.ModelError` for anything that cannot become a schema.
    """
    declared = [_declare(m) for m in _concrete(models)]
    _identify(declared)
    _check_table_names(declared)
    models_by_name = _Models(declared)
    tables = [_build_table(d, models_by_name) for d in declared]
    _check_index_names(tables, declared)
    if max_identifier_length is not None:
        _check_lengths(tables, declared, max_identifier_length)
    return ModelSchema(Schema.of(sorted(tables, key=lambda t: t.name)), _hints(declared))
