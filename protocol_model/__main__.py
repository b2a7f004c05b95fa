"""``python -m protocol_model``: the console entry point (protocol_model.cli)."""

import sys

from protocol_model.cli import main

sys.exit(main())
