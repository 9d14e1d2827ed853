"""Command-line conventions: configuration keys, colours, closed pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import db
from tests.support.project import ProjectDir

USER = """
class User(Model):
    name = Field.String(max_length=50)
"""


def _configure(project: ProjectDir, extra: str) -> None:
    (project.root / "pyproject.toml").write_text(
        f'[project]\nname = "t"\n\n[tool.schemashift]\ndatabase = "{project.database}"\n{extra}'
    )


def test_misspelled_key_is_refused_with_a_guess(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("users", USER)
    _configure(sqlite_project, 'migration = "db/migrations"\n')
    for command in (["migrate"], ["migrate", "--status"], ["make", "migration", "x"]):
        result = sqlite_project.run(*command)
        assert result.code == 1, result
        assert "unknown key 'migration'" in result.err
        assert "Did you mean 'migrations'?" in result.err
        assert "Traceback" not in result.err
    assert sqlite_project.files() == []
    assert not (sqlite_project.root / "db.sqlite3").exists()


def test_quoted_multiline_list_and_words_inside_strings(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("users", USER)
    (sqlite_project.root / "app_models.py").write_text(
        "from schemashift import Field, Model\n\n\nclass Note(Model):\n    body = Field.Text()\n"
    )
    (sqlite_project.root / "pyproject.toml").write_text(
        '[tool.schemashift]\ndatabase = "sqlite:///trueblue.db"  # true, false\n'
        "models = [\n    \"app_models\",  # a comment\n    'app_models',\n]\n"
    )
    sqlite_project.ok("make", "migration", "initial")
    sqlite_project.ok("migrate")
    assert (sqlite_project.root / "trueblue.db").is_file()
    assert not (sqlite_project.root / "Trueblue.db").exists()
    url = f"sqlite:///{sqlite_project.root / 'trueblue.db'}"
    assert "notes" in db.tables(url)
    assert "users" not in db.tables(url)


def test_bad_values_of_the_further_keys(sqlite_project: ProjectDir) -> None:
    for extra, expected in (
        ("online = 1\n", "online must be true or false"),
        ('evolve_locks = "some"\n', 'evolve_locks must be "safe" or "any"'),
        ('dialects = ["oracle"]\n', "dialects must be a list"),
    ):
        _configure(sqlite_project, extra)
        result = sqlite_project.run("migrate", "--status")
        assert result.code == 1 and expected in result.err, result


def _status(project: ProjectDir, **env: str) -> str:
    """``migrate --status`` on a pseudo-terminal-free pipe, with ``env`` set."""
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full.update(env)
    done = subprocess.run(
        [sys.executable, "-m", "schemashift", "migrate", "--status", "--database", "x://"],
        cwd=project.root,
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
    )
    return done.stderr


def test_colour_follows_no_color_and_force_color(sqlite_project: ProjectDir) -> None:
    red = "\033[31m"
    assert red not in _status(sqlite_project)
    assert red in _status(sqlite_project, FORCE_COLOR="1")
    assert red in _status(sqlite_project, FORCE_COLOR="1", NO_COLOR="")
    assert red not in _status(sqlite_project, FORCE_COLOR="1", NO_COLOR="1")
    assert red not in _status(sqlite_project, FORCE_COLOR="")


def test_closed_pipe_ends_quietly_and_finishes_the_work(sqlite_project: ProjectDir) -> None:
    sqlite_project.model("users", USER)
    sqlite_project.ok("make", "migration", "initial")
    for n in range(2, 40):
        sqlite_project.ok("make", "migration", f"data_{n}", "--empty")
    env = {**os.environ, "NO_COLOR": "1"}
    for command in (["migrate"], ["migrate", "--status"]):
        # The reader closes its end before anything is written.
        done = subprocess.run(
            f"{sys.executable} -m schemashift {' '.join(command)} | (exec <&-; sleep 1)",
            shell=True,
            cwd=sqlite_project.root,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            executable="/bin/bash",
        )
        assert "Broken" not in done.stderr and "unexpectedly" not in done.stderr, done.stderr
    assert len(db.tracking(sqlite_project.database)) == 39


def test_generation_keys_that_cannot_be_honoured_are_refused_by_make(
    sqlite_project: ProjectDir,
) -> None:
    sqlite_project.model("users", USER)
    _configure(sqlite_project, 'dialects = ["postgresql"]\n')
    result = sqlite_project.run("make", "migration", "initial")
    assert result.code == 1 and "leaves out the configured database (sqlite)" in result.err
    assert sqlite_project.files() == []
    _configure(sqlite_project, 'dialects = ["sqlite", "postgresql"]\n')
    refused = sqlite_project.run("make", "migration", "initial", "--concurrently")
    assert refused.code == 1 and "carry SQL for several dialects" in refused.err
    assert sqlite_project.files() == []
    # online = true has no meaning on SQLite and is ignored there.
    _configure(sqlite_project, 'dialects = ["sqlite"]\nevolve_locks = "any"\nonline = true\n')
    sqlite_project.ok("make", "migration", "initial")


def _bare_run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "schemashift", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**env, "NO_COLOR": "1"},
        timeout=120,
    )


def test_a_folder_that_is_no_project_is_refused_before_anything_is_created(
    tmp_path: Path,
) -> None:
    for command in (["migrate"], ["migrate", "--status"], ["check"], ["evolve"]):
        done = _bare_run(tmp_path, *command)
        # check says "could not compare" with its own code.
        expected = 3 if command == ["check"] else 1
        assert done.returncode == expected, (command, done.stdout, done.stderr)
        assert "No schemashift project in" in done.stderr
        assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_make_migration_without_any_model_says_so(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.schemashift]\n")
    done = _bare_run(tmp_path, "make", "migration", "initial")
    assert done.returncode == 1 and "No models found in" in done.stderr, done.stderr
    assert not (tmp_path / "db.sqlite3").exists()
    assert not (tmp_path / "src" / "migrations").exists()


def test_model_files_without_a_model_are_refused_until_one_exists(
    sqlite_project: ProjectDir,
) -> None:
    sqlite_project.model("users", USER)
    sqlite_project.ok("make", "migration", "initial")
    (sqlite_project.migrations / "0001_initial.py").unlink()
    sqlite_project.migrations.rmdir()
    sqlite_project.model("users", "")
    result = sqlite_project.run("make", "migration", "nothing")
    assert result.code == 1 and "No models found" in result.err
    sqlite_project.model("users", USER)
    sqlite_project.ok("make", "migration", "initial")
    assert sqlite_project.files() == ["0001_initial.py"]
