"""Deploy a real Aave V3 market (npm ``@aave/core-v3`` 1.19.3 bytecode) on any chain driver: anvil through
ape, or the in-process revm chain.

Order: the logic libraries (SupplyLogic, BorrowLogic, LiquidationLogic, EModeLogic, BridgeLogic, PoolLogic,
FlashLoanLogic linked to BorrowLogic, ConfiguratorLogic); PoolAddressesProvider; ACLManager (the admin is
pool admin); the Pool implementation (libraries linked) put behind the provider's proxy; the PoolConfigurator
the same way; the project's test tokens (``MockERC20``) and aggregators (``LatestAnswerAggregator``);
AaveOracle (base currency USD, 8 decimals); AaveProtocolDataProvider; AToken / StableDebtToken /
VariableDebtToken implementations; one DefaultReserveInterestRateStrategy per reserve; then
``initReserves`` and the risk configuration of each reserve and eMode category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocol_model.chain.aave_v3.artifacts import artifact, linked_bytecode
from protocol_model.chain.inprocess_abi import Artifact, Artifacts
from protocol_model.exact.presets.aave_v3.params import MarketParams, ReserveParams

LOGIC_LIBRARIES = ("SupplyLogic", "BorrowLogic", "LiquidationLogic", "EModeLogic", "BridgeLogic", "PoolLogic")
ZERO = "0x" + "0" * 40
BASE_CURRENCY_UNIT = 10**8
PRICE_DECIMALS = 8
INTEREST_RATE_MODE_VARIABLE = 2


class _Backend:
    """Containers and handles for Aave's hardhat artifacts on the driver's chain (in-process or ape)."""

    def __init__(self, driver: Any):
        self.driver = driver
        self.in_process = isinstance(driver.project, Artifacts)

    def container(self, name: str, libraries: dict[str, str] | None = None) -> Any:
        code, abi = linked_bytecode(name, libraries or {}), artifact(name)["abi"]
        if self.in_process:
            return Artifact(name, tuple(abi), code)
        from ape.contracts import ContractContainer
        from ethpm_types import ContractType

        return ContractContainer(ContractType.model_validate(
            {"contractName": name, "abi": abi, "deploymentBytecode": {"bytecode": "0x" + code}}))

    def deploy(self, name: str, *args: Any, sender: Any, libraries: dict[str, str] | None = None) -> Any:
        return self.driver.deploy(self.container(name, libraries), *args, sender=sender)

    def at(self, name: str, address: str) -> Any:
        abi = artifact(name)["abi"]
        if self.in_process:
            return self.driver.at(Artifact(name, tuple(abi), ""), address)
        return ape_instance(name, address)


def ape_instance(name: str, address: str) -> Any:
    """An ape handle of the Aave contract ``name`` (its ABI from the npm artifacts) at ``address``, on the chain
    ape is connected to. Raises ``KeyError`` for a contract the package does not compile."""
    from ape.contracts import ContractInstance
    from ethpm_types import ContractType

    return ContractInstance(address, ContractType.model_validate({"contractName": name, "abi": artifact(name)["abi"]}))


@dataclass
class AaveMarket:
    """Handles of one deployed market: core contracts, and per reserve symbol its token, aggregator, aToken,
    variable and stable debt tokens and rate strategy. ``treasury`` receives the reserve factor's aTokens."""

    params: MarketParams
    admin: Any
    treasury: str
    provider: Any
    acl: Any
    pool: Any
    configurator: Any
    oracle: Any
    data_provider: Any
    tokens: dict[str, Any] = field(default_factory=dict)
    aggregators: dict[str, Any] = field(default_factory=dict)
    a_tokens: dict[str, Any] = field(default_factory=dict)
    variable_debt: dict[str, Any] = field(default_factory=dict)
    stable_debt: dict[str, Any] = field(default_factory=dict)
    strategies: dict[str, Any] = field(default_factory=dict)


def deploy_market(driver: Any, params: MarketParams, admin: Any, treasury: str) -> AaveMarket:
    """Deploy and configure ``params`` on ``driver``'s chain from ``admin`` (owner, ACL admin, pool admin);
    ``treasury`` is every aToken's treasury. Raises the driver's revert error when a call reverts."""
    b = _Backend(driver)
    libs = {name: b.deploy(name, sender=admin).address for name in LOGIC_LIBRARIES}
    libs["FlashLoanLogic"] = b.deploy("FlashLoanLogic", sender=admin, libraries=libs).address
    libs["ConfiguratorLogic"] = b.deploy("ConfiguratorLogic", sender=admin).address
    provider = b.deploy("PoolAddressesProvider", "protocol_model", admin.address, sender=admin)
    provider.setACLAdmin(admin.address, sender=admin)
    acl = b.deploy("ACLManager", provider.address, sender=admin)
    provider.setACLManager(acl.address, sender=admin)
    acl.addPoolAdmin(admin.address, sender=admin)
    pool_impl = b.deploy("Pool", provider.address, sender=admin, libraries=libs)
    provider.setPoolImpl(pool_impl.address, sender=admin)
    pool = b.at("Pool", driver.view(provider, "getPool"))
    configurator_impl = b.deploy("PoolConfigurator", sender=admin, libraries=libs)
    provider.setPoolConfiguratorImpl(configurator_impl.address, sender=admin)
    configurator = b.at("PoolConfigurator", driver.view(provider, "getPoolConfigurator"))

    tokens, aggregators = {}, {}
    for r in params.reserves:
        tokens[r.symbol] = driver.deploy(driver.project.MockERC20, r.symbol, r.symbol, r.decimals, sender=admin)
        aggregators[r.symbol] = driver.deploy(driver.project.LatestAnswerAggregator, PRICE_DECIMALS, r.price,
                                              f"{r.symbol} / USD", sender=admin)
    assets = [tokens[r.symbol].address for r in params.reserves]
    oracle = b.deploy("AaveOracle", provider.address, assets, [aggregators[r.symbol].address for r in params.reserves],
                      ZERO, ZERO, BASE_CURRENCY_UNIT, sender=admin)
    provider.setPriceOracle(oracle.address, sender=admin)
    data_provider = b.deploy("AaveProtocolDataProvider", provider.address, sender=admin)
    provider.setPoolDataProvider(data_provider.address, sender=admin)
    market = AaveMarket(params, admin, treasury, provider, acl, pool, configurator, oracle, data_provider,
                        tokens, aggregators)
    a_impl = b.deploy("AToken", pool.address, sender=admin)
    s_impl = b.deploy("StableDebtToken", pool.address, sender=admin)
    v_impl = b.deploy("VariableDebtToken", pool.address, sender=admin)
    for r in params.reserves:
        q = r.rates
        strategy = b.deploy("DefaultReserveInterestRateStrategy", provider.address, q.optimal_usage_ratio,
                            q.base_variable_borrow_rate, q.variable_rate_slope1, q.variable_rate_slope2,
                            q.stable_rate_slope1, q.stable_rate_slope2, q.base_stable_rate_offset,
                            q.stable_rate_excess_offset, q.optimal_stable_to_total_debt_ratio, sender=admin)
        market.strategies[r.symbol] = strategy
        s = r.symbol
        configurator.initReserves([(a_impl.address, s_impl.address, v_impl.address, r.decimals, strategy.address,
                                    tokens[s].address, treasury, ZERO, f"Aave {s}", f"a{s}",
                                    f"Aave variable debt {s}", f"variableDebt{s}", f"Aave stable debt {s}",
                                    f"stableDebt{s}", b"")], sender=admin)
        data = driver.view(pool, "getReserveData", tokens[s].address)
        market.a_tokens[s] = b.at("AToken", data[8])
        market.stable_debt[s] = b.at("StableDebtToken", data[9])
        market.variable_debt[s] = b.at("VariableDebtToken", data[10])
        _configure(configurator, tokens[s].address, r, admin)
    for e in params.emodes:
        source = aggregators_source(market, e.price_source)
        configurator.setEModeCategory(e.category_id, e.ltv, e.liquidation_threshold, e.liquidation_bonus, source,
                                      e.label, sender=admin)
    for r in params.reserves:
        if r.emode_category:
            configurator.setAssetEModeCategory(tokens[r.symbol].address, r.emode_category, sender=admin)
    return market


def aggregators_source(market: AaveMarket, symbol: str | None) -> str:
    """The eMode price source of a category: the asset ``symbol`` (AaveOracle prices it by its feed), or the
    zero address for none."""
    return ZERO if symbol is None else market.tokens[symbol].address


def _configure(configurator: Any, asset: str, r: ReserveParams, admin: Any) -> None:
    configurator.configureReserveAsCollateral(asset, r.ltv, r.liquidation_threshold, r.liquidation_bonus,
                                              sender=admin)
    if r.borrowing_enabled:
        configurator.setReserveBorrowing(asset, True, sender=admin)
    configurator.setReserveFactor(asset, r.reserve_factor, sender=admin)
    configurator.setLiquidationProtocolFee(asset, r.liquidation_protocol_fee, sender=admin)
    if r.supply_cap:
        configurator.setSupplyCap(asset, r.supply_cap, sender=admin)
    if r.borrow_cap:
        configurator.setBorrowCap(asset, r.borrow_cap, sender=admin)
    if r.debt_ceiling:
        configurator.setDebtCeiling(asset, r.debt_ceiling, sender=admin)
    if r.borrowable_in_isolation:
        configurator.setBorrowableInIsolation(asset, True, sender=admin)
