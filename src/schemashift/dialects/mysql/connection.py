"""Connections through PyMySQL, imported only when a connection is opened.

Every connection is in autocommit mode, speaks utf8mb4, and works in UTC
(``time_zone = '+00:00'``), so ``CURRENT_TIMESTAMP`` defaults and the tracking table's
``applied_at`` are UTC whatever the server's own zone. Errors from the driver become
:class:`~schemashift.errors.DatabaseError` with the server's message, and the password
is scrubbed from every message on the way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from types import ModuleType
from typing import TYPE_CHECKING, Any

from schemashift.errors import ConfigError, DatabaseError
from schemashift.url import DatabaseURL, redact

if TYPE_CHECKING:
    from schemashift.dialects.base import Cursor

#: How long a connection attempt may take before giving up (unless the URL says).
CONNECT_TIMEOUT = 10
#: The URL parameters passed to PyMySQL as they are, with the type it wants.
_PARAMS: dict[str, Callable[[str], Any]] = {
    "connect_timeout": int,
    "read_timeout": int,
    "write_timeout": int,
    "charset": str,
    "unix_socket": str,
    "ssl_ca": str,
    "ssl_cert": str,
    "ssl_key": str,
    "ssl_verify_cert": lambda v: v.lower() in ("1", "true", "yes"),
    "ssl_verify_identity": lambda v: v.lower() in ("1", "true", "yes"),
}
_UNKNOWN_DATABASE = 1049
_LOCK_WAIT_TIMEOUT = 1205
#: ER_ALTER_OPERATION_NOT_SUPPORTED(_REASON): the ALGORITHM or LOCK a statement asks for
#: is not possible for that change on this server.
_NOT_ONLINE = (1845, 1846)


def driver() -> ModuleType:
    """The pymysql module, or a ConfigError saying how to install it."""
    try:
        import pymysql  # type: ignore[import-untyped]
    except ImportError:
        raise ConfigError("MySQL support needs PyMySQL: pip install 'schemashift[mysql]'") from None
    module: ModuleType = pymysql
    return module


class MySQLConnection:
    """A PyMySQL connection in autocommit mode: ``BEGIN``/``COMMIT`` are explicit.

    ``lock_timeout`` is how long each statement of a migration may wait for a table's
    metadata lock (``lock_wait_timeout``, e.g. ``"5s"``; ``None`` keeps the server's).
    """

    dialect = "mysql"

    def __init__(self, raw: Any, url: DatabaseURL, lock_timeout: str | None) -> None:
        self.raw = raw
        self.url = url
        self.lock_timeout = lock_timeout

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        """Run one statement and return its cursor; driver errors become DatabaseError.
        PyMySQL formats ``%s`` placeholders itself, so a statement without parameters
        is sent as it is (a ``%`` in it stays a ``%``)."""
        pymysql = driver()
        cursor = self.raw.cursor()
        # A mapping (named placeholders, already ``%(name)s``) goes to PyMySQL as it is.
        args = params if params is None or isinstance(params, Mapping) else tuple(params)
        try:
            cursor.execute(sql, args)
        except pymysql.Error as exc:
            cursor.close()
            raise DatabaseError(self._message(exc)) from exc
        result: Cursor = cursor
        return result

    def close(self) -> None:
        """Close the connection; closing a broken one is not an error."""
        with suppress(Exception):
            self.raw.close()

    def _message(self, exc: Exception) -> str:
        text = error_text(exc, self.url)
        if _code(exc) == _LOCK_WAIT_TIMEOUT or "lock wait timeout" in text.lower():
            return (
                f"{text} Gave up after lock_wait_timeout = {self.lock_timeout}: another "
                "session is using the table. Try again when it is idle."
            )
        if _code(exc) in _NOT_ONLINE:
            return (
                f"{text} This server cannot make the change the way the statement asks (its "
                "ALGORITHM and LOCK clauses; see the MySQL table in docs/mysql-locks.md). "
                "Edit the statement: ALGORITHM=INPLACE, LOCK=NONE where the server offers it, "
                "or ALGORITHM=COPY, LOCK=SHARED if copying the table while writes wait is "
                "acceptable."
            )
        return text


def _code(exc: Exception) -> int | None:
    args: tuple[Any, ...] = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def error_text(exc: Exception, url: DatabaseURL) -> str:
    """The driver's message for ``exc`` as one sentence, with no password in it."""
    args: tuple[Any, ...] = getattr(exc, "args", ())
    message = args[1] if len(args) > 1 and isinstance(args[1], str) else str(exc)
    text = " ".join(message.split()) or type(exc).__name__
    if not text.endswith((".", "?", "!")):
        text += "."
    text = redact(text)
    if url.password:
        text = text.replace(url.password, "***")
    return text


def seconds(interval: str) -> int | None:
    """``"5s"``, ``"2min"``, ``"500ms"`` or ``"7"`` as whole seconds for
    ``lock_wait_timeout`` (at least 1); None for ``"0"`` (wait as long as the server's
    default allows)."""
    text = interval.strip().lower()
    factor = 1.0
    for suffix, scale in (("ms", 0.001), ("min", 60.0), ("s", 1.0), ("h", 3600.0)):
        if text.endswith(suffix):
            text, factor = text.removesuffix(suffix), scale
            break
    value = float(text) * factor
    if value <= 0:
        return None
    return max(1, round(value))


def connect_kwargs(url: DatabaseURL, program_name: str | None = None) -> dict[str, Any]:
    """PyMySQL's keywords for ``url`` (its query parameters passed through)."""
    kwargs: dict[str, Any] = {
        "host": url.host or "localhost",
        "port": url.port or 3306,
        "user": url.user or "root",
        "password": url.password or "",
        "database": url.database,
        "charset": "utf8mb4",
        "autocommit": True,
        "connect_timeout": CONNECT_TIMEOUT,
        # UTC for CURRENT_TIMESTAMP and DATETIME values, whatever the server's zone.
        "init_command": "SET time_zone = '+00:00'",
    }
    if program_name is not None:
        kwargs["program_name"] = program_name
    for key, value in url.query:
        if key == "password":
            continue
        convert = _PARAMS.get(key)
        if convert is None:
            raise ConfigError(
                f"MySQL URL {url.redacted()!r} has an unknown parameter {key!r}; known: "
                f"{', '.join(sorted(_PARAMS))}."
            )
        try:
            kwargs[key] = convert(value)
        except ValueError:
            raise ConfigError(
                f"MySQL URL {url.redacted()!r}: parameter {key} has an invalid value."
            ) from None
    return kwargs


def open_connection(
    url: DatabaseURL, *, lock_timeout: str | None, program_name: str | None = None
) -> MySQLConnection:
    """Connect to ``url``; an unreachable server or a missing database is a DatabaseError
    that names the URL without its password."""
    pymysql = driver()
    try:
        raw = pymysql.connect(**connect_kwargs(url, program_name))
    except pymysql.Error as exc:
        reason = error_text(exc, url)
        raise DatabaseError(
            f"Cannot connect to MySQL at {url.redacted()}: {reason} Check that the server "
            "is running, the database exists and the URL's user may connect."
        ) from None
    return MySQLConnection(raw, url, lock_timeout)


def database_exists(url: DatabaseURL) -> bool:
    """Whether the database of ``url`` exists; other connection failures still raise."""
    pymysql = driver()
    kwargs = connect_kwargs(url)
    kwargs["database"] = None
    try:
        raw = pymysql.connect(**kwargs)
    except pymysql.Error as exc:
        raise DatabaseError(
            f"Cannot connect to MySQL at {url.redacted()}: {error_text(exc, url)} Check "
            "that the server is running and the URL's user may connect."
        ) from None
    try:
        if not url.database:
            return True
        with raw.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                (url.database,),
            )
            return cursor.fetchone() is not None
    finally:
        with suppress(Exception):
            raw.close()
