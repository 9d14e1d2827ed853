"""Reading a generated file's operations list without a syntax tree of the whole file.

Replaying history used to give every file to :func:`ast.parse`, whose cost is that of
Python's parser plus one Python object per node: most of a first run (an empty replay
cache) over a long history. A generated file is ``head`` followed by a last line
``operations = [...]``; :func:`read_literals` proves the file valid Python from its two
parts and reads the list, each part the cheapest way that still proves it:

* the head: a regular expression that fullmatches only the shapes ``make migration``
  writes and only text that is valid Python (:data:`HEAD`), else ``compile`` of the head
  alone, which builds no syntax-tree objects (a process compiles its first heads, as
  compiling the expression costs as much as compiling 20 of them);
* the list: when it holds only plain tokens (:data:`OUTSIDE_STRINGS`), the JSON decoder
  on its JSON spelling, else :func:`ast.literal_eval`; either accepts only a valid
  expression and gives the value Python gives it.

A file without the list declares no operations when its whole text is proven valid so
and nothing in it can assign the name. Whatever is not proven this way (a syntax error,
an unusual encoding, a hand edit that neither path can vouch for) returns None, and the
caller takes the full parse, whose answers and messages (file and line) are therefore
exactly those of before.

Why a valid head and a valid list make a valid file: the head ends right after a line
break, and ``compile`` accepted it on its own, so at its end Python's tokenizer is at the
start of a line with no bracket, string or backslash continuation open, and every
statement of the head is complete (a ``def`` header without its body, or a decorator, is
refused at the end of the head alone). The line ``operations = LIST`` at column 0 then
closes any open indented block and is one more statement: its value is the expression
``LIST``, which was read on its own as an expression followed only by line breaks and
comments (``eval`` mode; exactly what may end a file), and which starts with ``[`` so
that nothing is stripped before it. Both parts come from one UTF-8 decoding of the
file, the encoding Python reads it in when no coding declaration says otherwise (a file
with one takes the full parse).
"""

from __future__ import annotations

import re
import warnings

from schemashift.migrations.files import MigrationFile, check_nul

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_MARK = "\noperations = "
_MARK_BYTES = _MARK.encode()

# The head is first checked to hold no backslash and no carriage return, so the patterns
# below need not exclude them (and run faster without a class of several characters).
# Strings without backslashes have no escapes: their extent is the one Python's tokenizer
# gives them. A triple-quoted string's text holds no ``"""`` (each ``"`` of it is followed
# by at most one more before the closing quotes); with no carriage return, Python counts
# the lines as these patterns do.
_TRIPLE = r'"""[^"]*(?:"(?!"")[^"]*)*"""'
_STRING = rf"""(?:{_TRIPLE}|"[^"\n]*"|'[^'\n]*')"""
_BLANK = r"\n"
_COMMENT = r"[ ]*#.*\n"
_ARGUMENT = rf"(?:{_STRING}|None)"
_MAPPING = rf"\{{(?:{_STRING}: {_ARGUMENT}(?:, {_STRING}: {_ARGUMENT})*)?\}}"
_LISTING = rf"\[(?:{_STRING}(?:, {_STRING})*)?\]"
# One statement of a function body, always indented by exactly four spaces (as the first
# line of every body, its docstring, is).
_CALL = (
    rf"conn\.(?:execute|restore_kept|check_dependents|check_values)"
    rf"\({_ARGUMENT}(?:, {_ARGUMENT})*\)"
    r'|globals\(\)\["(?:up|down)_" \+ conn\.dialect\]\(conn\)'
)
# Less common statements: compiling them too would cost a process that meets none of
# them (most files create tables and add columns) three times as much. The block of an
# ``if``/``while`` is indented by eight spaces; a ``rebuild_table`` call names each
# keyword once, in the order the writer uses.
_MORE = (
    rf"|conn\.rebuild_table\(\n        {_STRING},\n        {_STRING},\n"
    rf"(?:        change={_MAPPING},\n)?(?:        add={_MAPPING},\n)?"
    rf"(?:        drop={_LISTING},\n)?(?:        drop_constraints={_LISTING},\n)?"
    rf"(?:        add_constraints={_LISTING},\n)?    \)"
    rf"|(?:if|while) conn\.execute\(\n(?:        {_STRING}\n)+    \)\.fetchone\(\):\n"
    rf"        (?:pass|conn\.execute\({_STRING}\))"
)
_ASSIGNMENT = (
    r"(?:atomic = (?:True|False)"
    r"|replaces = \[(?:'[a-z0-9_]+'(?:, '[a-z0-9_]+')*)?\]"
    r'|dialects = \("[a-z]+"(?:, "[a-z]+")*,?\))\n'
)


def _head(statements: str) -> str:
    # A body's blank and comment lines belong to it only before a statement: the
    # pattern is unambiguous, so a head it does not match is refused without a search
    # of every split.
    function = (
        rf"def (?:up|down)(?:_[a-z]+)?\(conn\):\n    {_STRING}\n"
        rf"(?:(?:{_BLANK}|{_COMMENT})*    (?:pass|{statements})\n)*"
    )
    return rf"{_TRIPLE}\n(?:{_BLANK}|{_COMMENT}|{_ASSIGNMENT}|{function})*"


#: The heads ``make migration``, ``--empty``, ``squash`` and ``render`` write: a module
#: docstring, then blank and comment lines, option assignments and ``up``/``down``
#: functions (one per dialect, and the dispatchers) whose statements are calls on
#: ``conn`` with string arguments. Everything it matches that holds no backslash and no
#: carriage return is valid Python. :data:`COMMON_HEAD` is the same without the less
#: common statements.
HEAD = _head(_CALL + _MORE)
COMMON_HEAD = _head(_CALL)

#: What an operations list may hold outside its strings to be read as JSON: the
#: characters of brackets, braces, commas, colons, spaces, line breaks and decimal
#: numbers, and the words True, False and None. With strings in single quotes that hold
#: no double quote and no backslash (so no escape), Python and JSON read such a list
#: alike once its strings are double-quoted and True, False, None spelled JSON's way
#: (the only words JSON then sees): JSON is the stricter (it wants every number whole,
#: refuses a trailing comma, adjacent strings, a control character in a string), and
#: what it refuses goes to :func:`ast.literal_eval`.
OUTSIDE_STRINGS = r"[\[\]{},: \n0-9.eE+\-]*(?:(?:True|False|None)[\[\]{},: \n0-9.eE+\-]*)*"

_JSON_WORDS = {"True": "true", "False": "false", "None": "null"}
_compiled: list[re.Pattern[str] | None] = [None, None, None]
_scanner: list[Callable[[str, int], tuple[object, int]]] = []
_LAST_ITEM = ",\n]\n"
#: How many heads a process compiles before it matches heads with :data:`HEAD`.
_COMPILE_FIRST = 20
_read = [0]


def _scan_json() -> Callable[[str, int], tuple[object, int]]:
    # The decoder's scanner without json.loads's checks around it, a third of its time.
    if not _scanner:
        # Imported here: a process that reads no list (a first migration) never needs it.
        import json.decoder
        import json.scanner

        _scanner.append(json.scanner.make_scanner(json.decoder.JSONDecoder()))  # type: ignore[arg-type]
    return _scanner[0]


def _pattern(index: int) -> re.Pattern[str]:
    # Compiled on first use: only a replay needs them.
    found = _compiled[index]
    if found is None:
        found = _compiled[index] = re.compile((COMMON_HEAD, HEAD, OUTSIDE_STRINGS)[index])
    return found


def generated_head(head: str) -> bool:
    """Whether ``head`` (a file up to its ``operations`` line, or a whole file without
    one) has a shape :data:`HEAD` vouches for."""
    if "\\" in head or "\r" in head:
        return False
    return _pattern(0).fullmatch(head) is not None or _pattern(1).fullmatch(head) is not None


def read_literals(file: MigrationFile, data: bytes) -> list[Any] | None:
    """The operations list of the file ``data`` (empty for a recognized file without
    one), or None when only a full parse can tell. A NUL byte is refused here, as by
    :func:`~schemashift.migrations.files.parse_source`."""
    check_nul(file, data)
    # A coding declaration (a comment on line 1 or 2) may name another encoding.
    second = data.find(b"\n", data.find(b"\n") + 1)
    if data.find(b"coding", 0, second) >= 0 or (second < 0 and b"coding" in data):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    at = text.rfind(_MARK)
    if at < 0:
        # Without the list, the file declares no operations when nothing in it can assign
        # the name (identifiers are NFKC-normalized: a non-ASCII one might spell it).
        if _matched(text) or (
            data.isascii() and b"operations" not in data and _compiles(file, data)
        ):
            return []
        return None
    head, listed = text[: at + 1], text[at + len(_MARK) :]
    if not listed.startswith("["):
        return None
    # The mark is ASCII, so its last place in the bytes is its last place in the text.
    if not (_matched(head) or _compiles(file, data[: data.rfind(_MARK_BYTES) + 1])):
        return None
    literals = _read_list(listed)
    return literals if isinstance(literals, list) else None


def _matched(head: str) -> bool:
    # Compiling the pattern costs as much as compiling 20 heads: a process that reads a
    # few files compiles their heads, one that replays a long history matches them.
    _read[0] += 1
    return _read[0] > _COMPILE_FIRST and generated_head(head)


def _compiles(file: MigrationFile, source: bytes) -> bool:
    try:
        # Warnings become errors: the full parse that follows a refusal shows them once.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            compile(source, file.location, "exec", dont_inherit=True)
    except Exception:  # whatever the reason, the full parse has the answer
        return False
    return True


def _json_words(text: str) -> str:
    for word, spelled in _JSON_WORDS.items():
        text = text.replace(word, spelled)
    return text


def _read_list(listed: str) -> object:
    """The value of the list expression ``listed``, or None when it has none."""
    if "\\" not in listed and '"' not in listed:
        spelled = listed
        if listed.endswith(_LAST_ITEM) and listed[: -len(_LAST_ITEM)].rstrip(" \n") != "[":
            # The trailing comma of the last item, which JSON does not allow.
            spelled = listed[: -len(_LAST_ITEM)] + "\n]\n"
        pieces = spelled.split("'")
        # The even pieces are outside strings (which hold no quote).
        outside = "".join(pieces[::2])
        if _pattern(2).fullmatch(outside) is not None:
            words = [w for w in _JSON_WORDS if w in outside]
            if words and any(w in "'".join(pieces[1::2]) for w in words):
                pieces[::2] = [_json_words(p) for p in pieces[::2]]
                spelled = '"'.join(pieces)
            else:
                spelled = spelled.replace("'", '"')
                for word in words:
                    spelled = spelled.replace(word, _JSON_WORDS[word])
            try:
                value, end = _scan_json()(spelled, 0)
            except (ValueError, StopIteration, RecursionError):
                pass
            else:
                if not spelled[end:].strip(" \n"):
                    return value
    import ast

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return ast.literal_eval(listed)
    except Exception:  # the full parse names the line and the reason
        return None
