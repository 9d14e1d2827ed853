"""Questions asked on a terminal (renames, one-off values); never without one."""

from __future__ import annotations

import sys
from collections.abc import Callable


def interactive() -> bool:
    """Whether a person can answer: stdin and stderr are terminals."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask_yes_no(question: str) -> bool:
    """Ask ``question`` (which ends with ``[y/N]``); only y/yes means yes."""
    sys.stderr.write(question + " ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def ask_fill(table: str, column: str) -> str | None:
    """Ask for a one-off SQL value for existing rows of a new NOT NULL column."""
    sys.stderr.write(
        f"{table}.{column} is NOT NULL without a default, and existing rows need a value.\n"
        "Enter a one-off SQL value for them (for example '' or 0 or CURRENT_TIMESTAMP), "
        "or leave empty to stop: "
    )
    sys.stderr.flush()
    value = sys.stdin.readline().strip()
    return value or None


def prompts() -> tuple[Callable[[str], bool] | None, Callable[[str, str], str | None] | None]:
    """The (ask, fill) callbacks for the differ: real prompts on a terminal, else None."""
    if interactive():
        return ask_yes_no, ask_fill
    return None, None
