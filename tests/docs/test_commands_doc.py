"""docs/commands.md documents exactly the flags of the real argument parser.

Each command has a section headed ``## `schemashift COMMAND` `` whose table lists its
flags in the first column; the options every command accepts are in the section headed
``## Options of every command``. Besides, no doc page may mention a flag that exists
nowhere.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from schemashift.cli.parser import build_parser

DOCS = Path(__file__).resolve().parents[2] / "docs"
COMMANDS_DOC = DOCS / "commands.md"
GLOBAL_SECTION = "Options of every command"
FLAG = re.compile(r"(?<![\w-])(--?[a-z][a-z0-9-]*)")
#: ``--help`` and ``--version`` are documented once, in the global section.
TOP_LEVEL_ONLY = {"--help", "-h", "--version"}


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {
        s
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction)
        for s in action.option_strings
    }


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def parser_flags() -> dict[str, set[str]]:
    """Flags by command (``"make migration"``, ``"migrate"``...), global ones apart."""
    top = build_parser()
    common = _flags(top)
    found = {GLOBAL_SECTION: common}
    for name, sub in _subparsers(top).items():
        nested = _subparsers(sub)
        for kind, leaf in nested.items():
            found[f"{name} {kind}"] = _flags(leaf) - common
        if not nested:
            found[name] = _flags(sub) - common
    return found


def documented_flags() -> dict[str, set[str]]:
    """Flags in the first column of each section's tables."""
    sections: dict[str, set[str]] = {}
    current: str | None = None
    for line in COMMANDS_DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (.+)$", line)
        if heading:
            title = heading.group(1).strip()
            command = re.fullmatch(r"`schemashift ([a-z ]+)`", title)
            current = command.group(1) if command else title
            sections.setdefault(current, set())
            continue
        row = re.match(r"^\|([^|]*)\|", line)
        if current is not None and row and "`" in row.group(1):
            spans = re.findall(r"`([^`]*)`", row.group(1))
            sections[current] |= {m for span in spans for m in FLAG.findall(span)}
    return sections


def test_every_flag_is_documented_in_its_section_and_no_other_flag() -> None:
    real = parser_flags()
    documented = documented_flags()
    problems = []
    for section, flags in real.items():
        doc = documented.get(section)
        if doc is None:
            problems.append(f"no section '## `schemashift {section}`' in docs/commands.md")
            continue
        for flag in sorted(flags - doc - (TOP_LEVEL_ONLY if section != GLOBAL_SECTION else set())):
            problems.append(f"{section}: {flag} exists but is not in the section's table")
        for flag in sorted(doc - flags):
            problems.append(f"{section}: {flag} is documented but the command has no such flag")
    assert not problems, "docs/commands.md is out of step with the CLI:\n  " + "\n  ".join(problems)


def test_no_doc_page_mentions_a_flag_that_does_not_exist() -> None:
    real = set().union(*parser_flags().values())
    problems = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        spans = re.findall(r"```(?:console|bash|sh|text|yaml)?\n(.*?)```|`([^`\n]+)`", text, re.S)
        for block, inline in spans:
            for command in re.findall(r"schemashift\b[^\n]*", block or inline):
                for flag in FLAG.findall(command):
                    if flag.startswith("--") and flag not in real:
                        problems.append(f"{page.name}: {flag} in `{command.strip()}`")
    assert not problems, "Flags that the CLI does not have:\n  " + "\n  ".join(problems)
