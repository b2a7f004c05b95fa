"""Twins of contracts/lending/ (LendingPool, KinkedRateModel) and the pool's parameter types."""
