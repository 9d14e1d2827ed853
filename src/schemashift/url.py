"""Database URLs: parsing, and printing them without their password."""

from __future__ import annotations

from schemashift.errors import ConfigError
from schemashift.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

_SECRET_PARAMS = {"password", "sslpassword"}
#: The schemes of database servers, and the dialect each names. MySQL and MariaDB are one
#: dialect: the SQL schemashift writes runs on both.
_SERVER_SCHEMES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+psycopg": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mysql+pymysql": "mysql",
}


class DatabaseURL(NamedTuple):
    """A parsed database URL. ``dialect`` is ``"sqlite"``, ``"postgresql"`` or ``"mysql"``
    (MySQL and MariaDB alike). Its repr
    and str never show the password."""

    dialect: str
    raw: str
    #: SQLite: the file path (absolute), or ``":memory:"``.
    path: str | None = None
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: tuple[tuple[str, str], ...] = ()
    #: PostgreSQL: the ``application_name`` its connections carry unless the URL (or
    #: ``PGAPPNAME``) gives its own, such as ``schemashift migrate``.
    application_name: str | None = None

    def redacted(self) -> str:
        """The URL as it may be printed: passwords replaced by ``***``."""
        text = redact(self.raw)
        # A password the patterns cannot delimit (a raw space in it) is still known here.
        return text.replace(self.password, "***") if self.password else text

    def __str__(self) -> str:
        return self.redacted()

    def __repr__(self) -> str:
        return f"DatabaseURL({self.redacted()!r})"


#: ``user:password@`` anywhere: in a URL with or without its scheme, with a mistyped one
#: (``postgresql//``, ``postgresql:/``), or quoted in a driver's message. The password runs
#: to the last ``@`` before the next space or quote, so a raw ``@`` in it is masked too.
_USERINFO = r"""([^\s'"/:@]*):(?!//?)[^\s"]*@(?=[^\s'"@]*(?:[\s'"]|$))"""
_PASSWORD_PARAM = r"""((?:^|[?&\s;'"])(?:ssl)?password\s*=\s*)('[^']*'|"[^"]*"|[^&\s;'"]*)"""


def redact(text: str) -> str:
    """``text`` with every password masked that it may hold: the ``user:password@`` of
    anything that looks like a URL or its userinfo, and ``password=`` / ``sslpassword=``
    values (query parameters or libpq ``key=value`` settings)."""
    # Most lines hold neither an ``@`` nor the word: they need no pattern (compiling
    # the patterns is a noticeable part of a short command). ``casefold`` maps every
    # letter that IGNORECASE matches to "password" (the long s included) onto it.
    if "@" not in text and "password" not in text.casefold():
        return text
    import re

    if "@" in text:
        text = re.sub(_USERINFO, r"\1:***@", text)
    if "password" in text.casefold():
        text = re.sub(_PASSWORD_PARAM, r"\1***", text, flags=re.IGNORECASE)
    return text


def parse_url(raw: str, root: Path) -> DatabaseURL:
    """Parse ``raw``; relative SQLite paths are taken relative to the project ``root``."""
    scheme, sep, rest = raw.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ConfigError(
            f"Database URL {redact(raw)!r} is not a URL. Use sqlite:///path/to/db.sqlite3, "
            "postgresql://USER@HOST:PORT/DATABASE or mysql://USER@HOST:PORT/DATABASE."
        )
    if scheme == "sqlite":
        if not rest.startswith("/"):
            raise ConfigError(
                f"SQLite URL {redact(raw)!r} needs three slashes: sqlite:///relative.db or "
                "sqlite:////absolute/path.db."
            )
        target, _, params = rest[1:].partition("?")
        query = _sqlite_query(raw, params)
        if target in (":memory:", ""):
            if target == "":
                raise ConfigError("SQLite URL has no file name: use sqlite:///db.sqlite3.")
            return DatabaseURL("sqlite", raw, path=":memory:", query=query)
        from pathlib import Path
        from urllib.parse import unquote

        path = Path(unquote(target))
        if not path.is_absolute():
            path = root / path
        return DatabaseURL("sqlite", raw, path=str(path), query=query)
    if scheme in _SERVER_SCHEMES:
        return _server_url(_SERVER_SCHEMES[scheme], raw)
    raise ConfigError(
        f"Unknown database URL scheme {scheme!r} in {redact(raw)!r}. schemashift supports "
        "sqlite:///, postgresql:// and mysql:// (or mariadb://) URLs."
    )


def _server_url(dialect: str, raw: str) -> DatabaseURL:
    """A URL of a database server: ``scheme://user:password@host:port/database?params``."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(raw)
        hostname = parts.hostname
    except ValueError as exc:
        # urlsplit's own words ("Invalid IPv6 URL") name no part of the URL.
        raise ConfigError(
            f"Database URL {redact(raw)!r} cannot be read ({exc}): an IPv6 address goes in "
            "square brackets, postgresql://USER@[::1]:5432/DATABASE, and special "
            "characters of the password are percent-encoded."
        ) from None
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"Database URL {redact(raw)!r} has an invalid port.") from exc
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    password = parts.password
    for key, value in query:
        if key == "password" and password is None:
            password = value
    return DatabaseURL(
        dialect,
        raw,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(password) if password else None,
        host=hostname,
        port=port,
        database=unquote(parts.path.lstrip("/")) or None,
        query=query,
    )


def _sqlite_query(raw: str, params: str) -> tuple[tuple[str, str], ...]:
    """The parameters of an SQLite URL: only ``timeout`` (seconds, how long a statement
    waits for another connection's lock)."""
    from urllib.parse import parse_qsl

    query = tuple(parse_qsl(params, keep_blank_values=True))
    for key, value in query:
        if key != "timeout":
            raise ConfigError(
                f"SQLite URL {redact(raw)!r} has an unknown parameter {key!r}; the only one "
                "is timeout=SECONDS (how long to wait for another connection's lock)."
            )
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds < float("inf"):
            raise ConfigError(
                f"SQLite URL {redact(raw)!r}: timeout must be a number of seconds, 0 or more."
            )
    return query


def libpq_params(url: DatabaseURL) -> dict[str, str]:
    """Connection keywords for libpq/psycopg (query parameters passed through)."""
    params: dict[str, str] = {}
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = str(url.port)
    if url.user:
        params["user"] = url.user
    if url.password:
        params["password"] = url.password
    if url.database:
        params["dbname"] = url.database
    for key, value in url.query:
        if key not in _SECRET_PARAMS or key == "sslpassword":
            params[key] = value
    return params


__all__ = ["DatabaseURL", "libpq_params", "parse_url", "redact"]
