#!/usr/bin/env bash
# A throwaway MariaDB server for the test suite.
#
#   scripts/mariadb.sh start DIR   initialise a datadir in DIR, start the server on a free port
#                                  of 127.0.0.1 and print its admin URL (the only output on
#                                  stdout)
#   scripts/mariadb.sh stop DIR    stop that server and delete DIR
#
# Exit status 3 means MariaDB is not installed (the Debian package is `mariadb-server`).
# Run as root, the server runs as the `mysql` user (or `nobody`).
set -euo pipefail

usage() {
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
}

find_bin() {
    local name
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
        if [ -x "/usr/sbin/$name" ]; then
            echo "/usr/sbin/$name"
            return 0
        fi
    done
    return 1
}

server_user() {
    local user
    for user in mysql nobody; do
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
    local dir="$1" server installer client port attempt waited
    if ! server="$(find_bin mariadbd mysqld)" || ! installer="$(find_bin mariadb-install-db mysql_install_db)" \
        || ! client="$(find_bin mariadb mysql)"; then
        echo "MariaDB is not installed (no mariadbd/mariadb-install-db found): install the" \
            "'mariadb-server' package to run the MySQL tests." >&2
        exit 3
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -n "$owner" ]; then
        chown -R "$owner" "$dir"
    fi
    chmod 700 "$dir"
    as_owner "$installer" --no-defaults --datadir="$dir/data" \
        --auth-root-authentication-method=normal --skip-test-db ${owner:+--user="$owner"} \
        >"$dir/install.log" 2>&1 || {
        cat "$dir/install.log" >&2
        exit 1
    }
    for attempt in 1 2 3; do
        port="$(free_port)"
        # The server stays in the background; its pid file tells `stop` whom to end.
        as_owner "$server" --no-defaults --datadir="$dir/data" --socket="$dir/sock" \
            --pid-file="$dir/mariadb.pid" --bind-address=127.0.0.1 --port="$port" \
            --skip-name-resolve --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
            --max-connections=300 --performance-schema=ON --log-error="$dir/server.log" </dev/null >/dev/null 2>&1 &
        for waited in $(seq 1 600); do
            if [ -S "$dir/sock" ] && as_owner "$client" -uroot --socket="$dir/sock" -e "SELECT 1" \
                >/dev/null 2>&1; then
                break
            fi
            if ! kill -0 $! 2>/dev/null; then
                break
            fi
            sleep 0.1
        done
        if [ -S "$dir/sock" ] && kill -0 $! 2>/dev/null; then
            as_owner "$client" -uroot --socket="$dir/sock" -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; \
GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION" >&2
            echo "mysql://root@127.0.0.1:$port/mysql"
            return 0
        fi
        echo "MariaDB did not start on port $port (attempt $attempt):" >&2
        tail -n 20 "$dir/server.log" >&2 || true
        kill $! 2>/dev/null || true
        wait $! 2>/dev/null || true
    done
    exit 1
}

stop() {
    local dir="$1" pid waited
    [ -d "$dir" ] || return 0
    if [ -f "$dir/mariadb.pid" ]; then
        pid="$(cat "$dir/mariadb.pid")"
        kill "$pid" 2>/dev/null || true
        for waited in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -rf "$dir"
}

[ $# -eq 2 ] || usage
owner=""
if [ "$(id -u)" -eq 0 ]; then
    if ! owner="$(server_user)"; then
        echo "Running as root and no 'mysql' or 'nobody' user to run MariaDB as." >&2
        exit 3
    fi
fi
case "$1" in
    start) start "$2" ;;
    stop) stop "$2" ;;
    *) usage ;;
esac
