"""Prometheus metrics, in a registry that belongs to one app (no global state).

Counted on each request: latency per route (``bastion_http_request_duration_seconds``),
guard decisions per action, items per rule that fired, fallbacks, policy
reloads. Read when scraped: breaker states and watched values, the active
policy, and the decision log's queue depth, capacity, drops, writes and
errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bastion.core import ACTION_BY_SEVERITY, BreakerState, BreakerStatus, GuardResult
from bastion.server._tracing import WriterStats

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Sub-millisecond resolution: the guard endpoint's whole budget is a few ms.
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)
_ACTIONS = tuple(a.value for a in ACTION_BY_SEVERITY)


class ServerMetrics:
    """The server's metrics, in their own :class:`CollectorRegistry`.

    Args:
        registry: Where to register; a new registry by default.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.request_seconds = Histogram(
            "bastion_http_request_duration_seconds",
            "Time from request start to the end of the response, per route.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "bastion_guard_decisions",
            "Candidates decided, by the winning action.",
            ["action"],
            registry=self.registry,
        )
        self.rule_hits = Counter(
            "bastion_guard_rule_hits",
            "Candidates on which a rule fired, by rule id.",
            ["rule"],
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "bastion_guard_fallbacks",
            "Guard requests decided by a fallback, by fallback.",
            ["fallback"],
            registry=self.registry,
        )
        self.reloads = Counter(
            "bastion_policy_reloads",
            "Policy reload requests, by outcome (ok or refused).",
            ["outcome"],
            registry=self.registry,
        )
        self._actions = [self.decisions.labels(a) for a in _ACTIONS]
        self._rules: dict[str, Counter] = {}

    def observe_result(self, result: GuardResult) -> None:
        """Count one guard result's decisions, rule hits and fallback."""
        table = result.decisions
        for child, count in zip(
            self._actions,
            np.bincount(table.actions, minlength=len(_ACTIONS)).tolist(),
            strict=False,
        ):
            if count:
                child.inc(count)
        if table.fired.size:
            hits = table.fired.sum(axis=1).tolist()
            for rule, count in zip(table.rule_ids, hits, strict=True):
                if count:
                    self._rule(rule).inc(count)
        if result.fallback is not None:
            self.fallbacks.labels(result.fallback).inc()

    def _rule(self, rule: str) -> Counter:
        child = self._rules.get(rule)
        if child is None:
            child = self._rules[rule] = self.rule_hits.labels(rule)
        return child

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


class StateCollector(Collector):
    """Reads breaker states, the active policy and the decision log's counters at scrape time.

    Args:
        breakers: The guard's breaker states.
        policy: The active bundle's name and version (``None`` before start-up).
        writer_stats: The decision log writer's counters, when there is one.
    """

    def __init__(
        self,
        breakers: Callable[[], Sequence[BreakerState]],
        policy: Callable[[], tuple[str, str] | None],
        writer_stats: Callable[[], WriterStats | None],
    ) -> None:
        self._breakers = breakers
        self._policy = policy
        self._writer_stats = writer_stats

    def collect(self) -> Iterable[Metric]:
        """The current values."""
        state = GaugeMetricFamily(
            "bastion_breaker_state",
            "1 for the state each breaker is in (closed, open, half_open), 0 for the others.",
            labels=["breaker", "state"],
        )
        value = GaugeMetricFamily(
            "bastion_breaker_value",
            "The value each breaker watches, over its window.",
            labels=["breaker"],
        )
        for breaker in self._breakers():
            for status in BreakerStatus:
                state.add_metric(
                    [breaker.breaker_id, status.value], 1.0 if breaker.status is status else 0.0
                )
            value.add_metric([breaker.breaker_id], breaker.value)
        yield state
        yield value
        policy = self._policy()
        if policy is not None:
            info = GaugeMetricFamily(
                "bastion_policy_info",
                "The active policy bundle (always 1).",
                labels=["name", "version"],
            )
            info.add_metric(list(policy), 1.0)
            yield info
        stats = self._writer_stats()
        if stats is None:
            return
        for metric, help_text, number in (
            ("bastion_trace_queue_depth", "Records waiting for the log writer.", stats.queue_depth),
            ("bastion_trace_queue_capacity", "Records the queue holds.", stats.queue_capacity),
            ("bastion_trace_healthy", "1 while the log writer is healthy.", int(stats.healthy)),
        ):
            gauge = GaugeMetricFamily(metric, help_text)
            gauge.add_metric([], float(number))
            yield gauge
        for metric, help_text, number in (
            ("bastion_trace_dropped", "Records dropped because the queue was full.", stats.dropped),
            ("bastion_trace_written", "Records written to the log.", stats.written),
            ("bastion_trace_durable", "Records synced to disk.", stats.durable),
            ("bastion_trace_errors", "Errors of the log writer.", stats.errors),
        ):
            counter = CounterMetricFamily(metric, help_text)
            counter.add_metric([], float(number))
            yield counter


class TimingMiddleware:
    """Observe each HTTP request's duration by method, route template and status.

    Args:
        app: The wrapped application.
        metrics: Where to record.
    """

    def __init__(self, app: ASGIApp, *, metrics: ServerMetrics) -> None:
        self.app = app
        self.histogram = metrics.request_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.histogram.labels(scope["method"], path, str(status)).observe(
                time.perf_counter() - started
            )
