"""``[tool.schemashift]`` of a plain ``pyproject.toml``, read without ``tomllib``.

Importing ``tomllib`` (with ``typing``, ``string``, ``datetime`` and its regular
expressions) costs more than everything else ``evolve()`` does at an application's
start when there is nothing to do. Most ``pyproject.toml`` files use a small part of
TOML: table headers, bare keys, strings without escapes, integers, decimals, booleans
and arrays of those. This reads exactly that part, the whole document, and raises
:class:`ValueError` on anything else (an escape, an inline table, a date, a duplicate
key or table, a syntax error...): the caller then uses ``tomllib``, which gives the
value or the error. So a document it reads gives the value ``tomllib`` gives.
"""

from __future__ import annotations

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_DIGITS = frozenset("0123456789")
_WS = " \t"
#: Where a bare value (number, boolean) ends.
_END = frozenset(" \t\n#,]")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self, newlines: bool) -> None:
        """Skip spaces and tabs, and with ``newlines`` also line ends and comments."""
        text, pos = self.text, self.pos
        while pos < len(text):
            char = text[pos]
            if char in _WS or (newlines and char == "\n"):
                pos += 1
            elif char == "#":
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end
            else:
                break
        self.pos = pos

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def line_end(self) -> None:
        """What follows a header or a value: a comment, then a new line or the end."""
        self.skip(False)
        if self.peek() not in ("", "\n"):
            raise ValueError("more on the line")

    def key(self, stop: str) -> str:
        text, start = self.text, self.pos
        pos = start
        while pos < len(text) and text[pos] in _BARE:
            pos += 1
        if pos == start:
            raise ValueError("not a bare key")
        self.pos = pos
        self.skip(False)
        if self.peek() not in stop:
            raise ValueError("not a bare key")
        return text[start:pos]

    def value(self, in_array: bool = False) -> object:
        char = self.peek()
        if char in ('"', "'"):
            return self.string(char)
        if char == "[" and not in_array:
            return self.array()
        text, start = self.text, self.pos
        pos = start
        while pos < len(text) and text[pos] not in _END:
            pos += 1
        self.pos = pos
        return _scalar(text[start:pos])

    def string(self, quote: str) -> str:
        text, start = self.text, self.pos + 1
        if text.startswith(quote * 3, self.pos):
            raise ValueError("multi-line string")
        end = text.find(quote, start)
        if end < 0:
            raise ValueError("unterminated string")
        content = text[start:end]
        if "\n" in content or (quote == '"' and "\\" in content):
            raise ValueError("string with an escape or a line end")
        self.pos = end + 1
        return content

    def array(self) -> list[object]:
        self.pos += 1
        items: list[object] = []
        while True:
            self.skip(True)
            if self.peek() == "]":
                self.pos += 1
                return items
            items.append(self.value(in_array=True))
            self.skip(True)
            char = self.peek()
            if char == ",":
                self.pos += 1
            elif char != "]":
                raise ValueError("not an array")


def _scalar(token: str) -> object:
    if token == "true":
        return True
    if token == "false":
        return False
    digits = token[1:] if token[:1] in ("+", "-") else token
    whole, dot, fraction = digits.partition(".")
    if (
        not whole
        or not _DIGITS.issuperset(whole)
        or (len(whole) > 1 and whole[0] == "0")
        or (dot and (not fraction or not _DIGITS.issuperset(fraction)))
    ):
        raise ValueError(f"not a plain number or boolean: {token!r}")
    return float(token) if dot else int(token)


def parse(text: str) -> dict[str, object]:
    """The whole document, when it uses only the plain part of TOML (else ValueError)."""
    if "\r" in text or any((c < " " and c not in "\t\n") or c == "\x7f" for c in text):
        raise ValueError("control characters")
    root: dict[str, object] = {}
    defined: set[tuple[str, ...]] = set()
    current = root
    reader = _Reader(text)
    while True:
        reader.skip(True)
        char = reader.peek()
        if not char:
            return root
        if char == "[":
            if text.startswith("[[", reader.pos):
                raise ValueError("array of tables")
            reader.pos += 1
            path: list[str] = []
            while True:
                reader.skip(False)
                path.append(reader.key(".]"))
                reader.pos += 1
                if text[reader.pos - 1] == "]":
                    break
            if tuple(path) in defined:
                raise ValueError("table defined twice")
            defined.add(tuple(path))
            current = root
            for part in path:
                table = current.setdefault(part, {})
                # Values are never tables here (no inline tables are read).
                if not isinstance(table, dict):
                    raise ValueError("table over a value")
                current = table
            reader.line_end()
            continue
        key = reader.key("=")
        reader.pos += 1
        if key in current:
            raise ValueError("key defined twice")
        reader.skip(False)
        current[key] = reader.value()
        reader.line_end()


def schemashift_table(text: str) -> object:
    """``tool.schemashift`` of a plain document as ``tomllib`` reads it (None when there
    is none); ValueError when the document is not plain."""
    data = parse(text)
    tool = data.get("tool", {})
    return tool.get("schemashift") if isinstance(tool, dict) else None
