"""Column defaults in one canonical spelling, whoever wrote them.

PostgreSQL stores a default as an expression tree and prints it back its own way:
``'draft'`` becomes ``'draft'::text``, ``-1`` becomes ``'-1'::integer``, a JSON object
comes back with its keys reordered. Both the modelled schema and the live one go through
:func:`canonical_default`, so they compare equal exactly when they mean the same value.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation

_CAST = re.compile(r"::\s*[a-z_][a-z0-9_ ]*(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])*", re.I)
_STRING = re.compile(r"([eE])?'((?:[^']|'')*)'")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")
_NUMERIC_KINDS = {"integer", "biginteger", "float", "decimal"}
#: A blob literal as models write it (``X'00FF'``); PostgreSQL spells bytea '\x00ff'.
HEX_BYTES = re.compile(r"[xX]'([0-9a-fA-F]*)'")
_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}
# Escapes PostgreSQL accepts in E'...' strings, for the rare default that needs them.
_E_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.S)
_E_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def canonical_default(expr: str | None, kind: str) -> str | None:
    """``expr`` (an SQL default of a column of ``kind``) in canonical form, or None for
    no default (a missing default and ``DEFAULT NULL`` are the same thing)."""
    if expr is None:
        return None
    text = _strip(expr)
    if text.upper() == "NULL":
        return None
    hex_bytes = HEX_BYTES.fullmatch(text)
    if hex_bytes is not None:
        return _quoted("\\x" + hex_bytes.group(1).lower())
    literal = string_value(text)
    if literal is not None:
        return _canonical_literal(literal, kind)
    if _NUMBER.match(text):
        return _canonical_number(text) if kind in _NUMERIC_KINDS else text
    if text.lower() in ("true", "false"):
        return text.upper()
    return _canonical_expression(text)


def _strip(text: str) -> str:
    """``text`` without surrounding parentheses and trailing casts."""
    while True:
        text = text.strip()
        if text.startswith("(") and closing_paren(text) == len(text) - 1:
            text = text[1:-1]
            continue
        match = _trailing_cast(text)
        if match is None:
            return text
        text = text[:match]


def closing_paren(text: str) -> int:
    """Index of the parenthesis closing ``text[0]`` (string literals skipped), or -1."""
    depth = 0
    in_string = False
    for i, ch in enumerate(text):
        if ch == "'":
            in_string = not in_string
        elif not in_string and ch == "(":
            depth += 1
        elif not in_string and ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _trailing_cast(text: str) -> int | None:
    """Where a cast applying to the whole of ``text`` starts, if it ends with one."""
    for match in _CAST.finditer(text):
        if match.end() == len(text) and _at_top_level(text, match.start()):
            return match.start()
    return None


def _at_top_level(text: str, pos: int) -> bool:
    depth = 0
    in_string = False
    for ch in text[:pos]:
        if ch == "'":
            in_string = not in_string
        elif not in_string:
            depth += ch == "("
            depth -= ch == ")"
    return depth == 0 and not in_string


def string_value(text: str) -> str | None:
    """The value of ``text`` if it is exactly one string literal."""
    match = _STRING.fullmatch(text)
    if match is None:
        return None
    value = match[2].replace("''", "'")
    if match[1]:
        value = _E_ESCAPE.sub(_unescape, value)
    return value


def _unescape(match: re.Match[str]) -> str:
    code = match[1]
    if code[0] == "x" and len(code) > 1:
        return chr(int(code[1:], 16))
    if code[0] in "01234567":
        return chr(int(code, 8))
    return _E_SIMPLE.get(code, code)


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _canonical_number(text: str) -> str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _canonical_literal(value: str, kind: str) -> str:
    stripped = value.strip()
    if kind in _NUMERIC_KINDS and _NUMBER.match(stripped):
        return _canonical_number(stripped)
    if kind == "boolean" and stripped.lower() in _TRUE | _FALSE:
        return "TRUE" if stripped.lower() in _TRUE else "FALSE"
    if kind == "json":
        try:
            return _quoted(_canonical_json(json.loads(value, parse_float=Decimal)))
        except ValueError:
            return _quoted(value)
    if kind == "uuid":
        return _quoted(stripped.lower())
    if kind == "binary" and stripped[:2] in ("\\x", "\\X"):
        return _quoted("\\x" + stripped[2:].lower())
    return _quoted(_canonical_temporal(stripped, kind) or value)


def _canonical_json(value: object) -> str:
    """JSON with sorted keys, no spaces and numbers as values (``jsonb`` prints ``1e3``
    as ``1000`` and reorders keys)."""
    if isinstance(value, dict):
        items = (f"{json.dumps(k)}:{_canonical_json(v)}" for k, v in sorted(value.items()))
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical_json(v) for v in value) + "]"
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return _canonical_number(str(value))
    return json.dumps(value)


def _canonical_temporal(value: str, kind: str) -> str | None:
    """Dates and times in ISO form; a timestamp without an offset is taken as UTC."""
    try:
        if kind == "date":
            return date.fromisoformat(value).isoformat()
        if kind == "time":
            return time.fromisoformat(value).isoformat()
        if kind == "datetime":
            # Python 3.10 only reads offsets written with minutes: "+00" -> "+00:00".
            text = re.sub(r"([+-]\d\d)\Z", r"\1:00", value)
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.astimezone(timezone.utc).isoformat(sep=" ")
    except ValueError:
        return None
    return None


def _canonical_expression(text: str) -> str:
    """An expression with casts dropped, words lowercased and spacing normalised;
    string literals inside it are kept as they are."""
    out: list[str] = []
    pos = 0
    for match in _STRING.finditer(text):
        out.append(_normalise_code(text[pos : match.start()]))
        out.append(_quoted(match[2].replace("''", "'")))
        pos = match.end()
    out.append(_normalise_code(text[pos:]))
    return "".join(out).strip()


def _normalise_code(code: str) -> str:
    code = _CAST.sub("", code).lower()
    code = re.sub(r"\s+", " ", code)
    return re.sub(r"\s*([(),])\s*", r"\1", code)
