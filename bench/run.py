"""Benchmark schemashift against Django, Alembic and raw sqlite3 (the floor), and on
PostgreSQL against Django, Alembic and psycopg (the floor there).

    python3 bench/run.py            # full run (30 to 60 minutes)
    python3 bench/run.py --quick    # smoke run, under a minute (SQLite only)
    python3 bench/run.py --only pg  # the PostgreSQL figures on a throwaway local server

Builds every workload itself (seeded) under bench/.work/, runs each figure as fresh
processes, checks every run's result, prints medians with ratios to the floor and writes
bench/.work/results.json (results-quick.json in quick mode). See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import environment
import postgres
import report
import scenarios
import scenarios_pg
from config import FULL, QUICK, Sizes
from measure import BenchFailure, Job, Result, run_once
from peers.alembic_ import Alembic
from peers.base import Adapter
from peers.django_ import Django
from peers.floor import Floor
from peers.schemashift_ import Schemashift

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SECTIONS = ("startup", "evolve", "w1", "w1scale", "w2", "w3", "sweep", "pg")
#: What --quick measures unless --only says otherwise: starting a PostgreSQL server and
#: copying a database before every run do not fit in its minute.
QUICK_SECTIONS = tuple(s for s in SECTIONS if s != "pg")
_PYENV_312 = Path.home() / ".pyenv" / "versions" / "3.12.1" / "bin" / "python"


def _default_peers_python() -> str:
    """Python 3.12 for Django 6: pyenv's 3.12.1 here, else whatever python3.12/3.13 is
    on PATH."""
    if _PYENV_312.exists():
        return str(_PYENV_312)
    return shutil.which("python3.12") or shutil.which("python3.13") or "python3.12"


def _default_schemashift() -> str:
    script = REPO / ".venv" / "bin" / "schemashift"
    if script.exists():
        return str(script)
    return f"{REPO / '.venv' / 'bin' / 'python'} -m schemashift"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="small sizes, fewer runs, no sweep")
    p.add_argument("--runs", type=int, help="timed runs per figure (default 5, quick 3)")
    p.add_argument("--warmup", type=int, help="untimed runs before them (default 1, quick 0)")
    p.add_argument(
        "--only",
        help=f"comma-separated of {', '.join(SECTIONS)} (default: all; with --quick all but pg)",
    )
    p.add_argument("--tools", default="schemashift,django,alembic,floor", help="tools to measure")
    p.add_argument(
        "--schemashift", default=_default_schemashift(), help="the command to run schemashift"
    )
    p.add_argument(
        "--floor-python",
        default=str(REPO / ".venv" / "bin" / "python"),
        help="interpreter of the raw-sqlite3 floor (default: schemashift's)",
    )
    p.add_argument(
        "--peers-python",
        default=_default_peers_python(),
        help="Python >= 3.12 for the peers' environment",
    )
    p.add_argument("--peers-venv", type=Path, default=BENCH / ".venv-peers")
    p.add_argument("--work", type=Path, help="working folder (default bench/.work/full or quick)")
    p.add_argument(
        "--from-results",
        type=Path,
        help="measure nothing: report (and with --update-docs, document) a results.json",
    )
    p.add_argument(
        "--update-docs",
        action="store_true",
        help="rewrite the results block of docs/benchmarks.md and the plot",
    )
    return p.parse_args(argv)


def build_adapters(
    args: argparse.Namespace, progress: scenarios.Progress
) -> tuple[list[Adapter], dict[str, object]]:
    """The tools to measure, and their versions."""
    wanted = set(args.tools.split(","))
    adapters: list[Adapter] = []
    versions: dict[str, object] = {}
    if "floor" in wanted:
        adapters.append(Floor(args.floor_python))
        versions["floor"] = environment.versions(args.floor_python, ("psycopg",))
    if "schemashift" in wanted:
        tool = Schemashift(shlex.split(args.schemashift), args.floor_python)
        try:
            probe = run_once(Job("probe", tool.name, [*tool.command, "--version"], REPO))
            problem = "" if probe.returncode == 0 else probe.stderr.strip()[-300:]
        except (OSError, BenchFailure) as exc:
            problem = str(exc)
        if problem:
            progress(f"error: `{args.schemashift} --version` failed: {problem}")
            progress("install schemashift in its venv, or pass --schemashift or --tools")
            raise SystemExit(2)
        adapters.append(tool)
        versions["schemashift"] = f"{probe.stdout.strip()} ({environment.source_revision(REPO)})"
    if wanted & {"django", "alembic"}:
        python = environment.peers_env(
            args.peers_venv, args.peers_python, create=not args.quick, progress=progress
        )
        if python is not None:
            if "django" in wanted:
                adapters.append(Django(str(python)))
            if "alembic" in wanted:
                adapters.append(Alembic(str(python.with_name("alembic"))))
            versions["peers"] = environment.versions(
                str(python), ("Django", "alembic", "SQLAlchemy", "psycopg")
            )
    return adapters, versions


def _as_sweep(results: list[Result], length: int) -> list[Result]:
    renamed = {
        "w2.migrate": f"sweep.migrate.{length}",
        "w2.status": f"sweep.status.{length}",
        "w2.make_noop": f"sweep.make.{length}",
        "w2.make_noop_cold": f"sweep.make_cold.{length}",
        "w2.check": f"sweep.check.{length}",
        "w2.check_cold": f"sweep.check_cold.{length}",
    }
    return [replace(r, figure=renamed[r.figure]) for r in results if r.figure in renamed]


def run_all(
    plan: scenarios.Plan,
    adapters: list[Adapter],
    sizes: Sizes,
    sections: set[str],
    pg_info: dict[str, object],
) -> list[Result]:
    """Every figure of ``sections``; ``pg_info`` receives the PostgreSQL server's version
    and the statement counts of the PostgreSQL figures."""
    results: list[Result] = []
    if "startup" in sections:
        results += scenarios.startup(plan, adapters)
    if "evolve" in sections:
        for length in sizes.evolve:
            results += scenarios.evolve_startup(plan, adapters, length)
    if "w1" in sections:
        results += scenarios.workload1(plan, adapters, sizes.w1_models, sizes.w1_columns)
    if "w1scale" in sections:
        for models in sizes.w1_scale:
            results += scenarios.workload1_scaled(plan, adapters, models, sizes.w1_columns)
    w2_results: list[Result] = []
    if "w2" in sections:
        w2_results = scenarios.workload2(plan, adapters, sizes.w2_length)
        results += w2_results
    if "w3" in sections:
        results += scenarios.workload3(plan, adapters, sizes.w3_rows)
    if "sweep" in sections:
        for length in sizes.sweep:
            if length == sizes.w2_length and w2_results:
                results += _as_sweep(w2_results, length)
            else:
                results += scenarios.sweep(
                    plan, adapters, length, timed_migrate=length <= sizes.sweep_migrate_max
                )
    if "pg" in sections:
        with postgres.server(plan.progress) as server:
            if server is not None:
                pg_info["version"] = postgres.scalar(server, "postgres", "SHOW server_version")
                counts: scenarios_pg.Counts = {}
                pg_info["statements"] = counts
                results += scenarios_pg.run_all(
                    plan,
                    server,
                    adapters,
                    sizes.w1_models,
                    sizes.w1_columns,
                    sizes.w2_length,
                    sizes.w3_rows,
                    counts,
                )
    return results + plan.failures


def measure_all(args: argparse.Namespace) -> tuple[list[Result], Sizes, dict[str, object], Path]:
    """Run the benchmark; the results, sizes, metadata and where they were written."""
    sizes = QUICK if args.quick else FULL
    sizes = replace(
        sizes,
        runs=args.runs if args.runs is not None else sizes.runs,
        warmup=args.warmup if args.warmup is not None else sizes.warmup,
    )
    adapters, versions = build_adapters(args, print)
    mode = "quick" if args.quick else "full"
    # Absolute: the measured commands run in the projects' folders, and a relative cache
    # folder in their environment would point somewhere else there.
    work = (args.work or BENCH / ".work" / mode).resolve()
    work.mkdir(parents=True, exist_ok=True)
    # After the peers' environment is built, so that pip keeps using its own cache.
    environment.private_cache(work / "xdg-cache")
    removed = environment.plain_python_env()
    if removed:
        print(f"note: measured commands run without {', '.join(removed)}")
    plan = scenarios.Plan(work=work, runs=sizes.runs, warmup=sizes.warmup, progress=print)
    started = datetime.datetime.now(datetime.timezone.utc)
    machine = environment.machine()
    machine["removed_environment"] = " ".join(removed)
    only = args.only or ",".join(QUICK_SECTIONS if args.quick else SECTIONS)
    pg_info: dict[str, object] = {}
    results = run_all(plan, adapters, sizes, set(only.split(",")), pg_info)
    machine["load_average_at_end"] = environment.machine()["load_average"]
    meta: dict[str, object] = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "mode": mode,
        "machine": machine,
        "versions": versions,
        "postgresql": pg_info,
        "commands": {
            a.name: {
                "help": a.help(),
                "status": a.status(),
                "make": a.make("NAME"),
                "check": a.check(),
                "migrate": a.migrate(),
            }
            for a in adapters
        },
    }
    if args.work is not None:
        out = work / "results.json"
    else:
        out = BENCH / ".work" / ("results.json" if mode == "full" else "results-quick.json")
    report.write_json(out, results, sizes, meta)
    return results, sizes, meta, out


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.from_results is not None:
        out = args.from_results
        results, sizes, meta = report.read_json(out)
    else:
        results, sizes, meta, out = measure_all(args)
    print()
    print(report.text(results, sizes, meta))
    if sizes.w2_length < FULL.w2_length:
        print("\n(small sizes: these ratios are a smoke check, not the targets' figures)")
    print(f"\nresults: {out}")
    if args.update_docs:
        _update_docs(args, out, results, sizes, meta)
    return 0 if all(r.ok for r in results) else 1


def _update_docs(
    args: argparse.Namespace,
    out: Path,
    results: list[Result],
    sizes: Sizes,
    meta: dict[str, object],
) -> None:
    doc = REPO / "docs" / "benchmarks.md"
    # Only the blocks this run measured: a run of the PostgreSQL figures alone must not
    # empty the SQLite block, nor the other way round.
    if any(not report.is_pg(r) for r in results) and report.update_docs(
        doc, report.markdown(results, sizes, meta)
    ):
        print(f"updated {doc}")
    if any(report.is_pg(r) for r in results) and report.update_docs(
        doc, report.pg_markdown(results, sizes, meta), report.PG_BEGIN, report.PG_END
    ):
        print(f"updated {doc} (PostgreSQL)")
    python = environment.venv_python(args.peers_venv)
    if any(r.figure.startswith("sweep.") for r in results) and python.exists():
        subprocess.run(
            [str(python), str(BENCH / "plot.py"), str(out), str(doc.with_suffix(".png"))],
            check=True,
        )
        print(f"plotted {doc.with_suffix('.png')}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
