"""``stats``: block rate by rule over time, exposure by creator group, breaker trips."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from bastion.trace._errors import TraceError
from bastion.trace._reader import TraceReader

_BUCKET = re.compile(r"^(\d+)\s*(s|m|h|d)$")
_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass(frozen=True, slots=True)
class TraceStats:
    """The three standard views of a log."""

    block_rate_by_rule: pa.Table
    exposure_by_group: pa.Table
    breaker_trips: pa.Table


def bucket_interval(bucket: str) -> str:
    """``"5m"`` -> ``"5 minute"`` (a DuckDB interval).

    Raises:
        TraceError: Not a number followed by s, m, h or d.
    """
    match = _BUCKET.match(bucket.strip())
    if not match:
        raise TraceError(f"bucket {bucket!r}: expected a number and s, m, h or d (e.g. 5m)")
    return f"{match.group(1)} {_UNITS[match.group(2)]}"


def trace_stats(
    reader: TraceReader, *, bucket: str = "1m", group_by: str = "creator_id"
) -> TraceStats:
    """Compute the standard views over the whole log.

    Args:
        reader: The log.
        bucket: Time bucket for rates (``30s``, ``5m``, ``1h``, ``1d``).
        group_by: A ``decisions`` column to group creators by: ``creator_id``
            or a recorded creator signal such as ``creator.group``.

    Raises:
        TraceError: Bad bucket or unknown column.
    """
    interval = bucket_interval(bucket)
    if not _COLUMN.match(group_by):
        raise TraceError(f"group_by {group_by!r}: expected a column name such as creator.group")
    connection = reader.connect()
    try:
        columns = {row[0] for row in connection.execute("DESCRIBE decisions").fetchall()}
        if group_by not in columns:
            signals = sorted(c for c in columns if c.startswith("creator."))
            raise TraceError(
                f"group_by {group_by!r}: no such column in decisions; "
                f"try creator_id or one of {', '.join(signals) or '(no creator signals recorded)'}"
            )
        block_rate = connection.sql(
            f"""
            WITH d AS (
                SELECT time_bucket(INTERVAL '{interval}', timestamp) AS bucket, action, rules
                FROM decisions
            ), totals AS (SELECT bucket, count(*) AS candidates FROM d GROUP BY bucket)
            SELECT d.bucket, rule, count(*) AS blocked, any_value(totals.candidates) AS candidates,
                   count(*) / any_value(totals.candidates) AS block_rate
            FROM (SELECT bucket, unnest(rules) AS rule FROM d WHERE action = 'block') d
            JOIN totals USING (bucket)
            GROUP BY d.bucket, rule ORDER BY d.bucket, blocked DESC, rule
            """
        ).to_arrow_table()
        exposure = connection.sql(
            f"""
            SELECT coalesce(CAST("{group_by}" AS VARCHAR), '(unknown)') AS creator_group,
                   count(*) AS candidates,
                   count(*) FILTER (WHERE out_rank IS NOT NULL) AS served,
                   count(*) FILTER (WHERE out_rank IS NOT NULL)
                       / greatest(sum(count(*) FILTER (WHERE out_rank IS NOT NULL)) OVER (), 1)
                       AS exposure_share,
                   count(*) FILTER (WHERE action = 'block') / count(*) AS block_rate
            FROM decisions GROUP BY 1 ORDER BY served DESC, creator_group LIMIT 50
            """
        ).to_arrow_table()
        trips = connection.sql(
            f"""
            WITH states AS (
                SELECT seq, timestamp, b.id AS breaker, b.status AS status
                FROM (SELECT seq, timestamp, unnest(breakers) AS b FROM requests)
            ), changes AS (
                SELECT *, lag(status) OVER (PARTITION BY breaker ORDER BY seq) AS before
                FROM states
            )
            SELECT time_bucket(INTERVAL '{interval}', timestamp) AS bucket, breaker,
                   count(*) FILTER (WHERE status = 'open' AND coalesce(before, 'closed') <> 'open')
                       AS trips,
                   count(*) FILTER (WHERE status <> 'closed') AS requests_not_closed
            FROM changes GROUP BY 1, 2 HAVING requests_not_closed > 0 ORDER BY 1, 2
            """
        ).to_arrow_table()
    finally:
        connection.close()
    return TraceStats(block_rate, exposure, trips)
