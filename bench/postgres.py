"""A throwaway PostgreSQL server for the benchmark, and what the bench asks of it.

The server is started with ``scripts/pg.sh`` (the test suite's), in a folder of its own,
and stopped at the end even when a figure fails. The bench's own interpreter needs no
PostgreSQL driver: every administrative statement and every check goes through ``psql``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from measure import BenchFailure, tail

REPO = Path(__file__).resolve().parent.parent
_PG_SH = REPO / "scripts" / "pg.sh"
#: scripts/pg.sh's exit status when PostgreSQL is not installed.
_NOT_INSTALLED = 3
# A statement as the server logs it with log_statement = 'all': a simple query
# ("statement:") or a bound one ("execute <name>:"), after the "%m [%p] " prefix.
_LOGGED = re.compile(r"\[(\d+)\] LOG:  (?:statement|execute [^:]*): (.*)")


def _psql_path() -> str | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "psql").exists():
            return str(folder / "psql")
    return shutil.which("psql")


@dataclass(frozen=True)
class Server:
    """A running server: its folder (data and ``server.log``) and its admin URL."""

    folder: Path
    admin_url: str
    psql: str

    def url(self, database: str) -> str:
        """The URL of ``database`` on this server."""
        return self.admin_url.rsplit("/", 1)[0] + "/" + database

    def _run(self, url: str, *commands: str) -> str:
        argv = [self.psql, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", url]
        for command in commands:
            argv += ["-c", command]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchFailure(f"psql failed: {tail(done.stderr or done.stdout)}")
        return done.stdout

    def admin(self, *commands: str) -> None:
        """Run each of ``commands`` on its own (CREATE DATABASE refuses a transaction)."""
        self._run(self.admin_url, *commands)

    def rows(self, database: str, sql: str) -> list[list[str]]:
        """The rows ``sql`` returns in ``database``, each value as text (NULL as '')."""
        out = self._run(self.url(database), sql)
        return [line.split("\t") for line in out.splitlines() if line]

    def fresh(self, database: str, template: str = "template0") -> None:
        """Drop ``database`` and create it again as a copy of ``template``. FILE_COPY
        checkpoints before and after the copy, so no write-back of an earlier run's
        changes falls into the timed run that follows."""
        self.admin(
            f"DROP DATABASE IF EXISTS {database} WITH (FORCE)",
            f"CREATE DATABASE {database} TEMPLATE {template} STRATEGY FILE_COPY",
        )

    def copy_in(self, database: str, table: str, columns: Sequence[str], csv: Path) -> None:
        """Load ``csv`` into ``table`` with COPY (psql's client-side ``\\copy``)."""
        self._run(
            self.url(database),
            f"\\copy {table} ({', '.join(columns)}) FROM '{csv}' WITH (FORMAT csv)",
        )

    def keep_as(self, database: str, template: str) -> None:
        """Copy ``database`` into ``template`` (frozen and analysed first, so that every
        copy starts with the same clean pages) for later :meth:`fresh` copies."""
        self.rows(database, "VACUUM (FREEZE, ANALYZE)")
        self.fresh(template, database)

    def log_size(self) -> int:
        """How far ``server.log`` reaches now."""
        return (self.folder / "server.log").stat().st_size

    def log_statements(self, database: str) -> None:
        """Make the server log every statement sent to ``database`` (until it is dropped)."""
        self.admin(f"ALTER DATABASE {database} SET log_statement = 'all'")

    def logged_since(self, offset: int) -> list[tuple[str, str]]:
        """``(server process id, first line of the statement)`` of each statement logged
        since ``offset`` of ``server.log``."""
        with open(self.folder / "server.log", "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        return [(m.group(1), m.group(2)) for m in _LOGGED.finditer(text)]


@contextmanager
def server(progress: Callable[[str], None]) -> Iterator[Server | None]:
    """A server for the duration of the block, or None (with a printed note) when
    PostgreSQL is not installed. The folder lives under the system's temporary folder:
    run as root, the server runs as another user, who must be able to reach it."""
    psql = _psql_path()
    folder = Path(tempfile.mkdtemp(prefix="schemashift-bench-pg-"))
    started = subprocess.run(
        ["bash", str(_PG_SH), "start", str(folder)], capture_output=True, text=True, check=False
    )
    try:
        if started.returncode == _NOT_INSTALLED or (started.returncode == 0 and psql is None):
            progress(
                "note: PostgreSQL is not installed (initdb, pg_ctl, psql); its figures are skipped"
            )
            yield None
            return
        if started.returncode != 0:
            raise SystemExit(f"error: could not start PostgreSQL: {tail(started.stderr, 20)}")
        assert psql is not None
        url = started.stdout.strip()
        progress(f"PostgreSQL server at {url} in {folder}")
        yield Server(folder, url, psql)
    finally:
        subprocess.run(["bash", str(_PG_SH), "stop", str(folder)], capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def scalar(srv: Server, database: str, sql: str) -> str:
    """The single value ``sql`` returns."""
    rows = srv.rows(database, sql)
    if len(rows) != 1 or len(rows[0]) != 1:
        raise BenchFailure(f"expected one value from {sql!r}, got {rows[:3]}")
    return rows[0][0]


def count(srv: Server, database: str, table: str, where: str = "") -> int:
    """Rows of ``table``, or 0 when it does not exist."""
    exists = scalar(srv, database, f"SELECT to_regclass('{table}') IS NOT NULL")
    if exists != "t":
        return 0
    return int(scalar(srv, database, f"SELECT COUNT(*) FROM {table} {where}"))


def columns(srv: Server, database: str) -> dict[str, set[str]]:
    """Every table of schema ``public`` with its column names."""
    out: dict[str, set[str]] = {}
    for table, column in srv.rows(
        database,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public'",
    ):
        out.setdefault(table, set()).add(column)
    return out


def indexes(srv: Server, database: str) -> dict[str, set[tuple[str, ...]]]:
    """Every table of schema ``public`` with the column lists of its indexes."""
    out: dict[str, set[tuple[str, ...]]] = {}
    for table, cols in srv.rows(
        database,
        "SELECT t.relname, string_agg(a.attname, ',' ORDER BY k.ord) "
        "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "WHERE n.nspname = 'public' GROUP BY t.relname, i.indexrelid",
    ):
        out.setdefault(table, set()).add(tuple(cols.split(",")))
    return out
