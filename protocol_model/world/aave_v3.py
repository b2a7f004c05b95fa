"""The Aave V3 twin driven step by step: one action type shared by stories and the fuzzer, applied to the
exact ``Pool`` at a block time (``ok`` or Aave's error code), and the observable snapshot in the order
``contracts/periphery/AaveV3Lens.sol`` reads it from a chain."""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.errors import PoolError
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.presets.aave_v3.params import MarketParams
from protocol_model.exact.presets.aave_v3.pool import Pool
from protocol_model.scenario.aave_v3_story import AaveStep, AaveStory
from protocol_model.scenario.base import to_units

OK = "ok"
MAX = 2**256 - 1
VARIABLE = 2
UNREADABLE = 2**256 - 2
"""What the lens writes in each account-data field when ``getUserAccountData`` reverts, and for a price
``AaveOracle.getAssetPrice`` cannot give (``REVERTED``)."""
TREASURY = "treasury"
"""The treasury's account name in the model (an account on chain)."""

RESERVE_FIELDS = ("liquidityIndex", "currentLiquidityRate", "variableBorrowIndex", "currentVariableBorrowRate",
                  "currentStableBorrowRate", "lastUpdateTimestamp", "accruedToTreasury", "isolationModeTotalDebt",
                  "aToken.scaledTotalSupply", "aToken.totalSupply", "variableDebt.scaledTotalSupply",
                  "variableDebt.totalSupply", "underlying.balanceOf(aToken)", "normalizedIncome", "normalizedDebt",
                  "configuration", "oracle.getAssetPrice")
USER_FIELDS = ("totalCollateralBase", "totalDebtBase", "availableBorrowsBase", "currentLiquidationThreshold",
               "ltv", "healthFactor", "userConfiguration", "userEMode")
POSITION_FIELDS = ("aToken.scaledBalanceOf", "aToken.balanceOf", "variableDebt.scaledBalanceOf",
                   "variableDebt.balanceOf", "underlying.balanceOf")


@dataclass(frozen=True)
class AaveAction:
    """One step: a pool call (``supply``, ``withdraw``, ``borrow``, ``repay``, ``liquidate``, ``collateral``,
    ``emode``) by ``account`` in token units (``MAX`` = ``type(uint256).max``), or ``price`` (a new aggregator
    answer, 8 decimals). ``other`` is the on-behalf account (supply, repay) or the borrower (liquidate);
    ``asset2`` the debt asset of a liquidation; ``flag`` receiveAToken or the collateral switch; ``number``
    the eMode category or the price."""

    op: str
    account: str = ""
    asset: str = ""
    amount: int = 0
    other: str = ""
    asset2: str = ""
    flag: bool = False
    number: int = 0

    def describe(self) -> str:
        """A one-line description for messages."""
        amount = "max" if self.amount == MAX else str(self.amount)
        parts = [self.op, self.account, self.asset, amount if self.op not in ("price", "emode", "collateral") else ""]
        parts += [x for x in (self.other, self.asset2) if x]
        if self.op in ("liquidate", "collateral"):
            parts.append(str(self.flag))
        if self.op in ("emode", "price"):
            parts.append(str(self.number))
        return " ".join(p for p in parts if p)


def new_model(params: MarketParams, balances: dict[str, dict[str, int]]) -> Pool:
    """The twin of a freshly deployed market: every account in ``balances`` holds its tokens (token units)
    and has approved the pool for every asset without limit."""
    ledger = Ledger()
    pool = Pool.listed(params, ledger, TREASURY)
    for account, held in balances.items():
        for r in params.reserves:
            ledger.approve(r.symbol, account, pool.pool_address, MAX)
        for asset, amount in held.items():
            ledger.mint(asset, account, amount)
    return pool


def apply(pool: Pool, action: AaveAction, now: int) -> str:
    """Apply ``action`` at block time ``now``: ``ok`` or the revert's name (Aave's error code, or an ERC20 /
    Panic name). A revert leaves the model as it was."""
    a = action
    try:
        if a.op == "supply":
            pool.supply(a.account, a.asset, a.amount, a.other or a.account, now)
        elif a.op == "withdraw":
            pool.withdraw(a.account, a.asset, a.amount, a.account, now)
        elif a.op == "borrow":
            pool.borrow(a.account, a.asset, a.amount, VARIABLE, now)
        elif a.op == "repay":
            pool.repay(a.account, a.asset, a.amount, VARIABLE, a.other or a.account, now)
        elif a.op == "liquidate":
            pool.liquidation_call(a.account, a.asset, a.asset2, a.other, a.amount, a.flag, now)
        elif a.op == "collateral":
            pool.set_user_use_reserve_as_collateral(a.account, a.asset, a.flag, now)
        elif a.op == "emode":
            pool.set_user_emode(a.account, a.number, now)
        elif a.op == "price":
            pool.set_price(a.asset, a.number)
        else:
            raise ValueError(f"unknown op {a.op!r}")
    except PoolError as err:
        return err.name
    return OK


def aave_snapshot(pool: Pool, now: int, users: list[str]) -> list[int]:
    """Every observable at block time ``now`` in the lens's order: per reserve (listing order) the
    ``RESERVE_FIELDS``, then per user the ``USER_FIELDS`` and per reserve the ``POSITION_FIELDS``."""
    pool.at(now)
    out: list[int] = []
    ledger = pool.ledger
    for asset in pool.reserves_list:
        r = pool.reserves[asset]
        out += [r.liquidity_index, r.current_liquidity_rate, r.variable_borrow_index,
                r.current_variable_borrow_rate, r.current_stable_borrow_rate, r.last_update_timestamp,
                r.accrued_to_treasury, r.isolation_mode_total_debt, r.a_token.total,
                pool.a_token_total_supply(asset), r.variable_debt_token.total, pool.variable_debt_total_supply(asset),
                ledger.balance(asset, r.a_token.address), pool.normalized_income(asset), pool.normalized_debt(asset),
                r.configuration_data(), _oracle_price(pool, asset)]
    for user in users:
        try:
            d = pool.get_user_account_data(user)
            out += [d.total_collateral_base, d.total_debt_base, d.available_borrows_base,
                    d.current_liquidation_threshold, d.ltv, d.health_factor]
        except PoolError:
            out += [UNREADABLE] * 6
        out += [pool.user_configuration(user), pool.users_emode.get(user, 0)]
        for asset in pool.reserves_list:
            r = pool.reserves[asset]
            out += [r.a_token.scaled_balance_of(user), pool.a_token_balance(asset, user),
                    r.variable_debt_token.scaled_balance_of(user), pool.variable_debt_balance(asset, user),
                    ledger.balance(asset, user)]
    return out


def _oracle_price(pool: Pool, asset: str) -> int:
    """``AaveOracle.getAssetPrice`` as the lens reads it (``UNREADABLE`` when it reverts)."""
    try:
        return pool.get_asset_price(asset)
    except PoolError:
        return UNREADABLE


def field_names(assets: list[str], users: list[str]) -> list[str]:
    """The name of each snapshot entry (``WETH.liquidityIndex``, ``alice.healthFactor``, ``alice.WETH.aToken
    .balanceOf``), for mismatch messages."""
    names = [f"{a}.{f}" for a in assets for f in RESERVE_FIELDS]
    for u in users:
        names += [f"{u}.{f}" for f in USER_FIELDS]
        names += [f"{u}.{a}.{f}" for a in assets for f in POSITION_FIELDS]
    return names


STEP_SECONDS = 12
"""Block time between two story steps (a ``warp`` adds its seconds on top)."""


@dataclass(frozen=True)
class StoryStep:
    """A story step in engine units: the action (None for a pure ``warp``), the seconds before it, and the
    outcome the file states."""

    action: AaveAction | None
    seconds: int
    expect: str


def story_steps(story: AaveStory, market: MarketParams) -> list[StoryStep]:
    """The story's steps as actions in token units (``max`` = ``type(uint256).max``), each ``STEP_SECONDS``
    after the previous one plus any ``warp`` seconds before it."""
    decimals = {r.symbol: r.decimals for r in market.reserves}
    out: list[StoryStep] = []
    pending = 0
    for s in story.steps:
        if s.op == "warp":
            pending += s.seconds or 0
            continue

        def amount(asset: str | None, s: AaveStep = s) -> int:
            if s.amount == "max":
                return MAX
            return to_units(s.amount or "0", decimals[asset or ""], f"{s.op} amount")

        acct = s.account or ""
        if s.op == "price":
            action = AaveAction("price", asset=s.asset or "", number=to_units(s.price_usd or 0, 8, "price_usd"))
        elif s.op == "liquidate":
            action = AaveAction("liquidate", acct, s.collateral or "", amount(s.debt), s.borrower or "", s.debt or "",
                                s.receive_a_token)
        elif s.op == "collateral":
            action = AaveAction("collateral", acct, s.asset or "", flag=bool(s.enabled))
        elif s.op == "emode":
            action = AaveAction("emode", acct, number=s.category or 0)
        else:
            action = AaveAction(s.op, acct, s.asset or "", amount(s.asset), s.on_behalf or "")
        out.append(StoryStep(action, pending + STEP_SECONDS, s.expect))
        pending = 0
    return out


def story_balances(story: AaveStory, market: MarketParams) -> dict[str, dict[str, int]]:
    """Each account's starting tokens in token units."""
    decimals = {r.symbol: r.decimals for r in market.reserves}
    return {a.name: {sym: to_units(v, decimals[sym], f"{a.name}.{sym}") for sym, v in a.balances.items()}
            for a in story.accounts}
