"""NumPy helpers that generated plans call; the semantics match :mod:`._interpret`.

Value conventions inside a plan: numbers are ``float64`` with ``NaN`` for
``NULL``; strings are ``object`` arrays (or ``str``) with ``None`` for
``NULL``; booleans are ``bool`` arrays that are ``False`` wherever they are
``NULL``, with a separate mask saying where.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_NONE: Any = None  # numpy's stubs do not accept a literal None in np.equal
TRUE = np.True_
FALSE = np.False_


def to_bool(value: Any) -> Any:
    """A Python bool as a NumPy bool, so that ``~`` means logical not."""
    return np.bool_(value)


def div(a: Any, b: Any) -> Any:
    """``a / b`` with ``NULL`` (NaN) where ``b`` is zero."""
    return np.divide(a, np.where(np.equal(b, 0.0), np.nan, b))


def mod(a: Any, b: Any) -> Any:
    """C ``fmod`` with ``NULL`` (NaN) where ``b`` is zero."""
    return np.fmod(a, np.where(np.equal(b, 0.0), np.nan, b))


def nullif(a: Any, b: Any) -> Any:
    """``NULLIF`` of two numbers: ``NULL`` (NaN) where they are equal."""
    return np.where(np.equal(a, b), np.nan, a)


def is_none(a: Any) -> Any:
    """Where a string array is ``NULL``."""
    return np.asarray(np.equal(a, _NONE), dtype=bool)


def isin_str(a: Any, values: frozenset[str]) -> Any:
    """Membership of each element of a string array in *values*."""
    return np.fromiter((x in values for x in a), dtype=bool, count=len(a))


def isin_num(a: Any, values: tuple[float, ...]) -> Any:
    """Membership of each number in *values* (``NaN`` is never a member)."""
    return np.isin(a, values)


def coalesce_num(a: Any, b: Any) -> Any:
    """``COALESCE`` of two numbers."""
    return np.where(np.isnan(a), b, a)


def coalesce_str(a: Any, b: Any) -> Any:
    """``COALESCE`` of two strings (scalars or object arrays)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a_arr = np.asarray(a, dtype=object)
        return np.where(is_none(a_arr), b, a_arr)
    return b if a is None else a


def coalesce_bool(a: Any, a_null: Any, b: Any) -> Any:
    """``COALESCE`` of two booleans, given where the first is ``NULL``."""
    return np.where(a_null, b, a)


NAMESPACE: dict[str, Any] = {
    "_np": np,
    "_TRUE": TRUE,
    "_FALSE": FALSE,
    "_B": to_bool,
    "_div": div,
    "_mod": mod,
    "_isnan": np.isnan,
    "_isnone": is_none,
    "_isin_str": isin_str,
    "_isin_num": isin_num,
    "_coalesce_num": coalesce_num,
    "_coalesce_str": coalesce_str,
    "_coalesce_bool": coalesce_bool,
    "_abs": np.abs,
    "_nullif": nullif,
    "_fmin": np.fmin,
    "_fmax": np.fmax,
}
