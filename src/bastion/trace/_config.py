"""Configuration of the decision log (read from YAML and the environment)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

FsyncPolicy = Literal["always", "interval", "never"]
OnFull = Literal["drop", "block"]


class TraceConfig(BaseModel):
    """Where and how decision records are written.

    Attributes:
        directory: The log directory (created if absent).
        hmac_key: Key for user-id pseudonyms (at least 16 bytes; keep it secret
            and stable: a new key gives every user a new pseudonym).
        fsync: ``always``: sync every batch before acknowledging it;
            ``interval``: sync at most every ``fsync_interval_s`` (a record is
            acknowledged only after the sync that covers it); ``never``: leave
            it to the OS (survives a process crash, not a power cut).
        fsync_interval_s: Longest wait between syncs under ``interval``.
        queue_size: Records the background writer may hold before ``on_full``.
        on_full: ``drop`` the new record and count it (the guard never waits)
            or ``block`` the caller until there is room (no record is lost).
        segment_max_bytes: Seal the open segment into Parquet at this size.
        segment_max_age_s: ... or when its first record is this old.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: Path
    hmac_key: SecretStr
    fsync: FsyncPolicy = "interval"
    fsync_interval_s: float = Field(default=0.05, gt=0, le=10)
    queue_size: int = Field(default=8192, ge=1)
    on_full: OnFull = "drop"
    segment_max_bytes: int = Field(default=64 * 1024 * 1024, ge=4096)
    segment_max_age_s: float = Field(default=300.0, gt=0)
