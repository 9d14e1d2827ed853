"""The common invocations parsed without argparse, and the cached settings table, give
exactly what argparse and tomllib give."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from schemashift.cli.main import fast_arguments
from schemashift.cli.parser import build_parser, command_in
from schemashift.config import load_settings
from schemashift.defaults import settings_cache_file
from schemashift.errors import ConfigError
from tests.support.project import ProjectDir

FAST = [
    ["migrate"],
    ["migrate", "--status"],
    ["migrate", "--status", "--json"],
    ["check"],
    ["check", "--offline"],
    ["evolve"],
    ["make", "migration", "add_phone"],
    ["make", "migration", "migrate"],
]
SLOW = [
    [],
    ["--help"],
    ["migrate", "--json"],
    ["migrate", "--json", "--status"],
    ["migrate", "--status", "-q"],
    ["-q", "migrate", "--status"],
    ["check", "--offline", "--json"],
    ["evolve", "--lock-timeout", "3"],
    ["make", "migration"],
    ["make", "migration", "-x"],
    ["make", "migration", "a", "--empty"],
    ["make", "migration", "a", "b"],
    ["show", "0001"],
]


@pytest.mark.parametrize("argv", FAST, ids=" ".join)
def test_fast_arguments_equal_argparse(argv: list[str]) -> None:
    fast = fast_arguments(argv)
    assert fast is not None
    parsed = vars(build_parser(command_in(argv)).parse_args(argv))
    parsed.pop("command_parser")
    assert vars(fast) == parsed


@pytest.mark.parametrize("argv", SLOW, ids=" ".join)
def test_anything_else_goes_to_argparse(argv: list[str]) -> None:
    assert fast_arguments(argv) is None


@pytest.mark.skipif(not (3, 10) <= sys.version_info[:2] <= (3, 13), reason="not prebuilt")
def test_prebuilt_help_equals_argparse(monkeypatch: pytest.MonkeyPatch) -> None:
    from schemashift.cli.helptext import HELP

    monkeypatch.setenv("COLUMNS", "80")
    assert build_parser().format_help() == HELP, "regenerate cli/helptext.py (see its docstring)"


def test_help_and_version_print_as_argparse_does(sqlite_project: ProjectDir) -> None:
    env = {"COLUMNS": "80"}
    for flag in ("--help", "--version"):
        fast = sqlite_project.run(flag, env=env)
        # --traceback sends the same request through argparse.
        slow = sqlite_project.run("--traceback", flag, env=env)
        assert fast == slow and fast.code == 0 and fast.out
    wide = sqlite_project.run("--help", env={"COLUMNS": "120"})
    assert wide == sqlite_project.run("--traceback", "--help", env={"COLUMNS": "120"})


def test_status_prints_as_through_argparse(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("user", "class User(Model):\n    name = Field.Text(nullable=True)\n")
    sqlite_project.ok("make", "migration", "initial")
    for args in (["migrate", "--status"], ["migrate", "--status", "--json"]):
        before = sqlite_project.run(*args)
        assert before == sqlite_project.run(*args, "--traceback")
    sqlite_project.ok("migrate")
    assert sqlite_project.run("migrate", "--status") == sqlite_project.run(
        "migrate", "--status", "--traceback"
    )


def _same_size_edit(path: Path, old: str, new: str) -> None:
    assert len(old) == len(new)
    stat = os.stat(path)
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_cached_settings_follow_every_edit(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.schemashift]\ndatabase = "sqlite:///a.db"\n')
    assert load_settings(cwd=tmp_path, environ={}).database == "sqlite:///a.db"
    assert os.path.exists(settings_cache_file(pyproject))
    assert load_settings(cwd=tmp_path, environ={}).database == "sqlite:///a.db"
    _same_size_edit(pyproject, "a.db", "b.db")
    assert load_settings(cwd=tmp_path, environ={}).database == "sqlite:///b.db"
    _same_size_edit(pyproject, '"sqlite', "'sqlite")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cwd=tmp_path, environ={})
    _same_size_edit(pyproject, "'sqlite", '"sqlite')
    assert load_settings(cwd=tmp_path, environ={}).database == "sqlite:///b.db"


def test_a_damaged_settings_cache_is_ignored(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.schemashift]\nmigrations = "db/migrations"\n')
    expected = load_settings(cwd=tmp_path, environ={})
    for damage in (b"", b"\x00garbage", b"\xe3\x03\x00\x00"):
        Path(settings_cache_file(pyproject)).write_bytes(damage)
        assert load_settings(cwd=tmp_path, environ={}) == expected


def test_compiled_model_code_is_reused_only_for_the_same_bytes(tmp_path: Path) -> None:
    from schemashift.discovery import compiled

    path = str(tmp_path / "m.py")
    first = compiled(path, b"X = 1\n")
    cached = list((tmp_path / "xdg" / "schemashift" / "models").glob("*.pyc"))
    assert len(cached) == 1
    again = compiled(path, b"X = 1\n")
    assert again == first and again.co_filename == path
    namespace: dict[str, object] = {}
    exec(compiled(path, b"X = 2\n"), namespace)
    assert namespace["X"] == 2
    for damage in (b"", b"garbage", cached[0].read_bytes()[:-3]):
        cached[0].write_bytes(damage)
        exec(compiled(path, b"X = 3\n"), namespace)
        assert namespace["X"] == 3


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


#: Modules that the commands which run at every start (status, evolve with nothing to
#: do) must not import: each costs more than those commands' own work.
HEAVY = ("dataclasses", "typing", "ast", "inspect", "json", "difflib", "hashlib")
#: schemashift's model, schema, differ and renderer machinery, and the SQLite dialect's
#: modules that only a batch, a rendering or an introspection needs.
MACHINERY = (
    "schemashift.models",
    "schemashift.schema",
    "schemashift.diff",
    "schemashift.discovery",
    "schemashift.generate",
    "schemashift.dialects.protocols",
    "schemashift.dialects.sqlite.render",
    "schemashift.dialects.sqlite.introspect",
    "schemashift.dialects.sqlite.verify",
)

_LOADED = """
import sys
{call}
names = sorted(sys.modules)
loaded = [n for n in names if n in {heavy!r} or n.startswith({machinery!r})]
print("LOADED", *loaded, file=sys.stderr)
"""


def _loaded_by(
    project: ProjectDir,
    call: str,
    heavy: tuple[str, ...] = HEAVY,
    machinery: tuple[str, ...] = MACHINERY,
    cache: Path | None = None,
) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after ``call`` in the project."""
    code = _LOADED.format(call=call, heavy=heavy, machinery=machinery)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project.root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.splitlines()[-1].split()[1:]


def test_status_and_evolve_with_nothing_to_do_load_only_what_they_need(
    sqlite_project: ProjectDir,
) -> None:
    status = "from schemashift.cli.main import main\nassert main(['migrate', '--status']) == 0"
    # The first run reads pyproject.toml with tomllib (which imports typing) and caches it.
    sqlite_project.ok("migrate", "--status")
    assert _loaded_by(sqlite_project, status) == []
    sqlite_project.model("user", "class User(Model):\n    name = Field.Text(nullable=True)\n")
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.ok("migrate")
    # The first evolve compares in full and records that nothing differs.
    sqlite_project.ok("evolve")
    evolve = "import schemashift\nreport = schemashift.evolve()\nassert report.ok"
    assert _loaded_by(sqlite_project, evolve) == []
    assert _loaded_by(sqlite_project, status) == []
    # evolve() with nothing to do, at every application start, needs not even the
    # settings' paths, the executor, the dialect or TOML's parser: with the caches warm
    # and with them empty (a fresh container).
    for cache in (None, sqlite_project.root.parent / "empty-cache", None):
        found = _loaded_by(sqlite_project, evolve, EVOLVE_AVOIDS, EVOLVE_MACHINERY, cache)
        assert found == []


#: What evolve() with nothing to do does not import, beyond HEAVY: pathlib with what it
#: brings, the TOML parser and sqlite3's package (the C module is enough).
EVOLVE_AVOIDS = (
    *HEAVY,
    "pathlib",
    "re",
    "enum",
    "fnmatch",
    "urllib.parse",
    "ipaddress",
    "tomllib",
    "tomli",
    "importlib.util",
    "contextlib",
    "sqlite3",
)
EVOLVE_MACHINERY = (
    *MACHINERY,
    "schemashift.config",
    "schemashift.project",
    "schemashift.url",
    "schemashift.dialects",
    "schemashift.migrations",
    "schemashift.runtime.executor",
    "schemashift.runtime.recorder",
)


#: What status does not load either: the argument parser, ``pathlib`` (with
#: ``urllib.parse`` and ``ipaddress``), ``tomllib`` once the settings are cached, and the
#: executor (status reads the tracking table through it only when there is a database).
STATUS_HEAVY = (*HEAVY, "argparse", "pathlib", "urllib.parse", "ipaddress", "tomllib")
#: Without a database and migration files, not even ``sqlite3``, ``re`` or ``contextlib``.
EMPTY_STATUS_HEAVY = (*STATUS_HEAVY, "sqlite3", "datetime", "re", "enum", "contextlib", "warnings")
STATUS_MACHINERY = (*MACHINERY, "schemashift.cli.parser", "schemashift.cli.migrate")
EMPTY_STATUS_MACHINERY = (
    *STATUS_MACHINERY,
    "schemashift.dialects.sqlite.quoting",
    "schemashift.runtime.executor",
    "schemashift.runtime.recorder",
    "schemashift.dialects.sqlite.connection",
)


def test_status_loads_neither_argparse_nor_pathlib(sqlite_project: ProjectDir) -> None:
    status = "from schemashift.cli.main import main\nassert main(['migrate', '--status']) == 0"
    sqlite_project.ok("migrate", "--status")
    loaded = _loaded_by(sqlite_project, status, EMPTY_STATUS_HEAVY, EMPTY_STATUS_MACHINERY)
    assert loaded == []
    sqlite_project.model("user", "class User(Model):\n    name = Field.Text(nullable=True)\n")
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.ok("make", "migration", "more", "--empty")
    sqlite_project.ok("migrate")
    assert _loaded_by(sqlite_project, status, STATUS_HEAVY, STATUS_MACHINERY) == []


def test_file_names_are_read_as_the_pattern_says() -> None:
    import random
    import re

    from schemashift.migrations.files import file_number

    pattern = re.compile(r"^(\d{4,})_([a-z0-9_]+)\.py$")
    pieces = ["0", "1", "9", "_", "a", "z", "A", ".", "py", "-", "\u0663", "\u00b2", " ", "\u00e9"]
    rng = random.Random(16)
    names = ["0001_initial.py", "0001_.py", "001_a.py", "10000_a_b_9.py", "0001a_b.py"]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        names += [text, text + ".py", "0001" + text + ".py", "0012_" + text + ".py"]
    for name in names:
        match = pattern.match(name)
        expected = int(match.group(1)) if match and not name.endswith("\n") else None
        assert file_number(name) == expected, name


@pytest.mark.skipif(os.name != "posix", reason="pathlib itself is used elsewhere")
def test_paths_are_written_as_pathlib_writes_them() -> None:
    import itertools
    from pathlib import PurePosixPath

    from schemashift.paths import joined, path_text

    pieces = ["", "/", "//", "///", ".", "..", "a", "b.db", ".x"]
    texts = {
        sep.join(combo)
        for n in range(1, 5)
        for combo in itertools.product(pieces, repeat=n)
        for sep in ("", "/")
    }
    for text in texts:
        assert path_text(text) == str(PurePosixPath(text)), text
        for root in ("/", "/srv/app", "//host/share", "/a/", PurePosixPath("/tmp/q"), "rel/./x"):
            if text:
                assert joined(root, text) == str(PurePosixPath(root) / text), (root, text)


def test_settings_give_the_paths_pathlib_gives(tmp_path: Path) -> None:
    from schemashift.dialects import parse_url

    (tmp_path / "pyproject.toml").write_text('[tool.schemashift]\nmigrations = "./db//m/"\n')
    (tmp_path / "sub").mkdir()
    for cwd in (tmp_path, tmp_path / "sub"):
        settings = load_settings(cwd=cwd, environ={})
        assert settings.root == tmp_path.resolve()
        assert settings.migrations == (tmp_path.resolve() / "./db//m/").resolve()
        assert settings.models_dir == tmp_path.resolve() / "src" / "models"
        assert settings.root_path == str(settings.root)
    assert load_settings(project="sub/..", cwd=tmp_path, environ={}).root == tmp_path.resolve()
    for raw, target in [
        ("sqlite:///./data//a%20b.db", "./data//a b.db"),
        ("sqlite:////abs//x.db?timeout=3", "/abs//x.db"),
    ]:
        url = parse_url(raw, str(tmp_path))
        assert url.path == str(tmp_path / target) and url == parse_url(raw, tmp_path)


def test_named_tuples_without_typing_behave_as_typing_named_tuples() -> None:
    import typing

    from schemashift import records

    def declare(base: type) -> type:
        class Row(base):  # type: ignore[valid-type,misc]
            """One row."""

            name: str
            number: int = 1
            tags: tuple[str, ...] = ()

            @property
            def label(self) -> str:
                return f"{self.name}#{self.number}"

        return Row

    light, typed = declare(records.NamedTuple), declare(typing.NamedTuple)
    for cls in (light, typed):
        row = cls("a", tags=("x",))
        assert row == ("a", 1, ("x",)) and row.label == "a#1"
        assert repr(row) == "Row(name='a', number=1, tags=('x',))"
        assert row._replace(number=2).number == 2 and row._asdict()["tags"] == ("x",)
        assert cls._fields == ("name", "number", "tags") and cls.__doc__ == "One row."
        assert cls._field_defaults == {"number": 1, "tags": ()}
        assert cls.__qualname__.endswith("declare.<locals>.Row")
        assert not hasattr(row, "__dict__")
    with pytest.raises(TypeError, match="Non-default namedtuple field"):

        class Wrong(records.NamedTuple):  # type: ignore[misc]
            a: int = 1
            b: int


def test_steps_are_immutable_values() -> None:
    import pickle

    from schemashift.dialects.base import Code, Comment, Execute
    from schemashift.dialects.values import ValueFlag

    step = Execute("SELECT 1")
    assert step == Execute(sql="SELECT 1") and hash(step) == hash(Execute("SELECT 1"))
    assert step != Comment("SELECT 1") and repr(step) == "Execute(sql='SELECT 1')"
    assert repr(Code("x = 1")) == "Code(line='x = 1')"
    flag = ValueFlag("WARNING: t.c", "t.c", True)
    assert flag != Comment("WARNING: t.c") and flag != ValueFlag("WARNING: t.c", "t.c")
    assert repr(flag) == "ValueFlag(text='WARNING: t.c', column='t.c', changes_values=True)"
    for value in (step, flag):
        assert pickle.loads(pickle.dumps(value)) == value
        with pytest.raises(AttributeError):
            value.text = "changed"  # type: ignore[misc,union-attr]
    match flag:
        case Comment(text):
            assert text == "WARNING: t.c"
