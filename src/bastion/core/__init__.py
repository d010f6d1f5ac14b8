"""Typed data model and protocols shared by every plane; no I/O, no heavy imports.

Every other package speaks in these types: a :class:`GuardRequest` goes in, a
:class:`GuardResult` with a :class:`Decision` per candidate comes out, and
backends implement :class:`SignalStore` and :class:`DecisionSink`; guard
replicas share circuit-breaker state through a :class:`BreakerSync`; a
:class:`ModelRegistry` tells the guard whether the ranker model a request names
is registered and may serve (a :class:`ModelClearance`). A request's
candidates may be held as :class:`CandidateColumns` (what the server decodes);
:func:`candidate_columns` gives the columns of any candidate sequence.
"""

from bastion.core._breaker_sync import (
    BreakerReport,
    BreakerSync,
    MemoryBreakerSync,
    SharedBreakerState,
    SharedStateError,
)
from bastion.core._clearance import ModelClearance
from bastion.core._columns import CandidateColumns, candidate_columns
from bastion.core._errors import BastionError, PolicyError, RequestError, SignalStoreError
from bastion.core._model import (
    ACTION_BY_SEVERITY,
    SEVERITY,
    Action,
    BreakerState,
    BreakerStatus,
    Candidate,
    Decision,
    DecisionRecord,
    DecisionTable,
    GuardRequest,
    GuardResult,
    ModelRef,
    Severity,
    UserContext,
    validate_request,
)
from bastion.core._protocols import (
    ENTITIES,
    Clock,
    DecisionSink,
    Entity,
    ManualClock,
    MemoryDecisionSink,
    ModelRegistry,
    NullDecisionSink,
    SignalBatch,
    SignalStore,
    SystemClock,
)
from bastion.core._schema import (
    NAMESPACES,
    FieldType,
    Scalar,
    SignalField,
    SignalSchema,
    coerce_scalar,
    is_qualified_name,
)

__all__ = [
    "ACTION_BY_SEVERITY",
    "ENTITIES",
    "NAMESPACES",
    "SEVERITY",
    "Action",
    "BastionError",
    "BreakerReport",
    "BreakerState",
    "BreakerStatus",
    "BreakerSync",
    "Candidate",
    "CandidateColumns",
    "Clock",
    "Decision",
    "DecisionRecord",
    "DecisionSink",
    "DecisionTable",
    "Entity",
    "FieldType",
    "GuardRequest",
    "GuardResult",
    "ManualClock",
    "MemoryBreakerSync",
    "MemoryDecisionSink",
    "ModelClearance",
    "ModelRef",
    "ModelRegistry",
    "NullDecisionSink",
    "PolicyError",
    "RequestError",
    "Scalar",
    "Severity",
    "SharedBreakerState",
    "SharedStateError",
    "SignalBatch",
    "SignalField",
    "SignalSchema",
    "SignalStore",
    "SignalStoreError",
    "SystemClock",
    "UserContext",
    "candidate_columns",
    "coerce_scalar",
    "is_qualified_name",
    "validate_request",
]
