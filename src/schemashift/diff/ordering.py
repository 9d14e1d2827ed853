"""Putting operations in an order where every statement is valid when it runs.

Each operation is described by what it needs to exist before it runs, what it creates
and what it removes (columns, indexes, foreign keys and checks). From that come the
edges "must run before", and a topological sort picks, among the operations whose
predecessors have run, the one that comes first in the preferred layout:

1. renames (tables, then columns, then the indexes, foreign keys and checks of each
   table whose derived names follow them);
2. created tables, referenced before referencing;
3. foreign keys that close a cycle between created tables;
4. the changes of each existing table, table by table, so that a run of changes to one
   table stays together (the SQLite renderer turns such a run into a single rebuild):
   drops of foreign keys, checks and indexes, dropped, altered and added columns, then
   added indexes, checks and foreign keys;
5. foreign keys dropped to break a cycle between dropped tables;
6. dropped tables, referencing before referenced.

The layout only breaks ties; the edges make the order valid even when it cannot be
followed. The same input always gives the same order.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence

from schemashift.diff.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AlterColumn,
    CreateTable,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropTable,
    Operation,
    RenameCheck,
    RenameColumn,
    RenameForeignKey,
    RenameIndex,
    RenameTable,
)
from schemashift.schema.record import replace
from schemashift.schema.values import ForeignKey, Table

Resource = tuple[str, ...]

_TABLE_RANKS: dict[type[Operation], int] = {
    DropForeignKey: 0,
    DropCheck: 1,
    DropIndex: 2,
    DropColumn: 3,
    AlterColumn: 4,
    AddColumn: 5,
    AddIndex: 6,
    AddCheck: 7,
    AddForeignKey: 8,
}


class _Effects:
    """What an operation needs before it runs (``old``: a thing as it was, which must not
    be removed or changed yet; ``new``: a thing as it will be, which must be created or
    changed first), and what it creates and removes. A change both removes the old
    version and creates the new one."""

    __slots__ = ("creates", "new", "old", "removes")

    def __init__(
        self,
        old: Sequence[Resource] = (),
        new: Sequence[Resource] = (),
        creates: Sequence[Resource] = (),
        removes: Sequence[Resource] = (),
    ) -> None:
        self.old = old
        self.new = new
        self.creates = creates
        self.removes = removes


def _column(table: str, name: str) -> Resource:
    return ("column", table, name)


def _table_contents(table: Table) -> list[Resource]:
    return [
        *(_column(table.name, c.name) for c in table.columns),
        *(("index", i.name) for i in table.indexes),
        *(("fk", table.name, fk.name) for fk in table.foreign_keys),
        *(("check", table.name, c.name) for c in table.checks),
    ]


def _fk_targets(table: str, fk: ForeignKey) -> list[Resource]:
    return [_column(table, fk.column), _column(fk.ref_table, fk.ref_column)]


def _references(table: Table) -> list[Resource]:
    """The columns of other tables that ``table``'s foreign keys point at."""
    return [
        _column(fk.ref_table, fk.ref_column)
        for fk in table.foreign_keys
        if fk.ref_table != table.name
    ]


def _effects(op: Operation) -> _Effects:
    if isinstance(op, CreateTable):
        return _Effects(new=_references(op.table), creates=_table_contents(op.table))
    if isinstance(op, DropTable):
        return _Effects(old=_references(op.table), removes=_table_contents(op.table))
    if isinstance(op, AddColumn):
        return _Effects(creates=[_column(op.table, op.column.name)])
    if isinstance(op, DropColumn):
        return _Effects(removes=[_column(op.table, op.column.name)])
    if isinstance(op, AlterColumn):
        changed = [_column(op.table, op.after.name)]
        return _Effects(creates=changed, removes=changed)
    if isinstance(op, AddIndex):
        return _Effects(
            new=[_column(op.table, c) for c in op.index.columns],
            creates=[("index", op.index.name)],
        )
    if isinstance(op, DropIndex):
        return _Effects(
            old=[_column(op.table, c) for c in op.index.columns],
            removes=[("index", op.index.name)],
        )
    if isinstance(op, AddForeignKey):
        return _Effects(
            new=_fk_targets(op.table, op.foreign_key),
            creates=[("fk", op.table, op.foreign_key.name)],
        )
    if isinstance(op, DropForeignKey):
        return _Effects(
            old=_fk_targets(op.table, op.foreign_key),
            removes=[("fk", op.table, op.foreign_key.name)],
        )
    if isinstance(op, AddCheck):
        return _Effects(creates=[("check", op.table, op.check.name)])
    if isinstance(op, DropCheck):
        return _Effects(removes=[("check", op.table, op.check.name)])
    if isinstance(op, RenameIndex):
        return _Effects(creates=[("index", op.new)], removes=[("index", op.old)])
    if isinstance(op, RenameForeignKey):
        return _Effects(creates=[("fk", op.table, op.new)], removes=[("fk", op.table, op.old)])
    if isinstance(op, RenameCheck):
        return _Effects(
            creates=[("check", op.table, op.new)], removes=[("check", op.table, op.old)]
        )
    return _Effects()


def _components(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found


def _cycle_breaks(tables: dict[str, Table]) -> set[tuple[str, str]]:
    """The (table, referenced table) pairs whose foreign keys must be set apart so that
    ``tables`` can be created one after the other, referenced before referencing.

    Within each cycle, tables are placed one by one, taking first the one with the
    fewest references to tables not placed yet; those references are the breaks.
    """
    graph = {
        name: sorted({fk.ref_table for fk in t.foreign_keys if fk.ref_table in tables} - {name})
        for name, t in tables.items()
    }
    breaks: set[tuple[str, str]] = set()
    for component in _components(graph):
        remaining = set(component)
        while len(remaining) > 1:
            pick = min(
                remaining,
                key=lambda t: (sum(1 for r in graph[t] if r in remaining), t),
            )
            remaining.discard(pick)
            breaks.update((pick, ref) for ref in graph[pick] if ref in remaining)
    return breaks


def _split_cycles(operations: Sequence[Operation]) -> list[Operation]:
    """Created (and dropped) tables that reference each other in a cycle: the foreign
    keys that close the cycle are added after (dropped before) the tables."""
    created = {op.table.name: op.table for op in operations if isinstance(op, CreateTable)}
    dropped = {op.table.name: op.table for op in operations if isinstance(op, DropTable)}
    create_breaks = _cycle_breaks(created)
    drop_breaks = _cycle_breaks(dropped)
    out: list[Operation] = []
    for op in operations:
        if isinstance(op, CreateTable) and create_breaks:
            kept, later = _partition(op.table, create_breaks)
            out.append(CreateTable(kept))
            out.extend(AddForeignKey(kept.name, fk) for fk in later)
        elif isinstance(op, DropTable) and drop_breaks:
            kept, first = _partition(op.table, drop_breaks)
            out.extend(DropForeignKey(kept.name, fk) for fk in first)
            out.append(DropTable(kept))
        else:
            out.append(op)
    return out


def _partition(table: Table, breaks: set[tuple[str, str]]) -> tuple[Table, list[ForeignKey]]:
    apart = [fk for fk in table.foreign_keys if (table.name, fk.ref_table) in breaks]
    if not apart:
        return table, []
    kept = tuple(fk for fk in table.foreign_keys if fk not in apart)
    return replace(table, foreign_keys=kept), apart


def _edges(operations: Sequence[Operation]) -> list[set[int]]:
    """``edges[i]`` holds the operations that must run after operation ``i``."""
    effects = [_effects(op) for op in operations]
    creators: dict[Resource, list[int]] = defaultdict(list)
    removers: dict[Resource, list[int]] = defaultdict(list)
    column_creators: dict[str, list[int]] = defaultdict(list)
    column_removers: dict[str, list[int]] = defaultdict(list)
    for i, eff in enumerate(effects):
        for r in eff.creates:
            creators[r].append(i)
            if r[0] == "column" and isinstance(operations[i], (AddColumn, AlterColumn)):
                column_creators[r[1]].append(i)
        for r in eff.removes:
            removers[r].append(i)
            if r[0] == "column" and isinstance(operations[i], (DropColumn, AlterColumn)):
                column_removers[r[1]].append(i)
    edges: list[set[int]] = [set() for _ in operations]
    for i, eff in enumerate(effects):
        for r in eff.old:
            edges[i].update(j for j in removers.get(r, ()) if j != i)
        for r in eff.new:
            for j in creators.get(r, ()):
                if j != i:
                    edges[j].add(i)
    for r, removing in removers.items():
        for j in removing:
            edges[j].update(k for k in creators.get(r, ()) if k != j)
    # A check's SQL may mention any column of its table.
    for i, op in enumerate(operations):
        if isinstance(op, AddCheck):
            for j in column_creators.get(op.table, ()):
                edges[j].add(i)
        elif isinstance(op, DropCheck):
            edges[i].update(column_removers.get(op.table, ()))
    return edges


def _layout_key(
    op: Operation, position: int, created: set[str], dropped: set[str]
) -> tuple[int, str, int, int]:
    if isinstance(op, RenameTable):
        return (0, op.old, 0, position)
    if isinstance(op, RenameColumn):
        return (1, op.table, 0, position)
    if isinstance(op, (RenameIndex, RenameForeignKey, RenameCheck)):
        return (1, op.table, 1, position)
    if isinstance(op, CreateTable):
        return (2, op.table.name, 0, position)
    if isinstance(op, DropTable):
        return (6, op.table.name, 0, position)
    table = op.table_name
    if table in created:
        return (3, table, 0, position)
    if table in dropped:
        return (5, table, 0, position)
    return (4, table, _TABLE_RANKS.get(type(op), len(_TABLE_RANKS)), position)


def order_operations(operations: Iterable[Operation]) -> tuple[Operation, ...]:
    """``operations`` in an order where each one is valid when it runs (see the module
    documentation), with cycles between created or dropped tables broken by separate
    foreign key operations."""
    ops = _split_cycles(list(operations))
    created = {op.table.name for op in ops if isinstance(op, CreateTable)}
    dropped = {op.table.name for op in ops if isinstance(op, DropTable)}
    keys = [_layout_key(op, i, created, dropped) for i, op in enumerate(ops)]
    edges = _edges(ops)
    waiting = [0] * len(ops)
    for after in edges:
        for j in after:
            waiting[j] += 1
    ready = [(keys[i], i) for i in range(len(ops)) if waiting[i] == 0]
    heapq.heapify(ready)
    ordered: list[Operation] = []
    while ready:
        _, i = heapq.heappop(ready)
        ordered.append(ops[i])
        for j in edges[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, (keys[j], j))
    if len(ordered) != len(ops):
        stuck = sorted(ops[i].describe() for i in range(len(ops)) if waiting[i] > 0)
        raise ValueError("operations depend on each other in a cycle: " + "; ".join(stuck))
    return tuple(ordered)
