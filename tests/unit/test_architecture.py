"""The layering the folder names promise: no import cycles between packages, and no
module outside ``dialects/`` importing one database's package."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import schemashift

ROOT = Path(schemashift.__file__).parent
DATABASES = (
    "schemashift.dialects.sqlite",
    "schemashift.dialects.postgres",
    "schemashift.dialects.mysql",
)


def _imports() -> dict[str, set[str]]:
    """Module name -> the schemashift modules it imports (at any level of the file)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found[module].update(n for n in names if n.startswith("schemashift."))
    return found


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_packages_import_each_other_without_cycles() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in _imports().items():
        for target in targets:
            if _package(target) != _package(module):
                graph[_package(module)].add(_package(target))
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            assert nxt not in path, "import cycle: " + " -> ".join([*path, nxt])
            if nxt not in done:
                visit(nxt, [*path, nxt])
        done.add(node)

    for package in sorted(graph):
        visit(package, [package])


def test_only_dialects_import_a_database_package() -> None:
    offenders = [
        f"{module} imports {target}"
        for module, targets in _imports().items()
        if not module.startswith("schemashift.dialects")
        for target in targets
        if target.startswith(DATABASES)
    ]
    assert offenders == []
