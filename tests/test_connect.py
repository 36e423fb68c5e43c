"""Connectivity helpers (dopaspike.core.connect)."""

from __future__ import annotations


def test_synfire_links_join_each_group_to_the_next_only():
    from dopaspike.core.connect import onto_group, synfire_links

    pre, post = synfire_links(3, 2, first=4)  # groups {4,5}, {6,7}, {8,9}
    assert sorted(zip(pre.tolist(), post.tolist())) == [(4, 6), (4, 7), (5, 6), (5, 7), (6, 8), (6, 9), (7, 8), (7, 9)]
    assert synfire_links(1, 5)[0].size == 0  # one group: no links
    start = onto_group(3, first=2, group_size=2)
    assert sorted(zip(start.pre, start.post)) == [(0, 2), (0, 3), (1, 2), (1, 3), (2, 2), (2, 3)]
