"""Database URLs as values, and printing them without their password.

Which dialect a URL names, and how its text is read, is the dialects' business:
:func:`schemashift.dialects.parse_url`. This module holds what every dialect shares: the
parsed value, the password masking, and the reading of a server's
``scheme://user:password@host:port/database?params``.
"""

from __future__ import annotations

from schemashift.errors import ConfigError
from schemashift.records import NamedTuple


class DatabaseURL(NamedTuple):
    """A parsed database URL. ``dialect`` is the name of the dialect it names (one name for
    MySQL and MariaDB alike). Its repr and str never show the password."""

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

    def on_database(self, name: str) -> DatabaseURL:
        """This URL of a database server naming its database ``name`` instead (user,
        password and parameters kept)."""
        from urllib.parse import quote, urlsplit, urlunsplit

        raw = urlunsplit(urlsplit(self.raw)._replace(path="/" + quote(name)))
        return self._replace(raw=raw, database=name)

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


def server_url(dialect: str, raw: str) -> DatabaseURL:
    """``raw`` read as the URL of a ``dialect`` database server:
    ``scheme://user:password@host:port/database?params`` (the parameters kept for the
    dialect to check when it connects)."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(raw)
        hostname = parts.hostname
    except ValueError as exc:
        # urlsplit's own words ("Invalid IPv6 URL") name no part of the URL.
        raise ConfigError(
            f"Database URL {redact(raw)!r} cannot be read ({exc}): an IPv6 address goes in "
            f"square brackets, {raw.partition(':')[0]}://USER@[::1]:PORT/DATABASE, and special "
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


__all__ = ["DatabaseURL", "redact", "server_url"]
