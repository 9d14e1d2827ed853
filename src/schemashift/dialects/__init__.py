"""Per-database code behind one narrow contract (:class:`dialects.base.Dialect`).

Dialects are picked from an explicit table and imported only when used, so that the
PostgreSQL and MySQL drivers are never imported for a SQLite project.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from schemashift.dialects.base import Dialect

_DIALECTS = {
    "sqlite": "schemashift.dialects.sqlite",
    "postgresql": "schemashift.dialects.postgres",
    "mysql": "schemashift.dialects.mysql",
}


def get_dialect(name: str) -> Dialect:
    """The dialect called ``name`` (``"sqlite"``, ``"postgresql"`` or ``"mysql"``)."""
    module = importlib.import_module(_DIALECTS[name])
    dialect: Dialect = module.DIALECT
    return dialect


def known_dialects() -> tuple[str, ...]:
    """The names of every dialect, as the ``dialects`` setting and ``conn.dialect`` say them."""
    return tuple(_DIALECTS)
