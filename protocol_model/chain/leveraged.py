"""Leveraged tokens on the connected chain and in the exact model, driven by one list of operations.

``LevWorld.deploy`` builds the lending pool (``ChainWorld`` / ``ModelWorld`` from a scenario), a Uniswap V2
pair from the npm artifacts (``chain.uniswap``) seeded with liquidity, and one ``LeveragedToken`` per
entry of ``vault_params``; the model mirrors each with ``V2Pair`` and ``leveraged_token.LeveragedToken``
on the pool model's ledger. ``step`` runs one ``LevOp`` on both at the same block time and returns both
outcomes; ``observe_*`` read every field the two can be compared on.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from protocol_model.chain.adapter import ChainWorld
from protocol_model.chain.driver import Account, Call, ChainDriver, Contract
from protocol_model.chain.steps import StepHandler, StepRegistry
from protocol_model.chain.uniswap import create_pair, deploy_factory
from protocol_model.exact.amm.uniswap_v2_pair import SWAPPER, V2Pair
from protocol_model.exact.errors import PoolError
from protocol_model.exact.math_lib import UINT256_MAX, WAD
from protocol_model.exact.strategies.leveraged_token import LeveragedToken, LeveragedTokenParams
from protocol_model.scenario.story import Scenario, parse_scenario
from protocol_model.world.leveraged_world import (
    ACTORS,
    ARB,
    COLL,
    DEBT,
    DEFAULT_VAULTS,
    DEPOSITORS,
    LENDER,
    LENDER_SUPPLY,
    PAIR_LIQUIDITY,
    SCENARIO,
    TREASURY,
    arbitrage_trade,
)
from protocol_model.world.model_world import Action, ModelWorld


@dataclass(frozen=True)
class LevOp:
    """One operation. ``price``: new WETH answer (8 decimals), then ``erin`` arbitrages the pair to it.
    ``min_assets`` is the minimum out (assets of a redemption, shares of a deposit: ``depositWithMin``);
    ``deadline`` 0 means none. ``supply_for``: ``account`` supplies ``amount`` WETH to the pool on behalf of
    the vault; ``send``: ``account`` transfers ``amount`` WETH straight to the vault. ``to``: the receiver of a
    ``deposit``'s shares (default ``account``), the recipient of a share ``transfer``, the spender of a share
    ``approve`` (``amount`` shares)."""

    kind: str
    vault: str = ""
    account: str = ""
    amount: int = 0
    answer: int = 0
    seconds: int = 0
    min_assets: int = 0
    token_in: str = ""
    deadline: int = 0
    to: str = ""

    def describe(self) -> str:
        """``kind(field=value, ...)`` of the fields that are set."""
        fields = {k: v for k, v in self.__dict__.items() if v not in ("", 0) and k != "kind"}
        return f"{self.kind}({', '.join(f'{k}={v}' for k, v in fields.items())})"


@dataclass
class LevWorld:
    """The pool (``ChainWorld`` / ``ModelWorld``), the pair and the vaults on chain (``*_c``) and in the model
    (``*_m``), stepped together at block time ``now``; ``LEVERAGED_STEPS`` says what each op does on each."""

    cw: ChainWorld
    mw: ModelWorld
    pair_c: Contract
    swapper_c: Contract
    pair_m: V2Pair
    vaults_c: dict[str, Contract] = field(default_factory=dict)
    vaults_m: dict[str, LeveragedToken] = field(default_factory=dict)
    now: int = 0

    @classmethod
    def deploy(cls, project: Any, deployer: Account, signers: dict[str, Account],
               vault_params: dict[str, LeveragedTokenParams] | None = None,
               scenario: Scenario | None = None, driver: ChainDriver | None = None) -> LevWorld:
        """The pool from ``scenario`` (default: the leveraged-token scenario), a pair seeded by the arbitrageur,
        the lender's supply and one vault per ``vault_params`` entry (default: 2x and 3x); everything sent
        through ``driver`` (default: ``connect(project)``, as ``ChainWorld.deploy``)."""
        scenario = scenario or parse_scenario(SCENARIO, "leveraged-tokens")
        cw = ChainWorld.deploy(scenario, project, deployer, signers, driver)
        drv = cw.driver
        mw = ModelWorld(scenario, cw.listed_at)
        factory = deploy_factory(drv, deployer)
        pair_c = create_pair(drv, factory, cw.tokens[COLL], cw.tokens[DEBT], deployer)
        swapper_c = drv.deploy(project.PairSwapper, sender=deployer)
        token0 = COLL if drv.view(pair_c, "token0") == cw.tokens[COLL].address else DEBT
        pair_m = V2Pair("pair", token0, DEBT if token0 == COLL else COLL, mw.pool.ledger)
        w = cls(cw, mw, pair_c, swapper_c, pair_m, now=drv.now())
        arb = signers[ARB]
        for name in (COLL, DEBT):
            cw.tokens[name].approve(swapper_c, UINT256_MAX, sender=arb)
            mw.pool.ledger.approve(name, ARB, SWAPPER, UINT256_MAX)
        w.now = max(w.now, drv.now()) + 1
        a0, a1 = PAIR_LIQUIDITY[token0], PAIR_LIQUIDITY[pair_m.token1]
        seeded = w._run(StepHandler(lambda lw, op: Call(swapper_c, "addLiquidity", (pair_c.address, a0, a1,
                                                                                     arb.address), arb),
                                    lambda lw, op, now: _model(pair_m.add_liquidity, ARB, a0, a1, ARB, now)),
                        LevOp("add_liquidity"))
        assert seeded == ("ok", "ok"), seeded
        w.now += 1
        supply = Action("supply", LENDER, DEBT, LENDER_SUPPLY, LENDER)
        assert (mw.apply(supply, w.now), cw.apply(supply, w.now)) == ("ok", "ok")
        for name, params in (vault_params or DEFAULT_VAULTS).items():
            w.add_vault(project, deployer, name, params)
        return w

    def add_vault(self, project: Any, deployer: Account, name: str, params: LeveragedTokenParams) -> None:
        """Deploy vault ``name`` (and its model twin at the same deployment time); depositors approve it."""
        cw, drv = self.cw, self.cw.driver
        self.now = max(self.now, drv.now()) + 1
        vault = drv.deploy(project.LeveragedToken, f"WETH {name}", name.upper(), cw.tokens[COLL], cw.tokens[DEBT],
                           cw.pool, self.pair_c, params.as_tuple(), deployer, cw.signers[TREASURY],
                           sender=deployer, at_time=self.now)
        deployed_at = drv.now()
        self.now = max(self.now, deployed_at)
        self.vaults_c[name] = vault
        self.vaults_m[name] = LeveragedToken(name, COLL, DEBT, self.mw.pool, self.pair_m, params, TREASURY,
                                             deployed_at)
        for who in DEPOSITORS:
            cw.tokens[COLL].approve(vault, UINT256_MAX, sender=cw.signers[who])
            self.mw.pool.ledger.approve(COLL, who, name, UINT256_MAX)
        self.now = max(self.now, drv.now())

    # ------------------------------------------------------------------ driving

    def step(self, op: LevOp) -> tuple[str, str]:
        """Run ``op`` at the next second (after ``seconds`` for a warp) on both; (model, chain) outcomes. A
        ``price`` that passes on both is followed by the arbitrage swap that brings the pair to it."""
        if op.kind == "warp":
            self.now += op.seconds
            return "ok", "ok"
        self.now += 1
        got = self._run(LEVERAGED_STEPS.handler(op.kind), op)
        if op.kind == "price" and got == ("ok", "ok"):
            trade = self.arbitrage_trade()
            if trade is not None:
                return self.step(LevOp("swap", account=ARB, token_in=trade[0], amount=trade[1]))
        return got

    def _run(self, handler: StepHandler[LevWorld, LevOp], op: LevOp) -> tuple[str, str]:
        """The model side, then the chain call, both at ``now``: (model, chain) outcomes."""
        if handler.model is None:
            raise ValueError(f"{op.kind}: a leveraged-token step needs its model action")
        got_m = handler.model(self, op, self.now)
        call = handler.call(self, op)
        return got_m, "ok" if call is None else self.cw.driver.send(call, self.now).name

    def arbitrage_trade(self) -> tuple[str, int] | None:
        """The swap that brings the pair's price to the oracle's (model state), or None."""
        return arbitrage_trade(self.mw.pool, self.pair_m)

    def sender(self, op: LevOp) -> Account:
        """The op's account, or the deployer when it names none."""
        return self.cw.signers[op.account] if op.account else self.cw.deployer

    # ------------------------------------------------------------------ observing

    def observe_model(self) -> dict[str, int]:
        """Every compared field of the model: vaults, the pair, the actors' tokens."""
        obs: dict[str, int] = {}
        pool, ledger = self.mw.pool, self.mw.pool.ledger
        for name, v in self.vaults_m.items():
            obs.update({
                f"{name}.totalSupply": v.total_supply, f"{name}.totalAssets": v.total_assets(),
                f"{name}.navPerShare": v.convert_to_assets(WAD), f"{name}.leverageWad": v.leverage_wad(),
                f"{name}.lastFeeAccrual": v.last_fee_accrual, f"{name}.lastRebalance": v.last_rebalance,
                f"{name}.collateral": v.collateral(), f"{name}.debt": v.debt(),
                f"{name}.scaledSupply": pool.scaled_supply.get((COLL, name), 0),
                f"{name}.scaledDebt": pool.scaled_debt.get((DEBT, name), 0),
                f"{name}.idle{COLL}": ledger.balance(COLL, name), f"{name}.idle{DEBT}": ledger.balance(DEBT, name),
            })
            for who in ACTORS:
                obs[f"{name}.shares.{who}"] = v.balance_of(who)
                obs[f"{name}.lastDepositAt.{who}"] = v.last_deposit_at.get(who, 0)
        obs["pair.reserve0"], obs["pair.reserve1"] = self.pair_m.reserve0, self.pair_m.reserve1
        obs["pair.blockTimestampLast"] = self.pair_m.block_timestamp_last
        for who in (*ACTORS, ARB):
            for token in (COLL, DEBT):
                obs[f"{who}.{token}"] = ledger.balance(token, who)
        return obs

    def observe_chain(self) -> dict[str, int]:
        """The same fields read from chain (``observe_model``'s keys)."""
        obs: dict[str, int] = {}
        pool, tokens, s = self.cw.pool, self.cw.tokens, self.cw.signers
        view = self.cw.driver.view
        for name, v in self.vaults_c.items():
            obs.update({
                f"{name}.totalSupply": view(v, "totalSupply"), f"{name}.totalAssets": view(v, "totalAssets"),
                f"{name}.navPerShare": view(v, "convertToAssets", WAD), f"{name}.leverageWad": view(v, "leverageWad"),
                f"{name}.lastFeeAccrual": view(v, "lastFeeAccrual"), f"{name}.lastRebalance": view(v, "lastRebalance"),
                f"{name}.collateral": view(pool, "supplyBalance", tokens[COLL].address, v.address),
                f"{name}.debt": view(pool, "debtBalance", tokens[DEBT].address, v.address),
                f"{name}.scaledSupply": view(pool, "scaledSupplyOf", tokens[COLL].address, v.address),
                f"{name}.scaledDebt": view(pool, "scaledDebtOf", tokens[DEBT].address, v.address),
                f"{name}.idle{COLL}": view(tokens[COLL], "balanceOf", v.address),
                f"{name}.idle{DEBT}": view(tokens[DEBT], "balanceOf", v.address),
            })
            for who in ACTORS:
                obs[f"{name}.shares.{who}"] = view(v, "balanceOf", s[who].address)
                obs[f"{name}.lastDepositAt.{who}"] = view(v, "lastDepositAt", s[who].address)
        r0, r1, ts = view(self.pair_c, "getReserves")
        obs["pair.reserve0"], obs["pair.reserve1"], obs["pair.blockTimestampLast"] = r0, r1, ts
        for who in (*ACTORS, ARB):
            for token in (COLL, DEBT):
                obs[f"{who}.{token}"] = view(tokens[token], "balanceOf", s[who].address)
        return obs

    def mismatches(self) -> list[str]:
        """Every differing field: the vaults, the pair, the actors' tokens and the whole pool snapshot."""
        m, c = self.observe_model(), self.observe_chain()
        out = [f"{k}: model {m[k]} != chain {c.get(k)}" for k in m if m[k] != c.get(k)]
        return out + self.mw.snapshot().diff(self.cw.snapshot())

    # ------------------------------------------------------------------ snapshots

    def checkpoint(self) -> tuple:
        """Chain snapshot plus a copy of the whole model (pool, pair and vaults share one ledger)."""
        return self.cw.driver.snapshot(), copy.deepcopy((self.mw, self.pair_m, self.vaults_m))

    def restore(self, saved: tuple) -> None:
        """Back to a checkpoint on both sides; the clock keeps running forward."""
        snap, model = saved
        self.cw.driver.restore(snap)
        self.mw, self.pair_m, self.vaults_m = copy.deepcopy(model)


def _model(fn: Callable[..., Any], *args: Any) -> str:
    """Run a model call: 'ok', or the error's name (the model's state is unchanged then)."""
    try:
        fn(*args)
    except PoolError as err:
        return err.name
    return "ok"


def _price_action(op: LevOp) -> Action:
    return Action("price", asset=COLL, answer=op.answer)


def _vault_op(method: str, model: Callable[[LevWorld, LevOp, int], str],
              args: Callable[[LevWorld, LevOp], tuple] = lambda w, op: ()) -> StepHandler[LevWorld, LevOp]:
    """A vault call ``method(*args)`` from the op's sender, and its model action."""
    return StepHandler(lambda w, op: Call(w.vaults_c[op.vault], method, args(w, op), w.sender(op)), model)


def _deadline(op: LevOp) -> int:
    """The op's deadline (seconds), or none (UINT256_MAX)."""
    return op.deadline or UINT256_MAX


def _deposit_call(w: LevWorld, op: LevOp) -> Call:
    """``depositWithMin`` when the op sets a minimum or a deadline, else ``deposit``; shares to ``op.to`` (default
    the sender)."""
    vault, who = w.vaults_c[op.vault], w.sender(op)
    receiver = w.cw.address_of(op.to or op.account)
    if op.min_assets or op.deadline:
        return Call(vault, "depositWithMin", (op.amount, receiver, op.min_assets, _deadline(op)), who)
    return Call(vault, "deposit", (op.amount, receiver), who)


def _deposit_model(w: LevWorld, op: LevOp, now: int) -> str:
    vm, receiver = w.vaults_m[op.vault], op.to or op.account
    if op.min_assets or op.deadline:
        return _model(vm.deposit, op.account, op.amount, receiver, now, op.min_assets, _deadline(op))
    return _model(vm.deposit, op.account, op.amount, receiver, now)


LEVERAGED_STEPS: StepRegistry[LevWorld, LevOp] = StepRegistry("leveraged token", {
    "price": StepHandler(lambda w, op: w.cw.call(_price_action(op), w.cw.feeds[COLL], "setAnswer", op.answer),
                         lambda w, op, now: w.mw.apply(_price_action(op), now)),
    "swap": StepHandler(
        lambda w, op: Call(w.swapper_c, "swapExactIn", (w.pair_c.address, w.cw.token(op.token_in), op.amount, 0,
                                                        w.cw.address_of(op.account)), w.sender(op)),
        lambda w, op, now: _model(w.pair_m.swap_exact_in, op.account, op.token_in, op.amount, 0, op.account, now)),
    "deposit": StepHandler(_deposit_call, _deposit_model),
    "redeem": _vault_op("redeemWithMin",
                        lambda w, op, now: _model(w.vaults_m[op.vault].redeem, op.account, op.amount, op.account,
                                                  op.account, now, op.min_assets, _deadline(op)),
                        lambda w, op: (op.amount, w.sender(op).address, w.sender(op).address, op.min_assets,
                                       _deadline(op))),
    "supply_for": StepHandler(
        lambda w, op: Call(w.cw.pool, "supply", (w.cw.token(COLL), op.amount, w.vaults_c[op.vault].address),
                           w.sender(op)),
        lambda w, op, now: _model(w.mw.pool.supply, op.account, COLL, op.amount, op.vault, now)),
    "send": StepHandler(
        lambda w, op: Call(w.cw.tokens[COLL], "transfer", (w.vaults_c[op.vault].address, op.amount), w.sender(op)),
        lambda w, op, now: _model(w.mw.pool.ledger.transfer, COLL, op.account, op.vault, op.amount)),
    "transfer": _vault_op("transfer", lambda w, op, now: _model(w.vaults_m[op.vault].transfer, op.account, op.to,
                                                                 op.amount, now),
                          lambda w, op: (w.cw.address_of(op.to), op.amount)),
    "approve": _vault_op("approve", lambda w, op, now: _model(w.vaults_m[op.vault].approve, op.account, op.to,
                                                               op.amount),
                         lambda w, op: (w.cw.address_of(op.to), op.amount)),
    "rebalance": _vault_op("rebalance", lambda w, op, now: _model(w.vaults_m[op.vault].rebalance, op.account, now)),
    "ripcord": _vault_op("ripcord", lambda w, op, now: _model(w.vaults_m[op.vault].ripcord, op.account, now)),
    "accrue": _vault_op("accrue", lambda w, op, now: _model(w.vaults_m[op.vault].accrue, now)),
})
"""Every leveraged-token op (but ``warp``, which only moves the clock) -> its chain call and model action."""
