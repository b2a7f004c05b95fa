"""The Morpho Blue preset driven by calls: one operation form for the exact twin and the real bytecode.

A :class:`MorphoOp` is one transaction in engine units (addresses, token units, shares, 1e36 prices, WAD fees).
:class:`MorphoModelWorld` plays it on the twin (``exact/presets/morpho_blue``) and
:meth:`MorphoModelWorld.observe` lists every observable the cross-check compares to the wei: each market's
state (``market(id)``: total supply assets and shares, total borrow assets and shares, last update, fee), each
account's position (supply shares, borrow shares, collateral), each token balance of every account and of
Morpho, the ``owner`` and ``feeRecipient``, ``isAuthorized(a, b)`` for every pair of accounts, and
``isLltvEnabled`` / ``isIrmEnabled`` of every LLTV / IRM the world knows (``watched``: the markets' and every
one an ``enable_lltv`` / ``enable_irm`` op named, plus the zero-address IRM). The chain side
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
from protocol_model.exact.presets.morpho_blue.erc20_mock import set_balance
from protocol_model.exact.presets.morpho_blue.irm_mock import IrmMock
from protocol_model.exact.presets.morpho_blue.market_params_lib import MarketParams, market_id
from protocol_model.exact.presets.morpho_blue.morpho import ZERO_ADDRESS, Morpho
from protocol_model.exact.presets.morpho_blue.oracle_mock import OracleMock
from protocol_model.scenario.morpho_blue import MorphoBlueSpec
from protocol_model.scenario.morpho_story import MorphoStory

OK = "ok"
"""The outcome of a call that passed."""

Observation = dict[str, tuple[int, ...] | int | str]
"""Observable name (``market wstETH_USDC``, ``position wstETH_USDC alice``, ``USDC alice``, ``owner``,
``isAuthorized bob carol``, ``isLltvEnabled 860000000000000000``) -> value (addresses lower-case hex)."""


@dataclass
class Watched:
    """The bounded sets of LLTVs (WAD) and IRM addresses whose ``isLltvEnabled`` / ``isIrmEnabled`` flags are
    observed: the markets' own, the zero-address IRM, and each one an ``enable_lltv`` / ``enable_irm`` op named
    (recorded by ``note`` whatever its outcome, so both twins watch the same set)."""

    lltvs: list[int] = field(default_factory=list)
    irms: list[str] = field(default_factory=lambda: [ZERO_ADDRESS])

    @classmethod
    def of(cls, params: Iterable[MarketParams]) -> Watched:
        """The markets' LLTVs and IRMs plus the zero address."""
        out = cls()
        for p in params:
            out.add_market(p)
        return out

    def note(self, op: MorphoOp) -> None:
        """Watch the LLTV or IRM ``op`` enables (a no-op for the other kinds)."""
        if op.kind == "enable_lltv" and op.value not in self.lltvs:
            self.lltvs.append(op.value)
        elif op.kind == "enable_irm" and op.on_behalf not in self.irms:
            self.irms.append(op.on_behalf)

    def add_market(self, params: MarketParams) -> None:
        """Watch a market's LLTV and IRM too."""
        self.note(MorphoOp("enable_lltv", "", value=params.lltv))
        self.note(MorphoOp("enable_irm", "", on_behalf=params.irm))


def observe_config(read: Any, accounts: dict[str, str], watched: Watched) -> Observation:
    """The configuration observables through ``read(view name, *args)`` (the chain's views or the twin's
    mirror): ``owner``, ``feeRecipient``, ``isAuthorized a b`` for every ordered pair of accounts and the
    watched ``isLltvEnabled`` / ``isIrmEnabled`` flags (0 or 1)."""
    out: Observation = {"owner": str(read("owner")).lower(), "feeRecipient": str(read("feeRecipient")).lower()}
    for a, aa in accounts.items():
        for b, ba in accounts.items():
            out[f"isAuthorized {a} {b}"] = int(bool(read("isAuthorized", aa, ba)))
    for lltv in watched.lltvs:
        out[f"isLltvEnabled {lltv}"] = int(bool(read("isLltvEnabled", lltv)))
    for irm in watched.irms:
        out[f"isIrmEnabled {irm.lower()}"] = int(bool(read("isIrmEnabled", irm)))
    return out


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
    watched: Watched = field(default_factory=Watched)

    @classmethod
    def build(cls, spec: MorphoBlueSpec, addresses: MorphoAddresses) -> MorphoModelWorld:
        """A fresh (unconfigured) deployment: Morpho owned by ``addresses.owner``, the IRM and one oracle per
        market at their addresses."""
        morpho = Morpho(Ledger(), addresses.morpho, addresses.owner, irms={addresses.irm: IrmMock()},
                        oracles={a: OracleMock() for a in addresses.oracles.values()})
        params = {m: market_params(spec, addresses, m) for m in spec.markets}
        return cls(spec, addresses, morpho, params, Watched.of(params.values()))

    def add_market(self, name: str, params: MarketParams) -> None:
        """Name (or rename) a market the world did not deploy, so ops can use it and ``observe`` reads it."""
        self.params[name] = params
        self.watched.add_market(params)

    def read(self, view: str, *args: Any) -> Any:
        """The twin's answer to Morpho's configuration view ``view`` (``owner``, ``feeRecipient``,
        ``isAuthorized``, ``isLltvEnabled``, ``isIrmEnabled``)."""
        m = self.morpho
        match view:
            case "owner":
                return m.owner
            case "feeRecipient":
                return m.fee_recipient
            case "isAuthorized":
                return tuple(args) in m.is_authorized
            case "isLltvEnabled":
                return args[0] in m.is_lltv_enabled
            case "isIrmEnabled":
                return args[0] in m.is_irm_enabled
        raise ValueError(f"unknown Morpho view '{view}'")

    def apply(self, op: MorphoOp, now: int) -> str:
        """Play ``op`` at block time ``now``: ``OK`` or the revert's name (state untouched on a revert)."""
        self.watched.note(op)
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
                set_balance(m.ledger, op.token, op.on_behalf, op.value)
            case "approve":
                m.ledger.approve(op.token, s, op.on_behalf, op.value)
            case _:
                raise ValueError(f"unknown Morpho op '{op.kind}'")

    def observe(self) -> Observation:
        """Every observable (see the module docstring), read from the twin."""
        return {**observe_state(self.morpho, self.params, self.addresses),
                **observe_config(self.read, self.addresses.accounts, self.watched)}


def observe_state(morpho: Morpho, params: dict[str, MarketParams], addresses: MorphoAddresses) -> Observation:
    """The twin's market states, positions of every account and token balances of every account and of Morpho
    (the observables the module docstring lists before the configuration ones)."""
    out: Observation = {}
    accounts = addresses.accounts
    for name, p in params.items():
        mid = market_id(p)
        market = morpho.market.get(mid)
        out[f"market {name}"] = market.as_tuple() if market is not None else (0,) * 6
        for who, addr in accounts.items():
            pos = morpho.position.get((mid, addr))
            out[f"position {name} {who}"] = pos.as_tuple() if pos is not None else (0, 0, 0)
    for token, taddr in addresses.tokens.items():
        for who, addr in {**accounts, "Morpho": addresses.morpho}.items():
            out[f"{token} {who}"] = morpho.ledger.balance(taddr, addr)
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
                price = spec.market_price(market, step.price, f"{where}.price")
                op = MorphoOp("set_price", sender, market, value=price)
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
