"""The PostgreSQL figures: W1 and W2 ``migrate``, W2 status and ``migrate`` with nothing
pending, and W3, on a throwaway server, each run on a fresh database.

Each tool has a database of its own (``bench_<tool>``), dropped and created again before
every run (untimed) as a copy of an empty template or of a template prepared once: all
migrations applied for status, the W3 table with its rows. The figures are named
``pg.<figure>``; statement counts of one extra, untimed run per tool are returned for the
report (what the migration lock and the per-batch ``lock_timeout`` add).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

import verify
from measure import BenchFailure, Job, Result, Run, measure, run_once
from peers.base import Adapter
from peers.floor import Floor
from postgres import Server
from scenarios import Plan, _setup
from workloads import w1, w2, w3
from workloads.spec import Tab

#: Statement counts: figure -> tool -> what was counted.
Counts = dict[str, dict[str, dict[str, int]]]


def database(a: Adapter) -> str:
    """The tool's database on the bench's server."""
    return f"bench_{a.name}"


def on_server(adapters: Sequence[Adapter], server: Server) -> list[Adapter]:
    """The tools configured for their databases on ``server`` (the SQLite floor becomes
    the psycopg floor)."""
    from peers.floor import FloorPostgres

    out = []
    for a in adapters:
        tool = FloorPostgres(a.python) if isinstance(a, Floor) else a
        out.append(tool.on_postgres(server.url(database(a))))
    return out


def _template(figure: str, a: Adapter) -> str:
    return f"tpl_{figure}_{a.name}"


def _migrate_job(
    figure: str,
    server: Server,
    a: Adapter,
    root: Path,
    tables: Sequence[Tab],
    applied: int,
    template: str = "template0",
) -> Job:
    db = database(a)

    def check(run: Run) -> None:
        run.require_success()
        verify.pg_schema(server, db, tables)
        got = a.applied_on(server, db)
        if got != applied:
            raise BenchFailure(f"{got} migrations recorded, want {applied}")

    prepare = partial(server.fresh, db, template)
    return Job(f"pg.{figure}", a.name, a.migrate(), root, prepare=prepare, verify=check)


def workload1(
    plan: Plan, server: Server, adapters: Sequence[Adapter], models: int, columns: int
) -> list[Result]:
    """W1 ``migrate``: the initial migration of many models (made once by each tool's own
    ``make``, untimed) applied to an empty database."""
    plan.progress(f"PostgreSQL W1: migrate {models} models x {columns} columns")
    tables = w1.tables(models, columns)
    roots = {a.name: plan.work / "pg" / "w1" / a.name for a in adapters}

    def made(a: Adapter) -> None:
        root = roots[a.name]
        a.write_project(root, tables)
        if not isinstance(a, Floor):
            a.clear_migrations(root)
            server.fresh(database(a))
            a.call(a.make("initial"), root)
        if len(a.migration_files(root)) != 1:
            raise BenchFailure(f"expected one migration, found {a.migration_files(root)}")

    ready = _setup(plan, adapters, "pg.w1", made)
    jobs = [_migrate_job("w1.migrate", server, a, roots[a.name], tables, 1) for a in ready]
    return measure(jobs, plan.runs, plan.warmup, plan.progress)


def count_statements(server: Server, a: Adapter, root: Path, template: str) -> dict[str, int]:
    """Run ``migrate`` once (untimed) on a fresh copy of ``template`` with every statement
    logged: statements sent, connections that sent them, and of those statements the
    ones that take or release the migration lock and that set ``lock_timeout``."""
    db = database(a)
    server.fresh(db, template)
    server.log_statements(db)
    offset = server.log_size()
    run_once(Job("count", a.name, a.migrate(), root)).require_success()
    logged = server.logged_since(offset)
    return {
        "statements": len(logged),
        "connections": len({pid for pid, _ in logged}),
        "lock": sum("advisory" in text for _, text in logged),
        "lock_timeout": sum("lock_timeout" in text for _, text in logged),
    }


def workload2(
    plan: Plan, server: Server, adapters: Sequence[Adapter], length: int, counts: Counts
) -> list[Result]:
    """W2: ``migrate`` of a long history from empty, then status and ``migrate`` with
    every migration applied."""
    plan.progress(f"PostgreSQL W2: history of {length} migrations")
    steps = w2.history(length)
    tables = w2.final_tables(steps)
    roots = {a.name: plan.work / "pg" / f"w2-{length}" / a.name for a in adapters}

    def write(a: Adapter) -> None:
        root = roots[a.name]
        a.write_project(root, tables)
        a.write_history(root, steps)
        if a.name == "schemashift":
            # The history must be what make migration writes: it finds nothing to do.
            a.call(a.check(), root)

    ready = _setup(plan, adapters, f"pg.w2-{length}", write)
    migrated = measure(
        [_migrate_job("w2.migrate", server, a, roots[a.name], tables, length) for a in ready],
        plan.runs,
        plan.warmup,
        plan.progress,
    )
    ok = {r.tool for r in migrated if r.ok}

    def keep_head(a: Adapter) -> None:
        server.fresh(database(a))
        a.call(a.migrate(), roots[a.name])
        server.keep_as(database(a), _template("w2", a))

    at_head = _setup(plan, [a for a in ready if a.name in ok], f"pg.w2-{length}-head", keep_head)
    jobs = []
    for a in at_head:
        root, head = roots[a.name], _template("w2", a)

        def shows(run: Run, a: Adapter = a) -> None:
            run.require_success()
            if not a.status_shows(run, length):
                raise BenchFailure(f"status does not show {length} applied: {run.stdout[-300:]!r}")

        prepare = partial(server.fresh, database(a), head)
        jobs.append(Job("pg.w2.status", a.name, a.status(), root, prepare=prepare, verify=shows))
        jobs.append(_migrate_job("w2.migrate_noop", server, a, root, tables, length, head))
    results = migrated + measure(jobs, plan.runs, plan.warmup, plan.progress)

    def counted(a: Adapter) -> None:
        root = roots[a.name]
        counts.setdefault("pg.w2.migrate", {})[a.name] = count_statements(
            server, a, root, "template0"
        )
        counts.setdefault("pg.w2.migrate_noop", {})[a.name] = count_statements(
            server, a, root, _template("w2", a)
        )

    _setup(plan, at_head, "pg.w2-statements", counted)
    return results


def workload3(plan: Plan, server: Server, adapters: Sequence[Adapter], rows: int) -> list[Result]:
    """W3: one migration that makes a text column with NULLs NOT NULL DEFAULT '' and an
    integer column a bigint, on a table of ``rows`` rows; every row must survive."""
    plan.progress(f"PostgreSQL W3: change a {rows:,}-row table")
    data = plan.work / "w3" / f"data-{rows}.sqlite3"
    data.parent.mkdir(parents=True, exist_ok=True)
    facts = w3.build_data(data, rows)
    csv = w3.export_csv(data, data.with_suffix(".csv"))
    roots = {a.name: plan.work / "pg" / "w3" / a.name for a in adapters}

    def base(a: Adapter) -> None:
        root, db = roots[a.name], database(a)
        a.write_rebuild(root, w3.BEFORE, w3.AFTER_PG)
        server.fresh(db)
        a.call(a.migrate(upto=1), root)
        server.copy_in(db, w3.TABLE, w3.columns(), csv)
        server.keep_as(db, _template("w3", a))

    ready = _setup(plan, adapters, "pg.w3", base)
    jobs = []
    for a in ready:
        db = database(a)

        def check(run: Run, a: Adapter = a, db: str = db) -> None:
            run.require_success()
            verify.pg_schema(server, db, [w3.AFTER_PG])
            verify.pg_rows_kept(server, db, facts)
            if a.applied_on(server, db) != 2:
                raise BenchFailure("the change migration was not recorded")

        prepare = partial(server.fresh, db, _template("w3", a))
        jobs.append(
            Job("pg.w3.migrate", a.name, a.migrate(), roots[a.name], prepare=prepare, verify=check)
        )
    return measure(jobs, plan.runs, plan.warmup, plan.progress)


def run_all(
    plan: Plan,
    server: Server,
    adapters: Sequence[Adapter],
    models: int,
    columns: int,
    length: int,
    rows: int,
    counts: Counts,
) -> list[Result]:
    """Every PostgreSQL figure."""
    tools = on_server(adapters, server)
    return (
        workload1(plan, server, tools, models, columns)
        + workload2(plan, server, tools, length, counts)
        + workload3(plan, server, tools, rows)
    )
