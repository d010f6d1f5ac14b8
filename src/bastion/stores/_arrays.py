"""Large long-lived arrays, each on its own anonymous memory map.

A memory store replaces its big arrays now and then: a column doubles, the id
index is rebuilt. Allocated with ``malloc``, such an array lands on the heap
among the temporaries of the put that made it, and once the put's temporaries
and the array it replaced are freed, glibc keeps the holes below it: loading 1M
items x 10 float signals in puts of 100k ends at ~200 MB resident for ~115 MB
of arrays. On its own ``mmap``, an array's memory goes back to the system when
it is freed, and the load ends at ~135 MB. Small arrays are left to NumPy.
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np
import numpy.typing as npt

_MAPPED_BYTES = 1 << 20  # below this, the heap's holes are small: leave it to NumPy


def full(count: int, fill: Any, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """A new writable 1-d array of *count* items of *dtype*, all *fill*."""
    dtype = np.dtype(dtype)
    nbytes = count * dtype.itemsize
    if nbytes < _MAPPED_BYTES:
        return np.full(count, fill, dtype=dtype)
    buffer = mmap.mmap(-1, nbytes)  # zero-filled pages, unmapped when the array dies
    if hasattr(mmap, "MADV_HUGEPAGE"):  # as NumPy does for its large arrays: fewer TLB misses
        buffer.madvise(mmap.MADV_HUGEPAGE)
    array: npt.NDArray[Any] = np.frombuffer(buffer, dtype=dtype, count=count)
    if np.any(np.asarray(fill, dtype=dtype) != 0):
        array.fill(fill)
    return array
