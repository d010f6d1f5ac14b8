from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from bastion.core import Entity, SignalBatch
from bastion.stores import MemorySignalStore
from bastion.testing import check_signal_store


class ReorderingStore(MemorySignalStore):
    """Returns the right ids but the rows in sorted-id order."""

    def lookup(self, entity: Entity, ids: Sequence[str], keys: Sequence[str]) -> SignalBatch:
        batch = super().lookup(entity, sorted(ids), keys)
        return SignalBatch(entity, tuple(ids), batch.columns, batch.found)


class ColumnByColumnStore(MemorySignalStore):
    """Writes one column at a time, so a bad value in a later column leaves earlier ones written."""

    def put(self, entity: Entity, ids: Sequence[str], columns: Mapping[str, Any]) -> None:
        for key, values in columns.items():
            super().put(entity, ids, {key: values})


class ForgivingStore(MemorySignalStore):
    """Answers unknown keys with missing values instead of an error."""

    def lookup(self, entity: Entity, ids: Sequence[str], keys: Sequence[str]) -> SignalBatch:
        known = [k for k in keys if f"{entity}.{k}" in self.schema]
        batch = super().lookup(entity, ids, known)
        columns = {k: batch.columns.get(k, np.full(len(ids), np.nan)) for k in keys}
        return SignalBatch(entity, batch.ids, columns, batch.found)


@pytest.mark.parametrize(
    ("store_class", "failing_check"),
    [
        (ReorderingStore, "rows_follow_requested_ids"),
        (ColumnByColumnStore, "bad_puts_raise_and_change_nothing"),
        (ForgivingStore, "unknown_keys_raise"),
    ],
)
def test_the_suite_fails_a_broken_store(
    store_class: type[MemorySignalStore], failing_check: str
) -> None:
    with pytest.raises(AssertionError, match=f"check_signal_store: {failing_check}: "):
        check_signal_store(store_class)
