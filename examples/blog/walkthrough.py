"""Walk the blog example through the whole schemashift workflow, printing each step.

The project is copied to a temporary folder first, so the repository stays untouched.
Run it with `bash scripts/example.sh` from the repository root.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHEMASHIFT = [sys.executable, "-m", "schemashift"]


def step(title: str, *args: str, cwd: Path) -> None:
    print(f"\n=== {title}\n$ schemashift {' '.join(args)}", flush=True)
    done = subprocess.run([*SCHEMASHIFT, *args], cwd=cwd)
    if done.returncode != 0:
        sys.exit(f"step failed with exit code {done.returncode}: {title}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="schemashift-blog-") as tmp:
        project = Path(tmp) / "blog"
        shutil.copytree(
            HERE,
            project,
            ignore=shutil.ignore_patterns(
                "changes", "walkthrough.py", "*.sqlite3", "__pycache__", "migrations"
            ),
        )
        print(f"Example project copied to {project}")
        step(
            "1. Generate the initial migration from the models",
            "make",
            "migration",
            "initial_schema",
            cwd=project,
        )
        print("\n--- src/migrations/0001_initial_schema.py (up) ---")
        text = (project / "src/migrations/0001_initial_schema.py").read_text()
        print(text.split("def down")[0].rstrip())
        step("2. Apply it", "migrate", cwd=project)
        step("3. Status", "migrate", "--status", cwd=project)
        shutil.copy(HERE / "changes" / "users.py", project / "src/models/users.py")
        print("\n=== 4. Change a model: User gains `phone` (default '') and `bio`")
        step(
            "5. Generate the migration for the change",
            "make",
            "migration",
            "add_phone_and_bio_to_users",
            cwd=project,
        )
        print(
            (project / "src/migrations/0002_add_phone_and_bio_to_users.py")
            .read_text()
            .split("# The operations above")[0]
            .rstrip()
        )
        step("6. Apply it (batch 2)", "migrate", cwd=project)
        step("7. Status", "migrate", "--status", cwd=project)
        step("8. Nothing left to generate", "make", "migration", "nothing", cwd=project)
        step("9. Roll back the last batch", "migrate", "--rollback", cwd=project)
        step("10. Status after the rollback", "migrate", "--status", cwd=project)
        print("\nDone: the example went through make migration, migrate, status and rollback.")


if __name__ == "__main__":
    main()
