import math

import numpy as np
import pytest

from bastion.stores import _arrays


@pytest.mark.parametrize("count", [0, 5, 1 << 18])  # 2 MiB of float64: on its own mmap
@pytest.mark.parametrize(
    ("fill", "dtype"),
    [(math.nan, np.float64), (-1, np.int32), (0, np.uint64), (2**64 - 1, np.uint64)],
)
def test_full_gives_a_writable_filled_array(count: int, fill: float, dtype: type) -> None:
    array = _arrays.full(count, fill, dtype)
    assert array.shape == (count,) and array.dtype == np.dtype(dtype)
    assert np.array_equal(array, np.full(count, fill, dtype=dtype), equal_nan=True)
    if count:
        array[-1] = 7
        assert array[-1] == 7
