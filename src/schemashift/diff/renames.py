"""Deciding which drop-and-add pairs are renames.

A rename is never guessed: it comes from a hint (``renamed_from``, ``__renamed_from__``,
``--rename``, ``--rename-table``) or from a "yes" to a question. Without either, the
differ writes a drop and an add, and a warning names the possible rename.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from schemashift.diff.operations import Operation, RenameColumn, RenameTable, apply_all
from schemashift.errors import ConfigError
from schemashift.schema.values import Schema, Table

Ask = Callable[[str], bool]


@dataclass(frozen=True)
class RenameHints:
    """Declared renames. ``tables`` maps a new table name to its old name; ``columns``
    maps ``(table, new_column)`` to the old column name, where ``table`` is the table's
    new name (its old name is accepted too)."""

    tables: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def merged(self, other: RenameHints) -> RenameHints:
        """These hints with ``other``'s added; ``other`` wins where both name a rename."""
        return RenameHints(
            tables={**self.tables, **other.tables},
            columns={**self.columns, **other.columns},
        )


def _split(text: str, separator: str, option: str, shape: str, example: str) -> list[str]:
    parts = text.split(separator, 1)
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ConfigError(
            f"{option} expects {shape} (for example {option} {example}), not {text!r}."
        )
    return [p.strip() for p in parts]


def merge_cli_renames(
    hints: RenameHints | None,
    renames: Sequence[str] = (),
    rename_tables: Sequence[str] = (),
) -> RenameHints:
    """``hints`` plus the command line's ``--rename TABLE.OLD=NEW`` and
    ``--rename-table OLD=NEW`` options, which win over the models' hints."""
    tables: dict[str, str] = {}
    for text in rename_tables:
        old, new = _split(text, "=", "--rename-table", "OLD=NEW", "users=members")
        tables[new] = old
    columns: dict[tuple[str, str], str] = {}
    for text in renames:
        left, new = _split(text, "=", "--rename", "TABLE.OLD=NEW", "users.phone=mobile")
        table, old = _split(left, ".", "--rename", "TABLE.OLD=NEW", "users.phone=mobile")
        columns[(table, new)] = old
    return (hints or RenameHints()).merged(RenameHints(tables, columns))


@dataclass(frozen=True)
class RenamePlan:
    """The renames decided: tables as ``(old, new)``, columns as ``(table, old, new)``
    with the table's new name, and warnings about possible or ignored renames."""

    tables: tuple[tuple[str, str], ...] = ()
    columns: tuple[tuple[str, str, str], ...] = ()
    warnings: tuple[str, ...] = ()

    def operations(self) -> list[Operation]:
        """Table renames, then column renames (which use the new table names)."""
        return [
            *(RenameTable(old, new) for old, new in self.tables),
            *(RenameColumn(table, old, new) for table, old, new in self.columns),
        ]


def _same_columns(a: Table, b: Table) -> bool:
    return sorted((c.name, c.kind) for c in a.columns) == sorted(
        (c.name, c.kind) for c in b.columns
    )


def _table_renames(
    current: Schema, target: Schema, hints: RenameHints, ask: Ask | None, warnings: list[str]
) -> list[tuple[str, str]]:
    dropped = sorted(set(current.tables) - set(target.tables))
    added = sorted(set(target.tables) - set(current.tables))
    renames: dict[str, str] = {}
    for new in added:
        old = hints.tables.get(new)
        if old is None:
            continue
        if old in dropped and old not in renames:
            renames[old] = new
        elif old in target.tables:
            warnings.append(
                f"rename of table {old} to {new} ignored: table {old} is still in the models"
            )
        elif old not in current.tables:
            warnings.append(f"rename of table {old} to {new} ignored: there is no table {old}")
    for new, old in sorted(hints.tables.items()):
        if new in current.tables and old in dropped:
            warnings.append(
                f"rename of table {old} to {new} ignored: table {new} still exists in the "
                "migrations; drop or rename it in a migration of its own first"
            )
    taken = set(renames.values())
    for old in dropped:
        if old in renames:
            continue
        for new in added:
            if new in taken or not _same_columns(current.tables[old], target.tables[new]):
                continue
            if ask is None:
                warnings.append(
                    f"table {old} was dropped and table {new} added: if this was a rename, "
                    f"run make migration again with --rename-table {old}={new}"
                )
            elif ask(f"Did you rename table {old} to {new}? [y/N]"):
                renames[old] = new
                taken.add(new)
                break
    return sorted(renames.items())


def _column_renames(
    table: str,
    old_table: str,
    before: Table,
    after: Table,
    hints: RenameHints,
    ask: Ask | None,
    warnings: list[str],
) -> list[tuple[str, str, str]]:
    before_names = {c.name for c in before.columns}
    after_names = {c.name for c in after.columns}
    dropped = [c for c in before.columns if c.name not in after_names]
    added = [c for c in after.columns if c.name not in before_names]
    renames: dict[str, str] = {}
    for col in added:
        old = hints.columns.get((table, col.name), hints.columns.get((old_table, col.name)))
        if old is None:
            continue
        if old in before_names and old not in after_names and old not in renames:
            renames[old] = col.name
        elif old in after_names:
            warnings.append(
                f"rename of {table}.{old} to {col.name} ignored: {table}.{old} is still "
                "in the models"
            )
        elif old not in before_names:
            warnings.append(
                f"rename of {table}.{old} to {col.name} ignored: there is no column {table}.{old}"
            )
    for col in after.columns:
        old = hints.columns.get((table, col.name), hints.columns.get((old_table, col.name)))
        if (
            old is not None
            and col.name in before_names
            and old in before_names
            and old not in after_names
        ):
            warnings.append(
                f"rename of {table}.{old} to {col.name} ignored: {table}.{col.name} still "
                "exists in the migrations; drop or rename it in a migration of its own first"
            )
    taken = set(renames.values())
    for old_col in dropped:
        if old_col.name in renames:
            continue
        for new_col in added:
            if new_col.name in taken or new_col.kind != old_col.kind:
                continue
            old, new = old_col.name, new_col.name
            if ask is None:
                warnings.append(
                    f"{table}.{old} was dropped and {table}.{new} added: if this was a "
                    f"rename, run make migration again with --rename {table}.{old}={new}"
                )
            elif ask(f"Did you rename {table}.{old} to {table}.{new}? [y/N]"):
                renames[old] = new
                taken.add(new)
                break
    order = {c.name: i for i, c in enumerate(before.columns)}
    return [(table, old, renames[old]) for old in sorted(renames, key=order.__getitem__)]


def plan_renames(
    current: Schema,
    target: Schema,
    hints: RenameHints | None = None,
    ask: Ask | None = None,
) -> RenamePlan:
    """Decide the renames between ``current`` and ``target``.

    A hint counts only when its old name exists in ``current`` but not in ``target``
    and its new name the other way round, so that hints left in the models after their
    migration was made are harmless. Questions go to ``ask`` in a fixed order: tables
    by name, then columns table by table.
    """
    hints = hints or RenameHints()
    warnings: list[str] = []
    tables = _table_renames(current, target, hints, ask, warnings)
    renamed = apply_all(current, [RenameTable(old, new) for old, new in tables])
    old_names = {new: old for old, new in tables}
    columns: list[tuple[str, str, str]] = []
    for name in sorted(target.tables):
        before = renamed.table(name)
        if before is None:
            continue
        columns.extend(
            _column_renames(
                name,
                old_names.get(name, name),
                before,
                target.tables[name],
                hints,
                ask,
                warnings,
            )
        )
    return RenamePlan(tuple(tables), tuple(columns), tuple(warnings))
