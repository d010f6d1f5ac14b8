"""The hash chain over records and the Merkle root over a segment.

A record's hash is ``sha256(prev_hash || seq || sha256(body))``: editing a
body changes its hash, and removing, inserting or reordering records breaks
the link from each record to the one before it. A segment's Merkle root
(RFC 6962 style: ``0x00`` before leaves, ``0x01`` before inner nodes, an odd
node carried up unchanged) commits to every record hash in the segment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

GENESIS = bytes(32)
"""The previous hash of the first record of a log."""


def record_hash(prev_hash: bytes, seq: int, body: bytes) -> bytes:
    """The chained hash of the record at *seq* with stored *body*."""
    digest = hashlib.sha256(prev_hash)
    digest.update(seq.to_bytes(8, "big"))
    digest.update(hashlib.sha256(body).digest())
    return digest.digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Merkle root over record hashes (the empty tree hashes the empty string)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    while len(level) > 1:
        paired = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]
