"""The online forms of PostgreSQL changes (``online = true``, ``make migration --online``).

A change that would hold a lock for longer than a catalog change is split into steps
that each take only a brief lock, written as consecutive migration files so that each
runs in a transaction of its own (or outside any) and can be reviewed on its own:

1. the main file (atomic): catalog changes; new foreign keys and checks ``NOT VALID``
   (checked for new rows at once, existing rows later); defaults set;
2. ``_backfill`` (``atomic = False``): existing rows filled in batches, each its own
   short transaction; then, for a column becoming NOT NULL, ``CHECK (col IS NOT NULL)
   NOT VALID``;
3. ``_index`` (``atomic = False``): indexes built and dropped ``CONCURRENTLY``; a UNIQUE
   column's index built so, then attached with ``ADD CONSTRAINT ... UNIQUE USING INDEX``;
4. ``_validate``: ``VALIDATE CONSTRAINT`` (scans under a lock that lets reads and
   writes go on), then ``SET NOT NULL``, which PostgreSQL 12+ proves from the validated
   check without a scan, and the check dropped. It runs in a transaction of its own
   behind an ``atomic = False`` file; with none before it (new foreign keys or checks
   only), it is ``atomic = False`` itself, since consecutive atomic files share one.

Each file carries its own operations, so the schema the files produce stays exact after
every one of them (the NOT NULL check is an operation of its own between steps 2 and 4),
and each ``down()`` reverts only its own file. A statement in an ``atomic = False`` file
may run again after a failure, so each is written to be re-runnable. A change that has
no online form (a type change that rewrites the table, a new primary key or identity
column) is refused with the way to do it by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from schemashift.dialects.base import Code, Comment, Execute, Step, sql_literal
from schemashift.dialects.postgres import locks, render
from schemashift.dialects.postgres.names import enum_check_name, unique_name
from schemashift.dialects.postgres.quoting import fit_name, quote
from schemashift.dialects.postgres.types import column_type, rewrites_table
from schemashift.diff import operations as ops
from schemashift.errors import ConfigError
from schemashift.schema.record import replace
from schemashift.schema.values import Check, Column, Index, Schema

#: Rows a back-fill updates per transaction: few enough that each batch holds its row
#: locks only briefly, many enough that a large table takes few round trips.
BATCH_ROWS = 5000

#: Why each ``atomic = False`` step runs outside the batch transaction (the file says so).
OUTSIDE = {
    "backfill": "Back-fills in batches, each its own short transaction: this migration "
    "runs outside the batch transaction.",
    "index": "CONCURRENTLY cannot run inside a transaction: this migration runs on its own.",
    "validate": "VALIDATE must not share the transaction that added the constraint NOT "
    "VALID: this migration runs outside the batch transaction.",
}


@dataclass
class Phase:
    """One file of an online change: its step name (``""`` for the main file), whether
    it runs in the batch transaction, its operations and SQL, and the lines that
    ``make migration`` prints for it."""

    step: str
    atomic: bool
    operations: list[ops.Operation] = field(default_factory=list)
    up: list[Step] = field(default_factory=list)
    down: list[Step] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def outside(self) -> str:
        """Why the file runs outside the batch transaction (said in the file)."""
        return OUTSIDE.get(self.step, OUTSIDE["index"])


@dataclass
class _Plan:
    main: list[ops.Operation] = field(default_factory=list)
    #: (table, column, SQL value) filled into the column's NULLs in batches.
    backfills: list[tuple[str, str, str]] = field(default_factory=list)
    #: (table, column, check) guarding a column on its way to NOT NULL.
    guards: list[tuple[str, str, Check]] = field(default_factory=list)
    index: list[ops.Operation] = field(default_factory=list)
    #: (table, constraint) added NOT VALID by the main file.
    validations: list[tuple[str, str]] = field(default_factory=list)
    #: AlterColumn making a column NOT NULL, with the guard dropped after it.
    not_null: list[tuple[ops.AlterColumn, ops.DropCheck]] = field(default_factory=list)


def not_null_check_name(table: str, column: str) -> str:
    """The temporary CHECK (column IS NOT NULL) of ``table.column``."""
    return fit_name(f"{table}_{column}_not_null")


def phases(operations: Sequence[ops.Operation], before: Schema) -> list[Phase]:
    """The online files for ``operations`` applied to ``before``, in order, leaving out
    the steps that have nothing to do. Raises ConfigError for a change that has no
    online form, before anything is written."""
    _refuse(operations)
    plan = _split(operations)
    result: list[Phase] = []
    main = Phase("", atomic=True, operations=plan.main)
    main.up = locks.annotate(_render_main(plan.main, before))
    after_main = ops.apply_all(before, plan.main)
    main.down = locks.annotate(render.render(ops.reverse_all(plan.main), after_main))
    main.lines = [op.describe() for op in plan.main]
    result.append(main)

    fill = _backfill_phase(plan)
    result.append(fill)
    index = _index_phase(plan)
    result.append(index)

    # Consecutive atomic migrations share the batch transaction: the validations get a
    # transaction of their own only behind a file that runs outside it, and otherwise
    # run outside any (each statement then commits on its own).
    apart = bool(fill.up or index.up)
    result.append(_validate_phase(plan, atomic=apart))
    return [p for p in result if p.up]


# --- planning ---------------------------------------------------------------------------


def _refuse(operations: Sequence[ops.Operation]) -> None:
    reasons: list[str] = []
    for op in operations:
        if isinstance(op, ops.AlterColumn):
            before, after = op.before, op.after
            where = f"{op.table}.{after.name}"
            if column_type(before) != column_type(after) and rewrites_table(before, after):
                reasons.append(
                    f"{where} changes from {column_type(before)} to {column_type(after)}, "
                    "which rewrites the table"
                )
            if after.primary_key and not before.primary_key:
                reasons.append(f"{where} becomes the primary key, which builds its index")
        elif isinstance(op, ops.AddColumn) and op.column.autoincrement:
            reasons.append(
                f"{op.table}.{op.column.name} is a new identity column, which rewrites the table"
            )
    if reasons:
        found = "; ".join(reasons)
        raise ConfigError(
            f"make migration in online mode found changes with no online form: {found}. "
            "Do such a change by expand and contract, in separate migrations: add a new "
            "column with the new definition; have the application write both columns; "
            "back-fill the new column in batches (a hand-written atomic = False "
            "migration); switch reads to it; then drop the old column and rename the new "
            "one. Or make this migration without online mode if the lock is acceptable. "
            "Nothing was written."
        )


def _split(operations: Sequence[ops.Operation]) -> _Plan:
    plan = _Plan()
    dropped_tables = {op.table.name for op in operations if isinstance(op, ops.DropTable)}
    dropped_columns = {
        (op.table, op.column.name) for op in operations if isinstance(op, ops.DropColumn)
    }
    for op in operations:
        if isinstance(op, ops.AddIndex):
            plan.index.append(op)
        elif isinstance(op, ops.DropIndex):
            # An index that goes with its table or column is dropped with them, under
            # the lock they take anyway.
            gone = op.table in dropped_tables or any(
                (op.table, c) in dropped_columns for c in op.index.columns
            )
            (plan.main if gone else plan.index).append(op)
        elif isinstance(op, ops.AddForeignKey):
            plan.main.append(op)
            plan.validations.append((op.table, op.foreign_key.name))
        elif isinstance(op, ops.AddCheck):
            plan.main.append(op)
            plan.validations.append((op.table, op.check.name))
        elif isinstance(op, ops.AddColumn):
            _add_column(op, plan)
        elif isinstance(op, ops.AlterColumn):
            _alter_column(op.table, op.before, op.after, op.fill, plan, backfill=False)
        else:
            plan.main.append(op)
    return plan


def _volatile_default(column: Column) -> str | None:
    if column.default is None or column.default.upper() == "NULL":
        return None
    default = render.default_sql(column.default)
    return default if locks.VOLATILE.search(default) else None


def _add_column(op: ops.AddColumn, plan: _Plan) -> None:
    column = op.column
    if _volatile_default(column) is not None:
        # Added bare (a catalog change), then given its default for new rows, then
        # existing rows filled in batches: the value is computed per row either way.
        bare = replace(column, nullable=True, default=None, unique=False)
        plan.main.append(ops.AddColumn(op.table, bare))
        _alter_column(op.table, bare, column, None, plan, backfill=True)
        return
    if column.unique:
        plain = replace(column, unique=False)
        plan.main.append(ops.AddColumn(op.table, plain, op.fill))
        _alter_column(op.table, plain, column, None, plan, backfill=False)
        return
    plan.main.append(op)


def _alter_column(
    table: str, before: Column, after: Column, fill: str | None, plan: _Plan, *, backfill: bool
) -> None:
    """Split one column change: everything but a new UNIQUE and a new NOT NULL in the main
    file, the UNIQUE in the index step, the NOT NULL through the back-fill and validate
    steps. ``backfill`` fills existing NULLs with the new default even when the column
    stays nullable (a volatile default, which PostgreSQL would compute per row)."""
    to_unique = after.unique and not before.unique and not after.primary_key
    to_not_null = before.nullable and not after.nullable and not after.primary_key
    main = replace(
        after,
        unique=before.unique if to_unique else after.unique,
        nullable=before.nullable if to_not_null else after.nullable,
    )
    if main != before:
        plan.main.append(ops.AlterColumn(table, before, main))
        if _enum_changes(before, main):
            plan.validations.append((table, enum_check_name(table, main.name)))
    current = main
    if to_not_null or backfill:
        value = (
            render.default_sql(after.default)
            if after.default is not None and after.default.upper() != "NULL"
            else fill
        )
        if value is not None:
            plan.backfills.append((table, after.name, value))
    if to_not_null:
        guard = Check(not_null_check_name(table, after.name), f"{quote(after.name)} IS NOT NULL")
        plan.guards.append((table, after.name, guard))
    if to_unique:
        unique = replace(current, unique=True)
        plan.index.append(ops.AlterColumn(table, current, unique))
        current = unique
    if to_not_null:
        final = replace(current, nullable=False)
        plan.not_null.append(
            (ops.AlterColumn(table, current, final), ops.DropCheck(table, plan.guards[-1][2]))
        )


def _enum_changes(before: Column, after: Column) -> bool:
    has = after.kind == "enum" and bool(after.choices)
    had = before.kind == "enum" and bool(before.choices)
    return has and (not had or before.choices != after.choices)


# --- rendering --------------------------------------------------------------------------


def _render_main(operations: Sequence[ops.Operation], before: Schema) -> list[Step]:
    """The main file: the ordinary renderer's statements, but new foreign keys and
    checks (a model's, an enum's) ``NOT VALID`` and without their validation."""
    steps: list[Step] = []
    run: list[ops.Operation] = []
    schema = before

    def flush() -> None:
        nonlocal schema
        if run:
            steps.extend(render.render(run, schema))
            schema = ops.apply_all(schema, run)
            run.clear()

    dropped = {(op.table, op.column.name) for op in operations if isinstance(op, ops.DropColumn)}
    for op in operations:
        if isinstance(op, ops.DropIndex) and any(
            (op.table, c) in dropped for c in op.index.columns
        ):
            # DROP COLUMN drops every index on the column; a DROP INDEX of its own would
            # take a second ACCESS EXCLUSIVE lock for nothing.
            flush()
            steps.append(Comment(f"Index {op.index.name} goes with its column, dropped below."))
            schema = op.apply(schema)
        elif isinstance(op, ops.AddForeignKey):
            flush()
            clause = render.foreign_key_clause(op.foreign_key)
            steps.append(Execute(f"ALTER TABLE {quote(op.table)} ADD {clause} NOT VALID"))
            schema = op.apply(schema)
        elif isinstance(op, ops.AddCheck):
            flush()
            steps.extend(_add_check(op.table, op.check, robust=False))
            schema = op.apply(schema)
        elif isinstance(op, ops.AlterColumn) and _enum_changes(op.before, op.after):
            flush()
            enum_add = (
                f"ALTER TABLE {quote(op.table)} ADD {render.enum_check_clause(op.table, op.after)}"
            )
            for step in render.render([op], schema):
                if isinstance(step, Execute) and step.sql == enum_add:
                    step = Execute(f"{enum_add} NOT VALID")
                steps.append(step)
            schema = op.apply(schema)
        else:
            run.append(op)
    flush()
    return steps


def _add_check(table: str, check: Check, *, robust: bool) -> list[Step]:
    """``ADD CONSTRAINT ... CHECK (...) NOT VALID`` and the comment that keeps its text;
    ``robust`` first drops a copy left by an earlier run (outside a transaction)."""
    steps: list[Step] = []
    if robust:
        steps.append(_drop_constraint(table, check.name))
    steps.append(Execute(f"ALTER TABLE {quote(table)} ADD {render.check_clause(check)} NOT VALID"))
    steps.append(Execute(render.check_comment(table, check)))
    return steps


def _drop_constraint(table: str, name: str) -> Execute:
    return Execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT IF EXISTS {quote(name)}")


def backfill_steps(table: str, column: str, value: str) -> list[Step]:
    """Fill the NULLs of ``table.column`` with ``value`` (computed per row), a batch of
    rows per statement: outside a transaction each batch commits at once, so no row stays
    locked for long and the table is never locked as a whole. The loop ends when a batch
    finds no NULL left (a dry run, which returns no row, shows one batch)."""
    t, c = quote(table), quote(column)
    sql = (
        f"WITH batch AS (UPDATE {t} SET {c} = {value} WHERE ctid = ANY (ARRAY("
        f"SELECT ctid FROM {t} WHERE {c} IS NULL LIMIT {BATCH_ROWS})) RETURNING 1) "
        "SELECT 1 FROM batch LIMIT 1"
    )
    return [
        Comment(f"Back-fill {table}.{column}, {BATCH_ROWS} rows per transaction."),
        Code("while conn.execute("),
        Code(f"    {sql_literal(sql)}"),
        Code(").fetchone():"),
        Code("    pass"),
    ]


def _backfill_phase(plan: _Plan) -> Phase:
    phase = Phase("backfill", atomic=False)
    for table, column, value in plan.backfills:
        phase.up.extend(backfill_steps(table, column, value))
        phase.lines.append(f"~ back-fill {table}.{column} in batches")
    for table, _, check in plan.guards:
        phase.up.append(
            Comment(
                "New and updated rows are held to NOT NULL at once; existing rows are "
                "checked by the _validate migration."
            )
        )
        phase.up.extend(_add_check(table, check, robust=True))
        op = ops.AddCheck(table, check)
        phase.operations.append(op)
        phase.lines.append(op.describe())
    if plan.backfills:
        phase.down.append(
            Comment("down() leaves the back-filled values in place: they were NULL before.")
        )
    for table, _, check in reversed(plan.guards):
        phase.down.append(_drop_constraint(table, check.name))
    return phase


def _index_phase(plan: _Plan) -> Phase:
    phase = Phase("index", atomic=False, operations=list(plan.index))
    for op in plan.index:
        phase.up.extend(_index_up(op))
        phase.lines.append(op.describe())
    for op in ops.reverse_all(plan.index):
        phase.down.extend(_index_down(op))
    return phase


def _index_up(op: ops.Operation) -> list[Step]:
    if isinstance(op, ops.AlterColumn):
        # The constraint takes over an index built without blocking writes; dropping a
        # constraint left by an earlier run first makes the steps re-runnable.
        name = unique_name(op.table, op.after.name)
        index = ops.AddIndex(op.table, Index(name, (op.after.name,), unique=True))
        return [
            _drop_constraint(op.table, name),
            *render.render_concurrently([index]),
            Execute(
                f"ALTER TABLE {quote(op.table)} ADD CONSTRAINT {quote(name)} "
                f"UNIQUE USING INDEX {quote(name)}"
            ),
        ]
    return render.render_concurrently([op])


def _index_down(op: ops.Operation) -> list[Step]:
    if isinstance(op, ops.AlterColumn):
        # Dropping the constraint drops its index with it.
        return [_drop_constraint(op.table, unique_name(op.table, op.before.name))]
    return render.render_concurrently([op])


def _validate_phase(plan: _Plan, *, atomic: bool) -> Phase:
    """Every VALIDATE first (each scan takes a lock that lets reads and writes go on),
    then SET NOT NULL, whose ACCESS EXCLUSIVE lock is then held only to the commit."""
    phase = Phase("validate", atomic=atomic)
    guards = [(a.table, d.check.name) for a, d in plan.not_null]
    for table, name in [*plan.validations, *guards]:
        phase.up.append(Execute(f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(name)}"))
        phase.lines.append(f"~ validate constraint {name} on {table}")
    for alter, drop in plan.not_null:
        table, column, guard = alter.table, alter.after.name, drop.check
        phase.up.append(
            Comment("The validated check proves the column holds no NULL: no scan here.")
        )
        phase.up.append(
            Execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET NOT NULL")
        )
        phase.up.append(_drop_constraint(table, guard.name))
        phase.operations.extend((alter, drop))
        phase.lines.extend((alter.describe(), drop.describe()))
    for alter, drop in reversed(plan.not_null):
        phase.down.extend(_add_check(alter.table, drop.check, robust=True))
        phase.down.append(
            Execute(
                f"ALTER TABLE {quote(alter.table)} ALTER COLUMN {quote(alter.after.name)} "
                "DROP NOT NULL"
            )
        )
    return phase
