"""Float closed forms and analyses (loops, leverage, basis, haircuts, feeds, stablecoin quality)."""
