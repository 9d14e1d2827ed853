"""Timing fresh processes: wall time and peak memory of each run, checked for
correctness before its figure counts."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_LAUNCHER = Path(__file__).with_name("launch.py")
#: A run that takes longer than this is killed and counted as failed.
TIMEOUT_SECONDS = 1800.0
#: The tool name of a bare interpreter (``python -c pass``), measured alongside the
#: start-up figures so that the report can give each app's added time.
BARE = "python"
#: The tool name of the floor app that also reads and hashes every applied file.
FLOOR_FILES = "floor+files"


class BenchFailure(Exception):
    """A run that did not do its work: a non-zero exit or a wrong result."""


@dataclass(frozen=True)
class Run:
    """What one process did: wall time, CPU time (user + system) and peak memory."""

    seconds: float
    cpu_seconds: float
    maxrss_kb: int
    returncode: int
    stdout: str
    stderr: str

    def require_success(self) -> None:
        """Raise :class:`BenchFailure` unless the process exited 0."""
        if self.returncode != 0:
            raise BenchFailure(f"exit {self.returncode}: {tail(self.stderr or self.stdout)}")


def _nothing() -> None:
    return None


def _succeeded(run: Run) -> None:
    run.require_success()


@dataclass
class Job:
    """One tool doing one piece of work: how to reset its files before a run
    (``prepare``, not timed) and how to check the result (``verify``, not timed)."""

    figure: str
    tool: str
    argv: Sequence[str]
    cwd: Path
    env: Mapping[str, str] | None = None
    prepare: Callable[[], None] = _nothing
    verify: Callable[[Run], None] = _succeeded


@dataclass
class Result:
    """The runs of one job, or the error that stopped it."""

    figure: str
    tool: str
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    maxrss_kb: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every run succeeded and was checked."""
        return self.error is None and bool(self.seconds)

    @property
    def median(self) -> float:
        """Median wall time in seconds."""
        return statistics.median(self.seconds)

    @property
    def peak_mb(self) -> float:
        """The highest peak resident memory of any run, in MiB."""
        return max(self.maxrss_kb) / 1024

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        summary: dict[str, object] = {
            "figure": self.figure,
            "tool": self.tool,
            "ok": self.ok,
            "error": self.error,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "maxrss_kb": self.maxrss_kb,
        }
        if self.ok:
            summary |= {
                "median": self.median,
                "min": min(self.seconds),
                "max": max(self.seconds),
                "cpu_median": statistics.median(self.cpu_seconds),
                "peak_mb": self.peak_mb,
            }
        return summary


def tail(text: str, lines: int = 6) -> str:
    """The last few lines of ``text``, for error messages."""
    return "\n".join(text.strip().splitlines()[-lines:])


def run_once(job: Job) -> Run:
    """Prepare, then run the job's command once in a fresh process and wait for it.

    The command is started by ``launch.py``, which times it and takes its resource usage
    from ``os.wait4``, so that the peak memory is the command's own (see that file)."""
    job.prepare()
    env = dict(os.environ if job.env is None else job.env)
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".usage") as usage,
    ):
        launcher = [sys.executable, "-I", "-S", str(_LAUNCHER), usage.name]
        proc = subprocess.Popen(
            [*launcher, *job.argv],
            cwd=job.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            proc.wait(TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise BenchFailure(f"killed after {TIMEOUT_SECONDS:.0f} s") from None
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        fields = usage.read().split()
    if len(fields) != 4:
        raise BenchFailure(f"could not start {job.argv[0]}: {tail(stderr)}")
    return Run(
        seconds=float(fields[0]),
        cpu_seconds=float(fields[1]),
        maxrss_kb=int(fields[2]),
        returncode=int(fields[3]),
        stdout=stdout,
        stderr=stderr,
    )


def measure(
    jobs: Sequence[Job],
    runs: int,
    warmup: int = 1,
    progress: Callable[[str], None] = print,
) -> list[Result]:
    """Run every job ``warmup`` times untimed, then ``runs`` times timed, taking the jobs
    in turn so that a slow drift of the machine hits all tools alike. A job whose run
    fails is stopped and reported with its error; the others go on."""
    results = {id(j): Result(j.figure, j.tool) for j in jobs}
    for round_ in range(warmup + runs):
        for job in jobs:
            result = results[id(job)]
            if result.error is not None:
                continue
            try:
                run = run_once(job)
                job.verify(run)
            except (BenchFailure, OSError, ValueError) as exc:
                result.error = str(exc) or type(exc).__name__
                progress(f"  {job.figure} [{job.tool}] FAILED: {result.error}")
                continue
            if round_ >= warmup:
                result.seconds.append(run.seconds)
                result.cpu_seconds.append(run.cpu_seconds)
                result.maxrss_kb.append(run.maxrss_kb)
    for job in jobs:
        result = results[id(job)]
        if result.ok:
            progress(
                f"  {job.figure:<22} {job.tool:<12} median {result.median:8.3f} s"
                f"  (min {min(result.seconds):.3f}, max {max(result.seconds):.3f})"
                f"  peak {result.peak_mb:6.1f} MiB"
            )
    return [results[id(j)] for j in jobs]
