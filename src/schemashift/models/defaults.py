"""Field defaults: Python literals rendered as SQL expressions.

The schema stores a column default as the SQL expression that the database gets, so the
rendering must be deterministic: the same literal always gives the same text, and
generating a migration twice gives the same file.
"""

from __future__ import annotations

import datetime
import math

from schemashift.models.fields import SQL

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# decimal, json and uuid (which imports platform) are imported by the renderers of their
# kinds only: every make migration and check renders the defaults of every model.

_INTEGER_RANGES = {"integer": 2**31, "biginteger": 2**63}


class DefaultError(ValueError):
    """A default that does not suit the field; the message says what would."""


def quote_text(text: str) -> str:
    """An SQL string literal: ``it's`` -> ``'it''s'``."""
    return "'" + text.replace("'", "''") + "'"


def _integer(kind: str, value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise DefaultError("needs an int")
    limit = _INTEGER_RANGES[kind]
    if not -limit <= value < limit:
        raise DefaultError(f"{value} does not fit a {kind} column")
    return repr(value)


def _float(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise DefaultError("needs a float")
    if isinstance(value, float) and not math.isfinite(value):
        raise DefaultError("must be a finite number")
    return repr(value)


def _decimal(value: Any, digits: tuple[int, int] | None) -> str:
    import decimal

    if isinstance(value, bool) or not isinstance(value, (decimal.Decimal, str, int)):
        raise DefaultError("needs a decimal.Decimal or a string such as '9.99'")
    try:
        number = decimal.Decimal(value)
    except decimal.InvalidOperation:
        raise DefaultError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise DefaultError("must be a finite number")
    if digits is not None:
        # Each database would round or refuse such a default differently (MySQL rounds the
        # default itself), so the value would not be the one declared.
        max_digits, places = digits
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise DefaultError(f"{value!r} has more decimal places than decimal_places={places}")
        if abs(number) >= decimal.Decimal(10) ** (max_digits - places):
            raise DefaultError(
                f"{value!r} has more digits than max_digits={max_digits} and "
                f"decimal_places={places} allow"
            )
    return str(number)


def _text(value: Any, max_length: int | None, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise DefaultError("needs a str")
    if choices and value not in choices:
        raise DefaultError(f"{value!r} is not one of the values {list(choices)}")
    if max_length is not None and len(value) > max_length:
        raise DefaultError(f"{value!r} is longer than max_length={max_length}")
    return quote_text(value)


def _json(value: Any) -> str:
    import json

    if not isinstance(value, (dict, list)):
        raise DefaultError("needs a dict or a list")
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise DefaultError(f"cannot be written as JSON ({exc})") from None
    return quote_text(text)


def _uuid(value: Any) -> str:
    import uuid

    if isinstance(value, str):
        try:
            value = uuid.UUID(value)
        except ValueError:
            raise DefaultError(f"{value!r} is not a UUID") from None
    if not isinstance(value, uuid.UUID):
        raise DefaultError("needs a uuid.UUID")
    return quote_text(str(value))


def _temporal(kind: str, value: Any) -> str:
    if kind == "date":
        ok = isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
        wanted = "a datetime.date"
    elif kind == "datetime":
        ok = isinstance(value, datetime.datetime)
        wanted = "a datetime.datetime"
    else:
        ok = isinstance(value, datetime.time)
        wanted = "a datetime.time"
    if not ok:
        raise DefaultError(f"needs {wanted}")
    return quote_text(value.isoformat())


_NOW = {
    "datetime": 'SQL("CURRENT_TIMESTAMP")',
    "date": 'SQL("CURRENT_DATE")',
    "time": 'SQL("CURRENT_TIME")',
}


def _callable_hint(kind: str) -> str:
    """Why a function cannot be a default, and the SQL expression that does its job."""
    base = "is a function, but the default is stored in the database, which cannot call Python"
    if kind in _NOW:
        return f"{base}; for the time of each insert use default={_NOW[kind]}"
    return f"{base}; give a fixed value, or an SQL expression with SQL(...)"


def render_default(
    kind: str,
    value: Any,
    *,
    max_length: int | None = None,
    choices: tuple[str, ...] = (),
    digits: tuple[int, int] | None = None,
) -> str | None:
    """The SQL expression for ``value`` as the default of a ``kind`` column, or None when
    ``value`` is None. Raises :class:`DefaultError` when the value does not suit."""
    if value is None:
        return None
    if callable(value) and not isinstance(value, SQL):
        raise DefaultError(_callable_hint(kind))
    if isinstance(value, SQL):
        if not isinstance(value.expression, str) or not value.expression.strip():
            raise DefaultError("SQL(...) needs a non-empty SQL expression")
        return value.expression
    if kind in ("string", "text", "enum"):
        return _text(value, max_length if kind == "string" else None, choices)
    if kind in _INTEGER_RANGES:
        return _integer(kind, value)
    if kind == "float":
        return _float(value)
    if kind == "decimal":
        return _decimal(value, digits)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise DefaultError("needs True or False")
        return "TRUE" if value else "FALSE"
    if kind in ("date", "datetime", "time"):
        return _temporal(kind, value)
    if kind == "json":
        return _json(value)
    if kind == "uuid":
        return _uuid(value)
    if kind == "binary":
        if not isinstance(value, (bytes, bytearray)):
            raise DefaultError("needs bytes")
        return f"X'{bytes(value).hex().upper()}'"
    raise DefaultError(f"cannot be given for a {kind} column")
