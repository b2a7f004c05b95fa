"""What a report says about the liquidation rule a run applied (``rules:`` of its protocol file): the Method
paragraph's clauses and the simulation report's Parameters rows.

A ``generic`` run reads as it always has (``LendingPool.liquidate``, the pool's close-factor fields, every asset's
LTV / threshold / bonus / protocol fee). A preset run states its protocol's own terms, taken from the rule objects
of ``sim.liquidation_rules`` so text and engine cannot drift apart:

* ``aave-v3``: the close factor as Aave's two-level rule (50 % above HF 0.95, 100 % at or below), no full-close
  line of its own; interest is not modelled (``interest: true`` is refused);
* ``morpho-blue``: no close factor; each collateral's market LLTV and its liquidation incentive factor
  LIF = min(1.15, 1/(0.3·LLTV + 0.7)) computed by the rule (not the display bonus rounded down to a bps); the loan
  token marked as such instead of rows of 0 % LTV / threshold / bonus.

Both presets' Method says that keepers liquidate even at a loss unless the simulation's ``liquidators:`` sets their
economics (the lab accepts ``liquidators:`` for presets; only the on-chain replay refuses it).
"""

from __future__ import annotations

from protocol_model.sim import report_format as fmt
from protocol_model.sim.liquidation_rules import RULES, AaveV3Rule, MorphoBlueRule

BPS = 10_000

LIQUIDATION_TEXT: dict[str, tuple[str, str]] = {
    "generic": ("exactly as LendingPool.liquidate", "bad debt is valued at the oracle price when written off"),
    "aave-v3": ("by Aave V3 1.19.3's rule (close factor 50% while HF > 0.95, 100% at or below; each reserve's "
                "bonus and protocol fee)",
                "bad debt is the debt left without collateral, valued at the oracle price (Aave V3 1.19.3 writes "
                "none off: no reserve or supplier loss)"),
    "morpho-blue": ("by Morpho Blue 1.0.0's rule (the whole position, incentive factor min(1.15, 1/(0.3·LLTV + "
                    "0.7)), by collateral when the collateral falls short)",
                    "bad debt is realised on the suppliers when the collateral reaches 0, valued at the oracle "
                    "price"),
}
"""Per ``rules:`` of the protocol: how keepers liquidate, and what bad debt means (the report's Method)."""

PRESET_NOT_MODELLED = ("Not modelled: accounts with several collaterals or debts (refused for presets), AMM "
                       "pool fees; interest is not modelled for presets (the protocol's own interest "
                       "accrual: interest: true is refused, debts never grow along the paths).")
"""The caveats of a preset run's Method (``report_format.NOT_MODELLED`` is the generic pool's)."""

EVERY_POSITION = "Keepers liquidate every position with a health factor below 1 once per step"
"""The default keepers, as the generic simulation report has always said."""

PRESET_KEEPERS = (f"{EVERY_POSITION}, whether or not it pays (no gas cost, no minimum profit, unlimited capital: "
                  f"they liquidate even at a loss, e.g. into a pool trading far below the oracle price, so the "
                  f"average liquidator profit can be negative; a simulation's liquidators: gas_usd, min_profit_usd "
                  f"and capital_usd set their economics — accepted for presets in the lab, refused only for the "
                  f"on-chain replay)")
"""The default keepers of a preset run (no ``liquidators:`` economics), with why liquidator profit may be < 0."""


def not_modelled(rules: str) -> str:
    """The Method's caveats for a run under ``rules`` (``generic``, ``aave-v3`` or ``morpho-blue``)."""
    return fmt.NOT_MODELLED if rules == "generic" else PRESET_NOT_MODELLED


def keepers(rules: str, economics: str | None) -> str:
    """The Method's keeper clause: ``economics`` (``report_format.keeper_text`` of keepers with ``liquidators:``
    economics) when given, else the default keepers, which for a preset say they liquidate even at a loss."""
    if economics:
        return economics
    return EVERY_POSITION if rules == "generic" else PRESET_KEEPERS


def param_rows(params: dict, rules: str) -> list[list[str]]:
    """The simulation report's Parameters rows (asset, parameter, value) from summary.json's ``parameters``
    (``close_factor_bps``, ``full_close_hf_bps``, ``assets``: dicts of ``config.AssetRisk`` fields) under
    ``rules``. Raises KeyError for an unknown rule set."""
    if rules == "aave-v3":
        return [["pool", "close factor", aave_close_factor(RULES["aave-v3"])], *_asset_rows(params)]
    if rules == "morpho-blue":
        return morpho_rows(params, RULES["morpho-blue"])
    if rules != "generic":
        raise KeyError(f"rules: unknown rule set '{rules}'")
    return [["pool", "close factor", fmt.parameter("close_factor_bps", params["close_factor_bps"])],
            ["pool", "full-close health factor", fmt.parameter("full_close_hf_bps", params["full_close_hf_bps"])],
            *_asset_rows(params)]


def _asset_rows(params: dict) -> list[list[str]]:
    return [[a["name"], fmt.parameter_label(k), fmt.parameter(k, a[k])] for a in params["assets"]
            for k in ("ltv_bps", "liquidation_threshold_bps", "liquidation_bonus_bps", "liquidation_protocol_fee_bps")]


def aave_close_factor(rule) -> str:
    """Aave V3's close factor in words, from ``rule`` (an ``AaveV3Rule``): '50% above HF 0.95, 100% at or below'."""
    assert isinstance(rule, AaveV3Rule)
    return f"{rule.default_close_factor:.0%} above HF {rule.close_factor_hf_threshold:g}, 100% at or below"


def lif_text(rule, lltv_bps: int) -> str:
    """A Morpho market's liquidation incentive factor from ``rule`` (a ``MorphoBlueRule``) at LLTV ``lltv_bps``:
    '1.043841 (bonus 4.38%)' — six decimals of the factor and the bonus to 2 decimals of a percent."""
    assert isinstance(rule, MorphoBlueRule)
    lif = rule.incentive(lltv_bps / BPS, 1.0)
    return f"{lif:.6f} (bonus {(lif - 1.0) * 100:.2f}%)"


def morpho_rows(params: dict, rule) -> list[list[str]]:
    """Morpho Blue's Parameters rows: no close factor; per collateral its market's LLTV and the rule's LIF; the
    loan token (the asset the lab lists with threshold 0, ``preset_assets.NOT_COLLATERAL``) marked as such."""
    rows = [["pool", "close factor", "no close factor (a liquidator may repay the whole debt)"]]
    for a in params["assets"]:
        lltv = a["liquidation_threshold_bps"]
        if not lltv:
            rows.append([a["name"], "role", "loan token (not collateral)"])
            continue
        rows += [[a["name"], "LLTV", fmt.parameter("liquidation_threshold_bps", lltv)],
                 [a["name"], "liquidation incentive factor (LIF)", lif_text(rule, lltv)]]
    return rows
