"""Command-line options every lab command shares (``--paths``, ``--workers``, ``--scheduler``), checked
before any work: a bad value gets one line naming the file, the option and the rule (``OptionError``).
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

from protocol_model.scenario.base import ScenarioError

MAX_PATHS = 10_000_000
"""The most paths a run may have (the simulation file's own bound on ``paths``)."""
MAX_RESAMPLES = 1_000_000
"""The most bootstrap resamples ``compare --resamples`` takes (each costs a pass over the paths)."""
DASK_PORT = 8786
"""A Dask scheduler's default port."""
CONNECT_TIMEOUT_S = 3.0
"""How long ``check_scheduler`` waits for the scheduler to accept a connection."""


class OptionError(ScenarioError):
    """A command-line option is invalid; one line naming the file, the option and the rule."""


def check_count(source: str | Path, option: str, value: int | None, low: int, high: int, what: str) -> None:
    """``value`` (if given) is a whole number in [low, high]; OptionError otherwise."""
    if value is not None and not low <= value <= high:
        raise OptionError(f"{source}: {option}: {value} is not a valid {what} (a whole number from {low:,} to "
                          f"{high:,})")


def check_run_options(source: str | Path, paths: int | None, workers: int | None) -> None:
    """``--paths`` in [1, MAX_PATHS] and ``--workers`` >= 1, if given. Raises OptionError."""
    check_count(source, "--paths", paths, 1, MAX_PATHS, "number of paths")
    check_count(source, "--workers", workers, 1, 4096, "number of worker processes")


def scheduler_endpoint(address: str) -> tuple[str, int] | None:
    """(host, port) of a Dask scheduler address (``tcp://host:port``, ``tls://…``, ``host:port``; port
    8786 by default); ``None`` for an in-process address (``inproc://``). Raises ValueError if malformed."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme == "inproc":
        return None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        raise ValueError("expected tcp://HOST:PORT (or tls://HOST:PORT)")
    return parts.hostname, parts.port or DASK_PORT


def check_scheduler(source: str | Path, address: str | None, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """A TCP connection to the scheduler opens within ``timeout_s`` (nothing is sent). Raises OptionError
    naming the address and the reason, so a wrong address fails in seconds, not after Dask's 30 s."""
    if address is None:
        return
    try:
        endpoint = scheduler_endpoint(address)
    except ValueError as err:
        raise OptionError(f"{source}: --scheduler: '{address}' is not a scheduler address ({err})") from None
    if endpoint is None:
        return
    try:
        socket.create_connection(endpoint, timeout=timeout_s).close()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise OptionError(f"{source}: --scheduler: no Dask scheduler answers at {address} ({reason}; waited at most "
                          f"{timeout_s:g} s)") from None
