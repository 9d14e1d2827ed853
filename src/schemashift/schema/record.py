"""Immutable value classes without :mod:`dataclasses`.

The schema values and the operations are built by every `make migration` and `check`,
and there are a couple of dozen classes of them: ``@dataclass`` generates and ``exec``s
their methods at import (and imports ``inspect`` and ``typing`` to do it), which cost
more than the rest of those modules together. :class:`Record` gives its subclasses what
``@dataclass(frozen=True)`` gave them, from the field names alone and without
generating code: equality with a value of the same class and the same fields, a hash of
those fields, the same ``repr``, ``__match_args__``, pickling and copying, and
:func:`replace`.

A subclass's ``__init__`` says what its fields are, in order, and their defaults: it
takes every field (inherited ones first) as a plain parameter, with its default if it
has one, and assigns each. The class declares the fields it adds in ``__slots__`` too
(``__slots__ = ()`` if none): ``__init_subclass__`` checks that the two agree.

Immutability is the type checker's: each field is annotated ``Final``, which allows the
assignment in ``__init__`` and no other (``mypy --strict`` runs in CI). A run-time guard
(``__setattr__`` raising, as frozen dataclasses do) made every value's construction
four times slower, a tenth of `make migration` for a few hundred models.
"""

from __future__ import annotations

from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar, TypeVar

    R = TypeVar("R", bound="Record")


def _no_fields(value: object) -> tuple[object, ...]:
    return ()


class Record:
    """Base of an immutable value whose identity is its class and its fields."""

    __slots__ = ()

    #: Every field, in the order ``__init__`` takes them.
    _fields: ClassVar[tuple[str, ...]] = ()
    __match_args__: ClassVar[tuple[str, ...]] = ()
    #: Each field that has a default, with it (as ``__init__`` declares it).
    _defaults: ClassVar[dict[str, Any]] = {}
    #: Fields that equality and hashing ignore: a value's identity in the models, which
    #: is not part of its definition. A subclass sets it where it has such fields.
    _uncompared: ClassVar[tuple[str, ...]] = ()
    #: The fields that equality and hashing look at.
    _compared: ClassVar[tuple[str, ...]] = ()
    #: Those fields' values as a tuple (``operator.attrgetter``, in C).
    _key: ClassVar[Callable[[Any], tuple[object, ...]]] = _no_fields

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        slots = {s for k in cls.__mro__ for s in k.__dict__.get("__slots__", ())}
        fields = cls._fields
        init = cls.__dict__.get("__init__")
        if init is not None:
            code = init.__code__
            if code.co_kwonlyargcount or code.co_flags & 0x0C:  # *args or **kwargs
                raise TypeError(f"{cls.__qualname__}.__init__ takes only plain parameters")
            fields = code.co_varnames[1 : code.co_argcount]
            defaults = init.__defaults__ or ()
            cls._defaults = dict(zip(fields[len(fields) - len(defaults) :], defaults, strict=True))
        if set(fields) != slots or any("__dict__" in k.__dict__ for k in cls.__mro__):
            raise TypeError(f"{cls.__qualname__}: __slots__ must name exactly {fields}")
        cls._fields = fields
        cls.__match_args__ = fields  # type: ignore[misc]
        compared = tuple(f for f in fields if f not in cls._uncompared)
        cls._compared = compared
        if len(compared) > 1:
            cls._key = attrgetter(*compared)
        elif compared:
            one = attrgetter(compared[0])
            cls._key = lambda value: (one(value),)
        else:
            cls._key = _no_fields

    def __eq__(self, other: object) -> bool:
        cls = self.__class__
        if other.__class__ is cls:
            key = cls._key
            return key(self) == key(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.__class__._key(self))

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({values})"

    def __reduce__(self) -> tuple[type[Record], tuple[object, ...]]:
        return (self.__class__, tuple(getattr(self, name) for name in self._fields))


def replace(value: R, /, **changes: object) -> R:
    """A copy of ``value`` with the fields named in ``changes`` set to their values, as
    :func:`dataclasses.replace` makes (a name that is no field is a ``TypeError``)."""
    cls: Any = value.__class__
    values = [changes.pop(f) if f in changes else getattr(value, f) for f in cls._fields]
    return cls(*values, **changes)  # type: ignore[no-any-return]
