"""The risk lab (see docs/risk_lab.md)."""
