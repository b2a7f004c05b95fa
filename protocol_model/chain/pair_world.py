"""A bare Uniswap V2 pair on a chain: two mock tokens (18 and 6 decimals), the pair from the real factory (npm
``@uniswap/v2-core`` bytecode) and the swap helper, with funded actors. The AMM differential fuzzer
(tests/crosscheck/test_amm.py) drives it on anvil and on the in-process chain alike; its model twin is
``protocol_model.exact.amm.uniswap_v2_pair.V2Pair`` on a ledger holding the same balances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol_model.chain.driver import Account, ChainDriver, Contract
from protocol_model.chain.uniswap import create_pair, deploy_factory
from protocol_model.exact.math_lib import UINT256_MAX

PAIR_TOKENS = (("WETH", 18), ("USDC", 6))
"""The pair's two tokens: (name, decimals)."""


@dataclass
class PairWorld:
    """The deployed pair, its swap helper and tokens (by name), which token is token0/token1 on chain, the
    actors' signers and the driver every call goes through."""

    pair: Contract
    swapper: Contract
    tokens: dict[str, Contract]
    token0: str
    token1: str
    signers: dict[str, Account]
    driver: ChainDriver

    @classmethod
    def deploy(cls, project: Any, deployer: Account, signers: dict[str, Account], driver: ChainDriver,
               actors: tuple[str, ...], start_balance: int,
               pair_tokens: tuple[tuple[str, int], tuple[str, int]] = PAIR_TOKENS) -> PairWorld:
        """Tokens (``pair_tokens``: two (name, decimals)), factory, pair and swap helper deployed by ``deployer``;
        each of ``actors`` (names in ``signers``) holds ``start_balance`` units of both tokens and approves the
        helper for both tokens and the pair's LP token (UINT256_MAX)."""
        tokens = {name: driver.deploy(project.MockERC20, name, name, decimals, sender=deployer)
                  for name, decimals in pair_tokens}
        (first, _), (second, _) = pair_tokens
        factory = deploy_factory(driver, deployer)
        pair = create_pair(driver, factory, tokens[first], tokens[second], deployer)
        swapper = driver.deploy(project.PairSwapper, sender=deployer)
        for name in actors:
            for token in tokens.values():
                token.mint(signers[name], start_balance, sender=deployer)
                token.approve(swapper, UINT256_MAX, sender=signers[name])
            pair.approve(swapper, UINT256_MAX, sender=signers[name])
        token0 = first if driver.view(pair, "token0") == tokens[first].address else second
        return cls(pair, swapper, tokens, token0, second if token0 == first else first, signers, driver)
