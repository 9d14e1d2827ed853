"""Printing: colours on a terminal only (never with NO_COLOR), quiet and verbose."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from schemashift.url import redact

_CODES = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2", "cyan": "36"}


def _wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") is not None or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class Output:
    """Where the CLI writes. Reports go to stdout; errors and warnings to stderr. Every
    line passes through :func:`redact`, so a password never reaches the screen."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.colour_out = _wants_colour(sys.stdout)
        self.colour_err = _wants_colour(sys.stderr)

    def paint(self, text: str, colour: str, *, err: bool = False) -> str:
        """``text`` in ``colour`` when the stream is a terminal."""
        if not (self.colour_err if err else self.colour_out):
            return text
        return f"\033[{_CODES[colour]}m{text}\033[0m"

    def line(self, text: str = "") -> None:
        """A normal line on stdout (hidden by --quiet)."""
        if not self.quiet:
            self.report(text)

    def report(self, text: str) -> None:
        """A line of a report on stdout (shown even with --quiet)."""
        sys.stdout.write(redact(text) + "\n")
        sys.stdout.flush()

    def detail(self, text: str) -> None:
        """A line shown only with --verbose."""
        if self.verbose and not self.quiet:
            self.report(text)

    def warn(self, text: str) -> None:
        """A warning on stderr."""
        sys.stderr.write(self.paint("warning: ", "yellow", err=True) + redact(text) + "\n")
        sys.stderr.flush()

    def error(self, text: str) -> None:
        """An error on stderr: the first line says what failed and what to do."""
        first, _, rest = text.partition("\n")
        sys.stderr.write(self.paint("error: ", "red", err=True) + redact(first) + "\n")
        if rest:
            sys.stderr.write(redact(rest) + "\n")
        sys.stderr.flush()

    def lines(self, texts: Sequence[str]) -> None:
        """Several normal lines."""
        for text in texts:
            self.line(text)
