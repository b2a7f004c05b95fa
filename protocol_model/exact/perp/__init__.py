"""Twins of contracts/perp/ (PerpEngine, PerpMath)."""
