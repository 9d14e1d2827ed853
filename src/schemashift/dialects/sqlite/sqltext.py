"""A small SQL tokenizer: enough to read back the statements this dialect writes.

It knows string literals, quoted identifiers (``"..."``, ``[...]``, backquotes),
comments and parentheses, so that names holding commas or parentheses never confuse
the split of a CREATE TABLE body into its column and constraint definitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
      (?P<space>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>[xX]?'(?:[^']|'')*'?)
    | (?P<quoted>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)
    | (?P<word>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)
    | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<punct>[(),;])
    | (?P<op>\|\||<<|>>|<=|>=|==|!=|<>|->>|->|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One token: its class, its text and where it starts in the statement."""

    kind: str
    text: str
    start: int

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
    for match in _TOKEN.finditer(sql):
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


def mentions(sql: str, name: str) -> bool:
    """Whether expression ``sql`` names the identifier ``name`` (case-insensitively)."""
    folded = name.lower()
    return any((t.name or "").lower() == folded for t in tokenize(sql) if t.kind != "string")
