"""Save and restore a chain's state: a populated protocol as a reusable fixture.

``dump_state`` asks the connected anvil for its state (``anvil_dumpState``: hex of gzipped JSON) and
writes the JSON, the format ``anvil --load-state FILE`` reads. ``AnvilProcess.serving`` serves such a file on a
loopback port: the chain that fork tests fork, exactly as they would fork a live network.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests


def rpc(url: str, method: str, params: list | None = None, timeout: float = 10) -> object:
    """One JSON-RPC call; raises RuntimeError with the node's message on an error answer."""
    res = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
                        timeout=timeout).json()
    if "error" in res:
        raise RuntimeError(f"{method}: {res['error'].get('message', res['error'])}")
    return res["result"]


def decode_dump(hexdata: str) -> dict:
    """``anvil_dumpState``'s answer (hex of gzipped JSON, or plain JSON) -> the state as a dict."""
    raw = bytes.fromhex(hexdata.removeprefix("0x"))
    try:
        raw = gzip.decompress(raw)
    except gzip.BadGzipFile:
        pass  # older anvil versions answer plain JSON
    return json.loads(raw)


def slim(state: dict) -> dict:
    """Drop the per-transaction execution traces (ape runs anvil with step tracing: ~1 MB a call).
    Blocks, receipts and accounts stay, so block hashes and every storage slot are unchanged."""
    for tx in state.get("transactions") or []:
        info = tx.get("info")
        if isinstance(info, dict) and "traces" in info:
            info["traces"] = []
    return state


def dump_state(make_request: Callable[[str, list], Any], path: str | Path) -> Path:
    """Write the connected anvil's state to ``path`` (temporary file renamed into place)."""
    res = make_request("anvil_dumpState", [])
    if isinstance(res, dict) and "error" in res:
        raise RuntimeError(f"anvil_dumpState: {res['error']}")
    state = slim(decode_dump(res["result"] if isinstance(res, dict) else res))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)
    return path


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port``."""
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


@dataclass
class AnvilProcess:
    """An anvil on a loopback port, started and stopped by its owner (a test session, a script)."""

    args: list[str]
    port: int
    host: str = "127.0.0.1"
    log_file: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @classmethod
    def serving(cls, state_file: str | Path, port: int, **kw: Any) -> AnvilProcess:
        """The upstream: a saved state (``anvil --load-state``)."""
        return cls(["--load-state", str(state_file)], port, **kw)

    @classmethod
    def forking(cls, url: str, block_number: int, port: int, **kw: Any) -> AnvilProcess:
        """A fork of ``url`` pinned at ``block_number`` (``anvil --fork-url --fork-block-number``)."""
        return cls(["--fork-url", url, "--fork-block-number", str(block_number)], port, **kw)

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30) -> AnvilProcess:
        """Start anvil and wait until it answers; RuntimeError when it is not on PATH, the port is taken,
        it exits, or it does not answer within ``timeout`` seconds."""
        exe = shutil.which("anvil")
        if exe is None:
            raise RuntimeError("anvil is not on PATH (source env.sh or use the Makefile)")
        if not port_is_free(self.port, self.host):
            raise RuntimeError(f"port {self.port} is in use: cannot start anvil there")
        log = open(self.log_file, "w") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen([exe, "--host", self.host, "--port", str(self.port), *self.args],
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil {' '.join(self.args)} exited with code {self.process.returncode} "
                                   f"(log: {self.log_file})")
            try:
                rpc(self.url, "eth_blockNumber", timeout=1)
                return self
            except (requests.RequestException, RuntimeError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"anvil did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        """Terminate the process (kill it after 10 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
