"""Identifiers, literals and constraint names as PostgreSQL text."""

from __future__ import annotations

import hashlib
import re

#: PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated by the server.
MAX_IDENTIFIER_LENGTH = 63

_BARE = re.compile(r"[a-z_][a-z0-9_]*\Z")

# Every keyword that is not "unreserved" (categories R, C and T of pg_get_keywords(),
# PostgreSQL 15), plus those later releases added: exactly the words the server's own
# quote_ident() quotes. Unreserved keywords such as ``name`` or ``type`` stay bare.
_KEYWORD_TEXT = """
    all analyse analyze and any array as asc asymmetric authorization between bigint
    binary bit boolean both case cast char character check coalesce collate collation
    column concurrently constraint create cross current_catalog current_date current_role
    current_schema current_time current_timestamp current_user dec decimal default
    deferrable desc distinct do else end except exists extract false fetch float for
    foreign freeze from full grant greatest group grouping having ilike in initially
    inner inout int integer intersect interval into is isnull join json json_array
    json_arrayagg json_exists json_object json_objectagg json_query json_scalar
    json_serialize json_table json_value lateral leading least left like limit localtime
    localtimestamp merge_action national natural nchar none normalize not notnull null
    nullif numeric offset on only or order out outer overlaps overlay placing position
    precision primary real references returning right row select session_user setof
    similar smallint some substring symmetric system_user table tablesample then time
    timestamp to trailing treat trim true union unique user using values varchar
    variadic verbose when where window with xmlattributes xmlconcat xmlelement
    xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
"""
KEYWORDS = frozenset(_KEYWORD_TEXT.split())


def quote(identifier: str) -> str:
    """``identifier`` bare when it is a plain lowercase non-keyword name, otherwise
    double-quoted with embedded double quotes doubled."""
    if _BARE.match(identifier) and identifier not in KEYWORDS:
        return identifier
    return '"' + identifier.replace('"', '""') + '"'


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    return _ESCAPES.get(char, f"\\x{ord(char):02x}")


def string_literal(value: str) -> str:
    """``value`` as an SQL string literal (``standard_conforming_strings`` is on).

    Control characters are written as escapes in an ``E'...'`` literal, so a statement
    never holds a raw newline or tab inside a value (migration files re-indent lines).
    """
    if not _CONTROL.search(value):
        return "'" + value.replace("'", "''") + "'"
    body = value.replace("\\", "\\\\").replace("'", "''")
    return "E'" + _CONTROL.sub(_escape, body) + "'"


def fit_name(name: str) -> str:
    """``name`` if it fits in an identifier, else a deterministic shortening of it.

    The server would truncate a long name silently, so two long names sharing their
    first 63 bytes would collide; a hash of the whole name keeps them apart.
    """
    raw = name.encode()
    if len(raw) <= MAX_IDENTIFIER_LENGTH:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:8]
    head = raw[: MAX_IDENTIFIER_LENGTH - len(digest) - 1].decode(errors="ignore")
    return f"{head}_{digest}"
