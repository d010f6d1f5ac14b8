"""The in-process guard: a ranked slate in, a safe slate with reasons out.

``apply`` runs: validate -> model check -> breaker states -> batched signal
lookup -> compiled plan -> precedence -> fallbacks -> demote and re-rank ->
constraints -> fill ``slate_size`` -> breaker updates -> decision record. The active bundle, its
plan and its breakers sit in one immutable object swapped by ``reload``, so a
request never sees half of a reload.

With ``shared=``, breakers are shared with other replicas of the guard through a
background exchange (``_shared.py``); ``apply`` itself never waits on it.

With ``models=``, the ranker model each request names is asked of a model
registry (``_models.py``) before the breakers' state is read, and
``unregistered_model_rate`` breakers record the answer then, so the first
request from a model that may not serve already gets their fallback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from bastion.core import (
    BreakerState,
    BreakerSync,
    CandidateColumns,
    Clock,
    DecisionRecord,
    DecisionSink,
    DecisionTable,
    GuardRequest,
    GuardResult,
    ModelClearance,
    ModelRegistry,
    NullDecisionSink,
    PolicyError,
    Severity,
    SignalStore,
    SystemClock,
    candidate_columns,
    validate_request,
)
from bastion.guard._breakers import CircuitBreaker
from bastion.guard._constraints import _Rule, compile_constraints, fill_slate
from bastion.guard._fallbacks import Mode, fallback_mode, fallback_table, pass_through, safe_pool
from bastion.guard._models import ModelCheck, warn_unwatched
from bastion.guard._shared import SharedBreakers
from bastion.policy import Bundle, LatencyBudgetSpec, load_bundle
from bastion.signals import SignalGatherer

logger = logging.getLogger(__name__)

_BLOCK = np.int8(Severity.BLOCK)
_DEMOTE = np.int8(Severity.DEMOTE)


@dataclass(frozen=True)
class _Compiled:
    bundle: Bundle
    gatherer: SignalGatherer
    constraints: tuple[_Rule, ...]
    pool: tuple[str, ...]


@dataclass(frozen=True)
class _Active:
    main: _Compiled
    strict: dict[str, _Compiled]
    breakers: tuple[CircuitBreaker, ...]
    model_breakers: tuple[CircuitBreaker, ...]


class Guard:
    """Apply a policy bundle to ranked slates, in process.

    Args:
        bundle: A compiled bundle (see :func:`bastion.policy.load_bundle`).
        signals: Where item and creator signals come from.
        sink: Where decision records go; by default nowhere.
        clock: Time source for breakers and timestamps.
        shared: Share breaker state with the other replicas of this guard
            (the same bundle, in this or other processes) through this
            store, for instance :class:`bastion.stores.RedisBreakerSync`:
            they trip on their combined events and recover together. By
            default each guard's breakers are its own. While the store is
            unreachable every breaker runs on its local state and
            :meth:`healthy` is False; they re-join when it answers again.
        sync_every: Seconds between exchanges with *shared*, on a background
            thread; ``None`` starts no thread (call :meth:`sync_breakers`).
        models: Check the ranker model each request names against this
            registry (for instance :class:`bastion.govern.ModelGate`): every
            result carries its answer, and ``unregistered_model_rate``
            breakers trip on models it does not clear to serve. Without one,
            results carry no answer and those breakers never see an event.

    Raises:
        PolicyError: The bundle reads a field that *signals* does not provide.
    """

    def __init__(
        self,
        bundle: Bundle,
        signals: SignalStore,
        *,
        sink: DecisionSink | None = None,
        clock: Clock | None = None,
        shared: BreakerSync | None = None,
        sync_every: float | None = 0.1,
        models: ModelRegistry | None = None,
    ) -> None:
        self.signals = signals
        self._models = None if models is None else ModelCheck(models)
        self.sink: DecisionSink = sink or NullDecisionSink()
        self.clock: Clock = clock or SystemClock()
        self._record = not isinstance(self.sink, NullDecisionSink)
        self._expected_eval_s = 0.0
        self.reload_failures = 0
        self._shared: SharedBreakers | None = None
        if shared is not None:
            self._shared = SharedBreakers(
                shared, self._named_breakers, self.clock, every=sync_every
            )
        self._active = self._activate(bundle, previous=None)
        if self._shared is not None:
            self._shared.start()

    @classmethod
    def from_file(cls, path: str | Path, signals: SignalStore, **options: object) -> Guard:
        """Load the bundle at *path*, checked against *signals*' schema."""
        return cls(load_bundle(path, signals.schema), signals, **options)  # type: ignore[arg-type]

    @property
    def bundle(self) -> Bundle:
        """The active bundle."""
        return self._active.main.bundle

    @property
    def policy_version(self) -> str:
        """The active bundle's version hash."""
        return self._active.main.bundle.version

    def reload(self, source: str | Path | Bundle) -> Bundle:
        """Swap in a new bundle atomically; on any error keep the current one.

        Breakers whose spec is unchanged keep their state.

        Raises:
            PolicyError: The new bundle is invalid; the old one stays active.
        """
        try:
            bundle = (
                source if isinstance(source, Bundle) else load_bundle(source, self.signals.schema)
            )
            active = self._activate(bundle, previous=self._active)
        except PolicyError:
            self.reload_failures += 1
            logger.warning(
                "policy reload refused; keeping %s", self.bundle.short_version, exc_info=True
            )
            raise
        self._active = active
        logger.info("policy %s %s active", bundle.name, bundle.short_version)
        return bundle

    @property
    def models(self) -> ModelRegistry | None:
        """The model registry requests are checked against, if any."""
        check = self._models
        return None if check is None else check.registry

    @property
    def registry_failures(self) -> int:
        """How many times the model registry failed to answer (each refused the model)."""
        check = self._models
        return 0 if check is None else check.failures

    def reload_models(self, models: ModelRegistry | None) -> None:
        """Check requests against *models* from now on (``None``: check none).

        Answers cached from the previous registry are dropped; a request
        under way finishes with the registry it started with.
        """
        self._models = None if models is None else ModelCheck(models)
        if models is None:
            warn_unwatched(self._active.model_breakers)
        logger.info("model registry %s", "replaced" if models is not None else "removed")

    def sync_breakers(self) -> bool:
        """Exchange breaker state with the other replicas now; whether it succeeded.

        The background thread does this every ``sync_every`` seconds; without
        ``shared`` there is nothing to exchange and this returns True.
        """
        return True if self._shared is None else self._shared.exchange()

    def healthy(self) -> bool:
        """False while shared breaker state is unreachable (for a readiness probe)."""
        return True if self._shared is None else self._shared.healthy()

    def close(self) -> None:
        """Stop exchanging breaker state (the guard keeps working on local state)."""
        if self._shared is not None:
            self._shared.close()

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _named_breakers(self) -> list[tuple[str, CircuitBreaker]]:
        active = self._active
        return [(active.main.bundle.name, breaker) for breaker in active.breakers]

    def breaker_states(self) -> tuple[BreakerState, ...]:
        """Every breaker's current state."""
        now = self.clock.monotonic()
        return tuple(b.snapshot(now) for b in self._active.breakers)

    def apply(self, request: GuardRequest) -> GuardResult:
        """Decide a safe slate for *request*.

        Raises:
            RequestError: The request is malformed (duplicate item ids, a
                non-finite score, a slate size below 1, or, when the policy
                runs, a declared user attribute of the wrong type); nothing is
                recorded for it.
        """
        started = time.perf_counter()
        active = self._active
        columns = candidate_columns(request.candidates)
        validate_request(request, columns.item_ids, columns.scores)
        now = self.clock.monotonic()
        model = None
        check = self._models
        if check is not None:
            model = check.clear(request.model)
            hit = 0.0 if model.may_serve else 1.0
            for breaker in active.model_breakers:
                breaker.record(now, hit, 1.0)
        mode = fallback_mode(active.breakers, now)
        if mode.safe_pool is not None:
            result = self._fallback(
                request,
                active,
                "safe_pool",
                columns,
                f"breaker:{mode.safe_pool}",
                "safe_pool",
                started,
                model,
            )
        elif mode.fail_open is not None and not (mode.strict or mode.fail_closed):
            result = self._fallback(
                request,
                active,
                "pass_through",
                columns,
                f"breaker:{mode.fail_open}",
                "fail_open",
                started,
                model,
            )
        else:
            result = self._decide(request, active, mode, columns, started, now, model)
        if self._record:
            if request.candidates is not columns:  # the log reads columns: build them once
                request = replace(request, candidates=columns)
            self.sink.append([DecisionRecord(request, result, self.clock.wall())])
        return result

    def _decide(
        self,
        request: GuardRequest,
        active: _Active,
        mode: Mode,
        columns: CandidateColumns,
        started: float,
        now: float,
        model: ModelClearance | None,
    ) -> GuardResult:
        compiled = active.strict[mode.strict] if mode.strict else active.main
        bundle = compiled.bundle
        plan = bundle.plan
        budget = bundle.spec.latency_budget
        item_ids, scores = columns.item_ids, columns.scores
        size = len(item_ids)

        signals = compiled.gatherer.gather(request, self.signals, columns)
        if budget is not None and _elapsed(started) + self._expected_eval_s > budget.budget:
            return self._over_budget(
                request, active, compiled.pool, budget, columns, started, now, model
            )
        evaluated_at = time.perf_counter()
        fired = plan.evaluate(signals.values, signals.nulls, size)
        resolution = plan.resolve(fired)
        actions = resolution.actions
        rule_blocks = int(np.count_nonzero(actions == _BLOCK))
        extra: dict[int, tuple[str, ...]] = {}
        if mode.fail_closed is not None and signals.missing.any():
            actions = actions.copy()
            forced = np.flatnonzero(signals.missing & (actions != _BLOCK))
            actions[forced] = _BLOCK
            note = (f"breaker:{mode.fail_closed}",)
            extra = {int(i): note for i in forced}

        demoted = actions == _DEMOTE
        factors = np.where(demoted, resolution.factors, 1.0)
        adjusted = scores
        if demoted.any():
            adjusted = np.where(
                demoted, np.where(scores >= 0, scores * factors, scores / factors), scores
            )
        order = np.lexsort((columns.ranks, -adjusted))
        order = order[actions[order] != _BLOCK]
        keys: dict[str, object] = {}
        for rule in compiled.constraints:
            if rule.key == "creator":
                keys["creator"] = signals.creator_ids
            elif rule.key not in keys:
                keys[rule.key] = signals.values[rule.key]
        chosen, notes = fill_slate(order, request.slate_size, compiled.constraints, keys)
        out_ranks = np.full(size, -1, dtype=np.int32)
        out_ranks[chosen] = np.arange(len(chosen), dtype=np.int32)
        self._expected_eval_s = 0.8 * self._expected_eval_s + 0.2 * (
            time.perf_counter() - evaluated_at
        )

        for breaker in active.breakers:
            watch = breaker.spec.watch
            if watch == "block_rate":
                breaker.record(now, rule_blocks, size)
            elif watch == "missing_signal_rate":
                breaker.record(now, float(np.count_nonzero(signals.missing)), size)
            elif watch == "score_psi" and size:
                breaker.record_scores(now, scores)
        latency_us = _elapsed(started) * 1e6
        if budget is not None:
            self._record_overrun(active, now, latency_us > budget.budget * 1e6)
        table = DecisionTable(
            item_ids=item_ids,
            actions=actions,
            factors=factors,
            out_ranks=out_ranks,
            fired=fired,
            effective=resolution.effective,
            rule_ids=plan.rule_ids,
            rule_labels=plan.labels,
            rule_actions=plan.rule_actions,
            rule_reasons=plan.rule_reasons,
            extra_rules=extra,
            constraints=notes,
        )
        fallback = None
        if mode.strict:
            fallback = f"strict_bundle:{bundle.name}"
        if mode.fail_closed:
            fallback = "fail_closed" if fallback is None else f"{fallback}+fail_closed"
        return GuardResult(
            request_id=request.request_id,
            slate=tuple(item_ids[i] for i in chosen),
            decisions=table,
            breakers=_states(active.breakers, now),
            policy_version=bundle.version,
            fallback=fallback,
            latency_us=latency_us,
            signals=signals.values,
            model=model,
        )

    def _over_budget(
        self,
        request: GuardRequest,
        active: _Active,
        pool: tuple[str, ...],
        budget: LatencyBudgetSpec,
        columns: CandidateColumns,
        started: float,
        now: float,
        model: ModelClearance | None,
    ) -> GuardResult:
        self._record_overrun(active, now, True)
        logger.debug("request %s over its latency budget", request.request_id)
        pooled = budget.fallback == "safe_pool"
        return self._fallback(
            request,
            active,
            "safe_pool" if pooled else "pass_through",
            columns,
            "latency_budget",
            f"latency_budget:{budget.fallback}",
            started,
            model,
            pool=pool,
        )

    def _record_overrun(self, active: _Active, now: float, over: bool) -> None:
        for breaker in active.breakers:
            if breaker.spec.watch == "latency_overrun_rate":
                breaker.record(now, 1.0 if over else 0.0, 1.0)

    def _fallback(
        self,
        request: GuardRequest,
        active: _Active,
        kind: Literal["safe_pool", "pass_through"],
        columns: CandidateColumns,
        note: str,
        label: str,
        started: float,
        model: ModelClearance | None,
        pool: tuple[str, ...] | None = None,
    ) -> GuardResult:
        """The safe pool (of *pool*, by default the main bundle's) or the ranker's own slate."""
        if kind == "safe_pool":
            pooled = active.main.pool if pool is None else pool
            actions, chosen, slate = safe_pool(request, pooled, columns)
        else:
            actions, chosen, slate = pass_through(request, columns)
        return GuardResult(
            request_id=request.request_id,
            slate=slate,
            decisions=fallback_table(columns.item_ids, actions, chosen, note),
            breakers=_states(active.breakers, self.clock.monotonic()),
            policy_version=active.main.bundle.version,
            fallback=label,
            latency_us=_elapsed(started) * 1e6,
            model=model,
        )

    def _activate(self, bundle: Bundle, previous: _Active | None) -> _Active:
        bundle.check_provided(self.signals.schema)
        for spec in bundle.spec.breakers:
            if spec.watch == "latency_overrun_rate" and bundle.spec.latency_budget is None:
                raise PolicyError(
                    f"breaker {spec.id!r} watches latency_overrun_rate, "
                    "but the bundle has no latency_budget",
                    file=bundle.file,
                    rule=spec.id,
                )
        kept = {b.spec.id: b for b in (previous.breakers if previous else ())}
        breakers = tuple(
            kept[spec.id]
            if spec.id in kept and kept[spec.id].spec == spec
            else CircuitBreaker(spec)
            for spec in bundle.spec.breakers
        )
        if self._shared is not None:
            for breaker in breakers:
                self._shared.attach(bundle.name, breaker)
        active = _Active(
            main=_compile(bundle),
            strict={breaker_id: _compile(b) for breaker_id, b in bundle.strict.items()},
            breakers=breakers,
            model_breakers=tuple(b for b in breakers if b.spec.watch == "unregistered_model_rate"),
        )
        if self._models is None:
            warn_unwatched(active.model_breakers)
        return active


def _compile(bundle: Bundle) -> _Compiled:
    constraints = compile_constraints(bundle.spec.constraints)
    gatherer = SignalGatherer(
        bundle.read_fields(), need_creator_ids=any(r.key == "creator" for r in constraints)
    )
    return _Compiled(bundle, gatherer, constraints, tuple(bundle.spec.safe_pool))


def _states(breakers: Sequence[CircuitBreaker], now: float) -> tuple[BreakerState, ...]:
    return tuple(b.snapshot(now) for b in breakers)


def _elapsed(started: float) -> float:
    return time.perf_counter() - started
