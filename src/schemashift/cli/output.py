"""Printing: colours on a terminal (NO_COLOR and FORCE_COLOR respected), quiet and verbose."""

from __future__ import annotations

import os
import sys

from schemashift.url import redact

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO

_CODES = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2", "cyan": "36"}


def _wants_colour(stream: TextIO) -> bool:
    # The conventions (no-color.org, force-color.org): a variable counts when it is
    # present and not empty; NO_COLOR wins over FORCE_COLOR.
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _write(stream: TextIO, text: str | bytes) -> None:
    """Write and flush. A reader that went away (``migrate --status | head -1``) must not
    turn into an error, nor stop a command half-way: the rest of the output is dropped."""
    try:
        if isinstance(text, bytes):
            stream.flush()
            stream.buffer.write(text)
            stream.buffer.flush()
        else:
            stream.write(text)
            stream.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


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
        _write(sys.stdout, redact(text) + "\n")

    def report_lines(self, texts: Sequence[str]) -> None:
        """Several report lines, written at once (a long status is one write, not one
        per line)."""
        if texts:
            _write(sys.stdout, "".join(redact(t) + "\n" for t in texts))

    def raw(self, text: str) -> None:
        """A document on stdout exactly as given (a diagram, a script)."""
        _write(sys.stdout, text)

    def raw_bytes(self, data: bytes) -> None:
        """Binary output on stdout (a PNG)."""
        _write(sys.stdout, data)

    def detail(self, text: str) -> None:
        """A line shown only with --verbose."""
        if self.verbose and not self.quiet:
            self.report(text)

    def warn(self, text: str) -> None:
        """A warning on stderr."""
        _write(sys.stderr, self.paint("warning: ", "yellow", err=True) + redact(text) + "\n")

    def error(self, text: str) -> None:
        """An error on stderr: the first line says what failed and what to do."""
        first, _, rest = text.partition("\n")
        message = self.paint("error: ", "red", err=True) + redact(first) + "\n"
        _write(sys.stderr, message + (redact(rest) + "\n" if rest else ""))

    def lines(self, texts: Sequence[str]) -> None:
        """Several normal lines, written at once."""
        if not self.quiet:
            self.report_lines(texts)
