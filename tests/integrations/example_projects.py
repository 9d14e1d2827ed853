"""Copies of the example projects, so that tests never write into the repository."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def copy_example(name: str, destination: Path) -> Path:
    """``examples/<name>`` copied to ``destination`` (databases and caches left out)."""
    target = destination / name
    shutil.copytree(
        EXAMPLES / name,
        target,
        ignore=shutil.ignore_patterns("*.sqlite3", "*.schemashift-lock", "__pycache__"),
    )
    return target


def load(path: Path, name: str) -> ModuleType:
    """Import the file ``path`` as a fresh module called ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def add_field(project: Path, line: str) -> None:
    """Append a field declaration to the example's Note model."""
    models = project / "src" / "models" / "notes.py"
    models.write_text(models.read_text() + f"    {line}\n")


def drop_field(project: Path, attribute: str) -> None:
    """Remove a field declaration from the example's Note model."""
    models = project / "src" / "models" / "notes.py"
    kept = [x for x in models.read_text().splitlines() if not x.strip().startswith(attribute)]
    models.write_text("\n".join(kept) + "\n")
