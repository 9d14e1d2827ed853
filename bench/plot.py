"""Plot wall time against history length from results.json (run with the peers'
interpreter, which has matplotlib): ``python plot.py RESULTS_JSON OUT_PNG``."""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

STYLE = {
    "schemashift": ("tab:blue", "o"),
    "django": ("tab:green", "s"),
    "alembic": ("tab:orange", "^"),
    "floor": ("tab:gray", "x"),
}
Point = tuple[int, float, float, float]
TITLES = {
    "migrate": "migrate from empty",
    "status": "status, all applied",
    "make": "make migration, nothing to do (cache warm)",
    "make_cold": "make migration, nothing to do (cache empty)",
    "check": "check --offline, nothing to do (cache warm)",
    "check_cold": "check --offline, nothing to do (cache empty)",
}


def _panel(ax: plt.Axes, kind: str, series: dict[tuple[str, str], list[Point]], log: bool) -> None:
    for tool, (color, marker) in STYLE.items():
        points = sorted(series.get((kind, tool), []))
        if not points:
            continue
        xs = [p[0] for p in points]
        ax.plot(xs, [p[1] for p in points], color=color, marker=marker, label=tool)
        ax.fill_between(xs, [p[2] for p in points], [p[3] for p in points], color=color, alpha=0.15)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{TITLES[kind]} (log-log: slope 1 = linear growth)")
    else:
        ax.set_title(TITLES[kind])
    ax.set_xlabel("migrations in history")
    ax.set_ylabel("wall time, s (median; band = min-max)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()


def main(source: str, target: str) -> None:
    with open(source) as f:
        results = json.load(f)["results"]
    series: dict[tuple[str, str], list[Point]] = defaultdict(list)
    for r in results:
        if r["figure"].startswith("sweep.") and r["ok"]:
            _, kind, length = r["figure"].split(".")
            series[(kind, r["tool"])].append((int(length), r["median"], r["min"], r["max"]))
    kinds = [k for k in TITLES if any(key[0] == k for key in series)]
    fig, grid = plt.subplots(2, len(kinds), figsize=(5.5 * len(kinds), 8.5), squeeze=False)
    for row, log in enumerate((False, True)):
        for ax, kind in zip(grid[row], kinds, strict=True):
            _panel(ax, kind, series, log)
    fig.tight_layout()
    fig.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
