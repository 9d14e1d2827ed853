"""Deciding which drop-and-add pairs are renames.

A rename is never guessed: it comes from a hint (``renamed_from``, ``__renamed_from__``,
``--rename``, ``--rename-table``), from identity (the same model class under a new
``__tablename__``, the same attribute under a new ``db_column``, as recorded in
:attr:`Table.model <schemashift.schema.values.Table.model>` and
:attr:`Column.attribute <schemashift.schema.values.Column.attribute>`) or from a "yes" to
a question. Without any of these, the differ writes a drop and an add, and a warning
names the possible rename, whatever the columns or kinds.

Identity makes a rename only from a name that is gone to a name that is new, as hints
do. Where the new name is still taken (two classes swapping table names, a chain of
moves) nothing is renamed: each table or column is changed by name, as without
identity, and a warning says how to make the rename in two steps. Tables and columns
made by files that predate identity have none, and behave as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from schemashift.diff.operations import Operation, RenameColumn, RenameTable, apply_all
from schemashift.errors import ConfigError
from schemashift.schema.hints import RenameHints
from schemashift.schema.record import Record
from schemashift.schema.values import Schema, Table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

Ask = Callable[[str], bool]


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


class RenamePlan(Record):
    """The renames decided: tables as ``(old, new)``, columns as ``(table, old, new)``
    with the table's new name, and warnings about possible or ignored renames."""

    __slots__ = ("columns", "tables", "warnings")
    tables: Final[tuple[tuple[str, str], ...]]
    columns: Final[tuple[tuple[str, str, str], ...]]
    warnings: Final[tuple[str, ...]]

    def __init__(
        self,
        tables: tuple[tuple[str, str], ...] = (),
        columns: tuple[tuple[str, str, str], ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.tables = tables
        self.columns = columns
        self.warnings = warnings

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


def _identical(before: Table, after: Table) -> bool:
    """Equal, and equal in what equality leaves out too: the model and each column's
    attribute, which renames follow."""
    return (
        before == after
        and before.model == after.model
        and [c.attribute for c in before.columns] == [c.attribute for c in after.columns]
    )


def _by_identity(members: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Identity -> name, for the identities that exactly one member holds: an identity
    shared by two members (or unknown) tells nothing."""
    names: dict[str, list[str]] = {}
    for name, identity in members:
        if identity is not None:
            names.setdefault(identity, []).append(name)
    return {identity: found[0] for identity, found in names.items() if len(found) == 1}


#: How many added names a possible-rename warning lists before "and N more".
_LISTED = 5


def _possible_rename(dropped: str, kind: str, prefix: str, added: list[str], option: str) -> str:
    """The warning for a dropped member and the added ones it may have been renamed to:
    one line per dropped member, however many were added."""
    if len(added) == 1:
        what = f"{kind} {added[0]}" if kind == "table" else f"{prefix}{added[0]}"
        return (
            f"{dropped} was dropped and {what} added: if this was a rename, run make "
            f"migration again with {option}={added[0]}"
        )
    shown = ", ".join(added[:_LISTED])
    more = f" and {len(added) - _LISTED} more" if len(added) > _LISTED else ""
    listed = ", ".join(f"{prefix}{name}" for name in added[:_LISTED])
    return (
        f"{dropped} was dropped and {kind}s {listed}{more} added: if it was renamed to one "
        f"of them, run make migration again with {option}=NEW, NEW being its new name "
        f"({shown}{more})"
    )


def _blocked(what: str, old: str, new: str, clash: str, where: str, kind: str) -> str:
    return (
        f"{what} moved from {kind} {old} to {kind} {new}, but {kind} {clash} {where}: "
        f"this is written as changes to each {kind} by name, not as a rename. To keep "
        f"the data with it, make the change in two migrations, the first giving one of "
        f"them a name no other {kind} uses"
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
    # The model class that declared a table is known: a new __tablename__ on the same
    # class is a rename, asked of no one.
    old_tables = _by_identity((t.name, t.model) for t in current.tables.values())
    new_tables = _by_identity((t.name, t.model) for t in target.tables.values())
    warned: set[str] = set()
    for model in sorted(set(old_tables) & set(new_tables)):
        old, new = old_tables[model], new_tables[model]
        if old == new or old in renames or new in taken:
            continue
        if old in dropped and new in added:
            renames[old] = new
            taken.add(new)
            continue
        clash, where = (
            (new, "still exists in the migrations")
            if new in current.tables
            else (old, "is still in the models")
        )
        warnings.append(_blocked(f"model {model}", old, new, clash, where, "table"))
        warned.update((old, new))
    left = [old for old in dropped if old not in renames and old not in warned]
    fresh = [new for new in added if new not in taken and new not in warned]
    asked: set[tuple[str, str]] = set()
    if ask is not None:
        for old in left:
            for new in fresh:
                if new in taken or not _same_columns(current.tables[old], target.tables[new]):
                    continue
                asked.add((old, new))
                if ask(f"Did you rename table {old} to {new}? [y/N]"):
                    renames[old] = new
                    taken.add(new)
                    break
    for old in left:
        if old in renames:
            continue
        candidates = [new for new in fresh if new not in taken and (old, new) not in asked]
        if candidates:
            warnings.append(
                _possible_rename(f"table {old}", "table", "", candidates, f"--rename-table {old}")
            )
    return sorted(renames.items())


def _same_owner(
    before: Table, after: Table, old_models: set[str | None], new_models: set[str | None]
) -> bool:
    """True when the attributes recorded on ``before``'s columns belong to the model
    that declares ``after``: the same class, a class renamed (the old one is gone from
    the models, ``new_models``, and the new one is new, not in ``old_models``), or a
    table whose class is not known."""
    if before.model is None or after.model is None or before.model == after.model:
        return True
    return before.model not in new_models and after.model not in old_models


def _column_renames(
    table: str,
    old_table: str,
    before: Table,
    after: Table,
    hints: RenameHints,
    ask: Ask | None,
    warnings: list[str],
    *,
    same_owner: bool,
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
    # The field's attribute is known: a new db_column on the same attribute is a rename,
    # asked of no one.
    old_columns: dict[str, str] = {}
    new_columns: dict[str, str] = {}
    if same_owner:
        old_columns = _by_identity((c.name, c.attribute) for c in before.columns)
        new_columns = _by_identity((c.name, c.attribute) for c in after.columns)
    owner = after.model or table
    warned: set[str] = set()
    for attribute in sorted(set(old_columns) & set(new_columns)):
        old, new = old_columns[attribute], new_columns[attribute]
        if old == new or old in renames or new in taken:
            continue
        if old not in after_names and new not in before_names:
            renames[old] = new
            taken.add(new)
            continue
        clash, where = (
            (new, "still exists in the migrations")
            if new in before_names
            else (old, "is still in the models")
        )
        warnings.append(
            _blocked(
                f"field {owner}.{attribute}",
                f"{table}.{old}",
                f"{table}.{new}",
                f"{table}.{clash}",
                where,
                "column",
            )
        )
        warned.update((old, new))
    left = [c for c in dropped if c.name not in renames and c.name not in warned]
    fresh = [c for c in added if c.name not in taken and c.name not in warned]
    asked: set[tuple[str, str]] = set()
    if ask is not None:
        for old_col in left:
            for new_col in fresh:
                if new_col.name in taken or new_col.kind != old_col.kind:
                    continue
                old, new = old_col.name, new_col.name
                asked.add((old, new))
                if ask(f"Did you rename {table}.{old} to {table}.{new}? [y/N]"):
                    renames[old] = new
                    taken.add(new)
                    break
    for old_col in left:
        if old_col.name in renames:
            continue
        old = old_col.name
        candidates = [c.name for c in fresh if c.name not in taken and (old, c.name) not in asked]
        if candidates:
            warnings.append(
                _possible_rename(
                    f"{table}.{old}", "column", f"{table}.", candidates, f"--rename {table}.{old}"
                )
            )
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
    migration was made are harmless; identity likewise. Hints come first, then
    identity, then questions to ``ask`` (for tables with the same columns and columns of
    the same kind), in a fixed order: tables by name, then columns table by table.
    """
    hints = hints or RenameHints()
    warnings: list[str] = []
    tables = _table_renames(current, target, hints, ask, warnings)
    renamed = apply_all(current, [RenameTable(old, new) for old, new in tables])
    old_names = {new: old for old, new in tables}
    old_models = {t.model for t in current.tables.values()}
    new_models = {t.model for t in target.tables.values()}
    columns: list[tuple[str, str, str]] = []
    for name in sorted(target.tables):
        before = renamed.table(name)
        if before is None:
            continue
        after = target.tables[name]
        if _identical(before, after):
            # Nothing was added, dropped or moved to another attribute: no rename, no
            # warning, whatever the hints say (the common case, where nothing changed).
            continue
        columns.extend(
            _column_renames(
                name,
                old_names.get(name, name),
                before,
                after,
                hints,
                ask,
                warnings,
                same_owner=_same_owner(before, after, old_models, new_models),
            )
        )
    return RenamePlan(tuple(tables), tuple(columns), tuple(warnings))
