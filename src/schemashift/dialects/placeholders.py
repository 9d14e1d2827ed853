"""Portable placeholders: ``:name`` in a migration that opts in with
``paramstyle = "named"``, turned into the driver's own style.

Native placeholders (``?`` for SQLite, ``%s`` for PostgreSQL and MySQL) stay the default, so files
written for one database keep working exactly as they did. A data migration meant for
several databases declares ``paramstyle = "named"`` and passes a mapping:
``conn.execute("UPDATE users SET name = :name WHERE id = :id", {"name": "Ann", "id": 1})``.
"""

from __future__ import annotations

import re

#: Where a ``:name`` may not be a placeholder: quoted strings and identifiers, comments,
#: dollar-quoted bodies, and ``::`` casts; else the placeholder itself.
_TOKENS = re.compile(
    r"""'(?:[^']|'')*'"""
    r'''|"(?:[^"]|"")*"'''
    r"|--[^\n]*"
    r"|/\*.*?\*/"
    r"|(\$[A-Za-z_]*\$).*?\1"
    r"|::"
    r"|(?<![:\w]):([A-Za-z_]\w*)"
    r"|(%)",
    re.DOTALL,
)


#: The same for MySQL: strings in either quote with backslash escapes, backquoted
#: identifiers and ``#`` comments; no dollar quotes or ``::`` casts. The empty group
#: that never matches keeps the placeholder and ``%`` in groups 2 and 3.
_MYSQL_TOKENS = re.compile(
    r"""'(?:[^'\\]|''|\\.)*'"""
    r'''|"(?:[^"\\]|""|\\.)*"'''
    r"|`(?:[^`]|``)*`"
    r"|(?:--\s|#)[^\n]*"
    r"|/\*.*?\*/"
    r"|(?!)()"
    r"|(?<![:\w]):([A-Za-z_]\w*)"
    r"|(%)",
    re.DOTALL,
)


def named_to_pyformat(sql: str, *, mysql: bool = False) -> str:
    """``sql`` with each ``:name`` placeholder written ``%(name)s`` and each literal
    ``%`` doubled, as psycopg and PyMySQL read a statement with a mapping of
    parameters. Quoted text, comments and ``::`` casts are left alone; with ``mysql``,
    quoted text and comments are read as MySQL writes them."""

    def replace(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return f"%({match.group(2)})s"
        if match.group(3) is not None:
            return "%%"
        text = match.group(0)
        # A literal % inside quoted text or a comment is still read by the driver.
        return text.replace("%", "%%")

    return (_MYSQL_TOKENS if mysql else _TOKENS).sub(replace, sql)
