"""Every lock-safety finding of squawk over a generated PostgreSQL migration is matched
by a lock note above that statement in the file, and by a warning of ``make migration``.

squawk (``squawk-cli``, a linter built on PostgreSQL's own parser) is the independent
judge: the test never asks schemashift which statements are risky.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.project import ProjectDir

#: squawk's lock-safety rules (its type-style rules and timeouts are not about locks).
LOCK_RULES = {
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "disallowed-unique-constraint",
    "constraint-missing-not-valid",
    "adding-foreign-key-constraint",
    "adding-not-nullable-field",
    "adding-field-with-default",
    "changing-column-type",
    "ban-concurrent-index-creation-in-transaction",
    "prefer-robust-stmts",
}

BEFORE = """
class User(Model):
    email = Field.String(max_length=255)
    age = Field.Integer()
    nick = Field.String(max_length=50)
    __indexes__ = [Index("nick")]


class Post(Model):
    title = Field.String(max_length=100)
"""

AFTER = """
class User(Model):
    __checks__ = [Check("age >= 0", name="age_non_negative")]
    email = Field.String(max_length=255, unique=True)
    age = Field.BigInteger()
    nick = Field.String(max_length=80)
    token = Field.Text(default=SQL("md5(random()::text)"))
    score = Field.Integer(default=0, nullable=False, index=True)


class Post(Model):
    title = Field.String(max_length=100, nullable=False, default="")
    author_id = Field.ForeignKey("User", on_delete="CASCADE", nullable=True)
"""


def _up_statements(path: Path) -> tuple[list[str], list[bool]]:
    """The statements ``up()`` runs, and whether a NOTE comment stands above each."""
    source = path.read_text()
    namespace: dict[str, object] = {}
    exec(compile(source, str(path), "exec"), namespace)

    class Recorder:
        dialect = "postgresql"

        def __init__(self) -> None:
            self.sql: list[str] = []

        def execute(self, sql: str, params: object = None) -> None:
            self.sql.append(sql)

    recorder = Recorder()
    namespace["up"](recorder)  # type: ignore[operator]
    tree = ast.parse(source)
    up = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "up")
    lines = source.splitlines()
    noted = []
    for call in [n for n in ast.walk(up) if isinstance(n, ast.Call)]:
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "execute"):
            continue
        above = call.lineno - 2
        comments = []
        while above >= 0 and lines[above].strip().startswith("#"):
            comments.append(lines[above])
            above -= 1
        noted.append(any("# NOTE:" in c for c in comments))
    assert len(noted) == len(recorder.sql)
    return recorder.sql, noted


def _squawk(statements: list[str], folder: Path) -> list[dict[str, object]]:
    """squawk's findings of :data:`LOCK_RULES` over the statements as one transaction,
    each with the index of the statement it points at."""
    # Installed with the dev extra, next to the interpreter running the tests.
    squawk = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which("squawk")
    if squawk is None:
        pytest.fail("squawk is not installed: `pip install squawk-cli` (in the dev extra).")
    script = folder / "up.sql"
    text = ["BEGIN;"]
    line_of_statement = []
    for sql in statements:
        line_of_statement.append(len(text))
        text.extend((sql.rstrip(";") + ";").splitlines())
    text.append("COMMIT;")
    script.write_text("\n".join(text) + "\n")
    done = subprocess.run(
        [squawk, "--reporter", "json", str(script)], capture_output=True, text=True, timeout=60
    )
    findings = [f for f in json.loads(done.stdout or "[]") if f["rule_name"] in LOCK_RULES]
    for finding in findings:
        line = int(str(finding["line"]))
        finding["statement"] = max(i for i, at in enumerate(line_of_statement) if at <= line)
    return findings


def test_every_squawk_finding_has_a_note_and_a_warning(pg_project: ProjectDir) -> None:
    pg_project.model("app", BEFORE)
    pg_project.ok("make", "migration", "initial")
    pg_project.model("app", AFTER)
    made = pg_project.ok("make", "migration", "change")
    statements, noted = _up_statements(pg_project.migrations / "0002_change.py")
    findings = _squawk(statements, pg_project.root)
    rules = {str(f["rule_name"]) for f in findings}
    # The change set exercises the rules it was chosen for.
    assert {
        "require-concurrent-index-creation",
        "require-concurrent-index-deletion",
        "disallowed-unique-constraint",
        "constraint-missing-not-valid",
        "adding-not-nullable-field",
        "changing-column-type",
    } <= rules, rules
    unnoted = [
        (f["rule_name"], statements[int(str(f["statement"]))])
        for f in findings
        if not noted[int(str(f["statement"]))]
    ]
    assert not unnoted, unnoted
    warned = [line for line in made.err.splitlines() if line.startswith("warning: lock: ")]
    flagged = {int(str(f["statement"])) for f in findings}
    assert len(warned) >= len(flagged)
    assert sum(noted) == len(warned)
