"""A chain that stops answering: one line saying during which phase and at which step, and why.

``watch(phase, steps_done, alive)`` wraps one phase of a chain run (``deploy``, ``opening positions``,
``steps``, ``path`` ...). When anything inside fails and the chain no longer answers (``alive()`` is
False), the failure becomes a ``ChainStopped`` whose message is one line::

    the chain stopped answering during deploy (step 0): connection refused

A failure on a chain that still answers (a bug, an assertion, a revert the run did not expect) is not a
dead chain and propagates unchanged. ``pause_point(phase)`` is the test hook: when the environment
variable ``PROTOCOL_MODEL_PAUSE_AT`` names ``phase`` (or ``phase:step``), the run writes its node's
process id into the file ``PROTOCOL_MODEL_PAUSE_FILE`` and waits until that file is removed (a test
kills the node meanwhile).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PAUSE_AT = "PROTOCOL_MODEL_PAUSE_AT"
"""Environment variable: the phase at whose start a run pauses (tests only)."""
PAUSE_FILE = "PROTOCOL_MODEL_PAUSE_FILE"
"""Environment variable: the file the paused run writes the node's pid into and waits on."""
PAUSE_LIMIT_S = 120.0
"""A paused run resumes by itself after this many seconds (a test that died never hangs a run)."""


class ChainFault(RuntimeError):
    """A run ended because its chain stopped answering; ``str()`` is the one line to print."""


class ChainStopped(ChainFault):
    """The chain stopped answering during ``phase`` after ``step`` steps of it; ``reason`` says why (one
    short clause, e.g. 'connection refused'). ``str()`` is the one-line message."""

    def __init__(self, phase: str, step: int, reason: str):
        self.phase, self.step, self.reason = phase, step, reason
        super().__init__(f"the chain stopped answering during {phase} (step {step}): {reason}")


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def reason_of(err: BaseException) -> str:
    """Why a call to a dead chain failed, in a few words: the operating system's reason found anywhere
    in the exception or its causes ('connection refused', 'broken pipe'), else the exception's class
    name and the first line of its message (at most 160 characters)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        match = _ERRNO.search(str(seen))
        if match:
            return match.group(1).strip().lower()
        seen = seen.__cause__ or seen.__context__
    first = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {first}"[:160].rstrip(": ")


def rpc_alive(request: Callable[[str, list], object]) -> Callable[[], bool]:
    """A liveness probe over a JSON-RPC ``request(method, params)``: True when ``eth_blockNumber``
    answers without raising."""

    def alive() -> bool:
        try:
            request("eth_blockNumber", [])
        except Exception:  # noqa: BLE001 - any failure to answer means the chain is gone
            return False
        return True

    return alive


@contextmanager
def watch(phase: str, steps_done: Callable[[], int], alive: Callable[[], bool]) -> Iterator[None]:
    """Run one phase; a failure while the chain no longer answers becomes ``ChainStopped(phase,
    steps_done(), reason)`` (raised from None: no chained traceback). An ``AssertionError`` (model and
    chain disagree) or any failure on a live chain propagates unchanged; a ``ChainFault`` from an inner
    phase passes through as is."""
    try:
        yield
    except ChainFault:
        raise
    except Exception as err:
        if isinstance(err, AssertionError) or alive():
            raise
        raise ChainStopped(phase, steps_done(), reason_of(err)) from None


def pause_point(phase: str, pid: int | None, step: int = 0) -> None:
    """Test hook: when ``PROTOCOL_MODEL_PAUSE_AT`` is ``phase`` (step 0) or ``phase:step``, write ``pid``
    (the node's process id, or an empty line when unknown) into ``PROTOCOL_MODEL_PAUSE_FILE`` and wait
    until a test removes that file (at most ``PAUSE_LIMIT_S``). Does nothing otherwise."""
    wanted = os.environ.get(PAUSE_AT, "")
    if not os.environ.get(PAUSE_FILE) or wanted not in (f"{phase}:{step}", phase if step == 0 else ""):
        return
    marker = Path(os.environ[PAUSE_FILE])
    marker.write_text(f"{pid or ''}\n")
    deadline = time.monotonic() + PAUSE_LIMIT_S
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@dataclass(frozen=True)
class Node:
    """The connected node as a run sees it: ``alive()`` probes it, ``pid`` is its process id when this
    run started it (None for a node started elsewhere), ``uri`` its RPC URL (None when it has none)."""

    alive: Callable[[], bool]
    pid: int | None
    uri: str | None


def ape_node() -> Node:
    """The node ape is connected to (``ape.chain.provider``)."""
    from ape import chain

    provider = chain.provider
    process = getattr(provider, "process", None)
    return Node(rpc_alive(lambda method, params: provider.web3.provider.make_request(method, params)),
                getattr(process, "pid", None), getattr(provider, "uri", None))
