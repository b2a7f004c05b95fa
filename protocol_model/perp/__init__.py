"""Perpetual-futures margin: the exact twin of contracts/perp/PerpEngine.sol, its stories and a Monte Carlo."""
