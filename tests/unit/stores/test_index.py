import numpy as np
import numpy.typing as npt
import pytest

from bastion.stores import _index
from bastion.stores._index import BadIdsError, IdIndex

TRICKY = [
    "a",
    "bb",
    "",
    "item-1",
    "é",
    "日本語",
    "a\x00b",  # a NUL inside is kept by fixed-width bytes; only trailing ones are lost
    "\x00a",
    "x" * 40,
    "\ud800",  # a lone surrogate: a str, and a dict key, like any other
    "emoji-\U0001f600",
]


def built(ids: list[str]) -> tuple[IdIndex, dict[str, int]]:
    return IdIndex.empty().merged(ids, np.arange(len(ids), dtype=np.intp), len(ids))


def rows_of(index: IdIndex, delta: dict[str, int], ids: list[str]) -> list[int]:
    """What the table does: the index first, then the delta for the ids it lacks."""
    rows = index.find(ids).tolist()
    return [r if r >= 0 else delta.get(i, -1) for r, i in zip(rows, ids, strict=True)]


def no_tags(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A hash under which every id has the same tag."""
    return np.zeros(len(words), dtype=np.uint64)


def test_find_gives_rows_and_minus_one_for_unknown_ids() -> None:
    ids = [f"item-{i:07d}" for i in range(1_000)]
    index, delta = built(ids)
    assert delta == {} and index.size == 1_000 and index.width == 16
    slate = ["item-0000007", "item-0000999", "item-0001000", "item-0000007", "nope-0000007"]
    assert index.find(slate).tolist() == [7, 999, -1, 7, -1]  # all of one length
    assert index.find(["item-0000003", "nope", "", "item-0000004"]).tolist() == [3, -1, -1, 4]
    assert index.find([]).tolist() == []
    assert IdIndex.empty().find(["a", "b"]).tolist() == [-1, -1]


@pytest.mark.parametrize(
    "slate",
    [
        TRICKY,
        ["a", "é", "zz", "a\x00b"],
        ["a\x00", "a", "a\x00\x00", "b\x00"],  # trailing NULs: apart, in the delta
        ["bb", "cc", "dd", "bb"],  # one length, ASCII
        ["item-1", "item-2", "", "x" * 41, "x" * 40],
        ["x" * 40, "x" * 39 + "y", "x" * 48, "x" * 60],  # at, and past, the index's width
    ],
)
def test_every_way_of_reading_a_slate_agrees_with_a_dict(slate: list[str]) -> None:
    stored = [*TRICKY, "a\x00", "a\x00\x00"]
    index, delta = built(stored)
    assert delta == {"a\x00": len(TRICKY), "a\x00\x00": len(TRICKY) + 1}
    model = {the_id: row for row, the_id in enumerate(stored)}
    assert rows_of(index, delta, slate) == [model.get(i, -1) for i in slate]


def test_ids_that_are_not_strings_are_not_found() -> None:
    index, _ = built(["a", "7"])
    assert index.find(["a", 7, None]).tolist() == [0, -1, -1]  # type: ignore[list-item]


def test_ids_longer_than_the_width_never_match_their_prefix() -> None:
    index, _ = built(["abcdefgh"])
    assert index.width == 8
    for longer in ["abcdefghX", "abcdefgh" + "Y" * 8, "abcdefgh" + "Y" * 20, "abcdefghé"]:
        assert index.find([longer]).tolist() == [-1], longer
        assert index.find(["abcdefgh", longer]).tolist() == [0, -1], longer
        assert index.find([longer, longer]).tolist() == [-1, -1], longer


def test_a_longer_id_widens_the_next_index_and_leaves_this_one_alone() -> None:
    index, _ = built(["abcdefgh", "short"])
    long_id = "abcdefgh" + "Y" * 20
    wider, delta = index.merged([long_id], np.array([2], dtype=np.intp), 3)
    assert delta == {} and wider.width == 32
    slate = ["abcdefgh", "short", long_id, long_id[:-1], long_id + "Z"]
    assert wider.find(slate).tolist() == [0, 1, 2, -1, -1]
    assert index.find(slate).tolist() == [0, 1, -1, -1, -1]


def test_merges_share_words_while_they_have_room() -> None:
    ids = [f"id{i}" for i in range(40)]
    index, _ = built(ids[:10])
    bigger, _ = index.merged(ids[10:12], np.array([10, 11], dtype=np.intp), 12)
    assert bigger.words[0] is index.words[0]  # capacity 16: rows 10 and 11 written in place
    assert index.find(ids[:12]).tolist() == [*range(10), -1, -1]
    assert bigger.find(ids[:12]).tolist() == list(range(12))
    grown, _ = bigger.merged(ids[12:], np.arange(12, 40, dtype=np.intp), 40)
    assert grown.words[0] is not bigger.words[0]
    assert grown.find(ids).tolist() == list(range(40))
    assert bigger.find(ids[:12]).tolist() == list(range(12))


def test_ids_sharing_a_tag_go_to_the_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_index, "_hash", no_tags)
    ids = [f"id{i}" for i in range(50)]
    index, delta = built(ids)
    assert index.size == 1 and len(delta) == 49 and index.pinned == 49
    assert rows_of(index, delta, [*ids, "nope"]) == [*range(50), -1]
    more, delta = index.merged(["new", *delta], np.array([50, *delta.values()]), 51)
    assert more.size == 1 and len(delta) == 50
    assert rows_of(more, delta, [*ids, "new"]) == list(range(51))


def test_ids_by_row_and_build_round_trip() -> None:
    index, delta = built(TRICKY)
    extra = {"later": len(TRICKY), "z\x00": len(TRICKY) + 1, "ü" * 30: len(TRICKY) + 2}
    delta.update(extra)
    count = len(TRICKY) + len(extra)
    ids, apart = index.ids_by_row(delta, count)
    assert ids.dtype.kind == "S" and ids.shape == (count,)
    assert apart == {len(TRICKY) + 1: "z\x00"}
    assert ids[0] == b"a" and ids[5] == "日本語".encode()
    rebuilt, rebuilt_delta = IdIndex.build(ids, apart)
    assert rebuilt_delta == {"z\x00": len(TRICKY) + 1}
    everything = [*TRICKY, *extra]
    assert rows_of(rebuilt, rebuilt_delta, [*everything, "nope"]) == [*range(count), -1]


def test_build_rejects_repeated_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BadIdsError, match="not unique"):
        IdIndex.build(np.array([b"a", b"b", b"a"]), {})
    with pytest.raises(BadIdsError, match="not unique"):
        IdIndex.build(np.array([b"", b""]), {0: "x\x00", 1: "x\x00"})
    monkeypatch.setattr(_index, "_hash", no_tags)  # repeats then meet as pinned ids
    with pytest.raises(BadIdsError, match="not unique"):
        IdIndex.build(np.array([b"c", b"a", b"b", b"a"]), {})
    index, delta = IdIndex.build(np.array([b"c", b"a", b"b"]), {})
    assert rows_of(index, delta, ["a", "b", "c"]) == [1, 2, 0]


def test_build_rejects_ids_that_are_not_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_index, "_hash", no_tags)  # so that the build decodes them
    with pytest.raises(BadIdsError, match="not valid UTF-8"):
        IdIndex.build(np.array([b"\xff", b"\xfe"]), {})


def test_an_index_of_1m_ids_takes_about_40_bytes_per_id() -> None:
    ids = np.array([b"item-%07d" % i for i in range(1_000_000)])
    index, delta = IdIndex.build(ids, {})
    assert index.size + len(delta) == 1_000_000
    assert 30 < index.nbytes / 1_000_000 < 48
    probe = [f"item-{i:07d}" for i in range(0, 1_000_000, 9_973)]
    assert rows_of(index, delta, probe) == list(range(0, 1_000_000, 9_973))
