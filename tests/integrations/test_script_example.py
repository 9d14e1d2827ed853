"""examples/script: the Python API returns values at every step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integrations.example_projects import EXAMPLES, copy_example, load


def test_the_workflow_returns_each_steps_result(tmp_path: Path) -> None:
    project = copy_example("script", tmp_path)
    result = load(project / "workflow.py", "script_example").run(project)
    assert result["written"] == ["0001_initial_schema.py", "0002_seed_products.py"]
    assert result["changes"] == ["+ create table products"]
    assert result["batches"] == [(1, ["0001_initial_schema"]), (2, ["0002_seed_products"])]
    assert result["status"] == [("0001_initial_schema", True, 1), ("0002_seed_products", True, 2)]
    assert result["rolled_back"] == ["0002_seed_products"]
    assert [cause for cause, _ in result["check"]] == ["pending"]


def test_the_script_runs_as_documented_and_leaves_the_example_untouched() -> None:
    before = sorted(p.relative_to(EXAMPLES) for p in (EXAMPLES / "script").rglob("*.py"))
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "script" / "workflow.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "rolled_back: ['0002_seed_products']" in done.stdout
    after = sorted(p.relative_to(EXAMPLES) for p in (EXAMPLES / "script").rglob("*.py"))
    assert after == before
