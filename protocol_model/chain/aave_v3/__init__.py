"""Aave V3 on a chain: the real compiled artifacts of npm ``@aave/core-v3`` 1.19.3 deployed with their
libraries linked (``deploy``), and the step/observable layer that replays a story or a fuzz run on them and on
the exact twin (``replay``)."""
