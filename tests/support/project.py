"""A project folder for behavioural tests, driven through the real command line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from schemashift.dialects import get_dialect, parse_url


@dataclass
class Result:
    """What one command run produced."""

    code: int
    out: str
    err: str


class ProjectDir:
    """A folder with ``pyproject.toml``, ``src/models`` and ``src/migrations``."""

    def __init__(self, root: Path, database: str) -> None:
        self.root = root
        self.database = database
        self.dialect = parse_url(database, root).dialect
        (root / "src" / "models").mkdir(parents=True, exist_ok=True)
        (root / "pyproject.toml").write_text(
            f'[project]\nname = "t"\n\n[tool.schemashift]\ndatabase = "{database}"\n'
        )

    @property
    def transactional_ddl(self) -> bool:
        """Whether a batch is atomic on this project's database (not on MySQL, where each
        DDL statement commits on its own and each migration is recorded alone)."""
        return get_dialect(self.dialect).transactional_ddl

    @property
    def migrations(self) -> Path:
        """The migrations folder."""
        return self.root / "src" / "migrations"

    def model(self, name: str, source: str) -> None:
        """Write ``src/models/<name>.py`` (prefixed with the schemashift import)."""
        body = textwrap.dedent(source).strip() + "\n"
        header = "from schemashift import SQL, Check, Field, Index, Model\n\n\n"
        path = self.root / "src" / "models" / f"{name}.py"
        path.write_text(header + body)

    def remove_model(self, name: str) -> None:
        """Delete ``src/models/<name>.py``."""
        (self.root / "src" / "models" / f"{name}.py").unlink()

    def files(self) -> list[str]:
        """Migration file names, sorted."""
        if not self.migrations.is_dir():
            return []
        return sorted(p.name for p in self.migrations.glob("[0-9]*.py"))

    def read(self, filename: str) -> str:
        """The text of one migration file."""
        return (self.migrations / filename).read_text()

    def run(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        """Run ``schemashift ARGS`` in a real process, in the project folder."""
        import os

        full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
        full_env.pop("DATABASE_URL", None)
        if env and "DATABASE_URL" in env:
            full_env["DATABASE_URL"] = env["DATABASE_URL"]
        done = subprocess.run(
            [sys.executable, "-m", "schemashift", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            input=input,
            env=full_env,
            timeout=300,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Result:
        """Run and insist on exit 0, showing the output otherwise."""
        result = self.run(*args)
        assert result.code == 0, (
            f"schemashift {' '.join(args)} -> {result.code}\n{result.out}\n{result.err}"
        )
        return result
