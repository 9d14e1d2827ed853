"""Column defaults as MySQL writes them, and one canonical spelling for comparing them.

The models give a default as portable SQL (``'it''s'``, ``TRUE``, ``9.99``,
``CURRENT_TIMESTAMP``); MySQL needs backslashes escaped in strings, the precision of
``CURRENT_TIMESTAMP`` to match a ``DATETIME(6)``, and an expression default in
parentheses. ``information_schema`` gives a default back in the server's own spelling
(MariaDB: ``current_timestamp(6)``, ``9.90``, ``1``); :func:`canonical` brings both
sides to one form so that a freshly migrated database shows no drift.
"""

from __future__ import annotations

import datetime
import decimal
import re

from schemashift.dialects.mysql.quoting import string_literal

#: A portable string literal: quotes doubled, backslashes meaning themselves.
_PORTABLE_STRING = re.compile(r"'((?:[^']|'')*)'\Z", re.DOTALL)
#: A MySQL string literal: quotes doubled or backslash-escaped.
_MYSQL_STRING = re.compile(r"'((?:[^'\\]|''|\\.)*)'\Z", re.DOTALL)
_MYSQL_ESCAPES = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "b": "\b"}
_HEX = re.compile(r"[xX]'([0-9a-fA-F]*)'\Z")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_NOW = {
    "current_timestamp": "CURRENT_TIMESTAMP",
    "now": "CURRENT_TIMESTAMP",
    "localtimestamp": "CURRENT_TIMESTAMP",
    "localtime": "CURRENT_TIMESTAMP",
    "current_date": "CURRENT_DATE",
    "curdate": "CURRENT_DATE",
    "current_time": "CURRENT_TIME",
    "curtime": "CURRENT_TIME",
}
_NOW_CALL = re.compile(r"([a-z_]+)(?:\(\d*\))?\Z")
#: Kinds MySQL 8 gives a default only as an expression in parentheses.
_EXPRESSION_ONLY = {"text", "json", "binary"}


def portable_string(text: str) -> str | None:
    """The value of a portable string literal, or None when ``text`` is not one."""
    match = _PORTABLE_STRING.match(text.strip())
    return match[1].replace("''", "'") if match else None


def mysql_string(text: str) -> str | None:
    """The value of a MySQL string literal (quotes doubled or backslash-escaped), or
    None when ``text`` is not one."""
    match = _MYSQL_STRING.match(text.strip())
    if match is None:
        return None
    body = match[1].replace("''", "'")
    return re.sub(r"\\(.)", lambda m: _MYSQL_ESCAPES.get(m[1], m[1]), body, flags=re.DOTALL)


def default_sql(expression: str, kind: str) -> str:
    """``expression`` (a model's default) as it may follow DEFAULT in MySQL."""
    text = expression.strip()
    value = portable_string(text)
    if value is not None:
        literal = string_literal(value)
        return f"({literal})" if kind in _EXPRESSION_ONLY else literal
    now = _now(text)
    if now == "CURRENT_TIMESTAMP" and kind == "datetime":
        return "CURRENT_TIMESTAMP(6)"
    if now is not None and kind == "datetime":
        return f"({text})"
    if _NUMBER.match(text) or text.upper() in ("TRUE", "FALSE", "NULL"):
        return f"({text})" if kind in _EXPRESSION_ONLY else text
    if _HEX.match(text) and kind not in _EXPRESSION_ONLY:
        return text
    return text if text.startswith("(") and text.endswith(")") else f"({text})"


def _now(text: str) -> str | None:
    match = _NOW_CALL.match(text.strip().lower())
    return _NOW.get(match[1]) if match else None


def canonical(expression: str | None, kind: str, *, from_server: bool) -> str | None:
    """One spelling of a default for comparisons: the model's portable form
    (``from_server=False``) and what ``information_schema`` shows (``True``) agree exactly
    when the database has the default the model declares."""
    if expression is None:
        return None
    text = expression.strip()
    if text.upper() == "NULL":
        return None
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    value = portable_string(text) if not from_server else mysql_string(text)
    if value is None and _HEX.match(text):
        value = bytes.fromhex(_HEX.match(text)[1]).decode("utf-8", "replace")  # type: ignore[index]
    if value is not None:
        return _canonical_value(value, kind)
    now = _now(text)
    if now is not None:
        return now
    upper = text.upper()
    if kind == "boolean" and upper in ("TRUE", "FALSE"):
        return "1" if upper == "TRUE" else "0"
    if _NUMBER.match(text):
        return _canonical_number(text)
    return _squeezed(text)


def _canonical_value(value: str, kind: str) -> str:
    """A constant's canonical text: numbers and times as their values, strings quoted."""
    if kind in ("integer", "biginteger", "float", "decimal", "boolean") and _NUMBER.match(value):
        return _canonical_number(value)
    if kind in ("date", "datetime", "time"):
        with_time = kind == "datetime"
        try:
            if kind == "time":
                return datetime.time.fromisoformat(value).isoformat()
            moment = datetime.datetime.fromisoformat(value)
            return moment.isoformat(sep=" ") if with_time else moment.date().isoformat()
        except ValueError:
            pass
    return "'" + value.replace("'", "''") + "'"


def _canonical_number(text: str) -> str:
    try:
        number = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return text
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


def _balanced(text: str) -> bool:
    depth = 0
    quoted = False
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def squeezed_sql(text: str) -> str:
    """An SQL expression in one spelling for comparisons: identifiers' backticks and
    whitespace gone, lowercase outside string literals, outer parentheses removed (the
    server gives a CHECK back as ```score` >= 0`` for ``score >= 0``)."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return _squeezed(text)


def _squeezed(text: str) -> str:
    out: list[str] = []
    quoted = False
    for char in text:
        if char == "'":
            quoted = not quoted
            out.append(char)
        elif quoted:
            out.append(char)
        elif char == "`" or char.isspace():
            continue
        else:
            out.append(char.lower())
    return "".join(out)
