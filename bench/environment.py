"""The peers' virtual environment (Django, Alembic, SQLAlchemy, matplotlib) and the
versions of everything measured."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REQUIREMENTS = BENCH / "peers-requirements.txt"
_STAMP = ".bench-requirements"
_VERSIONS = """\
import json, sqlite3, sys
from importlib import metadata
names = {names!r}
out = {{"python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version}}
for name in names:
    try:
        out[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment."""
    return venv / "bin" / "python"


def peers_env(
    venv: Path, base_python: str, create: bool, progress: Callable[[str], None]
) -> Path | None:
    """The peers' interpreter, creating and filling the environment when ``create`` and it
    is missing or out of date; None (with a printed note) when it cannot be had."""
    wanted = REQUIREMENTS.read_text()
    stamp = venv / _STAMP
    if stamp.exists() and stamp.read_text() == wanted and venv_python(venv).exists():
        return venv_python(venv)
    if not create:
        progress(f"note: no peers environment at {venv}; Django and Alembic are skipped")
        return None
    progress(f"creating the peers environment at {venv} (needs the package index)")
    try:
        subprocess.run([base_python, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(venv_python(venv)), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        progress(f"note: could not build the peers environment ({exc}); peers are skipped")
        return None
    stamp.write_text(wanted)
    return venv_python(venv)


def versions(python: str, names: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Python, SQLite and package versions as seen by ``python``."""
    done = subprocess.run(
        [python, "-c", _VERSIONS.format(names=names)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-200:]}
    return dict(json.loads(done.stdout))


def machine() -> dict[str, str | int | None]:
    """What the numbers were measured on."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "bench_python": sys.version.split()[0],
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def private_cache(folder: Path) -> Path:
    """Point ``XDG_CACHE_HOME`` of this process and of every command it starts at an
    emptied ``folder``: what a tool caches there (schemashift's replay cache) stays out of
    the user's own cache and never carries over from an earlier benchmark run."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["XDG_CACHE_HOME"] = str(folder)
    return folder


def plain_python_env() -> list[str]:
    """Remove the ``PYTHON*`` variables from the environment every measured command
    inherits, and return their names. A user's shell does not set them, and they change
    what is measured: ``PYTHONDONTWRITEBYTECODE`` makes every run compile again what it
    imports (all of Django's migration files, schemashift's edited modules) and
    ``PYTHONUNBUFFERED`` turns each line of output into a write of its own."""
    removed = sorted(name for name in os.environ if name.startswith("PYTHON"))
    for name in removed:
        del os.environ[name]
    return removed


def source_revision(repo: Path) -> str:
    """The commit schemashift was measured at, noting uncommitted changes under src/."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True
    )
    if head.returncode != 0:
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "src"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    return head.stdout.strip() + (" with uncommitted changes in src/" if dirty else "")
