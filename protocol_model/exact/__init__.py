"""The exact twins of the contracts: pure integers, no I/O; one module per contract, named after it."""
