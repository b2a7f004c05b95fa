"""Contract storage read straight from the in-process chain's revm state, placed by the compiler's layout.

``storage_layouts`` asks the project's own solc (the ``.solcx`` facade ``make setup`` installs) for the
``storageLayout`` output of the contracts whose storage is read (analysis only, no code generation) and
keeps the answer in ``.build/storage_layout.json``, keyed by a hash of the compiled manifest so a
recompile refreshes it. ``StorageLayout`` turns a variable (and a struct member, mapping keys) into its slot,
byte offset and size: Solidity's rules (a mapping's value at ``keccak(pad(key) . pad(slot))``, struct
members at ``base + member slot``, small values packed right-aligned from ``offset``).

``WordReads`` is a fixed list of (contract, slot, offset, size) reads done with one ``EVM.storage`` call
per distinct word: the stored half of the full-state comparison (``inprocess_world.InProcessWorld``).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from protocol_model.chain.inprocess_abi import BUILD_MANIFEST, ROOT

LAYOUT_CACHE = BUILD_MANIFEST.with_name("storage_layout.json")
"""Where the layouts are kept between runs (rebuilt when ``.build/__local__.json`` changes); ``make dist`` ships
it in the wheel, where there is no solc to rebuild it."""
LAYOUT_SOURCES = {"LendingPool": "contracts/lending/LendingPool.sol", "MockERC20": "contracts/mocks/MockERC20.sol"}
"""Contract name -> its source (repository-relative): the contracts whose storage the comparison reads."""
OPENZEPPELIN_REMAP = "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"


class StorageLayoutError(RuntimeError):
    """The compiler could not give a storage layout, or a variable/member is not in it."""


@dataclass(frozen=True)
class Word:
    """Where a value sits: 32-byte ``slot``, ``offset`` bytes from the right, ``size`` bytes long; or, with
    ``bit`` set, the single bit ``bit`` places from the right (a 0/1 flag of a bitmap word)."""

    slot: int
    offset: int = 0
    size: int = 32
    bit: int | None = None

    @property
    def packed(self) -> bool:
        """The value is part of its word (a packed member or one bit), not the whole word."""
        return self.size != 32 or self.bit is not None

    def extract(self, word: int) -> int:
        """The value inside the storage ``word`` (the whole word when ``size`` is 32 and no ``bit``)."""
        if self.bit is not None:
            return (word >> self.bit) & 1
        if self.size == 32:
            return word
        return (word >> (8 * self.offset)) & ((1 << (8 * self.size)) - 1)


def mapping_slot(slot: int, key: str | int) -> int:
    """The slot of ``mapping[key]`` for a mapping declared at ``slot``: ``keccak(pad32(key) . pad32(slot))``;
    ``key`` is an address (hex string) or an integer."""
    k = bytes.fromhex(key[2:]).rjust(32, b"\0") if isinstance(key, str) else key.to_bytes(32, "big")
    return int.from_bytes(keccak(k + slot.to_bytes(32, "big")), "big")


class StorageLayout:
    """One contract's storage layout (solc's ``storageLayout`` output: ``storage`` and ``types``)."""

    def __init__(self, name: str, layout: Mapping[str, Any]):
        self.name = name
        self.variables = {v["label"]: v for v in layout.get("storage", ())}
        self.types: Mapping[str, Any] = layout.get("types") or {}

    def variable(self, label: str) -> tuple[Word, str]:
        """(where, type id) of the state variable ``label``. Raises ``StorageLayoutError`` when absent."""
        try:
            v = self.variables[label]
        except KeyError:
            raise StorageLayoutError(f"{self.name} has no storage variable {label!r}") from None
        return Word(int(v["slot"]), int(v["offset"]), int(self.types[v["type"]]["numberOfBytes"])), v["type"]

    def value_type(self, type_id: str) -> str:
        """The value type id of the mapping type ``type_id``."""
        return str(self.types[type_id]["value"])

    def member(self, base_slot: int, struct_type: str, label: str) -> Word:
        """Member ``label`` of the struct of type ``struct_type`` stored from ``base_slot``. Raises
        ``StorageLayoutError`` when the struct has no such member."""
        for m in self.types[struct_type].get("members", ()):
            if m["label"] == label:
                size = int(self.types[m["type"]]["numberOfBytes"])
                return Word(base_slot + int(m["slot"]), int(m["offset"]), size)
        raise StorageLayoutError(f"{self.name}: struct {struct_type} has no member {label!r}")

    def mapped(self, label: str, *keys: str | int) -> tuple[Word, str]:
        """(where, value type id) of ``label[keys[0]][keys[1]]...`` (a value word or a struct's base)."""
        word, type_id = self.variable(label)
        slot = word.slot
        for key in keys:
            slot, type_id = mapping_slot(slot, key), self.value_type(type_id)
        return Word(slot, 0, int(self.types[type_id]["numberOfBytes"]) if type_id in self.types else 32), type_id


def _manifest_key(manifest: Path) -> str:
    return hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.exists() else ""


def _solc() -> str:
    where = os.environ.get("SOLCX_BINARY_PATH") or str(ROOT / ".solcx")
    found = sorted(glob.glob(os.path.join(where, "solc-v*")))
    if not found:
        raise StorageLayoutError(f"no solc in {where}: run `make setup` (toolchain/install_solc.sh)")
    return found[-1]


def compile_layouts(sources: Mapping[str, str] = LAYOUT_SOURCES) -> dict[str, Any]:
    """Contract name -> solc's ``storageLayout`` of it (one standard-JSON run of the project's solc, analysis
    only). Raises ``StorageLayoutError`` when the compiler fails."""
    request = {
        "language": "Solidity",
        "sources": {path: {"content": (ROOT / path).read_text()} for path in sorted(set(sources.values()))},
        "settings": {"remappings": [OPENZEPPELIN_REMAP],
                     "outputSelection": {path: {name: ["storageLayout"]} for name, path in sources.items()}},
    }
    run = subprocess.run([_solc(), "--standard-json", "--base-path", str(ROOT)], input=json.dumps(request),
                         capture_output=True, text=True, check=False, cwd=ROOT)
    try:
        answer = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise StorageLayoutError(f"solc gave no JSON (exit {run.returncode}): {run.stderr[:500]}") from None
    errors = [e["formattedMessage"] for e in answer.get("errors", ()) if e.get("severity") == "error"]
    if errors:
        raise StorageLayoutError("solc: " + "\n".join(errors)[:2000])
    return {name: answer["contracts"][path][name]["storageLayout"] for name, path in sources.items()}


def storage_layouts(manifest: Path = BUILD_MANIFEST, cache: Path = LAYOUT_CACHE) -> dict[str, StorageLayout]:
    """The layouts of ``LAYOUT_SOURCES``' contracts, from ``cache`` when it was made from this ``manifest``,
    else compiled (``compile_layouts``) and cached. Raises ``StorageLayoutError`` as ``compile_layouts``."""
    key = _manifest_key(manifest)
    raw: dict[str, Any] | None = None
    try:
        saved = json.loads(cache.read_text())
        if saved.get("manifest") == key and set(saved.get("layouts", {})) >= set(LAYOUT_SOURCES):
            raw = saved["layouts"]
    except (OSError, ValueError, AttributeError):
        raw = None  # absent, unreadable or from another build: compile again
    if raw is None:
        raw = compile_layouts()
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps({"manifest": key, "layouts": raw}))
        os.replace(partial, cache)  # atomic: a concurrent reader sees the old file or the whole new one
    return {name: StorageLayout(name, layout) for name, layout in raw.items()}


class WordReads:
    """A fixed list of storage reads, in order: each is (contract address, ``Word``). ``read(evm)`` returns
    the values, reading every distinct (address, slot) once through pyrevm's ``EVM.storage``."""

    def __init__(self, reads: Sequence[tuple[str, Word]]):
        self.reads = tuple(reads)
        keys: dict[tuple[str, int], int] = {}
        for address, word in self.reads:
            keys.setdefault((address, word.slot), len(keys))
        self._words = tuple(keys)
        self._index = tuple(keys[(a, w.slot)] for a, w in self.reads)
        self._packed = tuple((k, self._index[k], w) for k, (_, w) in enumerate(self.reads) if w.packed)

    def __len__(self) -> int:
        return len(self.reads)

    def read(self, evm: Any) -> list[int]:
        """Every value of the list (ints), read from ``evm`` (a ``pyrevm.EVM``) now."""
        storage = evm.storage
        words = [int(storage(a, s)) for a, s in self._words]
        out = words if len(words) == len(self.reads) else [words[i] for i in self._index]
        for k, i, w in self._packed:
            out[k] = w.extract(words[i])
        return out
