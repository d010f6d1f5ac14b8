"""SlidingCounts and population_stability_index."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.guard import SlidingCounts, population_stability_index


def test_counts_add_up_within_the_window() -> None:
    window = SlidingCounts(60.0)
    window.add(1_000.0, (1, 2))
    window.add(1_010.0, (3, 4))
    window.add(1_030.0, np.array([5.0, 6.0]))
    np.testing.assert_array_equal(window.totals(1_030.0), [9.0, 12.0])


def test_counts_older_than_the_span_drop_out() -> None:
    window = SlidingCounts(60.0)
    window.add(1_000.0, (1, 1))
    window.add(1_030.0, (2, 2))
    np.testing.assert_array_equal(window.totals(1_059.0 - 3.0), [3.0, 3.0])
    np.testing.assert_array_equal(window.totals(1_060.0), [2.0, 2.0])
    np.testing.assert_array_equal(window.totals(1_090.0), [0.0, 0.0])


def test_a_reused_slot_starts_from_zero() -> None:
    window = SlidingCounts(60.0, buckets=20)
    window.add(1_000.0, (7, 7))
    window.add(1_060.0, (1, 1))  # the same slot, 20 buckets later
    np.testing.assert_array_equal(window.totals(1_060.0), [1.0, 1.0])


def test_clear_forgets_everything() -> None:
    window = SlidingCounts(10.0, width=3)
    window.add(5.0, (1, 2, 3))
    window.clear()
    np.testing.assert_array_equal(window.totals(5.0), [0.0, 0.0, 0.0])


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(st.tuples(st.floats(0.0, 500.0), st.integers(0, 50)), min_size=1, max_size=40),
    span=st.sampled_from([10.0, 60.0, 120.0]),
)
def test_totals_bracket_the_exact_window(events: list[tuple[float, int]], span: float) -> None:
    """Bucketed totals hold every event younger than span - one bucket, none older than span."""
    window = SlidingCounts(span)
    events.sort()
    for when, count in events:
        window.add(1_000.0 + when, (count, 1))
    now = 1_000.0 + events[-1][0]
    bucket = span / 20
    got = window.totals(now)[0]
    newest = sum(c for w, c in events if now - (1_000.0 + w) < span - bucket)
    widest = sum(c for w, c in events if now - (1_000.0 + w) < span)
    assert newest <= got <= widest


def test_psi_of_identical_distributions_is_zero() -> None:
    expected = np.full(10, 0.1)
    assert population_stability_index(expected, np.full(10, 37.0)) == pytest.approx(0.0, abs=1e-12)


def test_psi_of_a_known_shift() -> None:
    expected = np.array([0.5, 0.5])
    value = population_stability_index(expected, np.array([90.0, 10.0]))
    exact = (0.9 - 0.5) * math.log(0.9 / 0.5) + (0.1 - 0.5) * math.log(0.1 / 0.5)
    assert value == pytest.approx(exact)
    assert value > 0.25


def test_psi_of_a_small_shift_is_small() -> None:
    expected = np.full(4, 0.25)
    value = population_stability_index(expected, np.array([26.0, 24.0, 25.0, 25.0]))
    assert 0.0 < value < 0.01


def test_psi_floors_empty_bins() -> None:
    expected = np.array([0.5, 0.5, 0.0])
    value = population_stability_index(expected, np.array([0.0, 50.0, 50.0]))
    assert math.isfinite(value)
    assert value > 1.0


def test_psi_of_no_observations_is_zero() -> None:
    assert population_stability_index(np.full(5, 0.2), np.zeros(5)) == 0.0


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(1, 1_000), min_size=2, max_size=12).flatmap(
        lambda ref: st.tuples(
            st.just(ref), st.lists(st.integers(0, 1_000), min_size=len(ref), max_size=len(ref))
        )
    )
)
def test_psi_is_non_negative(pair: tuple[list[int], list[int]]) -> None:
    ref, observed = pair
    expected = np.asarray(ref, dtype=np.float64)
    expected /= expected.sum()
    assert population_stability_index(expected, np.asarray(observed, dtype=np.float64)) >= -1e-12
