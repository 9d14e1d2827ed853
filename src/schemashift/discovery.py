"""Finding and importing the project's model classes."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from schemashift.config import model_modules
from schemashift.errors import ModelError
from schemashift.migrations.files import sha256 as _sha256

# Only for annotations: evolve() lists the model modules at every application start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType

    from schemashift.config import Settings
    from schemashift.models import Model


class _FreshLoader(importlib.machinery.SourceFileLoader):
    """Loads the code compiled from the source as it is now. Python's own bytecode cache
    trusts a ``.pyc`` whose recorded source time (whole seconds) and size match, so an
    edit made within the same second that keeps the size would be missed by ``make
    migration``; this loader's cache is checked against a hash of the source instead."""

    def get_code(self, fullname: str) -> CodeType:
        return compiled(self.path, self.get_data(self.path))


def compiled(path: str, source: bytes) -> CodeType:
    """``source`` compiled as the module file ``path``, reusing the code compiled from
    exactly these bytes before (see :func:`schemashift.caching.compiled`)."""
    from schemashift.caching import compiled as cached

    return cached(path, source, "models")


class _ProjectFinder:
    """Finds modules as usual, but loads the project's own source files fresh (a meta
    path finder: ``find_spec`` is all the import system asks of it)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        origin = spec.origin if spec is not None else None
        if (
            spec is None
            or origin is None
            or not origin.endswith(".py")
            or not Path(origin).resolve().is_relative_to(self.root)
        ):
            return None
        return importlib.util.spec_from_file_location(
            fullname,
            origin,
            loader=_FreshLoader(fullname, origin),
            submodule_search_locations=spec.submodule_search_locations,
        )


@contextmanager
def _project_on_path(settings: Settings) -> Iterator[None]:
    """The project root and ``src/`` on ``sys.path`` while model files are imported, so
    that they can import each other (``from models.user import User``), with the
    project's files compiled from source."""
    added = [str(p) for p in (settings.root / "src", settings.root) if str(p) not in sys.path]
    sys.path[:0] = added
    finder = _ProjectFinder(settings.root)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for p in added:
            if p in sys.path:
                sys.path.remove(p)


def _forget_stale(names: list[str], settings: Settings) -> None:
    """Drop imported model modules that come from another project or whose file changed
    since (tests and long-running apps may load several projects in one process)."""
    packages = {n.split(".", 1)[0] for n in names}
    for name in list(sys.modules):
        if name.split(".", 1)[0] not in packages:
            continue
        module = sys.modules[name]
        file = getattr(module, "__file__", None)
        if file is None:
            path = list(getattr(module, "__path__", []))
            if not path or Path(path[0]).resolve().is_relative_to(settings.root):
                continue
            del sys.modules[name]
            continue
        source = Path(file)
        stamp = getattr(module, "__schemashift_stamp__", None)
        if not source.resolve().is_relative_to(settings.root) or (
            stamp is not None and source.exists() and _stamp(source) != stamp
        ):
            del sys.modules[name]


def _stamp(path: Path) -> str:
    """What a model file holds now: file times are too coarse to tell two quick edits
    apart, so the content decides whether an imported module is stale."""
    return str(_sha256(path.read_bytes()).hexdigest())


def load_models(settings: Settings) -> list[type[Model]]:
    """Import the model files and return their Model subclasses in declaration order."""
    from schemashift.models import Model

    found: list[type[Model]] = []
    seen: set[type[Model]] = set()
    names = model_modules(settings)
    _forget_stale(names, settings)
    with _project_on_path(settings):
        for name in names:
            module = _import(name, settings)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, Model)
                    and value is not Model
                    and value.__module__ == module.__name__
                    and not value.__dict__.get("__abstract__", False)
                    and value not in seen
                ):
                    seen.add(value)
                    found.append(value)
    return found


def _import(name: str, settings: Settings) -> ModuleType:
    try:
        module = importlib.import_module(name)
        file = getattr(module, "__file__", None)
        if file and not hasattr(module, "__schemashift_stamp__"):
            module.__schemashift_stamp__ = _stamp(Path(file))  # type: ignore[attr-defined]
        return module
    except SyntaxError as exc:
        where = _relative(Path(exc.filename or name), settings.root)
        raise ModelError(
            f"Model file {where}, line {exc.lineno}: syntax error ({exc.msg}). "
            "Fix the file and run the command again."
        ) from exc
    except ModuleNotFoundError as exc:
        if exc.name == name or name.startswith(f"{exc.name}."):
            raise ModelError(
                f"Model module {name!r} cannot be found from {settings.root}. Check the "
                "models setting (--models or [tool.schemashift] models)."
            ) from exc
        raise _import_error(exc, name, settings) from exc
    except Exception as exc:
        raise _import_error(exc, name, settings) from exc


def _import_error(exc: BaseException, name: str, settings: Settings) -> ModelError:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    project_frames = [f for f in frames if Path(f.filename).resolve().is_relative_to(settings.root)]
    chosen = project_frames or frames
    where = name
    if chosen:
        frame = chosen[-1]
        where = f"{_relative(Path(frame.filename), settings.root)}, line {frame.lineno}"
    return ModelError(
        f"Model file {where}: {type(exc).__name__}: {exc}. Fix the file and run the command again."
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
