"""Per-database code behind one narrow contract (:class:`dialects.base.Dialect`).

Dialects are picked from an explicit table and imported only when used, so that the
PostgreSQL and MySQL drivers are never imported for a SQLite project.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from os import PathLike

    from schemashift.dialects.base import Dialect
    from schemashift.url import DatabaseURL

#: Each dialect's name, its package, and the URL schemes that name it. The schemes are
#: here rather than on the dialect so that reading a URL imports only the dialect it names.
_DIALECTS = {
    "sqlite": ("schemashift.dialects.sqlite", ("sqlite",)),
    "postgresql": (
        "schemashift.dialects.postgres",
        ("postgresql", "postgres", "postgresql+psycopg"),
    ),
    "mysql": ("schemashift.dialects.mysql", ("mysql", "mariadb", "mysql+pymysql")),
}


def get_dialect(name: str) -> Dialect:
    """The dialect called ``name`` (``"sqlite"``, ``"postgresql"`` or ``"mysql"``)."""
    # __import__ rather than importlib, which brings ``warnings`` to every start-up.
    __import__(_DIALECTS[name][0])
    module = sys.modules[_DIALECTS[name][0]]
    dialect: Dialect = module.DIALECT
    return dialect


def known_dialects() -> tuple[str, ...]:
    """The names of every dialect, as the ``dialects`` setting and ``conn.dialect`` say them."""
    return tuple(_DIALECTS)


def parse_url(raw: str, root: str | PathLike[str]) -> DatabaseURL:
    """Parse ``raw`` with the dialect its scheme names; relative SQLite paths are taken
    relative to the project ``root``."""
    from schemashift.errors import ConfigError
    from schemashift.url import redact

    scheme, sep, _ = raw.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ConfigError(f"Database URL {redact(raw)!r} is not a URL. Use {_examples('or')}.")
    for name, (_, schemes) in _DIALECTS.items():
        if scheme in schemes:
            return get_dialect(name).parse_url(raw, root)
    raise ConfigError(
        f"Unknown database URL scheme {scheme!r} in {redact(raw)!r}. schemashift supports "
        f"{_examples('and')}."
    )


def _examples(conjunction: str) -> str:
    """Every dialect's example URL, for a message about a URL no dialect reads."""
    *most, last = [get_dialect(name).url_example for name in _DIALECTS]
    return f"{', '.join(most)} {conjunction} {last}" if most else last
