"""The benchmark's figures: project set-up, then one job per tool for each figure."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import verify
from measure import BARE, FLOOR_FILES, BenchFailure, Job, Result, Run, measure, run_once
from peers.base import Adapter
from peers.floor import Floor
from peers.schemashift_ import Schemashift
from workloads import sqlite_sql, w1, w2, w3
from workloads.spec import Tab

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """How many runs, and where to work. ``failures`` collects set-ups that failed, so
    that a tool missing from a figure is reported rather than silently left out."""

    work: Path
    runs: int
    warmup: int
    progress: Progress = print
    failures: list[Result] = field(default_factory=list)


def _reset_db(adapter: Adapter, root: Path, source: Path | None = None) -> None:
    db = adapter.db(root)
    for path in (db, db.with_name(db.name + "-journal"), db.with_name(db.name + "-wal")):
        path.unlink(missing_ok=True)
    if source is not None:
        shutil.copyfile(source, db)


def _failed(figure: str, tool: str, why: str) -> Result:
    return Result(figure, tool, error=why)


def _setup(
    plan: Plan, adapters: Sequence[Adapter], what: str, fn: Callable[[Adapter], object]
) -> list[Adapter]:
    """Run ``fn`` for each adapter; those whose set-up fails are reported and dropped."""
    ready = []
    for adapter in adapters:
        try:
            fn(adapter)
            ready.append(adapter)
        except BenchFailure as exc:
            plan.progress(f"  {what} [{adapter.name}] set-up FAILED: {exc}")
            plan.failures.append(Result(f"setup.{what}", adapter.name, error=str(exc)))
    return ready


def startup(plan: Plan, adapters: Sequence[Adapter]) -> list[Result]:
    """``--help``, and the status command on an empty project."""
    plan.progress("start-up")
    roots = {a.name: plan.work / "startup" / a.name for a in adapters}
    ready = _setup(plan, adapters, "startup", lambda a: a.write_project(roots[a.name], []))
    jobs = [Job("startup.help", a.name, a.help(), roots[a.name]) for a in ready]
    for a in ready:
        root = roots[a.name]

        def empty_status(run: Run, a: Adapter = a) -> None:
            run.require_success()
            if not isinstance(a, Floor) and not a.status_shows(run, 0):
                raise BenchFailure(f"unexpected status output: {run.stdout[:200]!r}")

        argv = a.help() if isinstance(a, Floor) else a.status()
        prepare = partial(_reset_db, a, root)
        jobs.append(Job("startup.status", a.name, argv, root, prepare=prepare, verify=empty_status))
    return measure(jobs, plan.runs, plan.warmup, plan.progress)


def _w1_make_job(a: Adapter, root: Path, tables: Sequence[Tab]) -> Job:
    def prepare() -> None:
        a.clear_migrations(root)
        _reset_db(a, root)

    def check(run: Run) -> None:
        run.require_success()
        files = a.migration_files(root)
        if len(files) != 1:
            raise BenchFailure(f"expected one migration file, found {[f.name for f in files]}")
        text = files[0].read_text()
        absent = [t.name for t in tables if t.name not in text]
        if absent:
            raise BenchFailure(f"the migration misses tables {absent[:5]}")
        if (
            isinstance(a, Floor)
            and text != ";\n".join(s for t in tables for s in sqlite_sql.create_table(t)) + "\n"
        ):
            raise BenchFailure("the floor rendered other SQL than the workload's")

    return Job("w1.make", a.name, a.make("initial"), root, prepare=prepare, verify=check)


def _migrate_job(
    figure: str, a: Adapter, root: Path, tables: Sequence[Tab], applied: int, base: Path | None
) -> Job:
    def check(run: Run) -> None:
        run.require_success()
        verify.schema(a.db(root), tables)
        if a.applied(a.db(root)) != applied:
            raise BenchFailure(f"{a.applied(a.db(root))} migrations recorded, want {applied}")

    prepare = partial(_reset_db, a, root, base)
    return Job(figure, a.name, a.migrate(), root, prepare=prepare, verify=check)


def workload1(
    plan: Plan, adapters: Sequence[Adapter], models: int, columns: int, folder: str = "w1"
) -> list[Result]:
    """W1: generate the initial migration of many models, then apply it to an empty
    database (in ``plan.work / folder``)."""
    plan.progress(f"W1: {models} models x {columns} columns")
    tables = w1.tables(models, columns)
    roots = {a.name: plan.work / folder / a.name for a in adapters}
    ready = _setup(plan, adapters, folder, lambda a: a.write_project(roots[a.name], tables))
    made = measure(
        [_w1_make_job(a, roots[a.name], tables) for a in ready],
        plan.runs,
        plan.warmup,
        plan.progress,
    )
    ok = {r.tool for r in made if r.ok}
    jobs = [
        _migrate_job("w1.migrate", a, roots[a.name], tables, 1, None) for a in ready if a.name in ok
    ]
    failed = [
        _failed("w1.migrate", a.name, "no migration: make failed")
        for a in ready
        if a.name not in ok
    ]
    return made + measure(jobs, plan.runs, plan.warmup, plan.progress) + failed


def _w2_setup(
    plan: Plan, adapters: Sequence[Adapter], length: int
) -> tuple[list[Adapter], dict[str, Path], list[Tab]]:
    steps = w2.history(length)
    tables = w2.final_tables(steps)
    roots = {a.name: plan.work / f"w2-{length}" / a.name for a in adapters}

    def write(a: Adapter) -> None:
        a.write_project(roots[a.name], tables)
        a.write_history(roots[a.name], steps)

    return _setup(plan, adapters, f"w2-{length}", write), roots, tables


def _keep_head(
    results: list[Result], ready: Sequence[Adapter], roots: dict[str, Path]
) -> list[Adapter]:
    """Adapters whose migrate succeeded, with their migrated database saved as
    ``head.sqlite3`` for the runs that need every migration applied."""
    ok = {r.tool for r in results if r.ok}
    for a in ready:
        if a.name in ok:
            shutil.copyfile(a.db(roots[a.name]), roots[a.name] / "head.sqlite3")
    return [a for a in ready if a.name in ok]


def _status_job(figure: str, a: Adapter, root: Path, applied: int) -> Job:
    def check(run: Run) -> None:
        run.require_success()
        if not a.status_shows(run, applied):
            raise BenchFailure(f"status does not show {applied} applied: {run.stdout[-300:]!r}")

    prepare = partial(_reset_db, a, root, root / "head.sqlite3")
    return Job(figure, a.name, a.status(), root, prepare=prepare, verify=check)


def _noop_jobs(
    a: Adapter, root: Path, tables: Sequence[Tab], length: int, cold_cache: Path
) -> list[Job]:
    """The nothing-to-do commands. ``make`` and ``check`` run twice: with the cache
    folder of the whole run (``XDG_CACHE_HOME``, warmed before the first run), as on a
    user's second run, and with ``cold_cache`` emptied before every run, as on a fresh
    checkout."""
    before = a.migration_files(root)

    def prepare() -> None:
        _reset_db(a, root, root / "head.sqlite3")

    def prepare_cold() -> None:
        shutil.rmtree(cold_cache, ignore_errors=True)
        cold_cache.mkdir(parents=True)
        prepare()

    def made_nothing(run: Run) -> None:
        run.require_success()
        if not a.made_nothing(root, before):
            raise BenchFailure("make wrote a migration although nothing changed")

    def still_head(run: Run) -> None:
        run.require_success()
        verify.schema(a.db(root), tables)
        if a.applied(a.db(root)) != length:
            raise BenchFailure("the applied migrations changed")

    cold = {**os.environ, "XDG_CACHE_HOME": str(cold_cache)}
    make, check = a.make("noop"), a.check()
    return [
        Job("w2.make_noop", a.name, make, root, prepare=prepare, verify=made_nothing),
        Job("w2.make_noop_cold", a.name, make, root, cold, prepare_cold, verify=made_nothing),
        Job("w2.check", a.name, check, root, prepare=prepare),
        Job("w2.check_cold", a.name, check, root, env=cold, prepare=prepare_cold),
        Job("w2.migrate_noop", a.name, a.migrate(), root, prepare=prepare, verify=still_head),
    ]


def workload1_scaled(
    plan: Plan, adapters: Sequence[Adapter], models: int, columns: int
) -> list[Result]:
    """W1 again at ``models`` models, its figures named ``w1.make.<models>`` and
    ``w1.migrate.<models>``: how the initial migration grows with the project."""
    results = workload1(plan, adapters, models, columns, folder=f"w1-{models}")
    return [replace(r, figure=f"{r.figure}.{models}") for r in results]


def workload2(plan: Plan, adapters: Sequence[Adapter], length: int) -> list[Result]:
    """W2: a long history: migrate from empty, status, and the nothing-to-do commands."""
    plan.progress(f"W2: history of {length} migrations")
    ready, roots, tables = _w2_setup(plan, adapters, length)
    migrated = measure(
        [_migrate_job("w2.migrate", a, roots[a.name], tables, length, None) for a in ready],
        plan.runs,
        plan.warmup,
        plan.progress,
    )
    at_head = _keep_head(migrated, ready, roots)
    jobs = [_status_job("w2.status", a, roots[a.name], length) for a in at_head]
    # Untimed, so that the warm figures do not depend on the number of warm-up runs.
    warm = _setup(plan, at_head, f"w2-{length}-cache", lambda a: a.call(a.check(), roots[a.name]))
    for a in warm:
        jobs += _noop_jobs(a, roots[a.name], tables, length, plan.work / "xdg-cache-cold")
    return migrated + measure(jobs, plan.runs, plan.warmup, plan.progress)


#: The nothing-to-do figures of W2, as named in the sweep.
_SWEEP_NOOP = {
    "w2.make_noop": "make",
    "w2.make_noop_cold": "make_cold",
    "w2.check": "check",
    "w2.check_cold": "check_cold",
}


def sweep(
    plan: Plan, adapters: Sequence[Adapter], length: int, *, timed_migrate: bool = True
) -> list[Result]:
    """One point of the history-length sweep: migrate from empty (timed only when
    ``timed_migrate``; otherwise done once, untimed), status, and the nothing-to-do
    ``make`` and ``check`` with the cache warm and empty."""
    plan.progress(f"sweep: history of {length} migrations")
    ready, roots, tables = _w2_setup(plan, adapters, length)
    jobs = [
        _migrate_job(f"sweep.migrate.{length}", a, roots[a.name], tables, length, None)
        for a in ready
    ]
    if timed_migrate:
        migrated = measure(jobs, plan.runs, plan.warmup, plan.progress)
        at_head = _keep_head(migrated, ready, roots)
    else:
        migrated = []

        def once(a: Adapter) -> None:
            job = next(j for j in jobs if j.tool == a.name)
            job.verify(run_once(job))
            shutil.copyfile(a.db(roots[a.name]), roots[a.name] / "head.sqlite3")

        at_head = _setup(plan, ready, f"sweep-{length}", once)
    timed = [_status_job(f"sweep.status.{length}", a, roots[a.name], length) for a in at_head]
    warm = _setup(
        plan, at_head, f"sweep-{length}-cache", lambda a: a.call(a.check(), roots[a.name])
    )
    for a in warm:
        for job in _noop_jobs(a, roots[a.name], tables, length, plan.work / "xdg-cache-cold"):
            if job.figure in _SWEEP_NOOP:
                job.figure = f"sweep.{_SWEEP_NOOP[job.figure]}.{length}"
                timed.append(job)
    return migrated + measure(timed, plan.runs, plan.warmup, plan.progress)


def workload3(plan: Plan, adapters: Sequence[Adapter], rows: int) -> list[Result]:
    """W3: one migration that rebuilds a large table; every row must survive."""
    plan.progress(f"W3: rebuild of a {rows:,}-row table")
    data = plan.work / "w3" / f"data-{rows}.sqlite3"
    data.parent.mkdir(parents=True, exist_ok=True)
    facts = w3.build_data(data, rows)
    roots = {a.name: plan.work / "w3" / a.name for a in adapters}

    def base(a: Adapter) -> None:
        root = roots[a.name]
        a.write_rebuild(root, w3.BEFORE, w3.AFTER)
        _reset_db(a, root)
        a.call(a.migrate(upto=1), root)
        w3.load_rows(a.db(root), data)
        shutil.move(a.db(root), root / "base.sqlite3")

    ready = _setup(plan, adapters, "w3", base)
    jobs = []
    for a in ready:
        root = roots[a.name]

        def check(run: Run, a: Adapter = a, root: Path = root) -> None:
            run.require_success()
            verify.schema(a.db(root), [w3.AFTER])
            verify.rows_kept(a.db(root), facts)
            if a.applied(a.db(root)) != 2:
                raise BenchFailure("the rebuild migration was not recorded")

        prepare = partial(_reset_db, a, root, root / "base.sqlite3")
        jobs.append(Job("w3.migrate", a.name, a.migrate(), root, prepare=prepare, verify=check))
    return measure(jobs, plan.runs, plan.warmup, plan.progress)


_EVOLVE_APP = Path(__file__).with_name("peers") / "evolve_app.py"
_FLOOR_APP = Path(__file__).with_name("peers") / "floor_app.py"
_FLOOR_APP_FILES = Path(__file__).with_name("peers") / "floor_app_files.py"


def evolve_startup(plan: Plan, adapters: Sequence[Adapter], length: int) -> list[Result]:
    """An application start-up that calls ``schemashift.evolve()`` with nothing to do,
    at ``length`` applied migrations, against the floor's app (open the database, read
    the tracking table) and a bare interpreter. The database has been through evolve
    once already, as it has from the second start of an application on. Three cases:
    ``warm`` (replay cache warm), ``cold`` (cache emptied before every run, a fresh
    container) and ``first`` (no earlier evolve recorded: the full comparison, cache
    warm). For the empty cache also a floor app that reads and hashes every applied
    file (``floor_app_files.py``), the least a fresh container must do to prove them
    unchanged."""
    plan.progress(f"evolve at start-up: {length} applied migrations")
    wanted = [a for a in adapters if isinstance(a, (Schemashift, Floor))]
    ready, roots, _ = _w2_setup(plan, wanted, length)

    def to_head(a: Adapter) -> None:
        root = roots[a.name]
        _reset_db(a, root)
        a.call(a.migrate(), root)
        shutil.copyfile(a.db(root), root / "fresh-head.sqlite3")
        if isinstance(a, Schemashift):
            a.call([a.python, str(_EVOLVE_APP), str(root)], root)
        shutil.copyfile(a.db(root), root / "evolved-head.sqlite3")

    ready = _setup(plan, ready, f"evolve-{length}", to_head)
    cold_cache = plan.work / "xdg-cache-evolve"
    cold_env = {**os.environ, "XDG_CACHE_HOME": str(cold_cache)}
    # The jobs run in turn: a first evolve sharing the warm start's cache would leave
    # it as no application's second start finds it (its check answered "something to
    # do" last). Each case keeps its own cache, warmed by the untimed first round.
    first_env = {**os.environ, "XDG_CACHE_HOME": str(plan.work / "xdg-cache-first")}

    def prepare_cold(a: Adapter, root: Path) -> None:
        shutil.rmtree(cold_cache, ignore_errors=True)
        cold_cache.mkdir(parents=True)
        _reset_db(a, root, root / "evolved-head.sqlite3")

    jobs = []
    for a in ready:
        root = roots[a.name]

        def unchanged(run: Run, a: Adapter = a, root: Path = root) -> None:
            run.require_success()
            if a.applied(a.db(root)) != length:
                raise BenchFailure("the applied migrations changed")

        if isinstance(a, Schemashift):
            argv = [a.python, str(_EVOLVE_APP), str(root)]
            evolved = partial(_reset_db, a, root, root / "evolved-head.sqlite3")
            fresh = partial(_reset_db, a, root, root / "fresh-head.sqlite3")
            jobs += [
                Job(f"evolve.{length}.warm", a.name, argv, root, None, evolved, unchanged),
                Job(
                    f"evolve.{length}.cold",
                    a.name,
                    argv,
                    root,
                    cold_env,
                    partial(prepare_cold, a, root),
                    unchanged,
                ),
                Job(f"evolve.{length}.first", a.name, argv, root, first_env, fresh, unchanged),
                # What a fresh container cannot skip: reading and hashing every file.
                Job(
                    f"evolve.{length}.cold",
                    FLOOR_FILES,
                    [
                        a.python,
                        str(_FLOOR_APP_FILES),
                        str(a.db(root)),
                        str(a.migrations_dir(root)),
                        str(length),
                    ],
                    root,
                    None,
                    evolved,
                    unchanged,
                ),
            ]
        elif isinstance(a, Floor):
            argv = [a.python, str(_FLOOR_APP), str(a.db(root)), str(length)]
            prepare = partial(_reset_db, a, root, root / "evolved-head.sqlite3")
            bare = [a.python, "-c", "pass"]
            for case in ("warm", "cold", "first"):
                figure = f"evolve.{length}.{case}"
                jobs.append(Job(figure, a.name, argv, root, None, prepare, unchanged))
                jobs.append(Job(figure, BARE, bare, root))
    return measure(jobs, plan.runs, plan.warmup, plan.progress)
