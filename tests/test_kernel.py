"""Helpers of the compiled loop that can be checked on their own."""

import numpy as np

from dopaspike.core.kernel import _jump_at_or_before


def test_jump_search_finds_what_a_linear_scan_back_from_the_end_finds():
    """The region log is searched from its end, then by bisection; the index must be the one the
    plain backward scan gives, for short and long logs, repeated steps and every t0."""
    rng = np.random.default_rng(0)
    for n_log in (1, 2, 7, 8, 9, 30, 1000):
        steps = np.sort(rng.integers(0, 3 * n_log, size=n_log - 1))
        log = np.full((2, n_log + 5), 10**9, np.int64)  # capacity beyond log_len is never read
        log[1, 0] = -1
        log[1, 1:n_log] = steps
        for t0 in range(-1, 3 * n_log + 2):
            i = n_log - 1
            while log[1, i] > t0:
                i -= 1
            assert _jump_at_or_before(log, 1, n_log, t0) == i, (n_log, t0)
