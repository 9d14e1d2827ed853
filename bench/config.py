"""Benchmark modes: workload sizes and run counts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    """Workload sizes and run counts of one benchmark mode."""

    runs: int
    warmup: int
    w1_models: int
    w1_columns: int
    w2_length: int
    w3_rows: int
    sweep: tuple[int, ...]
    #: History lengths at which an application's start-up evolve() is measured.
    evolve: tuple[int, ...] = ()
    #: Sweep lengths above this get no timed migrate from empty (it is set up once,
    #: untimed): status and the nothing-to-do commands are what they measure.
    sweep_migrate_max: int = 3000
    #: Larger model counts at which W1 is measured again (its figures get the count as a
    #: suffix: ``w1.make.2000``).
    w1_scale: tuple[int, ...] = ()


FULL = Sizes(
    runs=5,
    warmup=1,
    w1_models=300,
    w1_columns=10,
    w2_length=1000,
    w3_rows=1_000_000,
    sweep=(100, 300, 1000, 3000, 10000),
    evolve=(10, 1000, 3000),
    w1_scale=(2000,),
)
#: A smoke run: the same code paths on small sizes, well under a minute.
QUICK = Sizes(
    runs=3,
    warmup=0,
    w1_models=30,
    w1_columns=10,
    w2_length=60,
    w3_rows=20_000,
    sweep=(),
    evolve=(10,),
)
