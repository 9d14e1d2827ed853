"""Turning rendered steps into the Python body of ``up`` / ``down``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from schemashift.dialects.base import Code, Comment, Execute, Step

INDENT = "    "

# Characters that a plain or triple-quoted literal cannot hold verbatim (a raw CR would
# even be turned into LF when the file is read back).
_UNSAFE = re.compile(r'[\x00-\x09\x0b-\x1f\x7f]|"""')


def sql_literal(sql: str) -> str:
    """``sql`` as a readable Python string literal that evaluates to exactly ``sql``:
    double quotes preferred, triple quotes for multi-line statements, ``repr`` when the
    text holds anything those cannot carry verbatim."""
    if _UNSAFE.search(sql) or sql.endswith(("\\", '"')):
        return repr(sql)
    # Raw literals keep backslashes (PostgreSQL's '\x00ff') as they are in the SQL.
    prefix = "r" if "\\" in sql else ""
    if "\n" in sql:
        return prefix + '"""' + sql + '"""'
    if '"' not in sql:
        return prefix + '"' + sql + '"'
    if "'" not in sql:
        return prefix + "'" + sql + "'"
    return repr(sql)


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
