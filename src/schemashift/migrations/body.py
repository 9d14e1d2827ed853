"""Turning rendered steps into the Python body of ``up`` / ``down``."""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.dialects.base import Code, Comment, Execute, Step, sql_literal

INDENT = "    "


def render_body(steps: Sequence[Step], indent: str = INDENT) -> str:
    """The body lines for ``steps`` (``pass`` when there are none), each indented. The
    continuation lines of a multi-line statement are left as they are, so the SQL that
    runs is byte for byte the SQL that was rendered."""
    lines: list[str] = []
    for step in steps:
        if isinstance(step, Execute):
            lines.append(f"{indent}conn.execute({sql_literal(step.sql)})")
        elif isinstance(step, Comment):
            lines.extend(f"{indent}# {line}".rstrip() for line in step.text.splitlines())
        elif isinstance(step, Code):
            lines.append(f"{indent}{step.line}")
    if not any(isinstance(s, (Execute, Code)) for s in steps):
        lines.append(f"{indent}pass")
    return "\n".join(lines)
