"""Reading a migration file's operations without a syntax tree of the whole file.

Python's own parser is the judge: whatever the quick read accepts, ``ast.parse`` of the
whole file accepts, with the same operations list; every file it leaves to the full
parse gets exactly the answer (or the message) of before.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemashift.errors import MigrationFileError
from schemashift.migrations import quickread
from schemashift.migrations.files import MigrationFile
from schemashift.migrations.history import operations_in, parsed_operations
from schemashift.migrations.quickread import generated_head, read_literals
from tests.support.project import ProjectDir

USER = """
class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
    name = Field.String(max_length=100, default="")
"""
STEPS = [
    USER,
    USER.replace('default="")', 'default="", nullable=False)') + "    score = Field.Float()\n",
    USER.replace('default="")', 'default="", nullable=False)')
    + "    score = Field.Decimal(max_digits=10, decimal_places=2)\n",
]

#: A PostgreSQL file written by ``make migration --concurrently``.
CONCURRENTLY = '''"""
schemashift migration: index_name
Generated at: 2026-12-03 21:49:04
"""


# CONCURRENTLY cannot run inside a transaction: this migration runs on its own.
atomic = False


def up(conn):
    """Apply changes."""
    # A failed earlier run leaves an INVALID index behind: build it afresh.
    if conn.execute(
        "SELECT 1 FROM pg_index WHERE NOT indisvalid AND indexrelid = "
        "to_regclass(quote_ident(current_schema()) || '.idx_users_name')"
    ).fetchone():
        conn.execute("DROP INDEX CONCURRENTLY IF EXISTS idx_users_name")
    conn.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_users_name ON users (name)")


def down(conn):
    """Revert changes."""
    conn.execute("DROP INDEX CONCURRENTLY IF EXISTS idx_users_name")


# The operations above, as data: schemashift reads this list (without importing the
# file) to know the schema the migrations produce. Keep it in step with the SQL.
operations = [
    {'op': 'add_index', 'table': 'users', 'index': {'name': 'idx_users_name', 'columns': ['name']}},
]
'''

#: A file whose list holds plain tokens only (read as JSON).
PLAIN_LIST = CONCURRENTLY.split("operations = ")[0] + (
    "operations = [\n"
    "    {'op': 'add_column', 'table': 'users', 'column': {'name': 'age', 'kind': 'integer', "
    "'nullable': False, 'unique': True, 'default': None, 'max_length': 10}},\n"
    "]\n"
)

FILE = MigrationFile("0001_x", 1, "0001_x.py")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Files real runs write: one- and two-dialect, a rebuild, a value check, an empty
    template, a squash, PostgreSQL's concurrent index, and a list read as JSON."""
    files: list[bytes] = [CONCURRENTLY.encode(), PLAIN_LIST.encode()]
    for dialects in ("", 'dialects = ["sqlite", "postgresql"]\n'):
        root = tmp_path_factory.mktemp("proj")
        project = ProjectDir(root, f"sqlite:///{root / 'db.sqlite3'}")
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + dialects)
        for number, source in enumerate(STEPS, start=1):
            project.model("app", source)
            project.ok("make", "migration", f"step_{number}")
        project.ok("make", "migration", "fill", "--empty")
        if not dialects:
            project.ok("squash", "0002")
        files += [(project.migrations / name).read_bytes() for name in project.files()]
    return files


def _judged(data: bytes) -> object:
    """What Python's parser makes of the whole file: "refused", or the value of the
    ``operations`` list when it is the last statement (None when there is none, "other"
    when it is not a readable list)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return "refused"
    assigned = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "operations" for t in node.targets)
    ]
    if not assigned:
        return None
    if assigned[-1] is not tree.body[-1]:
        return "other"
    try:
        return ast.literal_eval(assigned[-1].value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return "other"


def _outcome(read: object, data: bytes) -> object:
    try:
        return read(data, FILE)  # type: ignore[operator]
    except Exception as exc:  # whatever it is, both must raise it alike
        # A node's address (in "malformed node" messages) differs from run to run.
        return type(exc), re.sub(r" at 0x[0-9a-f]+", "", str(exc))


def _agree(data: bytes) -> None:
    judged = _judged(data)
    try:
        quick = read_literals(FILE, data)
    except MigrationFileError:
        assert b"\0" in data
        quick = None
    if quick is not None:
        assert judged == (quick if quick or b"\noperations = " in data else None), data
    # The answer, or the message, of every command is that of the full parse.
    assert _outcome(operations_in, data) == _outcome(parsed_operations, data)


def _heads(data: bytes) -> str:
    text = data.decode("utf-8")
    at = text.rfind("\noperations = ")
    return text if at < 0 else text[: at + 1]


@pytest.fixture(autouse=True)
def _matched_heads() -> Iterator[None]:
    with heads(True):
        yield


def test_every_generated_file_takes_the_pattern(generated: list[bytes]) -> None:
    for shape in (b"replaces = [", b"def up_postgresql", b"rebuild_table", b"check_values"):
        assert any(shape in data for data in generated), shape
    assert any(b"\noperations = " not in data for data in generated)
    for data in generated:
        assert generated_head(_heads(data)), data.decode()
        assert read_literals(FILE, data) is not None
        _agree(data)


PIECES = [
    b'"',
    b"'",
    b"\\",
    b"[",
    b"]",
    b"(",
    b")",
    b"{",
    b"}",
    b"\n",
    b"\r",
    b"\r\n",
    b" ",
    b"    ",
    b"\t",
    b"#",
    b"\0",
    b":",
    b",",
    b"=",
    b"x",
    b"1",
    b'"""',
    b"\\\n",
    b"\noperations = ",
    b"\noperations = [",
    b"True",
    b"None",
    b"nul",
    b"\xef\xbb\xbf",
    b"\xc3\xa9",
    b"\xff",
    b"\x0c",
    b"return ",
    b"# coding: latin-1\n",
    b"def up(conn):\n",
    b"\x1f",
    b"true",
    b"null",
    b"NaN",
    b"Infinity",
    b"1e5",
    b'"x"',
    b"'x'",
    b" x ",
    b"r",
    b"f'",
]
SPECIAL = frozenset(b"\"'\\[](){}\n#:,= ")


@st.composite
def mutated(draw: st.DrawFn, files: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(files)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        special = [i for i, b in enumerate(data) if b in SPECIAL] or [0]
        at = draw(st.one_of(st.integers(0, len(data)), st.sampled_from(special)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(PIECES))
        if kind == "insert":
            data[at:at] = piece
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        else:
            data[at : at + 1] = piece
    return bytes(data)


@contextmanager
def heads(matched: bool) -> Iterator[None]:
    """Heads matched by the pattern (else compiled) from the first file on."""
    before = quickread._COMPILE_FIRST
    quickread._COMPILE_FIRST = -1 if matched else 10**9
    try:
        yield
    finally:
        quickread._COMPILE_FIRST = before


# The full parse warns of a mutation's invalid escapes, as it always did.
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")
@settings(
    max_examples=max(300, settings.default.max_examples),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_the_quick_read_agrees_with_pythons_parser(
    generated: list[bytes], data: st.DataObject
) -> None:
    mutation = data.draw(mutated(generated))
    for matched in (True, False):
        with heads(matched):
            _agree(mutation)


def test_generated_heads_are_compiled_in_a_process_that_reads_few(
    generated: list[bytes],
) -> None:
    with heads(False):
        for data in generated:
            _agree(data)
            assert read_literals(FILE, data) is not None


def _one(generated: list[bytes]) -> bytes:
    return next(d for d in generated if b"CREATE TABLE users" in d and b"def up_" not in d)


def test_a_coding_declaration_takes_the_full_parse(generated: list[bytes]) -> None:
    data = b"# -*- coding: latin-1 -*-\n" + _one(generated).replace(b"'users'", b"'us\xe9rs'")
    assert read_literals(FILE, data) is None
    assert operations_in(data, FILE)[0].table.name == "us\xe9rs"  # type: ignore[attr-defined]
    _agree(data)


def test_a_byte_that_is_not_utf8_takes_the_full_parse(generated: list[bytes]) -> None:
    data = _one(generated).replace(b"'users'", b"'us\xffrs'", 1)
    assert read_literals(FILE, data) is None
    with pytest.raises(MigrationFileError, match="line"):
        operations_in(data, FILE)
    _agree(data)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: b"\xef\xbb\xbf" + d,  # a byte order mark
        lambda d: d.replace(b"\n", b"\r\n"),  # Windows line ends
        lambda d: d.replace(
            b'    """Apply changes."""\n', b'    """Apply changes."""\n    x = 1\n'
        ),
    ],
    ids=["bom", "crlf", "unknown statement"],
)
def test_valid_heads_the_pattern_does_not_know_are_compiled(
    generated: list[bytes], change: object
) -> None:
    data = change(_one(generated))  # type: ignore[operator]
    assert not generated_head(data.decode("utf-8").split("\noperations = ")[0] + "\n")
    assert read_literals(FILE, data) == _judged(data)
    _agree(data)


@pytest.mark.parametrize(
    ("head_end", "literal_end"),
    [
        ("x = \\\n", ""),  # a continuation: the list is x's value too
        ("x = (\n", ")\n"),  # an open bracket
        ('x = """\n', '"""\n'),  # an open string
        ("def f():\n", ""),  # a function without its body
        ("return 1\n", ""),  # valid for the parser, refused by the compiler
        ("", "x = 1\n"),  # a statement after the list
        ("", "[0]\n"),  # an expression after it
    ],
)
def test_what_the_parts_cannot_vouch_for_takes_the_full_parse(
    generated: list[bytes], head_end: str, literal_end: str
) -> None:
    data = _one(generated)
    at = data.rindex(b"\noperations = ") + 1
    data = data[:at] + head_end.encode() + data[at:] + literal_end.encode()
    assert read_literals(FILE, data) is None
    _agree(data)


def test_a_value_that_is_not_a_list_takes_the_full_parse(generated: list[bytes]) -> None:
    data = _one(generated).replace(b"\n]\n", b"\n], 1\n")
    assert read_literals(FILE, data) is None
    with pytest.raises(MigrationFileError, match="operations must be a list"):
        operations_in(data, FILE)
    _agree(data)


def test_a_nul_byte_is_named_with_its_line(generated: list[bytes]) -> None:
    data = _one(generated).replace(b"Apply changes.", b"Apply\0changes.")
    with pytest.raises(MigrationFileError, match=r"line 8: the file holds a NUL byte"):
        read_literals(FILE, data)
    _agree(data)


def test_lists_json_cannot_read_are_read_by_python(generated: list[bytes]) -> None:
    data = _one(generated).replace(b"'users'", b'"users"', 1)
    assert read_literals(FILE, data) == _judged(data)
    data = data.replace(b"'email'", b"'e\\x6dail'")
    assert b"e\\x6dail" in data
    assert read_literals(FILE, data) == _judged(data)
    _agree(data)


def test_a_plain_list_is_read_as_json() -> None:
    data = PLAIN_LIST.encode()
    assert read_literals(FILE, data) == _judged(data)
    assert '"' not in PLAIN_LIST.split("operations = ")[1]


def test_the_words_true_false_none_inside_strings_stay(tmp_path: Path) -> None:
    data = CONCURRENTLY.replace("idx_users_name'", "True None False'").encode()
    literals = read_literals(FILE, data)
    assert literals == _judged(data)
    assert "True None False" in str(literals)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"DROP TABLE users"', b'"DROP" x "TABLE users"'),
        (b'"DROP TABLE users"', b'"DROP TABLE users" "x"'),
        (b'"DROP TABLE users"', b'r"DROP TABLE users"'),
        (b'"DROP TABLE users"', b'"DROP TABLE users\\"'),
        (b'"""Revert changes."""', b'"""Revert changes.""""'),
        (b'    conn.execute("DROP', b'     conn.execute("DROP'),
        (b"def down(conn):", b"def if(conn):"),
    ],
)
def test_a_head_the_pattern_must_not_match(generated: list[bytes], old: bytes, new: bytes) -> None:
    data = _one(generated)
    assert old in data
    data = data.replace(old, new)
    assert not generated_head(_heads(data))
    _agree(data)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"False", b"false"),
        (b"True", b"true"),
        (b"False", b"null"),
        (b"False", b"NaN"),
        (b"False", b"Infinity"),
        (b"False", b"-Infinity"),
        (b"False", b"1e5"),
        (b"False", b"01"),
        (b"'users'", b"'us' 'ers'"),
        (b"10}}", b"10}},"),
        (b"'age'", b"'age',"),
        (b"'users'", b"'us\x09ers'"),  # a tab: Python reads it, JSON does not
        (b"'op'", b"'True'"),
    ],
)
def test_lists_are_read_as_python_reads_them(old: bytes, new: bytes) -> None:
    data = PLAIN_LIST.encode()
    assert old in data
    data = data.replace(old, new, 1)
    quick = read_literals(FILE, data)
    assert quick is None or quick == _judged(data)
    _agree(data)


@pytest.mark.parametrize(
    "assignment",
    ["operations=[1]\n", "x = operations = [1]\n", "\uff4fperations = [1]\n"],
    ids=["no spaces", "chained", "NFKC"],
)
def test_a_file_without_the_list_line_may_still_assign_it(
    generated: list[bytes], assignment: str
) -> None:
    empty = next(d for d in generated if b"\noperations = " not in d)
    data = empty + assignment.encode()
    assert read_literals(FILE, data) is None
    with pytest.raises(MigrationFileError, match="the operations list cannot be read"):
        operations_in(data, FILE)
    _agree(data)
