"""Differences between the schema the applied migrations produce and the live database."""

from __future__ import annotations

from typing import NamedTuple

from schemashift.schema.record import Record
from schemashift.schema.values import Schema, Table


def _members(table: Table) -> dict[str, dict[str, object]]:
    return {
        "column": {c.name: c for c in table.columns},
        "index": {i.name: i for i in table.indexes},
        "foreign key": {f.name: f for f in table.foreign_keys},
        "check": {c.name: c for c in table.checks},
    }


class Drift(NamedTuple):
    """One difference: the table, what in it (``kind`` ``column``, ``index``, ``foreign
    key`` or ``check`` and its name; both None for the whole table), and a sentence."""

    table: str
    kind: str | None
    member: str | None
    text: str


def drift(expected: Schema, live: Schema) -> list[Drift]:
    """Every difference, from the point of view of the live database. Both schemas must
    be in the dialect's comparable form."""
    out: list[Drift] = []
    for name in sorted(set(expected.tables) | set(live.tables)):
        want, have = expected.table(name), live.table(name)
        if have is None:
            out.append(Drift(name, None, None, f"table {name} is missing from the database"))
            continue
        if want is None:
            text = f"table {name} exists in the database but not in the migrations"
            out.append(Drift(name, None, None, text))
            continue
        if want == have:
            continue
        wanted, found = _members(want), _members(have)
        for kind in wanted:
            for member in sorted(set(wanted[kind]) | set(found[kind])):
                a, b = wanted[kind].get(member), found[kind].get(member)
                where = f"{kind} {name}.{member}"
                if b is None:
                    out.append(Drift(name, kind, member, f"{where} is missing from the database"))
                elif a is None:
                    out.append(Drift(name, kind, member, f"{where} exists in the database only"))
                elif a != b:
                    out.append(Drift(name, kind, member, f"{where} differs: {_how(a, b)}"))
    return out


def describe_drift(expected: Schema, live: Schema) -> list[str]:
    """One sentence per difference (see :func:`drift`)."""
    return [d.text for d in drift(expected, live)]


#: Column attributes an exact type already says, left out when the types differ.
_SIZED = ("kind", "max_length", "max_digits", "decimal_places")


def _how(expected: object, found: object) -> str:
    """Which attributes differ, e.g. ``unique: expected True, found False``."""
    if not isinstance(expected, Record) or not isinstance(found, Record):
        return f"expected {expected!r}, found {found!r}"
    differing = [
        (name, getattr(expected, name), getattr(found, name))
        for name in expected._compared
        if getattr(expected, name) != getattr(found, name)
    ]
    if any(name == "db_type" for name, _, _ in differing):
        differing = [d for d in differing if d[0] not in _SIZED]
    return "; ".join(_attribute(name, want, have) for name, want, have in differing)


def _attribute(name: str, expected: object, found: object) -> str:
    """One differing attribute as a phrase."""
    if name == "db_type":
        return f"type: expected {expected}, found {found}"
    if name == "valid" and found is False:
        return (
            "it is INVALID (a failed CREATE INDEX CONCURRENTLY leaves one behind): queries "
            "do not use it; drop it and create it again"
        )
    if name == "where":
        if expected is None:
            return f"it is partial (WHERE {found}) but the migrations index every row"
        if found is None:
            return f"it indexes every row but the migrations make it partial (WHERE {expected})"
        return f"WHERE: expected {expected}, found {found}"
    if name == "method":
        return f"method: expected {expected or 'the default'}, found {found or 'the default'}"
    return f"{name}: expected {expected!r}, found {found!r}"
