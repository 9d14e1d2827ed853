#!/usr/bin/env bash
# The whole test suite: lint, types, tests on SQLite and on throwaway PostgreSQL and MariaDB
# servers.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev,postgres,mysql,examples]'

pgdir=""
mysqldir=""
cleanup() {
    if [ -n "$pgdir" ]; then bash scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true; fi
    if [ -n "$mysqldir" ]; then bash scripts/mariadb.sh stop "$mysqldir" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [ -z "${SCHEMASHIFT_TEST_PG:-}" ]; then
    pgdir="$(mktemp -d /tmp/schemashift-pg.XXXXXX)"
    if url="$(bash scripts/pg.sh start "$pgdir")"; then
        export SCHEMASHIFT_TEST_PG="$url"
        echo "PostgreSQL test server: $url"
    else
        rmdir "$pgdir" 2>/dev/null || true
        pgdir=""
        if [ "${CI:-}" = "true" ]; then
            echo "PostgreSQL is required under CI=true but could not be started." >&2
            exit 1
        fi
        echo "PostgreSQL not available: its tests will be skipped." >&2
    fi
fi

if [ -z "${SCHEMASHIFT_TEST_MYSQL:-}" ]; then
    mysqldir="$(mktemp -d /tmp/schemashift-mariadb.XXXXXX)"
    if url="$(bash scripts/mariadb.sh start "$mysqldir")"; then
        export SCHEMASHIFT_TEST_MYSQL="$url"
        echo "MariaDB test server: $url"
    else
        rm -rf "$mysqldir"
        mysqldir=""
        if [ "${CI:-}" = "true" ]; then
            echo "MariaDB is required under CI=true but could not be started." >&2
            exit 1
        fi
        echo "MariaDB not available: its tests will be skipped." >&2
    fi
fi

.venv/bin/ruff check src tests bench examples
.venv/bin/ruff format --check src
.venv/bin/mypy
# One worker per core: every test has its own folder and database, so they run side by
# side; SCHEMASHIFT_TEST_WORKERS=0 runs them in this process instead.
.venv/bin/pytest -q -n "${SCHEMASHIFT_TEST_WORKERS:-$(nproc)}" "$@"
