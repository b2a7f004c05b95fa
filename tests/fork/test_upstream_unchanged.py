"""Runs last in the fork suite (file order): whatever the tests did to the fork, the upstream is unchanged."""

from __future__ import annotations

from .conftest import PINNED_BLOCK, upstream_fingerprint


def test_upstream_is_unchanged(upstream_url, record, lens_call, upstream_at_start):
    now = upstream_fingerprint(upstream_url, record, lens_call)
    assert now == upstream_at_start
    assert now["number"] == PINNED_BLOCK and now["hash"] == record.block_hash
