"""The psycopg floor: the least a migration tool must do on PostgreSQL, as a tiny command.

Run as ``python floor_pg_cli.py COMMAND DIR URL [N]`` in a fresh process, with an
interpreter that has psycopg 3 (schemashift's). Migration files are plain
``NNNN_name.sql`` files of statements separated by ``;\\n``; applied ones are recorded in
``_floor_migrations``.

- ``migrate DIR URL [N]`` applies the pending files (up to number N) in one transaction,
  one statement at a time
- ``status DIR URL`` prints one ``[X]``/``[ ]`` line per migration file
"""

import os
import sys

import psycopg

TRACKING = "_floor_migrations"


def files(folder: str) -> list[str]:
    names = [f for f in os.listdir(folder) if f.endswith(".sql")]
    return sorted(names, key=lambda f: (int(f.split("_", 1)[0]), f))


def applied(db: psycopg.Connection) -> set[str]:
    if db.execute(f"SELECT to_regclass('{TRACKING}')").fetchone()[0] is None:
        return set()
    return {r[0] for r in db.execute(f"SELECT name FROM {TRACKING}")}


def migrate(folder: str, url: str, upto: str | None = None) -> int:
    db = psycopg.connect(url, autocommit=True)
    done = applied(db)
    pending = [f for f in files(folder) if f[:-4] not in done]
    if upto is not None:
        pending = [f for f in pending if int(f.split("_", 1)[0]) <= int(upto)]
    if not pending:
        print("Nothing to migrate.")
        return 0
    db.execute("BEGIN")
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {TRACKING} "
        "(name TEXT PRIMARY KEY, batch INTEGER, applied_at TIMESTAMPTZ)"
    )
    for name in pending:
        with open(os.path.join(folder, name)) as f:
            for stmt in f.read().split(";\n"):
                if stmt.strip():
                    db.execute(stmt)
        db.execute(f"INSERT INTO {TRACKING} VALUES (%s, 1, now())", (name[:-4],))
        print(name[:-4])
    db.execute("COMMIT")
    db.close()
    return 0


def status(folder: str, url: str) -> int:
    db = psycopg.connect(url, autocommit=True)
    done = applied(db)
    db.close()
    lines = ["MIGRATION STATUS"]
    for f in files(folder):
        lines.append(("[X] " if f[:-4] in done else "[ ] ") + f[:-4])
    print("\n".join(lines))
    return 0


def main(argv: list[str]) -> int:
    command, folder, url, *rest = argv
    if command == "migrate":
        return migrate(folder, url, *rest)
    if command == "status":
        return status(folder, url)
    print(f"unknown command {command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
