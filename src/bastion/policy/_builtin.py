"""Fields every guard request provides, whatever the signal store holds."""

from __future__ import annotations

from bastion.core import FieldType, SignalField, SignalSchema

REQUEST_FIELDS = SignalSchema.of(
    [
        SignalField("item.score", FieldType.NUMBER, 0.0, "the ranker's score"),
        SignalField("item.rank", FieldType.NUMBER, 0.0, "the ranker's 0-based position"),
        SignalField(
            "item.creator_id", FieldType.STRING, None, "the creator, from the request or the store"
        ),
        SignalField("user.age_band", FieldType.STRING, None, "for example 13-17; NULL if unknown"),
        SignalField("user.region", FieldType.STRING, None, "for example an ISO country code"),
        SignalField("request.surface", FieldType.STRING, "feed", "where the slate is shown"),
        SignalField("request.slate_size", FieldType.NUMBER, 0.0, "items asked for"),
        SignalField("request.candidates", FieldType.NUMBER, 0.0, "candidates sent"),
        SignalField("request.model", FieldType.STRING, "", "the ranker model's name"),
        SignalField("request.model_version", FieldType.STRING, "", "the ranker model's version"),
    ]
)
"""Fields read from the :class:`~bastion.core.GuardRequest` itself."""
