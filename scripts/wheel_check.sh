#!/usr/bin/env bash
# Build the sdist and the wheel, install the wheel alone in a fresh virtual environment
# (no index, no extras: schemashift needs nothing but Python) and use it there: the
# command line, the public API and a migration round trip on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-.venv/bin/python}"
work="$(mktemp -d /tmp/schemashift-wheel.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if ! "$python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "wheel check: python -m build failed" >&2
    exit 1
fi
wheel="$(ls "$work"/dist/*.whl)"
ls "$work"/dist/*.tar.gz >/dev/null
echo "built $(basename "$wheel")"

"$python" - "$wheel" <<'PY'
import sys
import zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
needed = ["schemashift/py.typed", "schemashift/testing.py", "schemashift/cli/main.py"]
missing = [n for n in needed if n not in names]
assert not missing, f"missing from the wheel: {missing}"
entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
text = zipfile.ZipFile(sys.argv[1]).read(entry_points).decode()
assert "schemashift = schemashift.cli.main:run" in text, text
assert "[pytest11]" in text, text
PY

python3 -m venv "$work/venv"
venv="$work/venv/bin"
"$venv/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"

"$venv/schemashift" --help >/dev/null
version="$("$venv/schemashift" --version)"
expected="schemashift $("$python" -c 'import schemashift; print(schemashift.__version__)')"
[ "$version" = "$expected" ] || { echo "wheel check: --version says '$version'" >&2; exit 1; }
for command in "make migration" migrate check evolve; do
    # shellcheck disable=SC2086
    "$venv/schemashift" $command --help >/dev/null
done

project="$work/project"
mkdir -p "$project/src/models"
printf '[project]\nname = "wheelcheck"\n' >"$project/pyproject.toml"
cat >"$project/src/models/users.py" <<'PY'
from schemashift import Field, Model


class User(Model):
    email = Field.String(max_length=255, unique=True, nullable=False)
PY
(
    cd "$project"
    "$venv/schemashift" -q make migration initial_schema
    "$venv/schemashift" -q migrate
    "$venv/schemashift" migrate --status | grep -qx '\[X\] 0001_initial_schema'
    "$venv/schemashift" check >/dev/null
    "$venv/schemashift" -q migrate --rollback
    "$venv/python" -c '
import schemashift
assert [r.applied for r in schemashift.status()] == [False]
import importlib.util
assert importlib.util.find_spec("psycopg") is None, "psycopg must not be a dependency"
'
)
echo "wheel check: OK ($(basename "$wheel") installs alone and works)"
