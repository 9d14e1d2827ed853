"""A small SQL tokenizer: enough to read back the statements this dialect writes.

It knows string literals, quoted identifiers (``"..."``, ``[...]``, backquotes),
comments and parentheses, so that names holding commas or parentheses never confuse
the split of a CREATE TABLE body into its column and constraint definitions.
"""

from __future__ import annotations

import re
from functools import cache

from schemashift.schema.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

# Compiled on first use: its character ranges up to U+10FFFF take longer to compile
# than the rest of the module to load, and writing a migration seldom tokenizes.
_TOKEN_PATTERN = r"""
      (?P<space>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>[xX]?'(?:[^']|'')*'?)
    | (?P<quoted>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)
    | (?P<word>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)
    | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<punct>[(),;])
    | (?P<op>\|\||<<|>>|<=|>=|==|!=|<>|->>|->|.)
    """


@cache
def _token_re() -> re.Pattern[str]:
    return re.compile(_TOKEN_PATTERN, re.VERBOSE | re.DOTALL)


class Token(Record):
    """One token: its class, its text and where it starts in the statement."""

    __slots__ = ("kind", "start", "text")
    kind: Final[str]
    text: Final[str]
    start: Final[int]

    def __init__(self, kind: str, text: str, start: int) -> None:
        self.kind = kind
        self.text = text
        self.start = start

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def is_word(self, *words: str) -> bool:
        """Whether this is an unquoted word equal (ignoring case) to one of ``words``."""
        return self.kind == "word" and self.text.upper() in words

    @property
    def name(self) -> str | None:
        """The identifier this token spells (a word or a quoted name), else None."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted":
            return unquote(self.text)
        return None


def tokenize(sql: str) -> list[Token]:
    """The tokens of ``sql``, without whitespace and comments."""
    tokens = []
    for match in _token_re().finditer(sql):
        kind = match.lastgroup or "op"
        if kind != "space":
            tokens.append(Token(kind, match.group(), match.start()))
    return tokens


def unquote(text: str) -> str:
    """The name a quoted identifier (or string literal) spells."""
    if text[:1] in "\"'`" and len(text) >= 2 and text[-1] == text[0]:
        q = text[0]
        return text[1:-1].replace(q + q, q)
    if text[:1] == "[" and text.endswith("]"):
        return text[1:-1]
    return text


def closing(tokens: list[Token], opening: int) -> int:
    """The index of the parenthesis that closes the one at ``opening``."""
    depth = 0
    for i in range(opening, len(tokens)):
        if tokens[i].text == "(":
            depth += 1
        elif tokens[i].text == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced parentheses")


def table_elements(create_sql: str) -> list[list[Token]]:
    """The column definitions and table constraints of a CREATE TABLE statement, each
    as its tokens, in order."""
    tokens = tokenize(create_sql)
    start = next(i for i, t in enumerate(tokens) if t.text == "(")
    end = closing(tokens, start)
    elements: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[start + 1 : end]:
        if token.text == "," and depth == 0:
            elements.append([])
            continue
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elements[-1].append(token)
    return [e for e in elements if e]


def table_options(create_sql: str) -> tuple[str, ...]:
    """What follows the closing parenthesis (``STRICT``, ``WITHOUT ROWID``), upper-cased."""
    tokens = tokenize(create_sql)
    start = next(i for i, t in enumerate(tokens) if t.text == "(")
    return tuple(t.text.upper() for t in tokens[closing(tokens, start) + 1 :] if t.kind == "word")


def index_where(create_sql: str) -> str | None:
    """The predicate of a partial CREATE INDEX statement (the text after ``WHERE``), or
    None for an index of every row."""
    tokens = tokenize(create_sql)
    start = next(i for i, t in enumerate(tokens) if t.text == "(")
    rest = tokens[closing(tokens, start) + 1 :]
    if len(rest) < 2 or not rest[0].is_word("WHERE"):
        return None
    return create_sql[rest[1].start : rest[-1].end]


def mentions(sql: str, name: str) -> bool:
    """Whether expression ``sql`` names the identifier ``name`` (case-insensitively)."""
    folded = name.lower()
    return any((t.name or "").lower() == folded for t in tokenize(sql) if t.kind != "string")


class Element(Record):
    """One column definition or table constraint of a CREATE TABLE, with its exact text
    and its tokens (whose positions count from the start of :attr:`text`)."""

    __slots__ = ("text", "tokens")
    text: Final[str]
    tokens: Final[tuple[Token, ...]]

    def __init__(self, text: str, tokens: tuple[Token, ...]) -> None:
        self.text = text
        self.tokens = tokens

    @property
    def column(self) -> str | None:
        """The column this element defines, or None for a table constraint."""
        first = self.tokens[0]
        return None if first.is_word(*_CONSTRAINT_WORDS) else first.name

    @property
    def constraint_name(self) -> str | None:
        """The name given by ``CONSTRAINT name``, if any."""
        if len(self.tokens) > 1 and self.tokens[0].is_word("CONSTRAINT"):
            return self.tokens[1].name
        return None

    @property
    def is_primary_key(self) -> bool:
        """Whether this is a table-level PRIMARY KEY constraint."""
        body = self.tokens[2:] if self.constraint_name is not None else self.tokens
        return self.column is None and bool(body) and body[0].is_word("PRIMARY")

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The columns of a PRIMARY KEY, UNIQUE or FOREIGN KEY table constraint (empty
        for a column definition or a CHECK)."""
        body = self.tokens[2:] if self.constraint_name is not None else self.tokens
        if self.column is not None or not body or not body[0].is_word(*_KEY_WORDS):
            return ()
        opening = next((i for i, t in enumerate(body) if t.text == "("), None)
        if opening is None:
            return ()
        inside = body[opening + 1 : closing(list(body), opening)]
        # Each indexed column may carry COLLATE and ASC/DESC: its name comes first.
        names, expect_name = [], True
        for token in inside:
            if token.text == ",":
                expect_name = True
            elif expect_name:
                names.append(token.name or token.text)
                expect_name = False
        return tuple(names)

    def clause(self, word: str) -> str | None:
        """The text of ``<word> <next token>`` (``COLLATE NOCASE``) in this element."""
        for i, token in enumerate(self.tokens[:-1]):
            if token.is_word(word):
                return self.text[token.start : self.tokens[i + 1].end]
        return None

    def same_as(self, other: Element) -> bool:
        """Whether both say the same thing, ignoring spacing, case of keywords and
        quotes around names."""
        return normalized(self.tokens) == normalized(other.tokens)


_CONSTRAINT_WORDS = ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")
_KEY_WORDS = ("PRIMARY", "UNIQUE", "FOREIGN")


def normalized(tokens: tuple[Token, ...] | list[Token]) -> tuple[tuple[str, str], ...]:
    """``tokens`` reduced for comparison: names folded to lower case and unquoted."""
    out = []
    for token in tokens:
        name = token.name
        out.append(("name", name.lower()) if name is not None else (token.kind, token.text))
    return tuple(out)


def elements(create_sql: str) -> list[Element]:
    """The column definitions and table constraints of a CREATE TABLE statement, as
    :class:`Element` values, in order."""
    out = []
    for tokens in table_elements(create_sql):
        start = tokens[0].start
        text = create_sql[start : tokens[-1].end]
        out.append(Element(text, tuple(Token(t.kind, t.text, t.start - start) for t in tokens)))
    return out


def options_text(create_sql: str) -> str:
    """The exact text after the closing parenthesis (`` STRICT``, `` WITHOUT ROWID``)."""
    tokens = tokenize(create_sql)
    start = next(i for i, t in enumerate(tokens) if t.text == "(")
    return create_sql[tokens[closing(tokens, start)].end :]
