"""What the start-up check of evolve (runtime.startup) reads itself, it reads as the
full machinery does: the plain part of TOML as tomllib, the settings as load_settings
and Project, the constants it repeats as their owners define them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from schemashift import simpletoml
from schemashift.runtime import startup

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DOCUMENTS = [
    "",
    "# only a comment\n",
    '[project]\nname = "bench-project"\nversion = "0"\n\n[tool.schemashift]\n',
    '[project]\nname="x"\ndependencies = [\n  "a>=1",  # why\n  "b",\n]\n\n'
    '[tool.schemashift]\ndatabase = "sqlite:///x.db" # the db\nlock_timeout = 5\n'
    "online = true\nratio = -1.5\nmodels = ['a.b', \"c\",]\n",
    '[ tool . schemashift ]\nmigrations = "db/m"\n\n[tool.other]\nx = +0\ny = -0.0\n',
    "[tool.black]\nline-length = 100\n[tool.schemashift]\nignore_tables = []\n",
    '[a.b]\nc = 1\n[a]\nd = "é\tx"\n',
    "x=1#c\n#only\n",
    # Beyond the plain part, or not TOML at all: tomllib decides.
    "[a]\nb = 1\n[a.b]\n",
    "[a]\n[a]\n",
    "a = 1\na = 2\n",
    "[a.b]\n[a]\nb = 1\n",
    'a = "x" "y"\n',
    "a = 01\n",
    "a = 1_000\n",
    "a = 1979-05-27\n",
    'a = "tab\\there"\n',
    "a = 'c:\\\\path'\n",
    "a = {b = 1}\n",
    "a = [1, [2]]\n",
    "a = [\n]\n",
    "[[x]]\n",
    'a = """x"""\n',
    "a = 1.\n",
    "a = 1e5\n",
    "a = inf\n",
    "a = tru\n",
    "= 1\n",
    "a.b = 1\n",
    '"a" = 1\n',
    "a = [1 2]\n",
    "a = [1,,2]\n",
    "[]\n",
    "[a]x\n",
    "a = 1\r\n",
    'a = "unterminated\n',
    "a = 'two\nlines'\n",
    "a = \x01\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_plain_toml_reads_as_tomllib_or_not_at_all(text: str) -> None:
    try:
        expected: object = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        expected = "invalid"
    try:
        found: object = simpletoml.parse(text)
    except ValueError:
        return  # tomllib gives the answer
    assert found == expected
    assert [type(v) for v in _leaves(found)] == [type(v) for v in _leaves(expected)]


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_the_plain_part_covers_common_project_files() -> None:
    for text in DOCUMENTS[:8]:
        simpletoml.parse(text)
    assert simpletoml.schemashift_table(DOCUMENTS[2]) == {}
    assert simpletoml.schemashift_table("[project]\n") is None


CONFIGS = [
    ({}, {}, {}),
    ({"database": "sqlite:///data/app.db", "migrations": "db/migrations"}, {}, {}),
    ({"models": "app.models"}, {}, {}),
    ({"models": ["app.a", "app.b"], "lock_timeout": 3}, {}, {}),
    ({}, {"DATABASE_URL": "sqlite:////tmp/elsewhere.db"}, {}),
    ({"database": "sqlite:///x.db"}, {}, {"database": "sqlite:///y.db", "models": "m1, m2"}),
    ({}, {}, {"migrations": "other", "project": "."}),
]


def _toml(table: dict[str, object]) -> str:
    def value(v: object) -> str:
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(value(i) for i in v) + "]"
        return str(v).lower() if isinstance(v, bool) else str(v)

    lines = [f"{k} = {value(v)}" for k, v in table.items()]
    return '[project]\nname = "p"\n\n[tool.schemashift]\n' + "\n".join(lines) + "\n"


@pytest.mark.parametrize(("table", "env", "args"), CONFIGS)
def test_settings_are_found_as_load_settings_finds_them(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table: dict[str, object],
    env: dict[str, str],
    args: dict[str, str],
) -> None:
    from schemashift.config import load_settings, model_modules
    from schemashift.project import Project

    root = tmp_path / "proj"
    (root / "src" / "models").mkdir(parents=True)
    for name in ("user.py", "_hidden.py", "post.py", "notes.txt"):
        (root / "src" / "models" / name).write_text("")
    (root / "pyproject.toml").write_text(_toml(table))
    (root / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(root / "deep" / "er")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for key, val in env.items():
        monkeypatch.setenv(key, val)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    call = (
        args.get("database"),
        args.get("project"),
        args.get("models"),
        args.get("migrations"),
        None,
    )
    fast = startup.resolve(*call)
    settings = load_settings(
        project=args.get("project"),
        database=args.get("database"),
        migrations=args.get("migrations"),
        models=args.get("models"),
    )
    url = Project(settings).url
    assert fast == (str(url.path), str(settings.migrations), model_modules(settings))
    # Again with config's cache of the table, which the check also reads.
    assert startup.resolve(*call) == fast


@pytest.mark.parametrize(
    "extra",
    [
        'database = "postgresql://u@h/d"',
        'database = "sqlite:///db.sqlite3?timeout=5"',
        'database = "sqlite:///:memory:"',
        'database = "sqlite:///a%20b.db"',
        "lock_timeout = -1",
        'evolve_locks = "never"',
        "dialects = ['oracle']",
        "online = 1",
        "unknown_key = 1",
        "models = 3",
        'database = "sqlite:///db.sqlite3"\nlicense = {text = "MIT"}',
    ],
)
def test_settings_it_does_not_read_itself_decline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.schemashift]\n{extra}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises((startup.Decline, ValueError)):
        startup.resolve(None, None, None, None, None)


def test_repeated_constants_equal_their_owners() -> None:
    from schemashift import config, defaults
    from schemashift.dialects import known_dialects
    from schemashift.dialects.sqlite import connection
    from schemashift.runtime import recorder

    assert startup.DEFAULT_DATABASE == config.DEFAULT_DATABASE
    assert startup.DEFAULT_MIGRATIONS == config.DEFAULT_MIGRATIONS
    assert startup.DEFAULT_MODELS_DIR == config.DEFAULT_MODELS_DIR
    assert startup.settings_cache_key is config.settings_cache_key is defaults.settings_cache_key
    assert frozenset(config.KNOWN_KEYS) == startup.KNOWN_KEYS
    assert known_dialects() == startup.KNOWN_DIALECTS
    assert startup.TRACKING_TABLE == recorder.TRACKING_TABLE
    assert startup.META_TABLE == recorder.META_TABLE
    assert startup.TRACKING_VERSION == recorder.TRACKING_VERSION
    assert startup.LOCK_SUFFIX == connection.LOCK_SUFFIX
    assert startup.BUSY_TIMEOUT == connection.BUSY_TIMEOUT


def test_the_lock_names_its_holder_as_the_dialect_does(tmp_path: Path) -> None:
    from schemashift.dialects.sqlite.lock import read_holder

    path = str(tmp_path / "db.sqlite3.schemashift-lock")
    with startup._Lock(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            holder = read_holder(fd)
        finally:
            os.close(fd)
    assert holder["pid"] == os.getpid() and holder["host"] == os.uname().nodename
    assert len(holder["since"]) == len("2026-01-01 00:00:00")
    assert os.path.getsize(path) == 0
