"""Commands run as an ordinary user, for tests about file permissions.

Root reads and writes every file, so a permission test proves nothing as root. When the
tests run as root, :func:`run` runs its command as ``nobody`` instead (through
``setpriv``), in a folder from :func:`folder` handed over with :func:`hand_over`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.project import Result

#: The uid and gid of ``nobody``.
NOBODY = 65534


@contextmanager
def folder() -> Iterator[Path]:
    """A new folder that ``nobody`` can reach (pytest's own temporary folders are private
    to the user running the tests), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="schemashift-permissions-"))
    try:
        path.chmod(0o755)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def hand_over(path: Path) -> None:
    """Make ``path`` and everything under it belong to the user :func:`run` runs as."""
    if os.geteuid() != 0:
        return
    for item in [path, *path.rglob("*")]:
        os.chown(item, NOBODY, NOBODY, follow_symlinks=False)


def run(cwd: Path, *argv: str) -> Result:
    """Run the Python interpreter with ``argv`` in ``cwd`` as an ordinary user."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root, and setpriv is missing to run as nobody")
        prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
    env = {**os.environ, "NO_COLOR": "1", "HOME": str(cwd), "XDG_CACHE_HOME": str(cwd / ".cache")}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [*prefix, sys.executable, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return Result(done.returncode, done.stdout, done.stderr)
