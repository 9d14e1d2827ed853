"""Settings: command-line flags > ``DATABASE_URL`` > ``[tool.schemashift]`` > defaults."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from schemashift.errors import ConfigError
from schemashift.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_DATABASE = "sqlite:///db.sqlite3"
DEFAULT_MIGRATIONS = "src/migrations"
DEFAULT_MODELS_DIR = "src/models"
DEFAULT_LOCK_TIMEOUT = 60.0


class Settings(NamedTuple):
    """Where everything is. Paths are absolute."""

    root: Path
    database: str
    migrations: Path
    #: Modules to import models from; ``None`` means every file under ``models_dir``.
    models: tuple[str, ...] | None
    models_dir: Path
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    #: PostgreSQL ``lock_timeout`` for each batch's statements, e.g. ``"5s"``.
    statement_lock_timeout: str | None = None
    #: Patterns (``fnmatch``) of tables managed outside the models, e.g. by hand-written
    #: migrations; ``check`` does not report them as drift.
    ignore_tables: tuple[str, ...] = ()
    #: Generate the online (lock-avoiding) forms of PostgreSQL changes.
    online: bool = False
    #: ``"safe"``: ``evolve`` applies only changes that take no long lock; ``"any"``.
    evolve_locks: str = "safe"
    #: The dialects generated files carry SQL for; empty means the database's own.
    dialects: tuple[str, ...] = ()
    #: Whether ``pyproject.toml`` has a ``[tool.schemashift]`` table.
    configured: bool = False


def find_root(start: Path) -> Path:
    """The nearest folder from ``start`` upwards holding ``pyproject.toml``, else ``start``."""
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return start


def model_modules(settings: Settings) -> list[str]:
    """Names of the modules to import models from, in import order: ``models``, else
    every ``.py`` file of ``models_dir`` not starting with ``_`` or ``.``, by name. (Here
    rather than in ``discovery``, which costs more to import: evolve lists them at every
    application start.)"""
    if settings.models is not None:
        return list(settings.models)
    folder = settings.models_dir
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    package = folder.name
    return [
        f"{package}.{name[:-3]}"
        for name in sorted(names)
        if name.endswith(".py") and not name.startswith(("_", "."))
    ]


def load_settings(
    *,
    project: str | None = None,
    database: str | None = None,
    migrations: str | None = None,
    models: str | None = None,
    lock_timeout: float | None = None,
    cwd: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Settings for one run; explicit arguments are the command-line flags."""
    env = os.environ if environ is None else environ
    base = (cwd or Path.cwd()).resolve()
    if project is not None:
        root = (base / project).resolve()
        if not root.is_dir():
            raise ConfigError(f"Project folder {project} does not exist. Check --project.")
    else:
        root = find_root(base)
    section = _tool_table(root / "pyproject.toml")
    table = section if section is not None else {}
    db = database or env.get("DATABASE_URL") or _str(table, "database") or DEFAULT_DATABASE
    mig = migrations or _str(table, "migrations") or DEFAULT_MIGRATIONS
    mods: tuple[str, ...] | None = None
    if models:
        mods = tuple(m.strip() for m in models.split(",") if m.strip())
    elif "models" in table:
        raw = table["models"]
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(m, str) for m in raw):
            raise ConfigError("[tool.schemashift] models must be a module name or a list of them.")
        mods = tuple(raw)
    timeout = lock_timeout if lock_timeout is not None else table.get("lock_timeout")
    if timeout is None:
        timeout = DEFAULT_LOCK_TIMEOUT
    if not isinstance(timeout, (int, float)) or timeout < 0:
        raise ConfigError("lock_timeout must be a number of seconds, 0 or more.")
    stmt_timeout = table.get("statement_lock_timeout")
    ignore = table.get("ignore_tables", [])
    if isinstance(ignore, str):
        ignore = [ignore]
    if not isinstance(ignore, list) or not all(isinstance(p, str) for p in ignore):
        raise ConfigError("[tool.schemashift] ignore_tables must be a list of table patterns.")
    online = table.get("online", False)
    if not isinstance(online, bool):
        raise ConfigError("[tool.schemashift] online must be true or false.")
    evolve_locks = table.get("evolve_locks", "safe")
    if evolve_locks not in ("safe", "any"):
        raise ConfigError('[tool.schemashift] evolve_locks must be "safe" or "any".')
    dialects = table.get("dialects", [])
    if isinstance(dialects, str):
        dialects = [dialects]
    from schemashift.dialects import known_dialects

    if not isinstance(dialects, list) or not all(d in known_dialects() for d in dialects):
        raise ConfigError(
            "[tool.schemashift] dialects must be a list of database names among "
            f"{', '.join(repr(d) for d in known_dialects())}."
        )
    return Settings(
        root=root,
        database=db,
        migrations=(root / mig).resolve(),
        models=mods,
        models_dir=root / DEFAULT_MODELS_DIR,
        lock_timeout=float(timeout),
        statement_lock_timeout=str(stmt_timeout) if stmt_timeout is not None else None,
        ignore_tables=tuple(ignore),
        online=online,
        evolve_locks=evolve_locks,
        dialects=tuple(dialects),
        configured=section is not None,
    )


def _str(table: dict[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"[tool.schemashift] {key} must be a string.")
    return value


#: Every key ``[tool.schemashift]`` may hold; anything else is refused, with a guess.
KNOWN_KEYS = (
    "database",
    "models",
    "migrations",
    "lock_timeout",
    "statement_lock_timeout",
    "ignore_tables",
    "online",
    "evolve_locks",
    "dialects",
)


def _tool_table(pyproject: Path) -> dict[str, Any] | None:
    """``[tool.schemashift]`` of ``pyproject``, or None when there is none."""
    if not pyproject.is_file():
        return None
    text = pyproject.read_text(encoding="utf-8")
    if "schemashift" not in text:
        return None
    found, section = _cached_section(pyproject, text)
    if not found:
        section = _parse_section(pyproject, text)
        _cache_section(pyproject, text, section)
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"[tool.schemashift] in {pyproject} must be a table.")
    _refuse_unknown_keys(section, pyproject)
    return section


def _parse_section(pyproject: Path, text: str) -> Any:
    """``tool.schemashift`` of the TOML ``text`` (None when absent), as ``tomllib`` reads
    it; invalid TOML is refused."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject} is not valid TOML: {exc}.") from exc
    tool = data.get("tool", {})
    return tool.get("schemashift") if isinstance(tool, dict) else None


# Parsing TOML means importing tomllib, which costs more than the rest of reading the
# settings: the parsed table is kept in the cache folder, keyed by the whole text of
# pyproject.toml (compared in full, never by file times) and by the Python version. A
# missing or unreadable entry means parsing again: the cache never changes a setting.
_CACHE_FORMAT = 1


def _settings_cache_file(pyproject: Path) -> str:
    from schemashift.caching import cache_root
    from schemashift.migrations.files import checksum_of

    key = checksum_of(str(pyproject.resolve()).encode("utf-8", "surrogateescape"))[:24]
    return os.path.join(cache_root(), f"settings-{key}.marshal")


def _cache_key(text: str) -> tuple[int, tuple[int, ...], str]:
    return (_CACHE_FORMAT, tuple(sys.version_info[:3]), text)


def _cached_section(pyproject: Path, text: str) -> tuple[bool, Any]:
    """``(True, table)`` when the cache holds the table parsed from exactly ``text``."""
    import marshal

    try:
        with open(_settings_cache_file(pyproject), "rb") as f:
            key, section = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return False, None
    return (True, section) if key == _cache_key(text) else (False, None)


def _cache_section(pyproject: Path, text: str, section: Any) -> None:
    import marshal

    from schemashift.caching import write_atomically

    try:
        # Values marshal cannot hold (TOML dates) are simply not cached.
        data = marshal.dumps((_cache_key(text), section))
    except ValueError:
        return
    write_atomically(_settings_cache_file(pyproject), data)


def _refuse_unknown_keys(section: dict[str, Any], pyproject: Path) -> None:
    for key in section:
        if key in KNOWN_KEYS:
            continue
        import difflib

        guess = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
        hint = f" Did you mean {guess[0]!r}?" if guess else ""
        raise ConfigError(
            f"[tool.schemashift] in {pyproject} has an unknown key {key!r}.{hint} "
            f"Known keys: {', '.join(KNOWN_KEYS)}."
        )
