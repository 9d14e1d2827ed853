"""schemashift: schema migrations for Python applications.

Declare models, let ``schemashift make migration`` write the difference as plain SQL,
apply it with ``schemashift migrate``.
"""

from __future__ import annotations

__version__ = "0.1.0"

# typing is not imported at run time: it would slow every command's start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from schemashift.api import check, evolve, make_migration, migrate, rollback, status
    from schemashift.errors import SchemashiftError
    from schemashift.models import SQL, Check, Field, Index, Model

# Attributes are imported on first use so that the command line starts fast.
_LAZY = {
    "Model": "schemashift.models",
    "Field": "schemashift.models",
    "Index": "schemashift.models",
    "Check": "schemashift.models",
    "SQL": "schemashift.models",
    "make_migration": "schemashift.api",
    "migrate": "schemashift.api",
    "rollback": "schemashift.api",
    "status": "schemashift.api",
    "check": "schemashift.api",
    "evolve": "schemashift.api",
    "SchemashiftError": "schemashift.errors",
}

__all__ = [
    "SQL",
    "Check",
    "Field",
    "Index",
    "Model",
    "SchemashiftError",
    "__version__",
    "check",
    "evolve",
    "make_migration",
    "migrate",
    "rollback",
    "status",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'schemashift' has no attribute {name!r}")
    # __import__ rather than importlib, which evolve() at application start-up would
    # import for this alone.
    import sys

    __import__(module)
    return getattr(sys.modules[module], name)
