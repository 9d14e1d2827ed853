"""The column names in a CHECK expression, read with a small tokenizer that knows no
dialect: enough to tell the columns a model's check uses, and to write the check again
after a column rename the way the databases do (PostgreSQL, SQLite and MariaDB rewrite
a check's expression themselves when a column it uses is renamed)."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Words in a CHECK expression that are not column names.
_SQL_WORDS = frozenset(
    """
    all and any array as asc at between bigint binary blob bool boolean both by bytea case
    cast char character collate current_date current_time current_timestamp date day decimal
    desc distinct double else end epoch escape exists extract false float for from glob hour
    ilike in int integer interval is isnull json jsonb leading like localtime localtimestamp
    match minute month nocase not notnull null numeric or overlaps precision quarter real
    regexp rtrim second similar smallint some symmetric text then time timestamp timestamptz
    to trailing true unknown uuid varchar varying week when with without year zone
    """.split()  # noqa: SIM905
)
_SQL_TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|\.?\d[\w.]*|[^\W\d][\w$]*|::|\S"""
)


def _columns(sql: str) -> Iterator[tuple[re.Match[str], str]]:
    """Each token of ``sql`` that should be a column, with the name it spells: quoted
    identifiers, and bare words that are not SQL words, functions, qualifiers, types or
    literal prefixes."""
    tokens = list(_SQL_TOKEN.finditer(sql))
    type_position = False
    for i, match in enumerate(tokens):
        text = match.group()
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if text[0] in '"`[':
            yield match, text[1:-1].replace('""', '"') if text[0] == '"' else text[1:-1]
            type_position = False
            continue
        if not (text[0].isalpha() or text[0] == "_"):
            type_position = text == "::"
            continue
        lower = text.lower()
        after_as = i > 0 and tokens[i - 1].group().lower() == "as"
        if type_position or after_as:
            # ``x::double precision``, ``CAST(x AS NUMERIC)``: type words follow.
            type_position = True
            continue
        if following is not None and (
            following.group() in ("(", ".")
            or (following.group()[0] == "'" and following.start() == match.end())
        ):
            continue
        if lower not in _SQL_WORDS:
            yield match, text


def check_columns(sql: str) -> list[str]:
    """The names in the CHECK expression ``sql`` that should be columns."""
    return [name for _, name in _columns(sql)]


def _spelled(token: str, name: str) -> str:
    """``name`` quoted the way ``token`` was (bare when it was bare)."""
    if token[0] == '"':
        return '"' + name.replace('"', '""') + '"'
    if token[0] == "`":
        return f"`{name}`"
    if token[0] == "[":
        return f"[{name}]"
    return name


def renamed_in_check(sql: str, old: str, new: str) -> str:
    """The CHECK expression ``sql`` with column ``old`` called ``new``, as a database
    rewrites it on a column rename: every mention of the column (in any case, quoted or
    not) spelled ``new``, quoted as it was; the rest of the text untouched."""
    folded = old.casefold()
    parts: list[str] = []
    end = 0
    for match, name in _columns(sql):
        if name.casefold() != folded:
            continue
        parts.append(sql[end : match.start()])
        parts.append(_spelled(match.group(), new))
        end = match.end()
    return "".join(parts) + sql[end:] if parts else sql
