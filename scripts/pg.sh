#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite.
#
#   scripts/pg.sh start DIR   initialise a cluster in DIR, start it on a free port of
#                             127.0.0.1 and print its admin URL (the only output on stdout)
#   scripts/pg.sh stop DIR    stop that server and delete DIR
#
# Exit status 3 means PostgreSQL is not installed (the Debian package is `postgresql`).
# Run as root, the server runs as the `postgres` user (or `nobody`), because PostgreSQL
# refuses to run as root.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
}

# Directory holding the real initdb and pg_ctl; wrappers on PATH are a last resort.
find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    return 1
}

server_user() {
    local user
    for user in postgres nobody; do
        if id -u "$user" >/dev/null 2>&1; then
            echo "$user"
            return 0
        fi
    done
    return 1
}

# Run a command as the server's owner: as is for a normal user, dropped from root.
as_owner() {
    if [ -z "$owner" ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$owner" -- "$@"
    else
        su -s /bin/sh "$owner" -c "$(printf '%q ' "$@")"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

start() {
    local dir="$1" bindir port attempt
    if ! bindir="$(find_bindir)"; then
        echo "PostgreSQL is not installed (no initdb/pg_ctl found): install the" \
            "'postgresql' package to run the PostgreSQL tests." >&2
        exit 3
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -n "$owner" ]; then
        chown -R "$owner" "$dir"
    fi
    chmod 700 "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
        --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    # Trust, but only over the private socket and the loopback address.
    printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' \
        >"$dir/data/pg_hba.conf"
    for attempt in 1 2 3; do
        port="$(free_port)"
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >&2; then
            echo "postgresql://postgres@127.0.0.1:$port/postgres"
            return 0
        fi
        echo "PostgreSQL did not start on port $port (attempt $attempt):" >&2
        tail -n 20 "$dir/server.log" >&2 || true
    done
    exit 1
}

stop() {
    local dir="$1" bindir
    [ -d "$dir" ] || return 0
    if [ -f "$dir/data/postmaster.pid" ] && bindir="$(find_bindir)"; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
}

[ $# -eq 2 ] || usage
owner=""
if [ "$(id -u)" -eq 0 ]; then
    if ! owner="$(server_user)"; then
        echo "Running as root and no 'postgres' or 'nobody' user to run PostgreSQL as." >&2
        exit 3
    fi
fi
case "$1" in
    start) start "$2" ;;
    stop) stop "$2" ;;
    *) usage ;;
esac
