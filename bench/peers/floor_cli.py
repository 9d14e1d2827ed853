"""The raw-sqlite3 floor: the least a migration tool must do, as a tiny command.

Run as ``python floor_cli.py COMMAND DIR [ARG]`` in a fresh process. It imports only the
standard modules it needs, so its start-up is as close to ``import sqlite3`` as a real
command can be. Migration files are plain ``NNNN_name.sql`` files of statements separated
by ``;\\n``; applied ones are recorded in ``_floor_migrations``.

- ``make DIR MODELS_JSON`` renders the models (tool-neutral JSON) into ``DIR/0001_initial.sql``
  when there is no migration yet, and otherwise does what ``check`` does
- ``migrate DIR [N]`` applies the pending files (up to number N) in one transaction
- ``status DIR`` prints one ``[X]``/``[ ]`` line per migration file
- ``check DIR MODELS_JSON`` compares the live schema with the models and says so
"""

import json
import os
import sqlite3
import sys

DB = "db.sqlite3"
TRACKING = "_floor_migrations"
TYPES = {
    "string": "TEXT",
    "text": "TEXT",
    "enum": "TEXT",
    "integer": "INTEGER",
    "biginteger": "INTEGER",
    "float": "REAL",
    "decimal": "NUMERIC(10, 2)",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
    "json": "TEXT",
    "uuid": "TEXT",
}


def literal(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def column_sql(col: dict) -> str:
    parts = [col["name"], TYPES[col["kind"]]]
    if not col.get("nullable", True):
        parts.append("NOT NULL")
    if col.get("default") is not None:
        parts.append("DEFAULT " + literal(col["default"]))
    if col.get("unique"):
        parts.append("UNIQUE")
    if col.get("choices"):
        values = ", ".join(literal(c) for c in col["choices"])
        parts.append(f"CHECK ({col['name']} IN ({values}))")
    if col.get("references"):
        parts.append(f"REFERENCES {col['references']} (id) ON DELETE CASCADE")
    return " ".join(parts)


def table_indexes(table: dict) -> list[tuple[str, ...]]:
    out = [tuple(i) for i in table.get("indexes", ())]
    out.extend((c["name"],) for c in table["columns"] if c.get("references"))
    return list(dict.fromkeys(out))


def render(tables: list[dict]) -> list[str]:
    stmts = []
    for t in tables:
        cols = ["id INTEGER PRIMARY KEY AUTOINCREMENT"] + [column_sql(c) for c in t["columns"]]
        body = ",\n    ".join(cols)
        stmts.append(f"CREATE TABLE {t['name']} (\n    {body}\n)")
        for idx in table_indexes(t):
            name = "idx_" + "_".join((t["name"], *idx))
            stmts.append(f"CREATE INDEX {name} ON {t['name']} ({', '.join(idx)})")
    return stmts


def files(folder: str) -> list[str]:
    # By number: past 9,999 the names are longer and would sort out of order as text.
    names = [f for f in os.listdir(folder) if f.endswith(".sql")]
    return sorted(names, key=lambda f: (int(f.split("_", 1)[0]), f))


def applied(db: sqlite3.Connection) -> set[str]:
    try:
        return {r[0] for r in db.execute(f"SELECT name FROM {TRACKING}")}
    except sqlite3.OperationalError:
        return set()


def make(folder: str, models: str) -> int:
    if files(folder):
        # Only an initial migration is ever generated; later ones are a comparison.
        return check(folder, models)
    with open(models) as f:
        tables = json.load(f)
    with open(os.path.join(folder, "0001_initial.sql"), "w") as f:
        f.write(";\n".join(render(tables)) + "\n")
    print(os.path.join(folder, "0001_initial.sql"))
    return 0


def migrate(folder: str, upto: str | None = None) -> int:
    db = sqlite3.connect(DB, isolation_level=None)
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
        "(name TEXT PRIMARY KEY, batch INTEGER, applied_at TEXT)"
    )
    for name in pending:
        with open(os.path.join(folder, name)) as f:
            for stmt in f.read().split(";\n"):
                if stmt.startswith("SELECT"):
                    # A safety check (see workloads/sqlite_sql.rebuild): 1 when it passes.
                    if db.execute(stmt).fetchone() != (1,):
                        print(f"check failed: {stmt}", file=sys.stderr)
                        return 1
                elif stmt.strip():
                    db.execute(stmt)
        db.execute(f"INSERT INTO {TRACKING} VALUES (?, 1, CURRENT_TIMESTAMP)", (name[:-4],))
        print(name[:-4])
    db.execute("COMMIT")
    return 0


def status(folder: str) -> int:
    db = sqlite3.connect(DB)
    done = applied(db)
    lines = ["MIGRATION STATUS"]
    for f in files(folder):
        lines.append(("[X] " if f[:-4] in done else "[ ] ") + f[:-4])
    print("\n".join(lines))
    return 0


def check(folder: str, models: str) -> int:
    with open(models) as f:
        tables = json.load(f)
    db = sqlite3.connect(DB)
    done = applied(db)
    differences = [f[:-4] + ": pending" for f in files(folder) if f[:-4] not in done]
    for t in tables:
        live = [
            (r[1], r[2], bool(r[3]), r[4])
            for r in db.execute("SELECT * FROM pragma_table_info(?)", (t["name"],))
        ]
        want = [("id", "INTEGER", False, None)] + [
            (
                c["name"],
                TYPES[c["kind"]],
                not c.get("nullable", True),
                None if c.get("default") is None else literal(c["default"]),
            )
            for c in t["columns"]
        ]
        if live != want:
            differences.append(f"{t['name']}: differs")
        live_idx = {
            tuple(r[2] for r in db.execute("SELECT * FROM pragma_index_info(?)", (i[1],)))
            for i in db.execute("SELECT * FROM pragma_index_list(?)", (t["name"],))
            if i[3] == "c"
        }
        if not set(table_indexes(t)) <= live_idx:
            differences.append(f"{t['name']}: indexes differ")
    print("\n".join(differences) or "Nothing to do.")
    return 1 if differences else 0


def main(argv: list[str]) -> int:
    command, folder, *rest = argv
    if command == "make":
        return make(folder, rest[0])
    if command == "migrate":
        return migrate(folder, *rest)
    if command == "status":
        return status(folder)
    if command == "check":
        return check(folder, rest[0])
    print(f"unknown command {command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
