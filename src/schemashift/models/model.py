"""The ``Model`` base class and cheap introspection of model classes.

Declaring a model only records its fields on the class; there is no registry and no
database access. Whoever imports the model files collects the ``Model`` subclasses it
finds in them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from schemashift.models.fields import Check, Field, Index
from schemashift.models.naming import default_table_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

_FIELDS = "__schemashift_fields__"


class Model:
    """Base class of models: each subclass declares one table.

    Class options: ``__tablename__`` (default: the class name in snake_case, plural),
    ``__indexes__`` (a list of :class:`Index`), ``__checks__`` (a list of
    :class:`Check`), ``__renamed_from__`` (the table's previous name) and
    ``__abstract__ = True`` for a base class whose fields its subclasses inherit.
    """

    __indexes__: ClassVar[Sequence[Index]] = ()
    __checks__: ClassVar[Sequence[Check]] = ()
    __schemashift_fields__: ClassVar[Mapping[str, Field]] = MappingProxyType({})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Inherited fields first, in the order their classes declared them; a subclass
        # may redefine a field in place, or hide it with any non-field value.
        fields: dict[str, Field] = {}
        # ``object`` holds no field, and comes first, when there is none to hide yet.
        for klass in reversed(cls.__mro__[:-1]):
            for name, value in vars(klass).items():
                if isinstance(value, Field):
                    fields[name] = value
                elif name in fields:
                    del fields[name]
        setattr(cls, _FIELDS, MappingProxyType(fields))


def model_fields(model: type[Model]) -> Mapping[str, Field]:
    """The fields of ``model`` by attribute name, inherited ones first, in declaration
    order."""
    fields: Mapping[str, Field] = getattr(model, _FIELDS)
    return fields


def is_abstract(model: type[Model]) -> bool:
    """True when ``model`` itself says ``__abstract__ = True`` (not inherited)."""
    return bool(vars(model).get("__abstract__", False))


def table_name(model: type[Model]) -> str:
    """The table of ``model``: its own ``__tablename__``, else the derived name."""
    explicit = own_option(model, "__tablename__")
    return explicit if isinstance(explicit, str) else default_table_name(model.__name__)


def own_option(model: type[Model], name: str) -> object:
    """A class option that subclasses do not inherit (``__tablename__``,
    ``__renamed_from__``), as the class itself declares it, or None."""
    return vars(model).get(name)
