"""An in-process chain: the exact bytecode ``ape compile`` produces, run by revm (pyrevm) inside Python.

``InProcessChain`` implements the chain-driver interface the anvil and ape paths implement (``deploy``,
``send`` a call at block time T deciding revert-or-success with the revert's name, ``mine``, ``view``,
``snapshot``/``restore``, ``now``, ``block_time``) over its own contract handles, which also take ape's call
style (``pool.grantRole(role, admin, sender=admin)`` sends, ``pool.closeFactorBps()`` reads). Each call is one
revm message call, so a cross-checked step costs microseconds instead of JSON-RPC round trips.

Blocks: a block is mined per passing transaction (number + 1, at the asked time, or the head's time + 1 s
when none is asked); a reverting ``send`` mines nothing and leaves no state. Views read at the head block.
What this chain does not model (fees, refunds, block hashes ...) is listed in docs/inprocess_chain.md.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak, to_checksum_address
from pyrevm import EVM, AccountInfo, BlockEnv, CfgEnv, Env

from protocol_model.chain.driver import GAS_LIMIT, OK, Call, ChainCallFailed, Contract, Outcome
from protocol_model.chain.inprocess_abi import Artifact, Artifacts, Function

__all__ = ["OK", "Call", "ChainCallFailed", "InProcessChain", "Outcome", "TransactionReverted"]

CHAIN_ID = 31337
"""anvil's chain id (``block.chainid`` reads it)."""
SPEC_ID = "Cancun"
"""revm hardfork: solc 0.8.28 targets Cancun by default. pyrevm wants the CamelCase name; an unknown name
(e.g. 'CANCUN') silently means 'latest'."""
START_TIME = 1_700_000_000
"""Time of the genesis block (seconds)."""
AUTO_BLOCK_SECONDS = 1
"""A transaction sent without a time is mined this many seconds after the head (deployment, set-up)."""
ACCOUNT_COUNT = 10
ACCOUNT_BALANCE = 10**24
ZERO_ADDRESS = "0x" + "0" * 40

_REVERT = re.compile(r"^Revert \{ gas_used: \d+, output: 0x([0-9a-fA-F]*) \}")
_HALT = re.compile(r"^Halt \{ reason: ([A-Za-z]+)")


class TransactionReverted(ChainCallFailed):
    """A transaction sent through a contract handle (``fn(*args, sender=...)``), a ``deploy`` or a view read
    reverted; ``name`` is the revert's name (custom error, reason string or Panic)."""

    def __init__(self, what: str, name: str):
        super().__init__(f"{what}: {name}")
        self.name = name


@dataclass(frozen=True)
class Log:
    """One event log: emitting address (checksummed), topics (32 bytes each) and data."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class Receipt:
    """A mined transaction: its block, the return data (a deployment's: the new address) and its logs."""

    block_number: int
    timestamp: int
    output: bytes
    logs: tuple[Log, ...]


class InProcessAccount:
    """A funded externally owned account of the in-process chain (ape's ``Account`` shape)."""

    def __init__(self, chain: InProcessChain, address: str):
        self.chain, self.address = chain, address

    def deploy(self, contract: Artifact, *args: Any, **kwargs: Any) -> InProcessContract:
        """Deploy ``contract`` from this account (see ``InProcessChain.deploy``)."""
        return self.chain.deploy(contract, *args, sender=self, **kwargs)

    def __repr__(self) -> str:
        return f"<InProcessAccount {self.address}>"


class BoundFunction:
    """A contract's function, ape style: called with ``sender=`` it is sent (a ``Receipt``); without, it reads."""

    def __init__(self, contract: InProcessContract, overloads: list[Function]):
        self.contract, self.overloads = contract, overloads

    def resolve(self, nargs: int) -> Function:
        """The overload taking ``nargs`` arguments. Raises ``TypeError`` when none (or several) match."""
        found = [f for f in self.overloads if len(f.inputs) == nargs]
        if len(found) != 1:
            raise TypeError(f"{self.overloads[0].name}: {len(found)} overloads take {nargs} arguments")
        return found[0]

    def encode_input(self, *args: Any) -> bytes:
        """Calldata of a call with ``args``."""
        return self.resolve(len(args)).encode(args)

    def __call__(self, *args: Any, sender: Any = None, value: int = 0) -> Any:
        chain, fn = self.contract.chain, self.resolve(len(args))
        if sender is None:
            return chain.view(self.contract, fn.name, *args)
        return chain.transact(self.contract, fn.name, *args, sender=sender, value=value)


class InProcessContract:
    """A deployed contract: ``address``, its ``artifact``, and each ABI function as an attribute."""

    def __init__(self, chain: InProcessChain, address: str, artifact: Artifact):
        self.chain, self.address, self.artifact = chain, address, artifact
        self._bound: dict[str, BoundFunction] = {}

    def function(self, method: str, nargs: int) -> Function:
        """ABI function ``method`` taking ``nargs`` arguments (cached)."""
        return self.__getattr__(method).resolve(nargs)

    def __getattr__(self, name: str) -> BoundFunction:
        bound = self.__dict__.get("_bound")
        if bound is None or name.startswith("__"):
            raise AttributeError(name)
        if name not in bound:
            overloads = self.artifact.functions.get(name)
            if not overloads:
                raise AttributeError(f"{self.artifact.name} has no function {name!r}")
            bound[name] = BoundFunction(self, overloads)
        return bound[name]

    def __repr__(self) -> str:
        return f"<{self.artifact.name} {self.address}>"


@dataclass(frozen=True)
class _Saved:
    checkpoint: Any
    number: int
    time: int


class InProcessChain:
    """revm in process behind the chain-driver interface. ``project`` is the compiled ``Artifacts``;
    ``accounts`` are ten funded accounts (the first conventionally deploys)."""

    def __init__(self, project: Artifacts | None = None, *, start_time: int = START_TIME, start_block: int = 0,
                 chain_id: int = CHAIN_ID, spec_id: str = SPEC_ID):
        self.project = project if project is not None else Artifacts.load()
        self._number, self._time = start_block, start_time
        self._first_block = start_block
        self._times = array("Q", [start_time])
        """block time per block number since ``start_block``"""
        self._env = (start_block, start_time)
        self.evm = EVM(env=Env(cfg=CfgEnv(chain_id=chain_id), block=BlockEnv(number=start_block,
                                                                              timestamp=start_time)),
                       spec_id=spec_id)
        self._saved: dict[int, _Saved] = {}
        self._next_snapshot = 1
        self._version = 0
        """bumped by every change of state or head block (see ``state_key``)"""
        self.accounts = [InProcessAccount(self, to_checksum_address(keccak(text=f"in-process account {i}")[12:]))
                         for i in range(ACCOUNT_COUNT)]
        for acct in self.accounts:
            self.evm.set_balance(acct.address, ACCOUNT_BALANCE)

    # ------------------------------------------------------------------ blocks and time

    def now(self) -> int:
        """The head block's time (seconds)."""
        return self._time

    @property
    def block_number(self) -> int:
        """The head block's number."""
        return self._number

    def block_time(self, block_number: int) -> int:
        """The time (seconds) of block ``block_number``. Raises ``IndexError`` for a block not mined."""
        if not self._first_block <= block_number <= self._number:
            raise IndexError(f"block {block_number} is not on this chain (head {self._number})")
        return int(self._times[block_number - self._first_block])

    def mine(self, at_time: int | None = None) -> None:
        """Mine an empty block at ``at_time`` (default: head time + 1 s; never earlier than the head)."""
        self._advance(self._pending_time(at_time))

    def _pending_time(self, at_time: int | None) -> int:
        if at_time is None:
            return self._time + AUTO_BLOCK_SECONDS
        if at_time < self._time:
            raise ChainCallFailed(f"block time {at_time} is before the head's {self._time}")
        return at_time

    def state_key(self) -> tuple[int, int, int]:
        """(state version, head number, head time): equal keys mean the same state at the same head block,
        so every view reads the same (the EVM is deterministic). The version changes with every mined block,
        ``restore``, ``set_storage`` and ``state_changed``; a reverted ``send`` leaves the key as it was."""
        return self._version, self._number, self._time

    def state_changed(self) -> None:
        """Declare a change made behind the chain's back (e.g. ``chain.evm.insert_account_storage``), so
        anything cached by ``state_key`` is read again."""
        self._version += 1

    def _advance(self, at_time: int) -> None:
        self._version += 1
        self._number += 1
        self._time = at_time
        self._times.append(at_time)

    def _set_env(self, number: int, at_time: int) -> None:
        if self._env != (number, at_time):
            self.evm.set_block_env(BlockEnv(number=number, timestamp=at_time))
            self._env = (number, at_time)

    # ------------------------------------------------------------------ execution

    def _run(self, sender: str, to: str, data: bytes, value: int, number: int, at_time: int,
             static: bool = False) -> tuple[bool, bytes]:
        """One message call in a block (number, at_time): (True, return data) or (False, revert data).
        A revert leaves no state. Raises ``ChainCallFailed`` on an EVM halt (out of gas, invalid opcode)."""
        self._set_env(number, at_time)
        try:
            return True, bytes(self.evm.message_call(sender, to, data, value, GAS_LIMIT, None, static))
        except RuntimeError as err:
            text = str(err)[:4096]
            match = _REVERT.match(text)
            if match:
                return False, bytes.fromhex(match.group(1))
            halt = _HALT.match(text)
            raise ChainCallFailed(f"call to {to} halted: {halt.group(1) if halt else text[:200]}") from None

    def send(self, call: Call, at_time: int) -> Outcome:
        """Decide ``call``'s outcome at block time ``at_time`` and, when it passes, mine it there (one revm
        call: a reverting call changes nothing and mines no block). Returns ``OK`` or the revert's name."""
        fn = call.contract.function(call.method, len(call.args))
        pending = self._pending_time(at_time)
        self.evm.reset_transient_storage()
        ok, out = self._run(call.sender.address, call.contract.address, fn.encode(call.args), 0,
                            self._number + 1, pending)
        if not ok:
            return Outcome(self.project.revert_name(out))
        self._advance(pending)
        return OK

    def transact(self, contract: InProcessContract, method: str, *args: Any, sender: Any, value: int = 0,
                 at_time: int | None = None) -> Receipt:
        """Send ``contract.method(*args)`` from ``sender`` and mine it (at ``at_time``, default head + 1 s);
        returns the receipt with its logs. Raises ``TransactionReverted`` when it reverts."""
        fn = contract.function(method, len(args))
        return self._mined(sender.address, contract.address, fn.encode(args), value, at_time,
                           f"{contract.artifact.name}.{method}{args}")

    def _mined(self, sender: str, to: str, data: bytes, value: int, at_time: int | None, what: str) -> Receipt:
        pending = self._pending_time(at_time)
        self.evm.reset_transient_storage()
        ok, out = self._run(sender, to, data, value, self._number + 1, pending)
        if not ok:
            raise TransactionReverted(what, self.project.revert_name(out))
        logs = tuple(self._logs())
        self._advance(pending)
        return Receipt(self._number, pending, out, logs)

    def _logs(self) -> list[Log]:
        result = self.evm.result
        return [Log(to_checksum_address(log.address), tuple(log.data[0]), bytes(log.data[1]))
                for log in (result.logs if result is not None else ())]

    def deploy(self, container: Artifact, *args: Any, sender: Any, at_time: int | None = None,
               libraries: dict[str, str] | None = None, value: int = 0) -> InProcessContract:
        """Deploy ``container`` (e.g. ``chain.project.LendingPool``) with constructor ``args`` (libraries
        linked by fully qualified name), mined in the next block; returns its handle. Raises
        ``TransactionReverted`` when the constructor reverts."""
        pending = self._pending_time(at_time)
        self._set_env(self._number + 1, pending)
        try:
            address = self.evm.deploy(sender.address, container.creation_code(args, libraries), value, GAS_LIMIT)
        except RuntimeError as err:
            text = str(err)[:4096]
            match = _REVERT.match(text)
            name = self.project.revert_name(bytes.fromhex(match.group(1))) if match else text[:200]
            raise TransactionReverted(f"deploy {container.name}", name) from None
        self._advance(pending)
        return InProcessContract(self, to_checksum_address(address), container)

    def at(self, container: Artifact, address: str) -> InProcessContract:
        """A handle on the contract ``container`` already deployed at ``address``."""
        return InProcessContract(self, to_checksum_address(address), container)

    # ------------------------------------------------------------------ reads

    def view(self, contract: Contract, method: str, *args: Any) -> Any:
        """Read ``contract.method(*args)`` at the head block (a static call: it cannot change state): one
        value, or a tuple for several outputs. Raises ``TransactionReverted`` (a ``ChainCallFailed``; ``name`` the
        revert's) when the read reverts."""
        fn = contract.function(method, len(args))
        ok, out = self._run(ZERO_ADDRESS, contract.address, fn.encode(args), 0, self._number, self._time, True)
        if not ok:
            raise TransactionReverted(f"{contract.artifact.name}.{method}{args}", self.project.revert_name(out))
        return fn.decode(out)

    def call_static(self, to: str, data: bytes) -> tuple[bool, bytes]:
        """A static ``eth_call`` of raw calldata at the head block (state cannot change): (True, return data)
        or (False, revert data). The fast path of a view whose calldata is built once."""
        return self._run(ZERO_ADDRESS, to, data, 0, self._number, self._time, True)

    def call_raw(self, to: str, data: bytes, sender: str = ZERO_ADDRESS) -> tuple[bool, bytes]:
        """An ``eth_call`` at the head block: (True, return data) or (False, revert data); state is put back
        afterwards whatever the callee did."""
        saved = self.snapshot()
        try:
            return self._run(sender, to, data, 0, self._number, self._time)
        finally:
            self.restore(saved)

    def storage_at(self, address: str, slot: int) -> int:
        """The raw storage word at ``slot`` of ``address``."""
        return int(self.evm.storage(address, slot))

    def set_storage(self, address: str, slot: int, value: int) -> None:
        """Overwrite the raw storage word at ``slot`` of ``address`` (a test's fault injection); the state
        key changes."""
        self.evm.insert_account_storage(address, slot, value)
        self.state_changed()

    def set_code(self, address: str, code: bytes) -> None:
        """Put runtime ``code`` at ``address`` (as anvil's ``anvil_setCode``): no constructor runs, no block is
        mined, nonces stay; the code survives ``restore``. For helpers without constructor or immutables
        (``InProcessWorld``'s view lens); the state key changes."""
        self.evm.insert_account_info(address, AccountInfo(code=code))
        self.state_changed()

    def balance(self, address: str) -> int:
        """Ether balance of ``address`` (wei)."""
        return int(self.evm.get_balance(address))

    def decode_log(self, log: Log) -> tuple[str, dict[str, Any]] | None:
        """(event name, arguments by name) for a log any loaded contract declares, else None."""
        event = self.project.events.get(log.topics[0]) if log.topics else None
        return None if event is None else (event.name, event.decode(log.topics, log.data))

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> int:
        """Save the whole chain (state, head block, time); an id for ``restore``."""
        sid = self._next_snapshot
        self._next_snapshot += 1
        self._saved[sid] = _Saved(self.evm.snapshot(), self._number, self._time)
        return sid

    def restore(self, snapshot_id: int) -> None:
        """Put the chain back to ``snapshot_id``. As on anvil, the id is consumed and every snapshot taken
        after it is dropped. Raises ``KeyError`` for an unknown or consumed id."""
        if snapshot_id not in self._saved:
            raise KeyError(f"no snapshot {snapshot_id} (consumed, dropped by an earlier restore, or never taken)")
        for sid in sorted((s for s in self._saved if s >= snapshot_id), reverse=True):
            saved = self._saved.pop(sid)
            self.evm.revert(saved.checkpoint)  # innermost first: revm's journal depth stays balanced
        self._number, self._time = saved.number, saved.time
        self._version += 1
        del self._times[self._number - self._first_block + 1:]
