"""Settings: command-line flags > ``DATABASE_URL`` > ``[tool.schemashift]`` > defaults."""

from __future__ import annotations

import os
import sys

from schemashift.defaults import (
    DEFAULT_DATABASE,
    DEFAULT_MIGRATIONS,
    DEFAULT_MODELS_DIR,
    KNOWN_KEYS,
    modules_in,
    settings_cache_file,
    settings_cache_key,
)
from schemashift.errors import ConfigError
from schemashift.records import NamedTuple

# Every command reads the settings first: they are worked out on ``os.path`` strings, and
# ``pathlib`` (with ``re``, ``fnmatch``, ``urllib.parse`` and ``ipaddress``), which costs
# about a third of what `migrate --status` may take, is imported only when a ``Path`` is
# asked for.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

DEFAULT_LOCK_TIMEOUT = 60.0


class Settings(NamedTuple):
    """Where everything is. Paths are absolute: ``root``, ``migrations`` and
    ``models_dir`` as ``Path`` values, the fields ending in ``_path`` as strings."""

    #: The project folder.
    root_path: str
    database: str
    #: The migrations folder.
    migrations_path: str
    #: Modules to import models from; ``None`` means every file under ``models_dir``.
    models: tuple[str, ...] | None
    #: The folder of the models' files (``src/models``).
    models_dir_path: str
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

    @property
    def root(self) -> Path:
        """The project folder."""
        from pathlib import Path

        return Path(self.root_path)

    @property
    def migrations(self) -> Path:
        """The migrations folder."""
        from pathlib import Path

        return Path(self.migrations_path)

    @property
    def models_dir(self) -> Path:
        """The folder of the models' files."""
        from pathlib import Path

        return Path(self.models_dir_path)


def find_root(start: str) -> str:
    """The nearest folder from ``start`` (absolute) upwards holding ``pyproject.toml``,
    else ``start``."""
    folder = start
    while True:
        if os.path.isfile(os.path.join(folder, "pyproject.toml")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return start
        folder = parent


def model_modules(settings: Settings) -> list[str]:
    """Names of the modules to import models from, in import order: ``models``, else
    every ``.py`` file of ``models_dir`` not starting with ``_`` or ``.``, by name. (Here
    rather than in ``discovery``, which costs more to import: evolve lists them at every
    application start.)"""
    if settings.models is not None:
        return list(settings.models)
    return modules_in(settings.models_dir_path)


def load_settings(
    *,
    project: str | None = None,
    database: str | None = None,
    migrations: str | None = None,
    models: str | None = None,
    lock_timeout: float | None = None,
    cwd: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Settings for one run; explicit arguments are the command-line flags."""
    env = os.environ if environ is None else environ
    # realpath is what Path.resolve() does (symbolic links followed, non-strict).
    base = os.path.realpath(os.getcwd() if cwd is None else cwd)
    if project is not None:
        root = os.path.realpath(os.path.join(base, project))
        if not os.path.isdir(root):
            raise ConfigError(f"Project folder {project} does not exist. Check --project.")
    else:
        root = find_root(base)
    section = _tool_table(os.path.join(root, "pyproject.toml"))
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
        root_path=root,
        database=db,
        migrations_path=os.path.realpath(os.path.join(root, mig)),
        models=mods,
        models_dir_path=os.path.join(root, DEFAULT_MODELS_DIR),
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


def _tool_table(pyproject: str) -> dict[str, Any] | None:
    """``[tool.schemashift]`` of ``pyproject``, or None when there is none."""
    if not os.path.isfile(pyproject):
        return None
    with open(pyproject, encoding="utf-8") as f:
        text = f.read()
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


def _parse_section(pyproject: str, text: str) -> Any:
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


def _cached_section(pyproject: str, text: str) -> tuple[bool, Any]:
    """``(True, table)`` when the cache holds the table parsed from exactly ``text``."""
    import marshal

    try:
        with open(settings_cache_file(pyproject), "rb") as f:
            key, section = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return False, None
    return (True, section) if key == settings_cache_key(text) else (False, None)


def _cache_section(pyproject: str, text: str, section: Any) -> None:
    import marshal

    from schemashift.caching import write_atomically

    try:
        # Values marshal cannot hold (TOML dates) are simply not cached.
        data = marshal.dumps((settings_cache_key(text), section))
    except ValueError:
        return
    write_atomically(settings_cache_file(pyproject), data)


def _refuse_unknown_keys(section: dict[str, Any], pyproject: str) -> None:
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
