"""The lab's view of a protocol file of any rule set: the simulated assets and the pool's close-factor fields.

A ``generic`` protocol lists its assets under ``assets:``. A preset states them its own way, and the lab reads
only what its liquidation rule needs (``sim.liquidation_rules``):

* ``aave-v3``: each simulated asset is a reserve of ``aave_v3.reserves`` (decimals, price, LTV, liquidation
  threshold, bonus, protocol fee, reserve factor); the pool's close-factor fields are Aave's constants (50 % above
  HF 0.95). eMode categories, isolation mode, caps and Aave's interest are not read (docs/presets.md).
* ``morpho-blue``: the book's debt asset is the loan token, priced at 1 USD (the lab's USD is the loan token:
  every USD figure of the run is in loan tokens); each other simulated asset is the collateral token of the one
  market of ``morpho.markets`` lending the debt asset against it, with LTV = liquidation threshold = the market's
  LLTV and the starting price the market's oracle price. The stated bonus is LIF − 1 rounded down to a bps, for
  display: the rule computes the LIF from the LLTV. No close factor (100 %), no reserves, no protocol fee.
"""

from __future__ import annotations

import math

from protocol_model.scenario.base import ScenarioError
from protocol_model.scenario.params import AssetSpec, PoolSpec
from protocol_model.scenario.protocol import ProtocolFile
from protocol_model.sim.liquidation_rules import RULES

BPS = 10_000
NOT_COLLATERAL = 0
"""A Morpho market's loan token is no collateral in the lab: LTV, threshold and bonus 0 (not a risk parameter
of the protocol file; Morpho Blue has no such setting for a loan token)."""


def _pool(rules: str) -> PoolSpec:
    rule = RULES[rules]
    return PoolSpec.model_validate({"close_factor": rule.close_factor_bps, "full_close_hf": rule.full_close_hf_bps,
                                    "min_leftover_usd": 0})


def _unknown(source: str, name: str, where: str, known: list[str]) -> ScenarioError:
    return ScenarioError(f"{source}: assets: '{name}' is not {where} (known: {known})")


def _aave(protocol: ProtocolFile, names: list[str], source: str) -> list[AssetSpec]:
    assert protocol.aave_v3 is not None
    reserves = protocol.aave_v3.reserves
    out = []
    for n in names:
        if n not in reserves:
            raise _unknown(source, n, f"a reserve of the Aave V3 market {protocol.name}", list(reserves))
        r = reserves[n]
        out.append(AssetSpec.model_validate({
            "name": n, "decimals": r.decimals, "price_usd": r.price_usd, "ltv": r.ltv_bps,
            "liquidation_threshold": r.liquidation_threshold_bps, "liquidation_bonus": r.liquidation_bonus_bps,
            "liquidation_protocol_fee": r.liquidation_protocol_fee_bps, "reserve_factor": r.reserve_factor_bps}))
    return out


def _morpho(protocol: ProtocolFile, names: list[str], data: dict, source: str) -> list[AssetSpec]:
    morpho = protocol.morpho
    assert morpho is not None
    synthetic = (data.get("book") or {}).get("synthetic")
    if not synthetic:
        raise ScenarioError(f"{source}: book: rules morpho-blue needs a synthetic book (its debt_asset names the "
                            f"loan token, hence the markets)")
    loan = synthetic.get("debt_asset")
    if loan not in names:
        raise ScenarioError(f"{source}: book.synthetic.debt_asset: unknown asset '{loan}' (known: {names})")
    out = []
    for n in names:
        if n not in morpho.tokens:
            raise _unknown(source, n, f"a token of the Morpho Blue markets of {protocol.name}", list(morpho.tokens))
        spec = {"name": n, "decimals": morpho.tokens[n].decimals, "liquidation_protocol_fee": 0, "reserve_factor": 0}
        if n == loan:
            out.append(AssetSpec.model_validate({**spec, "price_usd": 1, "ltv": NOT_COLLATERAL,
                                                 "liquidation_threshold": NOT_COLLATERAL,
                                                 "liquidation_bonus": NOT_COLLATERAL, "collateral_enabled": False}))
            continue
        found = [m for m in morpho.markets.values() if m.loan_token == loan and m.collateral_token == n]
        if len(found) != 1:
            raise ScenarioError(f"{source}: assets.{n}: {len(found)} Morpho Blue markets lend {loan} against {n} "
                                f"in {protocol.name}; the lab needs exactly one")
        lltv = found[0].lltv_bps
        lif = RULES["morpho-blue"].incentive(lltv / BPS, 1.0)
        out.append(AssetSpec.model_validate({**spec, "price_usd": found[0].price, "ltv": lltv,
                                             "liquidation_threshold": lltv,
                                             "liquidation_bonus": math.floor((lif - 1.0) * BPS)}))
    return out


def lab_assets(protocol: ProtocolFile, data: dict, source: str) -> tuple[list[AssetSpec], PoolSpec]:
    """The assets a simulation file (``data``: its contents; ``source``: its path) simulates, in its order, and the
    pool's close-factor fields, read from ``protocol`` under its rule set (module docstring). Raises ScenarioError
    naming the file and field for an asset the protocol does not have, a Morpho simulation without a synthetic book
    or without exactly one market for a collateral, or an imported (``book.scenario``) book on a preset."""
    names = list(data["assets"])
    if protocol.rules == "generic":
        return protocol.asset_specs(names, source), protocol.pool
    if (data.get("book") or {}).get("scenario") is not None:
        raise ScenarioError(f"{source}: book.scenario: importing a story's accounts needs rules: generic "
                            f"(the protocol says rules: {protocol.rules}); use a synthetic book")
    if protocol.rules == "aave-v3":
        return _aave(protocol, names, source), _pool("aave-v3")
    return _morpho(protocol, names, data, source), _pool("morpho-blue")
