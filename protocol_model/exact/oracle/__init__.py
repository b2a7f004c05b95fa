"""Twins of contracts/oracle/ (PriceRouter, PairPriceFeed)."""
