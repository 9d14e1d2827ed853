"""Turning rendered steps into the Python body of ``up`` / ``down``."""

from __future__ import annotations

from collections.abc import Sequence

from schemashift.dialects.base import Code, Comment, Execute, Step

INDENT = "    "


def sql_literal(sql: str) -> str:
    """``sql`` as a readable Python string literal (double quotes preferred)."""
    if "\n" in sql:
        sql = sql.replace("\n    ", "\n")
        if '"""' not in sql and not sql.endswith('"') and "\\" not in sql:
            return '"""' + sql + '"""'
        return repr(sql)
    if '"' not in sql and "\\" not in sql:
        return '"' + sql + '"'
    if "'" not in sql and "\\" not in sql:
        return "'" + sql + "'"
    return repr(sql)


def render_body(steps: Sequence[Step], indent: str = INDENT) -> str:
    """The body lines for ``steps`` (``pass`` when there are none), each indented."""
    lines: list[str] = []
    for step in steps:
        if isinstance(step, Execute):
            lit = sql_literal(step.sql)
            if "\n" in lit:
                head, *rest = lit.split("\n")
                lines.append(f"{indent}conn.execute({head}")
                lines.extend(f"{indent}{INDENT}{line}" for line in rest[:-1])
                lines.append(f"{indent}{rest[-1]})")
            else:
                lines.append(f"{indent}conn.execute({lit})")
        elif isinstance(step, Comment):
            lines.extend(f"{indent}# {line}".rstrip() for line in step.text.splitlines())
        elif isinstance(step, Code):
            lines.append(f"{indent}{step.line}")
    if not any(isinstance(s, (Execute, Code)) for s in steps):
        lines.append(f"{indent}pass")
    return "\n".join(lines)
