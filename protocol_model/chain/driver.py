"""One chain driver: deploy, send a call at block time T (revert name or success), mine, read, snapshot.

Every chain-side world (lending pool, AMM and loops, oracle feeds, leveraged tokens, perps) drives the
chain through a ``ChainDriver`` and nothing else decides outcomes or mines blocks:

* ``send(call, at_time)`` first decides the outcome with a call at block time ``at_time``; a revert is
  returned as the contract's custom error name (or the ``Error(string)`` reason) and leaves no block
  and no state behind, exactly as a reverted transaction leaves no state; a passing call is then mined
  in a block whose time is exactly ``at_time``, and the mined time is asserted.
* ``mine(at_time)`` mines an empty block at ``at_time`` (views that depend on time read at it).
* ``view`` reads, ``snapshot``/``restore`` save and put back the whole chain, ``now`` is the head's time.

Three implementations: ``ApeDriver`` (any ape provider, e.g. the in-process ``ethereum:local:test``: a call
at the pending block whose time is set to ``at_time``, then the transaction), ``AnvilApeDriver`` (anvil: the
outcome decided by a raw ``eth_call`` at ``at_time``, every state-changing call sent as an ape transaction)
and ``AnvilDriver`` (anvil, raw JSON-RPC only: ``eth_call`` with a block-time override, then
``evm_setNextBlockTimestamp`` + ``eth_sendTransaction``; several times faster than ape's transaction path,
but ape's gas report, traces and coverage never see its calls). ``connect(project)`` picks one: ape's
transaction path by default (stories, scripts, the console command and the pytest plugin), the raw path
only when asked for with ``via_ape=False`` (the differential fuzzers).
Contract handles are anything satisfying ``Contract`` (ape's ``ContractInstance`` does); an in-process
backend provides its own handles and a ``ChainDriver`` over them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from eth_abi import decode as abi_decode
from eth_abi.grammar import parse
from eth_utils import keccak, to_checksum_address

GAS_LIMIT = 20_000_000
"""Gas limit of every transaction the raw path sends (no estimate round-trip): a 20-round iterative loop
and a leveraged token's rebalance stay well below it, and it is below anvil's 30M block gas limit."""

ERROR_STRING_SELECTOR = "08c379a0"
"""``Error(string)``: a ``require(cond, "reason")`` revert (e.g. the Uniswap V2 pair's 'UniswapV2: K')."""
PANIC_SELECTOR = "4e487b71"
"""``Panic(uint256)``: an assert, an arithmetic overflow, a division by zero."""


class Contract(Protocol):
    """A deployed contract handle: its address, and each ABI function as an attribute.

    A function called with ``sender=account`` sends a transaction (mined at once); called without it, it
    reads. ``fn.encode_input(*args)`` gives the calldata and ``fn.abis[0].outputs`` the output types (used
    by the raw path). ape's ``ContractInstance`` satisfies this protocol.
    """

    @property
    def address(self) -> Any:
        """The contract's checksum address (a ``str``)."""

    def __getattr__(self, name: str) -> Any:
        """ABI function ``name`` (a callable handler)."""


class Account(Protocol):
    """A sending account (ape's test accounts and impersonated accounts satisfy it)."""

    @property
    def address(self) -> Any:
        """The account's checksum address (a ``str``)."""

    def deploy(self, contract: Any, *args: Any, **kwargs: Any) -> Any:
        """Deploy ``contract`` (an ape ``ContractContainer``) with constructor ``args``; the new instance."""


@dataclass(frozen=True)
class Call:
    """One contract call to send: ``contract.method(*args)`` from ``sender``."""

    contract: Contract
    method: str
    args: tuple
    sender: Account

    def describe(self) -> str:
        """``method(args...)`` for error messages."""
        return f"{self.method}{self.args}"


@dataclass(frozen=True)
class Outcome:
    """What a sent call did: ``revert`` is None when it was mined, else the revert's name."""

    revert: str | None = None

    @property
    def ok(self) -> bool:
        """True when the call passed and was mined."""
        return self.revert is None

    @property
    def name(self) -> str:
        """'ok' or the revert's name: what the model's ``apply`` returns for the same step."""
        return "ok" if self.revert is None else self.revert


OK = Outcome()


class ChainCallFailed(RuntimeError):
    """A call whose outcome was decided 'ok' could not be mined as decided (sending failed, the mined
    transaction reverted, or the block's time is not the one asked for)."""


class ChainDriver(Protocol):
    """The interface every chain-side world drives; see the module docstring for the contract."""

    project: Any
    """The ape project (compiled contract types: ``project.LendingPool`` ...; its ABIs name the errors)."""

    def deploy(self, container: Any, *args: Any, sender: Account, at_time: int | None = None) -> Any:
        """Deploy ``container`` (e.g. ``project.LendingPool``) with constructor ``args``, mined in the next
        block (at time ``at_time`` when given); returns its handle (a ``Contract``). Raises on a reverting
        constructor."""

    def send(self, call: Call, at_time: int) -> Outcome:
        """Decide ``call``'s outcome at block time ``at_time`` (seconds); mine it at exactly ``at_time``
        when it passes. A revert leaves no state and no block. Raises ``ChainCallFailed`` when a passing
        call cannot be mined as decided. ``at_time`` must be later than the head block's time."""

    def mine(self, at_time: int) -> None:
        """Mine an empty block at time ``at_time`` (seconds, later than the head's)."""

    def view(self, contract: Contract, method: str, *args: Any) -> Any:
        """Read ``contract.method(*args)`` at the head block: one value, or a tuple for several outputs.
        Raises ``ChainCallFailed`` when the read reverts."""

    def snapshot(self) -> Any:
        """Save the whole chain; an id for ``restore``."""

    def restore(self, snapshot_id: Any) -> None:
        """Put the chain back to ``snapshot_id`` (anvil consumes the id: take a new one to restore again)."""

    def now(self) -> int:
        """The head block's time (seconds)."""

    def block_time(self, block_number: int) -> int:
        """The time (seconds) of block ``block_number``."""


# ---------------------------------------------------------------------------------------------- revert names


EMPTY_REVERT = "EmptyRevert"
"""The name of a revert with no data (a bare ``revert()``, or an ``assert``/division by zero in a pre-0.8
contract such as the Uniswap V2 pair, compiled with solc 0.5.16): the same on every provider."""


class RevertNames:
    """Revert data -> one name: a custom error declared by any contract of the project (by selector), the
    reason of an ``Error(string)``, ``Panic(0x..)``; else ``Revert(<message or data>)``."""

    def __init__(self, project: Any):
        self.selectors: dict[str, str] = error_selectors(project)

    def from_data(self, data: Any, message: str = "") -> str:
        """Name of the revert whose return data is ``data`` (hex, or a node's ``{"data": hex}``)."""
        if isinstance(data, dict):
            data = data.get("data", "")
        hexdata = str(data or "").lower().removeprefix("0x")
        if not hexdata and message in ("", "execution reverted"):
            return EMPTY_REVERT
        selector = hexdata[:8]
        if selector == ERROR_STRING_SELECTOR:
            return str(abi_decode(["string"], bytes.fromhex(hexdata[8:]))[0])
        if selector == PANIC_SELECTOR:
            return f"Panic({hex(abi_decode(['uint256'], bytes.fromhex(hexdata[8:]))[0])})"
        if selector in self.selectors:
            return self.selectors[selector]
        return f"Revert({message or data})"

    def from_ape(self, err: Any) -> str:
        """Name of an ape ``ContractLogicError``: the class ape decoded the custom error into; else the
        selector named in its message, or its message when that is the raw revert data; else its revert
        string (an ``Error(string)`` reason, as ``from_data`` gives it)."""
        name = type(err).__name__
        if name not in ("ContractLogicError", "VirtualMachineError"):
            return name
        message = str(getattr(err, "message", "") or "")
        match = re.search(r"custom error 0x([0-9a-fA-F]{8})", message)
        if match:
            return self.selectors.get(match.group(1).lower(), f"Revert({message})")
        if re.fullmatch(r"0x([0-9a-fA-F]{2})+", message):
            return self.from_data(message)
        if message[:2] in ("b'", 'b"'):  # the in-process provider's revert data as a bytes literal
            data = _bytes_literal(message)
            if data is not None:
                return self.from_data(data.hex(), message)
        return message or f"Revert({err!r})"


def _bytes_literal(text: str) -> bytes | None:
    """``b'...'`` / ``b"..."`` (a bytes repr) -> the bytes; None when ``text`` is not one."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, bytes) else None


def error_selectors(project: Any) -> dict[str, str]:
    """4-byte selector (hex, no 0x) -> custom error name, over every error the project's contracts declare
    (a ``RevertNames`` keeps its own copy: no module-level cache)."""
    return {keccak(text=abi.selector)[:4].hex(): abi.name for ct in project.contracts.values() for abi in ct.errors}


# ---------------------------------------------------------------------------------------------- implementations


class ApeDriver:
    """Any ape provider: the outcome is a call at the pending block (its time set to ``at_time``); a passing
    call is then sent through ape (gas estimated) and must be mined at ``at_time``."""

    sends_via_ape = True
    """Whether state-changing calls are ape transactions (ape's gas report, traces, coverage and session history
    see them); False only on the fuzzers' raw JSON-RPC path (``AnvilDriver``)."""

    def __init__(self, project: Any):
        from ape import chain

        self.project = project
        self.chain = chain
        self.revert_names = RevertNames(project)

    def deploy(self, container: Any, *args: Any, sender: Account, at_time: int | None = None) -> Any:
        """See ``ChainDriver.deploy``."""
        if at_time is not None:
            self.chain.pending_timestamp = at_time
        return sender.deploy(container, *args)

    def send(self, call: Call, at_time: int) -> Outcome:
        """See ``ChainDriver.send``."""
        from ape.exceptions import ContractLogicError

        handler = getattr(call.contract, call.method)
        self.chain.pending_timestamp = at_time
        try:
            handler.call(*call.args, sender=call.sender, block_id="pending")
        except ContractLogicError as err:
            return Outcome(self.revert_names.from_ape(err))
        return self._send_via_ape(call, at_time)

    def _send_via_ape(self, call: Call, at_time: int) -> Outcome:
        """Send a call already known to pass as an ape transaction mined at ``at_time`` (ape's gas report,
        traces and coverage see it); raises ``ChainCallFailed`` if it is mined at another time."""
        self._set_pending_time(at_time)
        receipt = getattr(call.contract, call.method)(*call.args, sender=call.sender, **self._gas())
        mined_at = self.block_time(receipt.block_number)
        if mined_at != at_time:
            raise ChainCallFailed(f"{call.describe()}: mined at t={mined_at}, asked for t={at_time}")
        return OK

    def _set_pending_time(self, at_time: int) -> None:
        """The next block's time is ``at_time`` (ape's provider sets it)."""
        self.chain.pending_timestamp = at_time

    def _gas(self) -> dict[str, int]:
        """Extra transaction arguments: none (ape estimates the gas)."""
        return {}

    def mine(self, at_time: int) -> None:
        """See ``ChainDriver.mine``."""
        self.chain.pending_timestamp = at_time
        self.chain.mine(1)

    def view(self, contract: Contract, method: str, *args: Any) -> Any:
        """See ``ChainDriver.view``."""
        from ape.exceptions import ContractLogicError

        try:
            return getattr(contract, method)(*args)
        except ContractLogicError as err:
            raise ChainCallFailed(f"{method}{args}: {self.revert_names.from_ape(err)}") from err

    def snapshot(self) -> Any:
        """See ``ChainDriver.snapshot``."""
        return self.chain.snapshot()

    def restore(self, snapshot_id: Any) -> None:
        """See ``ChainDriver.restore``."""
        self.chain.restore(snapshot_id)

    def now(self) -> int:
        """See ``ChainDriver.now``."""
        return int(self.chain.blocks.head.timestamp)

    def block_time(self, block_number: int) -> int:
        """See ``ChainDriver.block_time``."""
        return int(self.chain.blocks[block_number].timestamp)


class AnvilDriver(ApeDriver):
    """anvil under any ape provider (``foundry``, or ``node`` on a fork network): calls, mining and views go
    through raw JSON-RPC; deployment, snapshots and block reads are ape's."""

    sends_via_ape = False

    def _rpc(self, method: str, params: list) -> dict:
        return self.chain.provider.web3.provider.make_request(method, params)

    def _tx(self, call: Call) -> dict:
        data = getattr(call.contract, call.method).encode_input(*call.args)
        return {"from": call.sender.address, "to": call.contract.address, "data": "0x" + bytes(data).hex(),
                "gas": hex(GAS_LIMIT)}

    def send(self, call: Call, at_time: int) -> Outcome:
        """See ``ChainDriver.send``: ``eth_call`` with the block time overridden to ``at_time`` decides; a
        passing call is sent with the next block's time set to ``at_time``."""
        tx = self._tx(call)
        reverted = self._decide(tx, at_time)
        if reverted is not None:
            return reverted
        self._rpc("evm_setNextBlockTimestamp", [at_time])
        sent = self._rpc("eth_sendTransaction", [tx])
        if "error" in sent:
            raise ChainCallFailed(f"{call.describe()}: eth_call passed but sending failed: {sent['error']}")
        receipt = self._rpc("eth_getTransactionReceipt", [sent["result"]]).get("result")
        if receipt is None:  # not mined at once (automine off): wait for it
            receipt = dict(self.chain.provider.web3.eth.wait_for_transaction_receipt(
                sent["result"], timeout=30, poll_latency=0.01))
        if int(str(receipt["status"]), 0) != 1:
            raise ChainCallFailed(f"{call.describe()}: eth_call passed at t={at_time} but the mined call reverted")
        mined_at = self._block_time_raw(receipt["blockNumber"])
        if mined_at != at_time:
            raise ChainCallFailed(f"{call.describe()}: mined at t={mined_at}, asked for t={at_time}")
        return OK

    def _decide(self, tx: dict, at_time: int) -> Outcome | None:
        """``eth_call`` of ``tx`` with the block time overridden to ``at_time``: the revert's ``Outcome``, or
        None when the call passes."""
        res = self._rpc("eth_call", [tx, "latest", {}, {"time": hex(at_time)}])
        if "error" in res:
            return Outcome(self.revert_names.from_data(res["error"].get("data"), res["error"].get("message", "")))
        return None

    def _block_time_raw(self, block_number: Any) -> int:
        number = block_number if isinstance(block_number, str) else hex(block_number)
        return int(self._rpc("eth_getBlockByNumber", [number, False])["result"]["timestamp"], 16)

    def mine(self, at_time: int) -> None:
        """See ``ChainDriver.mine`` (``evm_mine`` with the block's time)."""
        self._rpc("evm_mine", [at_time])

    def view(self, contract: Contract, method: str, *args: Any) -> Any:
        """See ``ChainDriver.view``: a raw ``eth_call`` (ape's call path costs milliseconds more a read);
        values are ABI-decoded (addresses as checksum strings, structs as tuples)."""
        handler = getattr(contract, method)
        data = "0x" + bytes(handler.encode_input(*args)).hex()
        res = self._rpc("eth_call", [{"to": contract.address, "data": data}, "latest"])
        if "error" in res:
            err = res["error"]
            raise ChainCallFailed(f"{method}{args}: {self.revert_names.from_data(err.get('data'), str(err))}")
        types = [o.canonical_type for o in handler.abis[0].outputs]
        out = [_checksummed(parse_abi_type(t), v)
               for t, v in zip(types, abi_decode(types, bytes.fromhex(res["result"][2:])), strict=True)]
        return out[0] if len(out) == 1 else tuple(out)


class AnvilApeDriver(AnvilDriver):
    """anvil, with every state-changing call sent as an ape transaction (``contract.method(*args, sender=...)``)
    so ``ape test --gas``, traces and coverage see supply/borrow/repay/liquidate. The outcome is still decided
    by ``eth_call`` at ``at_time`` (ape's pending-block call does not report reverts under ``--gas``); mining,
    views and snapshots are ``AnvilDriver``'s."""

    sends_via_ape = True

    def send(self, call: Call, at_time: int) -> Outcome:
        """See ``ChainDriver.send``."""
        return self._decide(self._tx(call), at_time) or self._send_via_ape(call, at_time)

    def _set_pending_time(self, at_time: int) -> None:
        """The next block's time is ``at_time``: through ape's provider, or, where the provider cannot set it
        (ape's ``node`` provider on a fork network), anvil's ``evm_setNextBlockTimestamp``."""
        from ape.exceptions import APINotImplementedError

        try:
            super()._set_pending_time(at_time)
        except APINotImplementedError:
            self._rpc("evm_setNextBlockTimestamp", [at_time])

    def _gas(self) -> dict[str, int]:
        """The driver's one gas limit, as the raw path sends: the outcome is decided by ``eth_call`` at the
        step's time, and ape's own estimate (at the pending block, whose time may differ) could fall short."""
        return {"gas": GAS_LIMIT}


parse_abi_type = cache(parse)
"""ABI type string -> its parsed grammar node (cached: the same few types are read on every step)."""


def _checksummed(abi_type: Any, value: Any) -> Any:
    """A decoded ABI value with every address as a checksum string (as ape and web3 give them)."""
    if abi_type.is_array:
        return tuple(_checksummed(abi_type.item_type, v) for v in value)
    if getattr(abi_type, "components", None) is not None:
        return tuple(_checksummed(c, v) for c, v in zip(abi_type.components, value, strict=True))
    return to_checksum_address(value) if abi_type.base == "address" else value


def is_anvil() -> bool:
    """True when the connected node is anvil under any ape provider (e.g. ``node`` on a fork network): the one
    test of which driver to use."""
    from ape import chain

    try:
        return str(chain.provider.web3.client_version).lower().startswith("anvil")
    except Exception:  # noqa: BLE001 - a provider without web3 (in-process EVM) is not anvil
        return False


def connect(project: Any, via_ape: bool = True) -> ChainDriver:
    """The driver for the connected ape network. By default every state-changing call is an ape transaction
    (so ``ape test --gas``, traces and coverage see supply/borrow/repay/withdraw/liquidate): ``AnvilApeDriver``
    on anvil, ``ApeDriver`` on any other provider. ``via_ape=False`` is the fuzzers' fast path: ``AnvilDriver``
    (raw JSON-RPC, invisible to ape's tools) on anvil; on other providers it changes nothing."""
    if not is_anvil():
        return ApeDriver(project)
    return AnvilApeDriver(project) if via_ape else AnvilDriver(project)


@contextmanager
def restoring(driver: ChainDriver) -> Iterator[None]:
    """Run the body, then put the chain back as it was before (whatever the body did or raised)."""
    snapshot_id = driver.snapshot()
    try:
        yield
    finally:
        driver.restore(snapshot_id)
