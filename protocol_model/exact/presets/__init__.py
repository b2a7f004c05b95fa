"""Exact twins of real protocols' own contracts (the ``rules:`` presets of a protocol file): ``morpho_blue``,
``aave_v3``."""
