"""What a model declares: fields, indexes, checks and raw SQL defaults.

These are plain declarations. Nothing is checked here beyond Python's own argument
checking: :func:`schemashift.schema.from_models.schema_from_models` validates them with
the model and field names at hand, so that every error can say where it is.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: Options every field kind accepts, with their defaults. ``nullable`` and ``index`` are
#: None when not given, because their defaults depend on the kind.
COMMON_OPTIONS: tuple[str, ...] = (
    "nullable",
    "unique",
    "default",
    "index",
    "primary_key",
    "db_column",
    "renamed_from",
)


class SQL:
    """An SQL expression used as it is, e.g. ``default=SQL("CURRENT_TIMESTAMP")``.
    Immutable, and equal to an ``SQL`` of the same expression."""

    __slots__ = ("expression",)
    __match_args__ = ("expression",)
    expression: str

    def __init__(self, expression: str) -> None:
        object.__setattr__(self, "expression", expression)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is SQL:
            return self.expression == other.expression
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.expression,))

    def __repr__(self) -> str:
        return f"SQL(expression={self.expression!r})"

    def __reduce__(self) -> tuple[type[SQL], tuple[str]]:
        return (SQL, (self.expression,))

    def __str__(self) -> str:
        return self.expression


class Index:
    """An index over one or more columns (field or column names), declared in a
    model's ``__indexes__``. The name defaults to ``idx_<table>_<col>…`` (``uq_`` when
    unique)."""

    __slots__ = ("columns", "name", "unique")

    def __init__(self, *columns: str, unique: bool = False, name: str | None = None) -> None:
        self.columns = columns
        self.unique = unique
        self.name = name

    def __repr__(self) -> str:
        args = [repr(c) for c in self.columns]
        if self.unique:
            args.append("unique=True")
        if self.name is not None:
            args.append(f"name={self.name!r}")
        return f"Index({', '.join(args)})"


class Check:
    """A CHECK constraint declared in a model's ``__checks__``. The name defaults to
    ``ck_<table>_<first 8 hex digits of the SHA-256 of sql>``."""

    __slots__ = ("name", "sql")

    def __init__(self, sql: str, name: str | None = None) -> None:
        self.sql = sql
        self.name = name

    def __repr__(self) -> str:
        suffix = f", name={self.name!r}" if self.name is not None else ""
        return f"Check({self.sql!r}{suffix})"


#: Options that only some kinds take, by the constructor that takes them.
_KIND_OPTIONS: dict[str, tuple[str, ...]] = {
    "string": ("max_length",),
    "decimal": ("max_digits", "decimal_places"),
    "enum": ("values",),
    "foreignkey": ("model_or_name", "on_delete"),
}


def _unknown(kind: str, names: list[str]) -> TypeError:
    """A typo in a field option, with the option meant when one is close."""
    import difflib

    known = (*_KIND_OPTIONS.get(kind, ()), *COMMON_OPTIONS)
    every = {o for options in _KIND_OPTIONS.values() for o in options} | set(COMMON_OPTIONS)
    name = names[0]
    guess = difflib.get_close_matches(name, sorted(every), n=1)
    hint = f" Did you mean {guess[0]}=...?" if guess else ""
    return TypeError(
        f"Field.{_CONSTRUCTOR_NAMES[kind]}() has no option {name!r}.{hint} "
        f"Its options: {', '.join(known)}"
    )


class _FieldKinds(type):
    """Makes a misspelled kind (``Field.Strng``) say which kinds there are."""

    def __getattr__(cls, name: str) -> Any:
        import difflib

        kinds = sorted(_CONSTRUCTOR_NAMES.values())
        guess = difflib.get_close_matches(name, kinds, n=1, cutoff=0.5)
        hint = f" Did you mean Field.{guess[0]}?" if guess else ""
        raise AttributeError(f"Field has no kind {name!r}.{hint} Kinds: {', '.join(kinds)}")


class Field(metaclass=_FieldKinds):
    """One column of a model, made with a kind constructor such as ``Field.String()``.

    Every kind accepts these keyword options:

    - ``nullable``: allow NULL (default True, except for ``ForeignKey`` and primary keys);
    - ``unique``: a UNIQUE column;
    - ``default``: a Python value of the field's type, or ``SQL("...")``;
    - ``index``: an index on this column (``ForeignKey`` columns are indexed unless
      ``index=False``);
    - ``primary_key``: this field is the primary key instead of the implicit ``id``;
    - ``db_column``: the column name, when it differs from the attribute name;
    - ``renamed_from``: the column's previous name, so the change is a rename.
    """

    __slots__ = (
        "choices",
        "db_column",
        "decimal_places",
        "default",
        "index",
        "kind",
        "max_digits",
        "max_length",
        "nullable",
        "on_delete",
        "primary_key",
        "renamed_from",
        "target",
        "unique",
    )

    def __init__(
        self,
        kind: str,
        *,
        nullable: bool | None = None,
        unique: bool = False,
        default: Any = None,
        index: bool | None = None,
        primary_key: bool = False,
        db_column: str | None = None,
        renamed_from: str | None = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            raise _unknown(kind, sorted(unknown))
        self.kind = kind
        self.nullable = nullable
        self.unique = unique
        self.default = default
        self.index = index
        self.primary_key = primary_key
        self.db_column = db_column
        self.renamed_from = renamed_from
        self.max_length: Any = None
        self.max_digits: Any = None
        self.decimal_places: Any = None
        self.choices: Any = None
        self.target: Any = None
        self.on_delete: Any = None

    def __repr__(self) -> str:
        shown = [
            f"{name}={getattr(self, name)!r}"
            for name in (
                "max_length",
                "max_digits",
                "decimal_places",
                "choices",
                "target",
                "on_delete",
                *COMMON_OPTIONS,
            )
            if getattr(self, name) not in (None, False)
        ]
        return f"Field.{_CONSTRUCTOR_NAMES.get(self.kind, self.kind)}({', '.join(shown)})"

    @staticmethod
    def String(max_length: Any = 255, **options: Any) -> Field:
        """Text of at most ``max_length`` characters (``VARCHAR(n)`` on PostgreSQL)."""
        field = Field("string", **options)
        field.max_length = max_length
        return field

    @staticmethod
    def Text(**options: Any) -> Field:
        """Text of any length."""
        return Field("text", **options)

    @staticmethod
    def Integer(**options: Any) -> Field:
        """A 32-bit integer."""
        return Field("integer", **options)

    @staticmethod
    def BigInteger(**options: Any) -> Field:
        """A 64-bit integer."""
        return Field("biginteger", **options)

    @staticmethod
    def Float(**options: Any) -> Field:
        """A double-precision floating-point number."""
        return Field("float", **options)

    @staticmethod
    def Decimal(max_digits: Any = None, decimal_places: Any = None, **options: Any) -> Field:
        """An exact number with ``max_digits`` digits, ``decimal_places`` of them after
        the point (``NUMERIC(max_digits, decimal_places)``)."""
        field = Field("decimal", **options)
        field.max_digits = max_digits
        field.decimal_places = decimal_places
        return field

    @staticmethod
    def Boolean(**options: Any) -> Field:
        """True or false."""
        return Field("boolean", **options)

    @staticmethod
    def Date(**options: Any) -> Field:
        """A calendar date."""
        return Field("date", **options)

    @staticmethod
    def DateTime(**options: Any) -> Field:
        """A date and time (``TIMESTAMPTZ`` on PostgreSQL)."""
        return Field("datetime", **options)

    @staticmethod
    def Time(**options: Any) -> Field:
        """A time of day."""
        return Field("time", **options)

    @staticmethod
    def JSON(**options: Any) -> Field:
        """A JSON document (``JSONB`` on PostgreSQL); defaults are dicts or lists."""
        return Field("json", **options)

    @staticmethod
    def UUID(**options: Any) -> Field:
        """A UUID; defaults are ``uuid.UUID`` values."""
        return Field("uuid", **options)

    @staticmethod
    def Binary(**options: Any) -> Field:
        """Bytes."""
        return Field("binary", **options)

    @staticmethod
    def Enum(values: Any, **options: Any) -> Field:
        """One of the strings in ``values`` (text with a CHECK of the values)."""
        field = Field("enum", **options)
        field.choices = values
        return field

    @staticmethod
    def ForeignKey(model_or_name: Any, on_delete: Any = "NO ACTION", **options: Any) -> Field:
        """A reference to another model's primary key: the model class or its class name
        (``"self"`` for the model itself). The column takes the key's type and is indexed
        unless ``index=False``. ``on_delete`` is ``"NO ACTION"``, ``"CASCADE"``,
        ``"SET NULL"`` (needs ``nullable=True``) or ``"RESTRICT"``."""
        field = Field("foreignkey", **options)
        field.target = model_or_name
        field.on_delete = on_delete
        return field


_CONSTRUCTOR_NAMES = {
    "string": "String",
    "text": "Text",
    "integer": "Integer",
    "biginteger": "BigInteger",
    "float": "Float",
    "decimal": "Decimal",
    "boolean": "Boolean",
    "date": "Date",
    "datetime": "DateTime",
    "time": "Time",
    "json": "JSON",
    "uuid": "UUID",
    "binary": "Binary",
    "enum": "Enum",
    "foreignkey": "ForeignKey",
}
