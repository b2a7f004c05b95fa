"""Uniswap V2 on the connected chain, deployed from the compiled artifacts of npm ``@uniswap/v2-core``.

The factory and pair bytecode are the package's own (solc 0.5.16), not recompiled: the pair that runs
here is byte for byte the one deployed on mainnet (protocol fee off). Twin: protocol_model/exact/amm/uniswap_v2_pair.py.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, cast

from ape.contracts import ContractContainer, ContractInstance
from ethpm_types import ContractType

from protocol_model.chain.driver import Account, ChainDriver, Contract

ARTIFACTS = Path(__file__).resolve().parents[2] / "node_modules" / "@uniswap" / "v2-core" / "build"


class ArtifactsMissing(FileNotFoundError):
    """The npm package is not installed (run `make setup`)."""


@cache
def contract_type(name: str) -> ContractType:
    """``UniswapV2Factory`` or ``UniswapV2Pair`` as an ape contract type (ABI + deployment bytecode)."""
    path = ARTIFACTS / f"{name}.json"
    if not path.exists():
        raise ArtifactsMissing(f"{path} not found: install the npm packages first (`make setup`)")
    data = json.loads(path.read_text())
    code = data.get("bytecode") or data["evm"]["bytecode"]["object"]
    return ContractType.model_validate({
        "contractName": name,
        "abi": data["abi"],
        "deploymentBytecode": {"bytecode": code if code.startswith("0x") else "0x" + code},
    })


def in_process(driver: ChainDriver) -> bool:
    """True when ``driver`` is the in-process chain: its ``project`` (``inprocess_abi.Artifacts``) already
    holds the Uniswap V2 build, and it makes its own handles (``driver.at``)."""
    from protocol_model.chain.inprocess_abi import Artifacts

    return isinstance(driver.project, Artifacts)


def deploy_factory(driver: ChainDriver, deployer: Account) -> Contract:
    """A fresh UniswapV2Factory; ``deployer`` is its feeToSetter (the protocol fee stays off)."""
    container = driver.project.UniswapV2Factory if in_process(driver) else \
        ContractContainer(contract_type("UniswapV2Factory"))
    return driver.deploy(container, deployer, sender=deployer)


def create_pair(driver: ChainDriver, factory: Contract, token_a: Contract, token_b: Contract,
                sender: Account) -> Contract:
    """Create the (token_a, token_b) pair through the factory and return it."""
    factory.createPair(token_a, token_b, sender=sender)
    address = driver.view(factory, "getPair", token_a.address, token_b.address)
    if in_process(driver):
        return cast(Any, driver).at(driver.project.UniswapV2Pair, address)
    return pair_at(address)


def pair_at(address: str) -> Contract:
    """The UniswapV2Pair at ``address``."""
    return ContractInstance(address, contract_type("UniswapV2Pair"))
