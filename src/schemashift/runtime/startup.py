"""``evolve()`` at application start-up, when there is nothing to do, proved cheaply.

An application calls ``evolve()`` at every start and nearly always finds nothing to do:
every migration file applied and unchanged, none missing, and the models as the last
full comparison left them. Finding that through the full machinery (settings with
``pathlib``, the dialect, the executor, the recorder) costs several times what opening
the database and reading the tracking table costs. :func:`nothing_to_do` checks the
same facts with ``os`` and ``sqlite3`` alone, under the migration lock, and answers
True only when all of them hold; anything else (another database, a pending, missing,
failed or edited migration, a setting it does not read itself, an error) answers False
and the full ``evolve`` runs, which then gives every answer, refusal and error. So this
path never refuses, writes or reports anything itself: it can only say "nothing to do"
in exactly the cases where the full run would find nothing to do.

The checksums of the applied files are kept in the per-user cache (see
:func:`_trusted`) with each file's size, times and inode, so a warm start reads none of
the files; an entry is used only when its file's times are safely older than the moment
the entry was written, so an edit that keeps the size and the modification time is
still seen. A start that finds the files' and sources' keys, the folder's listing, the
tracking rows, the recorded fingerprint, the settings and the versions exactly as the
last start that answered "nothing to do" found them reuses that answer (see
:func:`_check`).
"""

from __future__ import annotations

import marshal
import os
import sys
import time

from schemashift import __version__
from schemashift.caching import cache_root, write_atomically
from schemashift.defaults import (
    DEFAULT_DATABASE,
    DEFAULT_MIGRATIONS,
    DEFAULT_MODELS_DIR,
    modules_in,
    settings_cache_file,
    settings_cache_key,
)
from schemashift.defaults import KNOWN_KEYS as _KNOWN_KEYS
from schemashift.hashing import checksum_of, sha256

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

KNOWN_KEYS = frozenset(_KNOWN_KEYS)
# Must stay equal to the dialects' names and to the tracking table's names and layout
# (tests compare them).
KNOWN_DIALECTS = ("sqlite", "postgresql", "mysql")
TRACKING_TABLE = "_schemashift_migrations"
META_TABLE = "_schemashift_meta"
TRACKING_VERSION = 3
LOCK_SUFFIX = ".schemashift-lock"
BUSY_TIMEOUT = 10.0

#: The file-system timestamp granularity assumed by the checksum cache: 2 s (FAT), well
#: above that of ext4, XFS, APFS or NTFS, and above the lag of the kernel's coarse clock.
GRANULARITY_NS = 2_000_000_000
_CHECKSUM_CACHE_FORMAT = 3
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class Decline(Exception):
    """Something this path does not decide: the full evolve runs."""


def nothing_to_do(
    database: str | None,
    project: str | None,
    models: str | None,
    migrations: str | None,
    lock_timeout: float | None,
) -> bool:
    """True when ``evolve()`` with these arguments would find nothing to do on an SQLite
    database: all files applied and unchanged, nothing to write back, the models as the
    last full comparison recorded. False when that is not so or not known."""
    try:
        return _check(database, project, models, migrations, lock_timeout)
    except (Decline, OSError, ValueError, TypeError, UnicodeError, ImportError):
        return False


def _check(
    database: str | None,
    project: str | None,
    models: str | None,
    migrations: str | None,
    lock_timeout: float | None,
) -> bool:
    path, folder, modules = resolve(database, project, models, migrations, lock_timeout)
    start = time.time_ns()
    cache_file = _checksum_cache_file(folder)
    cache = _load_checksum_cache(cache_file)
    listed = "\0".join(os.listdir(folder))
    if listed == cache.listed:
        names = cache.names.split("\0") if cache.names else []
    else:
        names = _scan(listed.split("\0") if listed else [])
    if not os.path.isfile(path) or not all(
        os.access(target, mode)
        for target, mode in ((path, os.R_OK | os.W_OK), (os.path.dirname(path), os.W_OK | os.X_OK))
    ):
        raise Decline
    with _Lock(path + LOCK_SUFFIX):
        rows, count, recorded = _tracking(path)
        keys = _keys(folder, names) if cache.keys else None
        # Everything the answer depends on besides the files' and sources' keys.
        stamp: _Proven = (
            path,
            __version__,
            tuple(sys.version_info[:2]),
            tuple(modules),
            count,
            recorded,
            rows,
        )
        if (
            recorded
            and stamp == cache.proven
            and listed == cache.listed
            and keys is not None
            and marshal.dumps(keys, 2) == cache.keys
            and _same_sources(recorded, cache)
        ):
            # Nothing changed since this cache proved "nothing to do".
            return True
        proven = False
        try:
            records = _records(rows, count)
            if len(records) != len(names) or not all(name in records for name in names):
                # Pending, missing or squashed migrations: the full run sorts them out.
                return False
            proven = _unchanged(folder, names, records, cache, listed, start, keys) and (
                _fingerprint_matches(recorded, modules, names, records, cache, start)
            )
            return proven
        finally:
            kept = stamp if proven else None
            if kept != cache.proven:
                cache.proven = kept
                cache.changed = True
            if cache.changed:
                write_atomically(cache_file, cache.dump())


def resolve(
    database: str | None,
    project: str | None,
    models: str | None,
    migrations: str | None,
    lock_timeout: float | None,
) -> tuple[str, str, list[str]]:
    """The SQLite database file, the migrations folder and the model modules that
    ``load_settings`` and ``Project`` find for these arguments; raises ``Decline`` for
    settings this does not read itself (another database, a URL with parameters...) or
    that ``load_settings`` would refuse."""
    root, table = _settings(project)
    db = database or os.environ.get("DATABASE_URL") or _str(table, "database") or DEFAULT_DATABASE
    path = _sqlite_path(db, root)
    folder = os.path.realpath(
        os.path.join(root, migrations or _str(table, "migrations") or DEFAULT_MIGRATIONS)
    )
    modules = _model_modules(root, models, table)
    timeout = lock_timeout if lock_timeout is not None else table.get("lock_timeout")
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout < 0):
        raise Decline
    return path, folder, modules


def _settings(project: str | None) -> tuple[str, dict[str, object]]:
    """The project root and its ``[tool.schemashift]`` table, found as ``load_settings``
    finds them, when they can be read without TOML's parser or from config's cache."""
    base = os.path.realpath(os.getcwd())
    if project is not None:
        root = os.path.realpath(os.path.join(base, project))
        if not os.path.isdir(root):
            raise Decline
    else:
        root = base
        folder = base
        while True:
            if os.path.isfile(os.path.join(folder, "pyproject.toml")):
                root = folder
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    pyproject = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(pyproject):
        return root, {}
    with open(pyproject, encoding="utf-8") as f:
        text = f.read()
    if "schemashift" not in text:
        return root, {}
    found, section = _cached_section(pyproject, text)
    if not found:
        from schemashift.simpletoml import schemashift_table

        section = schemashift_table(text)
    if section is None:
        return root, {}
    if not isinstance(section, dict):
        raise Decline
    if any(key not in KNOWN_KEYS for key in section):
        raise Decline
    _validate(section)
    return root, section


def _cached_section(pyproject: str, text: str) -> tuple[bool, object]:
    """``(True, table)`` when config's settings cache holds the table of exactly ``text``
    (None when it has none)."""
    try:
        with open(settings_cache_file(pyproject), "rb") as f:
            cached, section = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return False, None
    if cached != settings_cache_key(text):
        return False, None
    return True, section


def _validate(table: Mapping[str, object]) -> None:
    """Decline a table that ``load_settings`` would refuse (it then says why)."""
    for key in ("database", "migrations"):
        _str(table, key)
    mods = table.get("models", [])
    if isinstance(mods, str):
        mods = [mods]
    if not isinstance(mods, list) or not all(isinstance(m, str) for m in mods):
        raise Decline
    ignore = table.get("ignore_tables", [])
    if not isinstance(ignore, str) and (
        not isinstance(ignore, list) or not all(isinstance(p, str) for p in ignore)
    ):
        raise Decline
    if not isinstance(table.get("online", False), bool):
        raise Decline
    if table.get("evolve_locks", "safe") not in ("safe", "any"):
        raise Decline
    dialects = table.get("dialects", [])
    if isinstance(dialects, str):
        dialects = [dialects]
    if not isinstance(dialects, list) or not all(d in KNOWN_DIALECTS for d in dialects):
        raise Decline


def _str(table: Mapping[str, object], key: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise Decline
    return value


def _sqlite_path(raw: str, root: str) -> str:
    """The file of a plain ``sqlite:///`` URL (no parameters, no percent-encoding)."""
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme.lower() != "sqlite" or not rest.startswith("/"):
        raise Decline
    target = rest[1:]
    if not target or target == ":memory:" or "?" in target or "%" in target:
        raise Decline
    return target if os.path.isabs(target) else os.path.join(root, target)


def _model_modules(root: str, models: str | None, table: Mapping[str, object]) -> list[str]:
    """config.model_modules for these settings."""
    if models:
        return [m.strip() for m in models.split(",") if m.strip()]
    if "models" in table:
        raw = table["models"]
        return [raw] if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
    return modules_in(os.path.join(root, DEFAULT_MODELS_DIR))


def _scan(listed: list[str]) -> list[str]:
    """The names of the migration files among the folder's ``listed`` entries, by
    number; declines what ``list_migrations`` would refuse or treat specially (misnamed
    files, shared numbers)."""
    found = []
    for fname in listed:
        if fname[-3:] != ".py" or fname[:1] in ("_", "."):
            continue
        stem = fname[:-3]
        digits, sep, rest = stem.partition("_")
        if (
            not sep
            or len(digits) < 4
            or not digits.isascii()
            or not digits.isdigit()
            or not rest
            or not _LOWER.issuperset(rest)
        ):
            raise Decline
        found.append((int(digits), stem))
    found.sort()
    for i in range(1, len(found)):
        if found[i][0] == found[i - 1][0]:
            raise Decline
    return [stem for _, stem in found]


class _Lock:
    """The SQLite migration lock, as ``dialects.sqlite.lock`` takes it (the same file,
    the same holder record), but without waiting: a held lock means another run is
    migrating, and the full evolve waits for it. (Importing the SQLite dialect would
    cost a tenth of this whole check.)"""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> None:
        import fcntl

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            raise Decline from None
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        host = os.uname().nodename
        if host.isascii() and host.isprintable() and '"' not in host and "\\" not in host:
            quoted = f'"{host}"'
        else:
            try:
                from _json import encode_basestring_ascii
            except ImportError:  # an interpreter without the C accelerator
                from json.encoder import py_encode_basestring_ascii as encode_basestring_ascii
            quoted = str(encode_basestring_ascii(host))
        os.ftruncate(self.fd, 0)
        text = f'{{"pid": {os.getpid()}, "host": {quoted}, "since": "{since}"}}'
        os.pwrite(self.fd, text.encode(), 0)

    def __exit__(self, *exc: object) -> None:
        import fcntl

        try:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)


def _tracking(path: str) -> tuple[str, int, str | None]:
    """The database's tracking rows (``name checksum`` lines, see :func:`_records`),
    their number and the recorded fingerprint, read-only; declines an older or newer
    tracking layout, a failed record, a row schemashift did not write."""
    try:
        # The C module alone: sqlite3's package adds datetime adapters this never uses.
        from _sqlite3 import Error, connect
    except ImportError:
        from sqlite3 import Error, connect

    try:
        conn = connect(
            f"file:{_uri_path(path)}?mode=ro", uri=True, timeout=BUSY_TIMEOUT, isolation_level=None
        )
    except Error:
        raise Decline from None
    try:
        meta = dict(
            conn.execute(
                f'SELECT "key", value FROM {META_TABLE} '
                "WHERE \"key\" IN ('tracking_version', 'evolve_fingerprint')"
            ).fetchall()
        )
        if str(meta.get("tracking_version", "")).strip() != str(TRACKING_VERSION):
            raise Decline
        # One string rather than a thousand rows; the checks of Recorder.applied in SQL.
        listed, count, odd = conn.execute(
            "SELECT group_concat(name || ' ' || checksum, char(10)), count(*), "
            "count(*) FILTER (WHERE failed IS NOT NULL OR typeof(name) <> 'text' "
            "OR typeof(checksum) <> 'text' OR typeof(batch) <> 'integer') "
            f"FROM {TRACKING_TABLE}"
        ).fetchone()
    except Error:
        raise Decline from None
    finally:
        conn.close()
    if odd or not isinstance(listed, str):
        raise Decline
    recorded = meta.get("evolve_fingerprint")
    return listed, count, recorded if isinstance(recorded, str) else None


def _records(rows: str, count: int) -> dict[str, str]:
    """``{name: checksum}`` of the tracking rows; declines a repeated name."""
    records = dict(line.split(" ") for line in rows.split("\n"))
    if len(records) != count:
        raise Decline
    return records


def _uri_path(path: str) -> str:
    """``path`` for a ``file:`` URI: the characters a URI gives a meaning encoded."""
    for char, code in (("%", "%25"), ("?", "%3f"), ("#", "%23")):
        path = path.replace(char, code)
    return path


_Key = tuple[int, int, int, int, int]
#: What a "nothing to do" answer depended on besides the keys (see :func:`_check`).
_Proven = tuple[str, str, tuple[int, ...], tuple[str, ...], int, str | None, str]


class _Cache:
    """The checksum cache of one migrations folder, in the forms cheapest to load and
    compare: the folder's entries as last listed and the migration names found in them
    (each joined by NUL, which no file name holds), the keys of their files (size,
    modification and change times in ns, inode, device; None for a file too recent to
    be trusted, see :func:`_unchanged`) marshalled at version 2 (which gives equal
    values equal bytes), their checksums (joined by NUL), for the fingerprint's source
    files ``{path: (key, SHA-256 digest)}``, and what the last "nothing to do" answer
    depended on besides those keys (see :func:`_check`; None when the last answer was
    another)."""

    __slots__ = ("changed", "keys", "listed", "names", "proven", "sources", "sums")

    def __init__(
        self,
        listed: str = "",
        names: str = "",
        keys: bytes = b"",
        sums: str = "",
        sources: dict[str, tuple[tuple[int, int, int, int, int], bytes]] | None = None,
        proven: _Proven | None = None,
    ) -> None:
        self.listed = listed
        self.names = names
        self.keys = keys
        self.sums = sums
        self.sources = {} if sources is None else sources
        self.proven = proven
        self.changed = False

    def dump(self) -> bytes:
        values = (self.listed, self.names, self.keys, self.sums, self.sources, self.proven)
        return marshal.dumps((_CHECKSUM_CACHE_FORMAT, *values))


def _key(info: os.stat_result) -> _Key:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def _trusted(info: os.stat_result, start: int) -> bool:
    """Whether a file's key may be cached: both its times are older than the start of
    this run by more than the timestamp granularity, so that any later change gives it
    other times (an edit within the same timestamp could keep size and times)."""
    return max(info.st_mtime_ns, info.st_ctime_ns) < start - GRANULARITY_NS


def _keys(folder: str, names: list[str]) -> list[_Key]:
    """The cache keys of the files ``names`` as they are now."""
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        stats = [os.stat(name + ".py", dir_fd=dir_fd) for name in names]
    finally:
        os.close(dir_fd)
    return [_key(s) for s in stats]


def _unchanged(
    folder: str,
    names: list[str],
    records: Mapping[str, str],
    cache: _Cache,
    listed: str,
    start: int,
    keys: list[_Key] | None,
) -> bool:
    """Whether every file's sqlite checksum is the one recorded, taken from the cache
    where the file's key (in ``keys``, None when nothing is cached) is the cached one,
    else read (and the cache updated)."""
    expected = "\0".join([records[name] for name in names])
    joined = "\0".join(names)
    if (
        keys is not None
        and marshal.dumps(keys, 2) == cache.keys
        and expected == cache.sums
        and (joined == cache.names)
    ):
        return True
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        # With nothing cached (a fresh container) each file is opened once, and its key
        # taken from the open file rather than looked up by name first.
        old = _cached(cache) if keys is not None else {}
        new_keys = _verified(names, expected, dir_fd, start, old, keys)
    finally:
        os.close(dir_fd)
    if new_keys is None:
        return False
    cache.listed, cache.names, cache.sums = listed, joined, expected
    cache.keys = marshal.dumps(new_keys, 2)
    cache.changed = True
    return True


def _cached(cache: _Cache) -> dict[str, tuple[_Key, str]]:
    """``{name: (key, checksum)}`` of the cache's entries."""
    try:
        cached_keys = marshal.loads(cache.keys)
    except (EOFError, ValueError, TypeError):
        cached_keys = []
    # A damaged cache may hold lists of different lengths, or anything at all.
    return dict(
        zip(
            cache.names.split("\0"),
            zip(cached_keys, cache.sums.split("\0"), strict=False),
            strict=False,
        )
    )


def _verified(
    names: list[str],
    expected: str,
    dir_fd: int,
    start: int,
    old: Mapping[str, tuple[_Key, str]],
    keys: list[_Key] | None,
) -> list[_Key | None] | None:
    """The cache keys of the files ``names`` (None for a file too recent to be
    trusted, see :func:`_trusted`) when each one's checksum is the expected one, taken
    from ``old`` where its key (from ``keys``, else from the open file) matches; None as
    soon as one differs or is not a regular file."""
    new_keys: list[_Key | None] = []
    for i, (name, want) in enumerate(zip(names, expected.split("\0"), strict=True)):
        if keys is not None:
            key = keys[i]
            # An entry whose key matches gives the checksum; one whose checksum differs
            # from the record is read again rather than believed.
            if old.get(name) == (key, want):
                new_keys.append(key)
                continue
        fd = os.open(name + ".py", os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
        try:
            info = os.fstat(fd)
            if (info.st_mode & 0o170000) != 0o100000:  # not a regular file
                return None
            data = _read(fd, info.st_size)
        finally:
            os.close(fd)
        if _checksum(data) != want:
            return None
        new_keys.append(_key(info) if _trusted(info, start) else None)
    return new_keys


def _checksum(data: bytes) -> str:
    """The sqlite checksum of a migration file's bytes (``parts.checksum_for``)."""
    if b"\ndef up_" in data or b"\ndialects = " in data:
        from schemashift.migrations.parts import checksum_for

        return checksum_for(data, "sqlite")
    return checksum_of(data)


def _read(fd: int, size: int) -> bytes:
    """The bytes of an open file of ``size`` bytes as last seen: asking one byte more
    finds the end without another read (a short read only makes its checksum differ,
    and the full evolve then reads it again)."""
    data = os.read(fd, size + 1)
    if len(data) <= size:
        return data
    chunks = [data]
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _checksum_cache_file(folder: str) -> str:
    key = checksum_of(f"{folder}\0sqlite".encode("utf-8", "surrogateescape"))[:24]
    return os.path.join(cache_root(), f"checksums-{key}.marshal")


def _load_checksum_cache(cache_file: str) -> _Cache:
    """The cache (empty for a missing or damaged file; values of the right type but
    wrong content match no listing, key or record, and are replaced)."""
    try:
        with open(cache_file, "rb") as f:
            fmt, listed, names, keys, sums, sources, proven = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return _Cache()
    if (
        fmt != _CHECKSUM_CACHE_FORMAT
        or listed.__class__ is not str
        or names.__class__ is not str
        or keys.__class__ is not bytes
        or sums.__class__ is not str
        or sources.__class__ is not dict
        or (proven is not None and proven.__class__ is not tuple)
    ):
        return _Cache()
    return _Cache(listed, names, keys, sums, sources, proven)


def _same_sources(recorded: str, cache: _Cache) -> bool:
    """Whether every source file the recorded fingerprint covers has its cached key."""
    _, _, listed = recorded.partition("\n")
    for path in listed.split("\n") if listed else []:
        entry = cache.sources.get(path)
        if entry.__class__ is not tuple or len(entry) != 2 or entry[0] != _key(os.stat(path)):
            return False
    return True


def _fingerprint_matches(
    recorded: str | None,
    modules: list[str],
    names: list[str],
    records: Mapping[str, str],
    cache: _Cache,
    start: int,
) -> bool:
    """``fingerprint.matches`` with the verified checksums of the tracking table, and
    the digests of the source files it covers cached as the migration files' are."""
    from schemashift.runtime import fingerprint

    if not recorded:
        return False
    value, _, listed = recorded.partition("\n")
    sources = listed.split("\n") if listed else []
    head = fingerprint.header("sqlite", modules, [(name, records[name]) for name in names])
    matched, kept, used = _source_digests(head, value, sources, cache.sources, start)
    if not matched and used:
        # Before the full comparison, make sure no damaged cache entry caused it.
        matched, kept, _ = _source_digests(head, value, sources, {}, start)
    if not matched:
        kept = {}
    if kept != cache.sources:
        cache.sources = kept
        cache.changed = True
    return matched


def _source_digests(
    head: bytes,
    value: str,
    sources: list[str],
    cached: Mapping[str, object],
    start: int,
) -> tuple[bool, dict[str, tuple[tuple[int, int, int, int, int], bytes]], bool]:
    """Whether the fingerprint of ``head`` and ``sources`` is ``value``, with the cache
    entries to keep and whether any cached digest was used."""
    from schemashift.runtime import fingerprint

    kept = {}
    digests = []
    used = False
    for path in sources:
        info = os.stat(path)
        key = _key(info)
        entry = cached.get(path)
        if (
            entry.__class__ is tuple
            and len(entry) == 2
            and entry[0] == key
            and entry[1].__class__ is bytes
        ):
            digest: bytes = entry[1]
            used = True
        else:
            with open(path, "rb") as f:
                digest = sha256(f.read()).digest()
        if _trusted(info, start):
            kept[path] = (key, digest)
        digests.append((path, digest))
    return fingerprint.digest_of(head, digests) == value, kept, used
