"""The hash chain and Merkle root commit to every record and its place."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bastion.trace import GENESIS, merkle_root, record_hash

leaves = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40, unique=True)


def hashes(bodies: list[bytes]) -> list[bytes]:
    prev, out = GENESIS, []
    for seq, body in enumerate(bodies):
        prev = record_hash(prev, seq, body)
        out.append(prev)
    return out


@given(bodies=st.lists(st.binary(max_size=64), min_size=2, max_size=20), data=st.data())
def test_editing_any_body_changes_its_hash_and_every_later_one(
    bodies: list[bytes], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(bodies) - 1))
    edited = list(bodies)
    edited[index] = bodies[index] + b"!"
    before, after = hashes(bodies), hashes(edited)
    assert before[:index] == after[:index]
    assert all(a != b for a, b in zip(before[index:], after[index:], strict=True))


@given(leaves=leaves, data=st.data())
def test_merkle_root_changes_with_any_leaf_edit_removal_or_swap(
    leaves: list[bytes], data: st.DataObject
) -> None:
    root = merkle_root(leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    edited = list(leaves)
    edited[i] = bytes(32 - 1) + b"\x01" if leaves[i] != bytes(31) + b"\x01" else bytes(32)
    assert merkle_root(edited) != root
    if len(leaves) > 1:
        assert merkle_root(leaves[:i] + leaves[i + 1 :]) != root
        j = data.draw(st.integers(0, len(leaves) - 1).filter(lambda j: j != i))
        swapped = list(leaves)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        assert merkle_root(swapped) != root


def test_merkle_root_of_one_leaf_is_domain_separated() -> None:
    leaf = bytes(range(32))
    assert merkle_root([leaf]) != leaf
    assert merkle_root([leaf, leaf]) != merkle_root([leaf])
