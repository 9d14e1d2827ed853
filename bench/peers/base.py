"""What the benchmark needs from each tool: project files and commands."""

from __future__ import annotations

import copy
import shutil
import sqlite3
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from measure import BenchFailure, Run, tail
from postgres import Server
from workloads.spec import Tab
from workloads.w2 import Step

DB_NAME = "db.sqlite3"


class Adapter(ABC):
    """One tool. A project lives in a folder ``root`` with its database at
    ``root/db.sqlite3``; the benchmark resets files between runs through these methods
    and runs the commands they return, each in a fresh process with ``cwd=root``."""

    name: ClassVar[str]
    #: How the tool's migration file names end.
    suffix: ClassVar[str] = ".py"
    #: The URL of the project's PostgreSQL database; None for SQLite (``db.sqlite3``).
    database: str | None = None

    def on_postgres(self, url: str) -> Adapter:
        """This tool with its projects configured for the PostgreSQL database ``url``."""
        other = copy.copy(self)
        other.database = url
        return other

    def db(self, root: Path) -> Path:
        """The project's SQLite database file."""
        return root / DB_NAME

    @abstractmethod
    def migrations_dir(self, root: Path) -> Path:
        """The folder holding the project's migration files."""

    def migration_files(self, root: Path) -> list[Path]:
        """The project's migration files (names starting with a digit), in order."""
        folder = self.migrations_dir(root)
        if not folder.is_dir():
            return []
        return sorted(
            p for p in folder.iterdir() if p.name[:1].isdigit() and p.suffix == self.suffix
        )

    @abstractmethod
    def write_project(self, root: Path, tables: Sequence[Tab]) -> None:
        """A fresh project (configuration, models for ``tables``) without migrations."""

    @abstractmethod
    def write_history(self, root: Path, steps: Sequence[Step]) -> None:
        """One migration file per step, replacing any existing ones."""

    @abstractmethod
    def write_rebuild(self, root: Path, before: Tab, after: Tab) -> None:
        """Two migrations: 0001 creates ``before``, 0002 turns it into ``after``; the
        models say ``after``."""

    @abstractmethod
    def help(self) -> list[str]:
        """The command line that prints the tool's help."""

    @abstractmethod
    def status(self) -> list[str]:
        """The command line that lists the migrations and whether each is applied."""

    @abstractmethod
    def make(self, name: str) -> list[str]:
        """The command line that generates a migration from the models."""

    @abstractmethod
    def check(self) -> list[str]:
        """The command line that checks models against migrations, exiting 0 when they
        agree."""

    @abstractmethod
    def migrate(self, upto: int | None = None) -> list[str]:
        """The command line that applies pending migrations (up to number ``upto``)."""

    @abstractmethod
    def applied(self, db: Path) -> int:
        """How many migrations the tool recorded as applied in ``db``."""

    @abstractmethod
    def applied_on(self, server: Server, database: str) -> int:
        """How many migrations the tool recorded as applied in PostgreSQL ``database``."""

    @abstractmethod
    def status_shows(self, run: Run, applied: int) -> bool:
        """Whether the status output reports ``applied`` applied migrations."""

    def made_nothing(self, root: Path, before: list[Path]) -> bool:
        """Whether a ``make`` with nothing to do left the migrations as ``before``; a tool
        that writes an empty file anyway may remove it here."""
        return self.migration_files(root) == before

    def clear_migrations(self, root: Path) -> None:
        """Remove every migration file (and compiled leftovers)."""
        for path in self.migration_files(root):
            path.unlink()
        shutil.rmtree(self.migrations_dir(root) / "__pycache__", ignore_errors=True)

    def call(self, argv: Sequence[str], root: Path) -> Run:
        """Run a setup command (not timed) and fail loudly when it fails."""
        done = subprocess.run(list(argv), cwd=root, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchFailure(
                f"{self.name} setup command {' '.join(argv)!r} failed:\n"
                + tail(done.stderr or done.stdout, 20)
            )
        return Run(0.0, 0.0, 0, 0, done.stdout, done.stderr)


def count_rows(db: Path, sql: str) -> int:
    """The single integer ``sql`` returns, or 0 when its table does not exist."""
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()
