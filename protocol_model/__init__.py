"""protocol_model: state a lending protocol's risk parameters once, model them exactly and at scale.

The package core is pure Python (no ape/web3 import, no I/O at import time). Chain adapters live in
``protocol_model.chain`` and are imported only by scripts and tests that talk to a chain.
"""

__version__ = "0.1.0"
