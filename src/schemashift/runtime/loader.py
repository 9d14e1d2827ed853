"""Loading one migration file to run it (only when it is about to run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from schemashift.errors import MigrationFileError
from schemashift.migrations.files import MigrationFile, check_nul, source_error

if TYPE_CHECKING:
    from types import CodeType


class LoadedMigration(NamedTuple):
    """A migration's functions and options."""

    file: MigrationFile
    up: Callable[[Any], Any]
    down: Callable[[Any], Any] | None
    atomic: bool
    checksum: str
    #: The bytes that were loaded, kept with the record so that a host without the file
    #: can write it back.
    source: bytes | None = None
    #: ``table.column`` names whose conversions may change stored values (SPEC §4).
    accept_value_changes: frozenset[str] = frozenset()


def load(file: MigrationFile, data: bytes | None = None, *, dialect: str) -> LoadedMigration:
    """Compile and execute the file in a fresh namespace (it never enters
    ``sys.modules``), and return its ``up``/``down`` for a ``dialect`` database. ``data``
    stands in for the file's bytes when the file is gone (the copy the tracking table
    keeps). A file that declares dialects without ``dialect`` is refused."""
    from schemashift.migrations.parts import checksum_for, refuse_without_part

    if data is None:
        data = file.read_bytes()
    check_nul(file, data)
    refuse_without_part(file, data, dialect)
    # The operations literal at the end is data for replay; up() and down() never use it,
    # and compiling it can cost more than the rest of a large file.
    at = data.rfind(b"\noperations = ")
    source = data[: at + 1] if at >= 0 else data
    try:
        code = _compiled(file.location, source)
    except SyntaxError as exc:
        raise source_error(file, exc) from exc
    namespace: dict[str, Any] = {
        "__name__": f"schemashift_migration_{file.name}",
        "__file__": file.location,
    }
    try:
        exec(code, namespace)
    except Exception as exc:
        line = raising_line(file, exc)
        where = f", line {line[0]}" if line else ""
        raise MigrationFileError(
            f"Migration file {file.path}{where} fails to load: {type(exc).__name__}: {exc}. Fix "
            "the file; nothing was changed."
        ) from exc
    up = namespace.get("up")
    if not callable(up):
        raise MigrationFileError(
            f"Migration file {file.path} has no up(conn) function. Add one (see "
            "`schemashift make migration NAME --empty` for a template); nothing was changed."
        )
    down = namespace.get("down")
    atomic = namespace.get("atomic", True)
    if not isinstance(atomic, bool):
        raise MigrationFileError(f"Migration file {file.path}: atomic must be True or False.")
    accepted = _accepted(file, _accept_value_changes(data))
    paramstyle = namespace.get("paramstyle", "native")
    if paramstyle not in ("native", "named"):
        raise MigrationFileError(
            f'Migration file {file.path}: paramstyle must be "native" (the driver\'s own '
            'placeholders) or "named" (:name on every database). Fix the file; nothing was '
            "changed."
        )
    return LoadedMigration(
        file,
        _accepting(up, accepted, paramstyle),
        _accepting(down, accepted, paramstyle) if callable(down) else None,
        atomic,
        checksum_for(data, dialect),
        data,
        accepted,
    )


#: From this size on, a file's compiled code is kept in the cache folder: compiling a
#: large generated migration (hundreds of tables) costs more than checking the cache,
#: while for a small file the cache's own file would cost more than it saves.
_CACHED_FROM = 16 * 1024


def _compiled(path: str, source: bytes) -> CodeType:
    if len(source) < _CACHED_FROM:
        return compile(source, path, "exec", dont_inherit=True)
    from schemashift.caching import compiled

    return compiled(path, source, "migrations")


def _accept_value_changes(data: bytes) -> object:
    """The literal assigned to ``accept_value_changes`` at module level, wherever it
    stands in the file (even after the operations list, which :func:`load` does not
    run), or ``()``."""
    if b"accept_value_changes" not in data:
        return ()
    import ast

    for node in ast.parse(data).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == "accept_value_changes" for t in targets):
            assert isinstance(node, ast.Assign)
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return None
    return ()


def _accepted(file: MigrationFile, value: object) -> frozenset[str]:
    """The file's ``accept_value_changes``: a list of ``"table.column"`` strings."""
    if isinstance(value, (list, tuple)) and all(
        isinstance(name, str) and "." in name for name in value
    ):
        return frozenset(value)
    raise MigrationFileError(
        f"Migration file {file.path}: accept_value_changes must be a list of "
        '"table.column" strings, such as ["users.age"]. Fix the file; nothing was changed.'
    )


def _accepting(
    func: Callable[[Any], Any], accepted: frozenset[str], paramstyle: str
) -> Callable[[Any], Any]:
    """``func`` telling the connection, before it runs, which conversions the file
    accepts (the connection's ``check_values`` then lets them change values) and which
    placeholders its statements use."""
    if not accepted and paramstyle == "native":
        return func

    def run(conn: Any) -> Any:
        conn.accepted_value_changes = accepted
        conn.paramstyle = paramstyle
        return func(conn)

    return run


def raising_line(file: MigrationFile, exc: BaseException) -> tuple[int, str] | None:
    """The line of ``file`` (number and text) where ``exc`` was raised, or from where the
    code that raised it was called; None when no frame of the traceback is in the file."""
    filename = file.location
    number = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            number = tb.tb_lineno
        tb = tb.tb_next
    if number is None:
        return None
    try:
        lines = file.read_bytes().decode("utf-8", errors="replace").splitlines()
    except MigrationFileError:
        lines = []
    text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    return number, text
