"""Identifiers and literals as SQLite text."""

from __future__ import annotations

import re

_BARE = re.compile(r"[a-z_][a-z0-9_]*\Z")

# https://www.sqlite.org/lang_keywords.html, plus TRUE and FALSE, which SQLite reads
# as boolean literals wherever no column of that name is in scope.
# fmt: off
KEYWORDS = frozenset(
    (
        "abort", "action", "add", "after", "all", "alter", "always", "analyze", "and", "as",
        "asc", "attach", "autoincrement", "before", "begin", "between", "by", "cascade", "case",
        "cast", "check", "collate", "column", "commit", "conflict", "constraint", "create",
        "cross", "current", "current_date", "current_time", "current_timestamp", "database",
        "default", "deferrable", "deferred", "delete", "desc", "detach", "distinct", "do",
        "drop", "each", "else", "end", "escape", "except", "exclude", "exclusive", "exists",
        "explain", "fail", "false", "filter", "first", "following", "for", "foreign", "from",
        "full", "generated", "glob", "group", "groups", "having", "if", "ignore", "immediate",
        "in", "index", "indexed", "initially", "inner", "insert", "instead", "intersect",
        "into", "is", "isnull", "join", "key", "last", "left", "like", "limit", "match",
        "materialized", "natural", "no", "not", "nothing", "notnull", "null", "nulls", "of",
        "offset", "on", "or", "order", "others", "outer", "over", "partition", "plan", "pragma",
        "preceding", "primary", "query", "raise", "range", "recursive", "references", "regexp",
        "reindex", "release", "rename", "replace", "restrict", "returning", "right", "rollback",
        "row", "rows", "savepoint", "select", "set", "table", "temp", "temporary", "then",
        "ties", "to", "transaction", "trigger", "true", "unbounded", "union", "unique",
        "update", "using", "vacuum", "values", "view", "virtual", "when", "where", "window",
        "with", "without",
    )
)
# fmt: on


#: Names quoted so far: a large migration names the same columns in many tables. Kept
#: to a bounded size for long-lived processes that see many names.
_QUOTED: dict[str, str] = {}
_QUOTED_MAX = 4096


def quote(identifier: str) -> str:
    """``identifier`` bare when it is a plain lowercase non-keyword name, otherwise
    double-quoted with embedded double quotes doubled."""
    quoted = _QUOTED.get(identifier)
    if quoted is None:
        if _BARE.match(identifier) and identifier not in KEYWORDS:
            quoted = identifier
        else:
            quoted = '"' + identifier.replace('"', '""') + '"'
        if len(_QUOTED) < _QUOTED_MAX:
            _QUOTED[identifier] = quoted
    return quoted


def string_literal(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
