"""Twins of contracts/strategies/ (Looper, LeveragedToken)."""
