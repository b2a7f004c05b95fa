"""Testing a protocol from one's own project: a pytest plugin and hypothesis strategies.

- :mod:`protocol_model.testing.plugin`: registered by entry point (``pytest11``), so installing the package
  gives every pytest (and ``ape test``) session the fixtures ``protocol``, ``model``, ``roles``, the chain
  fixtures ``deployed``, ``cross_check`` and ``run_story`` (under ``ape test``), and the ``protocol_model`` marker
  and ini options. It imports neither ape nor hypothesis at import time.
- :mod:`protocol_model.testing.chain`: what the chain fixtures build (``Deployed``: the chain world and its twin).
- :mod:`protocol_model.testing.strategies`: hypothesis strategies for pool operations and price paths
  (``pip install hypothesis``).
- :mod:`protocol_model.testing.roles`: the account names the fixtures and stories use.
"""
