"""The Morpho Blue preset driven by calls: one operation form for the exact twin and the real bytecode.

A :class:`MorphoOp` is one transaction in engine units (addresses, token units, shares, 1e36 prices, WAD fees).
:class:`MorphoModelWorld` plays it on the twin (``exact/presets/morpho_blue``) and
:meth:`MorphoModelWorld.observe` lists every observable the cross-check compares to the wei: each market's
state (``market(id)``: total supply assets and shares, total borrow assets and shares, last update, fee), each
account's position (supply shares, borrow shares, collateral) and each token balance of every account and of
Morpho. The chain side
(protocol_model/chain/morpho_blue.py) plays the same ops on real Morpho Blue and reads the same observables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from protocol_model.exact.errors import PoolError
from protocol_model.exact.ledger import Ledger
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.exact.presets.morpho_blue.irm_mock import IrmMock
from protocol_model.exact.presets.morpho_blue.market_params_lib import MarketParams, market_id
from protocol_model.exact.presets.morpho_blue.morpho import ZERO_ADDRESS, Morpho
from protocol_model.exact.presets.morpho_blue.oracle_mock import OracleMock
from protocol_model.scenario.morpho_blue import MorphoBlueSpec
from protocol_model.scenario.morpho_story import MorphoStory

OK = "ok"
"""The outcome of a call that passed."""

Observation = dict[str, tuple[int, ...] | int]
"""Observable name (``market wstETH_USDC``, ``position wstETH_USDC alice``, ``USDC alice``) -> value."""


@dataclass(frozen=True)
class MorphoAddresses:
    """Where everything lives: Morpho, its owner, the IRM, each token, each market's oracle and each account."""

    morpho: str
    owner: str
    irm: str
    tokens: dict[str, str]
    oracles: dict[str, str]
    accounts: dict[str, str]
    """Account name -> address (``owner`` included)."""

    @classmethod
    def for_model(cls, spec: MorphoBlueSpec, accounts: Iterable[str]) -> MorphoAddresses:
        """Stand-in addresses for a model-only run (a hash of each name)."""
        def addr(name: str) -> str:
            return "0x" + hashlib.sha256(name.encode()).hexdigest()[:40]

        names = ["owner", *accounts]
        return cls(addr("Morpho"), addr("owner"), addr("IrmMock"), {t: addr(t) for t in spec.tokens},
                   {m: addr(f"oracle {m}") for m in spec.markets}, {n: addr(n) for n in names})


def market_params(spec: MorphoBlueSpec, addresses: MorphoAddresses, market: str) -> MarketParams:
    """``market``'s ``MarketParams`` at ``addresses`` (the IRM is the zero address for ``irm: none``)."""
    m = spec.markets[market]
    irm = addresses.irm if m.irm == "IrmMock" else ZERO_ADDRESS
    return MarketParams(addresses.tokens[m.loan_token], addresses.tokens[m.collateral_token],
                        addresses.oracles[market], irm, m.lltv)


@dataclass(frozen=True)
class MorphoOp:
    """One transaction of the preset, in engine units.

    ``kind`` is the twin's method (``supply``, ``withdraw``, ``borrow``, ``repay``, ``supply_collateral``,
    ``withdraw_collateral``, ``liquidate``, ``accrue_interest``, ``set_fee``, ``set_fee_recipient``,
    ``set_authorization``, ``enable_irm``, ``enable_lltv``, ``create_market``) or a mock's (``set_price`` of the
    market's OracleMock, ``set_balance`` of a token's ERC20Mock, ``approve``). ``on_behalf`` is also the borrower
    (liquidate), the authorized account (set_authorization), the fee recipient, the IRM (enable_irm) or the
    account whose balance is set; ``value`` the price, fee, LLTV, balance or flag."""

    kind: str
    sender: str
    market: str = ""
    assets: int = 0
    shares: int = 0
    on_behalf: str = ""
    receiver: str = ""
    token: str = ""
    value: int = 0

    def describe(self) -> str:
        """A short human line for messages."""
        fields = {k: v for k, v in vars(self).items() if v not in ("", 0) and k != "kind"}
        return f"{self.kind}({', '.join(f'{k}={v}' for k, v in fields.items())})"


def setup_ops(spec: MorphoBlueSpec, addresses: MorphoAddresses, fee_recipient: str | None) -> list[MorphoOp]:
    """The deployment's configuration, as calls: enable the IRMs and LLTVs, set each oracle's price, create
    each market, set the fee recipient and each fee; every account approves Morpho for every token (max)."""
    owner = addresses.owner
    ops = [MorphoOp("enable_irm", owner, on_behalf=irm) for irm in
           dict.fromkeys(market_params(spec, addresses, m).irm for m in spec.markets)]
    ops += [MorphoOp("enable_lltv", owner, value=lltv) for lltv in dict.fromkeys(m.lltv for m in spec.markets.values())]
    for name in spec.markets:
        ops += [MorphoOp("set_price", owner, market=name, value=spec.market_price(name)),
                MorphoOp("create_market", owner, market=name)]
    if fee_recipient is not None:
        ops.append(MorphoOp("set_fee_recipient", owner, on_behalf=addresses.accounts[fee_recipient]))
    ops += [MorphoOp("set_fee", owner, market=name, value=m.fee) for name, m in spec.markets.items() if m.fee]
    ops += [MorphoOp("approve", acct, token=token, on_behalf=addresses.morpho, value=UINT256_MAX)
            for acct in addresses.accounts.values() for token in addresses.tokens.values()]
    return ops


@dataclass
class MorphoModelWorld:
    """The exact twin of one Morpho Blue deployment: ``morpho`` (with its ledger, IRM and oracles)."""

    spec: MorphoBlueSpec
    addresses: MorphoAddresses
    morpho: Morpho
    params: dict[str, MarketParams] = field(default_factory=dict)

    @classmethod
    def build(cls, spec: MorphoBlueSpec, addresses: MorphoAddresses) -> MorphoModelWorld:
        """A fresh (unconfigured) deployment: Morpho owned by ``addresses.owner``, the IRM and one oracle per
        market at their addresses."""
        morpho = Morpho(Ledger(), addresses.morpho, addresses.owner, irms={addresses.irm: IrmMock()},
                        oracles={a: OracleMock() for a in addresses.oracles.values()})
        return cls(spec, addresses, morpho, {m: market_params(spec, addresses, m) for m in spec.markets})

    def apply(self, op: MorphoOp, now: int) -> str:
        """Play ``op`` at block time ``now``: ``OK`` or the revert's name (state untouched on a revert)."""
        try:
            self._call(op, now)
        except PoolError as err:
            return err.name
        return OK

    def _call(self, op: MorphoOp, now: int) -> None:
        m, s = self.morpho, op.sender
        p: Any = self.params.get(op.market)  # None for the ops that name no market
        match op.kind:
            case "supply":
                m.supply(s, p, op.assets, op.shares, op.on_behalf, now)
            case "withdraw":
                m.withdraw(s, p, op.assets, op.shares, op.on_behalf, op.receiver, now)
            case "borrow":
                m.borrow(s, p, op.assets, op.shares, op.on_behalf, op.receiver, now)
            case "repay":
                m.repay(s, p, op.assets, op.shares, op.on_behalf, now)
            case "supply_collateral":
                m.supply_collateral(s, p, op.assets, op.on_behalf, now)
            case "withdraw_collateral":
                m.withdraw_collateral(s, p, op.assets, op.on_behalf, op.receiver, now)
            case "liquidate":
                m.liquidate(s, p, op.on_behalf, op.assets, op.shares, now)
            case "accrue_interest":
                m.accrue_interest(s, p, now)
            case "set_fee":
                m.set_fee(s, p, op.value, now)
            case "set_fee_recipient":
                m.set_fee_recipient(s, op.on_behalf)
            case "set_authorization":
                m.set_authorization(s, op.on_behalf, bool(op.value))
            case "enable_irm":
                m.enable_irm(s, op.on_behalf)
            case "enable_lltv":
                m.enable_lltv(s, op.value)
            case "create_market":
                m.create_market(s, p, now)
            case "set_price":
                m.oracles[self.addresses.oracles[op.market]].set_price(op.value)
            case "set_balance":
                m.ledger.balances[(op.token, op.on_behalf)] = op.value
            case "approve":
                m.ledger.approve(op.token, s, op.on_behalf, op.value)
            case _:
                raise ValueError(f"unknown Morpho op '{op.kind}'")

    def observe(self) -> Observation:
        """Every observable (see the module docstring), read from the twin."""
        out: Observation = {}
        accounts = self.addresses.accounts
        for name, p in self.params.items():
            mid = market_id(p)
            market = self.morpho.market.get(mid)
            out[f"market {name}"] = market.as_tuple() if market is not None else (0,) * 6
            for who, addr in accounts.items():
                pos = self.morpho.position.get((mid, addr))
                out[f"position {name} {who}"] = pos.as_tuple() if pos is not None else (0, 0, 0)
        for token, taddr in self.addresses.tokens.items():
            for who, addr in {**accounts, "Morpho": self.addresses.morpho}.items():
                out[f"{token} {who}"] = self.morpho.ledger.balance(taddr, addr)
        return out


def story_ops(story: MorphoStory, spec: MorphoBlueSpec, addresses: MorphoAddresses) -> list[tuple[int, MorphoOp, str]]:
    """The story's steps as (wait seconds, op, expected outcome), every amount in engine units."""
    out = []
    default = story.market or next(iter(spec.markets))
    acct = addresses.accounts
    for i, step in enumerate(story.steps):
        where = f"steps.{i}"
        market = step.market or default
        mspec = spec.markets[market]
        sender = acct[step.who]
        on_behalf = acct[step.on_behalf or step.who]
        receiver = acct[step.receiver or step.who]
        collateral_step = step.op in ("supply_collateral", "withdraw_collateral")
        token = mspec.collateral_token if collateral_step else mspec.loan_token
        assets = spec.units(token, step.assets, f"{where}.assets") if step.assets is not None else 0
        shares = step.shares or 0
        op: MorphoOp
        match step.op:
            case "set_balance":
                assert step.token is not None and step.amount is not None
                op = MorphoOp("set_balance", sender, token=addresses.tokens[step.token], on_behalf=on_behalf,
                              value=spec.units(step.token, step.amount, f"{where}.amount"))
            case "liquidate":
                seized = spec.units(mspec.collateral_token, step.seized, f"{where}.seized") if step.seized else 0
                assert step.borrower is not None
                op = MorphoOp("liquidate", sender, market, assets=seized, shares=step.repaid_shares or 0,
                              on_behalf=acct[step.borrower])
            case "set_price":
                assert step.price is not None
                op = MorphoOp("set_price", sender, market, value=spec.market_price(market, step.price))
            case "set_fee":
                assert step.fee_bps is not None
                op = MorphoOp("set_fee", sender, market, value=step.fee_bps * 10**14)
            case "set_authorization":
                assert step.authorized is not None
                op = MorphoOp("set_authorization", sender, on_behalf=acct[step.authorized], value=int(bool(step.value)))
            case _:
                op = MorphoOp(step.op, sender, market, assets=assets, shares=shares, on_behalf=on_behalf,
                              receiver=receiver)
        out.append((step.wait, op, step.expect))
    return out


START_TIME = 1_700_000_000
"""Block time before a model-only run's set-up (seconds)."""


def run_morpho_model(story: MorphoStory, spec: MorphoBlueSpec) -> list[str]:
    """Play ``story`` on the twin alone (stand-in addresses, one second per set-up call): the outcome of each
    step (``ok`` or the revert's name). Raises ValueError on an amount finer than its token's unit."""
    addresses = MorphoAddresses.for_model(spec, story.accounts)
    world, now = MorphoModelWorld.build(spec, addresses), START_TIME
    for op in setup_ops(spec, addresses, story.fee_recipient):
        now += 1
        world.apply(op, now)
    outcomes = []
    for wait, op, _ in story_ops(story, spec, addresses):
        now += wait
        outcomes.append(world.apply(op, now))
    return outcomes
