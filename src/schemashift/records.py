"""``NamedTuple`` without importing :mod:`typing`.

The values that every command builds at start-up (settings, the database URL, migration
files, tracking rows) are named tuples. ``typing`` (with ``re`` and ``contextlib``) costs
more to import than `migrate --status` on a small project takes, so at run time this
module builds those classes as ``typing.NamedTuple`` does, from
:func:`collections.namedtuple`: the same fields, defaults, methods and tuple behaviour.
The type checker sees ``typing.NamedTuple`` itself.

Classes declared here keep their annotations as strings (the modules use ``from
__future__ import annotations``) and may not call ``super()`` (as with
``typing.NamedTuple``).
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    # What ``namedtuple`` makes itself, which a class body must not replace.
    _OWN = frozenset(
        ("__module__", "__qualname__", "__annotations__", "__slots__", "__new__", "__init__")
    )

    class _Meta(type):
        def __new__(mcls, name, bases, namespace):
            if not bases:  # the NamedTuple base class below
                return super().__new__(mcls, name, bases, namespace)
            annotations = namespace.get("__annotations__", {})
            fields = list(annotations)
            defaults = []
            for field in fields:
                if field in namespace:
                    defaults.append(namespace[field])
                elif defaults:
                    raise TypeError(
                        f"Non-default namedtuple field {field} cannot follow default field"
                    )
            cls = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            cls.__qualname__ = namespace.get("__qualname__", name)
            cls.__annotations__ = dict(annotations)
            for key, value in namespace.items():
                if key not in _OWN and key not in annotations:
                    setattr(cls, key, value)
            return cls

    class NamedTuple(metaclass=_Meta):
        """Base class of a named tuple declared with annotations, as ``typing.NamedTuple``."""
