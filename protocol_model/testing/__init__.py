"""Testing a protocol from one's own project: a pytest plugin and hypothesis strategies.

- :mod:`protocol_model.testing.plugin`: registered by entry point (``pytest11``), so installing the package
  gives every pytest (and ``ape test``) session the fixtures ``protocol``, ``model``, ``roles`` and the
  ``protocol_model`` marker and ini options. It imports neither ape nor hypothesis.
- :mod:`protocol_model.testing.strategies`: hypothesis strategies for pool operations and price paths
  (``pip install hypothesis``).
- :mod:`protocol_model.testing.roles`: the account names the fixtures and stories use.
"""
