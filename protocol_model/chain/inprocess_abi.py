"""Compiled artifacts and a fast ABI codec for the in-process chain (``inprocess.py``).

``Artifacts`` reads what ``ape compile`` wrote (``.build/__local__.json``: ABI and creation bytecode of every
project contract) plus the Uniswap V2 build of npm ``@uniswap/v2-core`` (the package's own solc 0.5.16
bytecode), with no ape import. ``Function`` encodes a call and decodes its result: calls whose arguments
are static words (addresses, integers, bools, bytes32) or arrays of them, and results made of static words
and ``uint256[]`` arrays (every pool entry point and ``PoolLens.snapshot``) take a hand-written path several
times faster
than ``eth_abi``; everything else goes through ``eth_abi``. Revert data and logs are decoded against the
ABIs of every loaded contract.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from protocol_model.data import ARTIFACTS_DIR

ROOT = Path(__file__).resolve().parents[2]
BUILD_MANIFEST = ARTIFACTS_DIR / "__local__.json"
"""What ``ape compile`` writes: every project contract's ABI and bytecode (a checkout's ``.build/__local__.json``,
or its copy in an installed wheel)."""
UNISWAP_BUILD = ROOT / "node_modules" / "@uniswap" / "v2-core" / "build"
"""The Uniswap V2 factory and pair as npm built them: a checkout's (``make setup``); an installed wheel has none."""
UNISWAP_CONTRACTS = ("UniswapV2Factory", "UniswapV2Pair")

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")
"""``Error(string)``: a ``require(cond, "reason")`` revert (e.g. the Uniswap V2 pair's 'UniswapV2: K')."""
PANIC_SELECTOR = bytes.fromhex("4e487b71")
"""``Panic(uint256)``: an assert, an arithmetic overflow, a division by zero."""

_WORD = 32
_STATIC_WORDS = ("address", "bool", "bytes32")


class ArtifactsMissing(FileNotFoundError):
    """The compiled artifacts are not there (run ``make setup``: it compiles and installs the npm packages)."""


def canonical_type(param: Mapping[str, Any]) -> str:
    """An ABI parameter's canonical type: tuples spelled out as ``(t1,t2)`` (with any array suffix)."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple'):]}"
    return kind


def _is_static_word(kind: str) -> bool:
    return kind in _STATIC_WORDS or (kind.startswith(("uint", "int")) and "[" not in kind)


def _word(kind: str, value: Any) -> bytes:
    """One static argument as its 32-byte word (addresses from strings or anything with ``.address``)."""
    if kind == "address":
        text = value if isinstance(value, str) else str(value.address)
        return bytes(12) + bytes.fromhex(text[2:])
    if kind == "bytes32":
        return bytes(value).rjust(_WORD, b"\0")
    number = int(value)
    if kind == "bool" or kind.startswith("uint"):
        return number.to_bytes(_WORD, "big")
    return number.to_bytes(_WORD, "big", signed=True)


def _is_word_array(kind: str) -> bool:
    """``T[]`` with ``T`` a static word (``address[]``, ``uint256[]`` ...): encoded by the fast path."""
    return kind.endswith("[]") and _is_static_word(kind[:-2])


def _encode_fast(kinds: Sequence[str], args: Sequence[Any]) -> bytes:
    """ABI encoding of static words and dynamic arrays of static words (heads, then each array's length
    and items), as ``eth_abi.encode`` gives it."""
    heads: list[bytes] = []
    tails: list[bytes] = []
    offset = _WORD * len(kinds)
    for kind, arg in zip(kinds, args, strict=True):
        if _is_static_word(kind):
            heads.append(_word(kind, arg))
            continue
        item = kind[:-2]
        tail = len(arg).to_bytes(_WORD, "big") + b"".join(_word(item, v) for v in arg)
        heads.append(offset.to_bytes(_WORD, "big"))
        tails.append(tail)
        offset += len(tail)
    return b"".join(heads) + b"".join(tails)


def _plain(value: Any) -> Any:
    """An argument as eth_abi takes it: contract and account handles become their address."""
    if hasattr(value, "address"):
        return str(value.address)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


@dataclass(frozen=True)
class Function:
    """One ABI function: its selector, how to encode a call and decode the result."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    mutability: str
    selector: bytes = field(init=False)
    fast_inputs: bool = field(init=False)
    fast_outputs: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "selector", keccak(text=f"{self.name}({','.join(self.inputs)})")[:4])
        object.__setattr__(self, "fast_inputs", all(_is_static_word(t) or _is_word_array(t) for t in self.inputs))
        object.__setattr__(self, "fast_outputs",
                           all(_is_static_word(t) or t == "uint256[]" for t in self.outputs))

    @classmethod
    def from_abi(cls, abi: Mapping[str, Any]) -> Function:
        """From one ``{"type": "function", ...}`` ABI entry."""
        return cls(str(abi["name"]), tuple(canonical_type(p) for p in abi.get("inputs", ())),
                   tuple(canonical_type(p) for p in abi.get("outputs", ())),
                   str(abi.get("stateMutability", "nonpayable")))

    @property
    def is_view(self) -> bool:
        """True for ``view`` and ``pure`` functions (read with a call, never sent)."""
        return self.mutability in ("view", "pure")

    def encode(self, args: Sequence[Any]) -> bytes:
        """Calldata: selector + ABI-encoded ``args``. Raises ``TypeError`` on a wrong argument count."""
        if len(args) != len(self.inputs):
            raise TypeError(f"{self.name} takes {len(self.inputs)} arguments, got {len(args)}")
        if self.fast_inputs:
            return self.selector + _encode_fast(self.inputs, args)
        return self.selector + abi_encode(list(self.inputs), [_plain(a) for a in args])

    def decode(self, data: bytes) -> Any:
        """Return data -> one value, or a tuple for several outputs (None for none). Addresses are checksummed."""
        if not self.outputs:
            return None
        if self.fast_outputs:
            values = tuple(_decode_fast(t, data, i * _WORD) for i, t in enumerate(self.outputs))
        else:
            values = tuple(abi_decode(list(self.outputs), data))
        return values[0] if len(values) == 1 else values


def _decode_fast(kind: str, data: bytes, head: int) -> Any:
    word = data[head:head + _WORD]
    if kind == "uint256[]":
        offset = int.from_bytes(word, "big")
        length = int.from_bytes(data[offset:offset + _WORD], "big")
        start = offset + _WORD
        return [int.from_bytes(data[start + k * _WORD:start + (k + 1) * _WORD], "big") for k in range(length)]
    if kind == "address":
        return to_checksum_address(word[12:])
    if kind == "bool":
        return word[-1] == 1
    if kind == "bytes32":
        return bytes(word)
    return int.from_bytes(word, "big", signed=kind.startswith("int"))


@dataclass(frozen=True)
class Event:
    """One ABI event: name, topic0 and which inputs are indexed."""

    name: str
    inputs: tuple[tuple[str, str, bool], ...]
    """(name, canonical type, indexed) per input"""

    @property
    def topic0(self) -> bytes:
        """keccak of the event's signature."""
        return keccak(text=f"{self.name}({','.join(t for _, t, _ in self.inputs)})")

    def decode(self, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        """A log's arguments by name (indexed dynamic values stay as their 32-byte topic hash)."""
        indexed = [(n, t) for n, t, i in self.inputs if i]
        plain = [(n, t) for n, t, i in self.inputs if not i]
        out: dict[str, Any] = {}
        for (name, kind), topic in zip(indexed, topics[1:], strict=True):
            out[name] = abi_decode([kind], topic)[0] if _is_static_word(kind) else topic
        out.update(zip((n for n, _ in plain), abi_decode([t for _, t in plain], data), strict=True))
        return out


@dataclass(frozen=True)
class Artifact:
    """One compiled contract: ABI, creation bytecode (unlinked library placeholders kept) and its functions."""

    name: str
    abi: tuple[Mapping[str, Any], ...]
    bytecode_hex: str
    """Creation code as hex without 0x; may hold ``__$<34 hex>$__`` library placeholders."""
    runtime_hex: str = ""
    """Deployed (runtime) code as hex without 0x, when the build has it (``InProcessChain.set_code``)."""

    @cached_property
    def functions(self) -> dict[str, list[Function]]:
        """Function name -> its overloads."""
        out: dict[str, list[Function]] = {}
        for entry in self.abi:
            if entry.get("type") == "function":
                out.setdefault(str(entry["name"]), []).append(Function.from_abi(entry))
        return out

    @cached_property
    def constructor_inputs(self) -> tuple[str, ...]:
        """The constructor's canonical input types (empty when it has none)."""
        for entry in self.abi:
            if entry.get("type") == "constructor":
                return tuple(canonical_type(p) for p in entry.get("inputs", ()))
        return ()

    @cached_property
    def errors(self) -> dict[bytes, str]:
        """4-byte selector -> custom error name, for every error the ABI declares."""
        return {keccak(text=f"{e['name']}({','.join(canonical_type(p) for p in e.get('inputs', ()))})")[:4]:
                str(e["name"]) for e in self.abi if e.get("type") == "error"}

    @cached_property
    def events(self) -> list[Event]:
        """Every (non-anonymous) event the ABI declares."""
        return [Event(str(e["name"]), tuple((str(p["name"]), canonical_type(p), bool(p.get("indexed")))
                                            for p in e.get("inputs", ())))
                for e in self.abi if e.get("type") == "event" and not e.get("anonymous")]

    def creation_code(self, args: Sequence[Any] = (), libraries: Mapping[str, str] | None = None) -> bytes:
        """Creation bytecode with ``libraries`` (fully qualified name ``path:Name`` -> address) linked and the
        constructor ``args`` appended. Raises ``ValueError`` when a placeholder is left unlinked."""
        code = self.bytecode_hex
        for fqn, address in (libraries or {}).items():
            placeholder = f"__${keccak(text=fqn).hex()[:34]}$__"
            code = code.replace(placeholder, address.lower().removeprefix("0x"))
        if "__$" in code:
            raise ValueError(f"{self.name}: unlinked library placeholder; pass libraries={{'path:Name': address}}")
        types = self.constructor_inputs
        if len(args) != len(types):
            raise TypeError(f"{self.name} constructor takes {len(types)} arguments, got {len(args)}")
        return bytes.fromhex(code) + (abi_encode(list(types), [_plain(a) for a in args]) if types else b"")


class Artifacts:
    """Every compiled contract by name (``artifacts.LendingPool``), plus the revert and event tables built
    from all of them. The in-process twin of ape's ``project`` for deployment and decoding."""

    def __init__(self, artifacts: Iterable[Artifact]):
        self.contracts: dict[str, Artifact] = {a.name: a for a in artifacts}
        self.error_names: dict[bytes, str] = {}
        self.events: dict[bytes, Event] = {}
        for art in self.contracts.values():
            self.error_names.update(art.errors)
            self.events.update((e.topic0, e) for e in art.events)

    @classmethod
    def load(cls, manifest: Path = BUILD_MANIFEST, uniswap: Path | None = UNISWAP_BUILD) -> Artifacts:
        """The project's compiled contracts (and the Uniswap V2 factory and pair when ``uniswap`` is given; the
        default is skipped where there are no npm packages: an installed wheel, which deploys no pairs).
        Raises ``ArtifactsMissing`` when a file is absent."""
        if not manifest.exists():
            raise ArtifactsMissing(f"{manifest} not found: compile first (`make setup` runs `ape compile`)")
        if uniswap == UNISWAP_BUILD and not (ROOT / "node_modules").is_dir():
            uniswap = None
        types = json.loads(manifest.read_text())["contractTypes"]
        found = [Artifact(name, tuple(ct["abi"]), _hex((ct.get("deploymentBytecode") or {}).get("bytecode")),
                          _hex((ct.get("runtimeBytecode") or {}).get("bytecode")))
                 for name, ct in types.items()]
        for path in (uniswap / f"{name}.json" for name in UNISWAP_CONTRACTS) if uniswap is not None else ():
            name = path.stem
            if not path.exists():
                raise ArtifactsMissing(f"{path} not found: install the npm packages first (`make setup`)")
            data = json.loads(path.read_text())
            found.append(Artifact(name, tuple(data["abi"]), _hex(data.get("bytecode")
                                                                 or data["evm"]["bytecode"]["object"])))
        return cls(found)

    def __getattr__(self, name: str) -> Artifact:
        try:
            return self.__dict__["contracts"][name]
        except KeyError:
            where = f" (read from {UNISWAP_BUILD}: a checkout after `make setup`)" if name in UNISWAP_CONTRACTS else ""
            raise AttributeError(f"no compiled contract named {name!r}{where}") from None

    def revert_name(self, data: bytes) -> str:
        """Revert data -> one name: a custom error declared by any loaded contract (by selector), the reason
        of an ``Error(string)``, ``Panic(0x..)``; else ``Revert(0x<data>)`` (same names as the anvil path)."""
        selector = data[:4]
        if selector in self.error_names:
            return self.error_names[selector]
        if selector == ERROR_STRING_SELECTOR:
            return str(abi_decode(["string"], data[4:])[0])
        if selector == PANIC_SELECTOR:
            return f"Panic({hex(abi_decode(['uint256'], data[4:])[0])})"
        return f"Revert(0x{data.hex()})" if data else "EmptyRevert"


def _hex(code: str | None) -> str:
    return (code or "").removeprefix("0x")
