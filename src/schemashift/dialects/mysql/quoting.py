"""Identifiers, literals and constraint names as MySQL text."""

from __future__ import annotations

import hashlib
import re

#: MySQL's and MariaDB's limit on table, column, index and constraint names.
MAX_IDENTIFIER_LENGTH = 64

_BARE = re.compile(r"[a-z_][a-z0-9_]*\Z")

# The reserved words of MySQL 8.0 and MariaDB 10.11 (either one's list): a bare name
# must be none of them.
_KEYWORD_TEXT = """
    accessible add all alter analyze and as asc asensitive before between bigint binary
    blob both by call cascade case change char character check collate column condition
    constraint continue convert create cross cube cume_dist current_date current_role
    current_time current_timestamp current_user cursor database databases day_hour
    day_microsecond day_minute day_second dec decimal declare default delayed delete
    delete_domain_id dense_rank desc describe deterministic distinct distinctrow div
    do_domain_ids double drop dual each else elseif empty enclosed escaped except exists
    exit explain false fetch first_value float float4 float8 for force foreign from
    fulltext function general generated get grant group grouping groups having
    high_priority hour_microsecond hour_minute hour_second if ignore ignore_domain_ids
    ignore_server_ids in index infile inner inout insensitive insert int int1 int2 int3
    int4 int8 integer intersect interval into io_after_gtids io_before_gtids is iterate
    join json_table key keys kill lag last_value lateral lead leading leave left like
    limit linear lines load localtime localtimestamp lock long longblob longtext loop
    low_priority master_bind master_heartbeat_period master_ssl_verify_server_cert match
    maxvalue mediumblob mediumint mediumtext middleint minute_microsecond minute_second
    mod modifies natural not no_write_to_binlog nth_value ntile null numeric of offset on
    optimize optimizer_costs option optionally or order out outer outfile over
    page_checksum parse_vcol_expr partition percent_rank position precision primary
    procedure purge range rank read reads read_write real recursive ref_system_id
    references regexp release rename repeat replace require resignal restrict return
    returning revoke right rlike row row_number rows schema schemas second_microsecond
    select sensitive separator set show signal slow smallint spatial specific sql
    sql_big_result sql_calc_found_rows sql_small_result sqlexception sqlstate sqlwarning
    ssl starting stats_auto_recalc stats_persistent stats_sample_pages stored
    straight_join system table terminated then tinyblob tinyint tinytext to trailing
    trigger true undo union unique unlock unsigned update usage use using utc_date
    utc_time utc_timestamp values varbinary varchar varcharacter varying virtual when
    where while window with write xor year_month zerofill
"""
KEYWORDS = frozenset(_KEYWORD_TEXT.split())


def quote(identifier: str) -> str:
    """``identifier`` bare when it is a plain lowercase non-keyword name, otherwise in
    backticks with embedded backticks doubled (double quotes are strings to MySQL)."""
    if _BARE.match(identifier) and identifier not in KEYWORDS:
        return identifier
    return "`" + identifier.replace("`", "``") + "`"


_ESCAPES = {"\\": "\\\\", "\0": "\\0", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1a": "\\Z"}
_SPECIAL = re.compile(r"[\\\0\n\r\t\x1a]")


def string_literal(value: str) -> str:
    """``value`` as a MySQL string literal: backslashes are escapes in MySQL's default
    SQL mode, so they are doubled, and control characters are written as escapes so a
    statement never holds a raw newline inside a value."""
    body = _SPECIAL.sub(lambda m: _ESCAPES[m[0]], value)
    return "'" + body.replace("'", "''") + "'"


def fit_name(name: str) -> str:
    """``name`` if it fits in an identifier, else a deterministic shortening of it (a
    hash of the whole name keeps two long names sharing their first characters apart)."""
    if len(name) <= MAX_IDENTIFIER_LENGTH:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_IDENTIFIER_LENGTH - len(digest) - 1]}_{digest}"


def unique_name(table: str, column: str) -> str:
    """The unique index of ``table.column`` (``Column.unique``), named like PostgreSQL's
    ``<table>_<column>_key`` so that it stays apart from the ``uq_`` indexes of models."""
    return fit_name(f"{table}_{column}_key")


def enum_check_name(table: str, column: str) -> str:
    """The CHECK constraint holding the values of the enum column ``table.column``."""
    return fit_name(f"{table}_{column}_check")
