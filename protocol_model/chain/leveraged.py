"""Leveraged tokens on the connected chain and in the exact model, driven by one list of operations.

``LevWorld.deploy`` builds the lending pool (``ChainWorld`` / ``ModelWorld`` from a scenario), a Uniswap V2
pair from the npm artifacts (``chain.uniswap``) seeded with liquidity, and one ``LeveragedToken`` per
entry of ``vault_params``; the model mirrors each with ``V2Pair`` and ``leveraged_token.LeveragedToken``
on the pool model's ledger. ``step`` runs one ``LevOp`` on both at the same block time and returns both
outcomes; ``observe_*`` read every field the two can be compared on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ape import chain

from protocol_model.chain.adapter import ChainWorld
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

GAS_LIMIT = 12_000_000


@dataclass(frozen=True)
class LevOp:
    """One operation. ``price``: new WETH answer (8 decimals), then ``erin`` arbitrages the pair to it.
    ``min_assets`` is the minimum out (assets of a redemption, shares of a deposit: ``depositWithMin``);
    ``deadline`` 0 means none. ``supply_for``: ``account`` supplies ``amount`` WETH to the pool on behalf of
    the vault; ``send``: ``account`` transfers ``amount`` WETH straight to the vault."""

    kind: str
    vault: str = ""
    account: str = ""
    amount: int = 0
    answer: int = 0
    seconds: int = 0
    min_assets: int = 0
    token_in: str = ""
    deadline: int = 0

    def describe(self) -> str:
        fields = {k: v for k, v in self.__dict__.items() if v not in ("", 0) and k != "kind"}
        return f"{self.kind}({', '.join(f'{k}={v}' for k, v in fields.items())})"


@dataclass
class LevWorld:
    cw: ChainWorld
    mw: ModelWorld
    pair_c: object
    swapper_c: object
    pair_m: V2Pair
    vaults_c: dict[str, object] = field(default_factory=dict)
    vaults_m: dict[str, LeveragedToken] = field(default_factory=dict)
    now: int = 0

    @classmethod
    def deploy(cls, project, deployer, signers, vault_params: dict[str, LeveragedTokenParams] | None = None,
               scenario: Scenario | None = None) -> LevWorld:
        scenario = scenario or parse_scenario(SCENARIO, "leveraged-tokens")
        cw = ChainWorld.deploy(scenario, project, deployer, signers)
        mw = ModelWorld(scenario, cw.listed_at)
        factory = deploy_factory(deployer)
        pair_c = create_pair(factory, cw.tokens[COLL], cw.tokens[DEBT], deployer)
        swapper_c = deployer.deploy(project.PairSwapper)
        token0 = COLL if pair_c.token0() == cw.tokens[COLL].address else DEBT
        pair_m = V2Pair("pair", token0, DEBT if token0 == COLL else COLL, mw.pool.ledger)
        w = cls(cw, mw, pair_c, swapper_c, pair_m, now=chain.blocks.head.timestamp)
        arb = signers[ARB]
        for name in (COLL, DEBT):
            cw.tokens[name].approve(swapper_c, UINT256_MAX, sender=arb)
            mw.pool.ledger.approve(name, ARB, SWAPPER, UINT256_MAX)
        w.now = max(w.now, chain.blocks.head.timestamp) + 1
        a0, a1 = PAIR_LIQUIDITY[token0], PAIR_LIQUIDITY[pair_m.token1]
        w._both(lambda: pair_m.add_liquidity(ARB, a0, a1, ARB, w.now),
                swapper_c, "addLiquidity", (pair_c.address, a0, a1, arb.address), arb)
        w.now += 1
        assert cw.apply(Action("supply", LENDER, DEBT, LENDER_SUPPLY, LENDER), w.now) == "ok"
        assert mw.apply(Action("supply", LENDER, DEBT, LENDER_SUPPLY, LENDER), w.now) == "ok"
        for name, params in (vault_params or DEFAULT_VAULTS).items():
            w.add_vault(project, deployer, name, params)
        return w

    def add_vault(self, project, deployer, name: str, params: LeveragedTokenParams) -> None:
        cw = self.cw
        self.now = max(self.now, chain.blocks.head.timestamp) + 1
        chain.pending_timestamp = self.now
        vault = deployer.deploy(project.LeveragedToken, f"WETH {name}", name.upper(), cw.tokens[COLL],
                                cw.tokens[DEBT], cw.pool, self.pair_c, params.as_tuple(), deployer,
                                cw.signers[TREASURY])
        deployed_at = chain.blocks.head.timestamp
        self.now = max(self.now, deployed_at)
        self.vaults_c[name] = vault
        self.vaults_m[name] = LeveragedToken(name, COLL, DEBT, self.mw.pool, self.pair_m, params, TREASURY,
                                             deployed_at)
        for who in DEPOSITORS:
            cw.tokens[COLL].approve(vault, UINT256_MAX, sender=cw.signers[who])
            self.mw.pool.ledger.approve(COLL, who, name, UINT256_MAX)
        self.now = max(self.now, chain.blocks.head.timestamp)

    # ------------------------------------------------------------------ driving

    def step(self, op: LevOp) -> tuple[str, str]:
        """Run ``op`` at the next second (after ``seconds`` for a warp) on both; (model, chain) outcomes."""
        if op.kind == "warp":
            self.now += op.seconds
            return "ok", "ok"
        self.now += 1
        now, s = self.now, self.cw.signers
        if op.kind == "price":
            got = (self.mw.apply(Action("price", asset=COLL, answer=op.answer), now),
                   self.cw.apply(Action("price", asset=COLL, answer=op.answer), now))
            if got != ("ok", "ok"):
                return got
            trade = self.arbitrage_trade()
            if trade is None:
                return got
            return self.step(LevOp("swap", account=ARB, token_in=trade[0], amount=trade[1]))
        if op.kind == "swap":
            token = self.cw.tokens[op.token_in]
            return self._both(lambda: self.pair_m.swap_exact_in(op.account, op.token_in, op.amount, 0, op.account, now),
                              self.swapper_c, "swapExactIn",
                              (self.pair_c.address, token.address, op.amount, 0, s[op.account].address), s[op.account])
        vm, vc = self.vaults_m[op.vault], self.vaults_c[op.vault]
        sender = s[op.account] if op.account else self.cw.deployer
        deadline = op.deadline or UINT256_MAX
        if op.kind == "deposit" and (op.min_assets or op.deadline):
            return self._both(lambda: vm.deposit(op.account, op.amount, op.account, now, op.min_assets, deadline),
                              vc, "depositWithMin", (op.amount, sender.address, op.min_assets, deadline), sender)
        if op.kind == "deposit":
            return self._both(lambda: vm.deposit(op.account, op.amount, op.account, now), vc, "deposit",
                              (op.amount, sender.address), sender)
        if op.kind == "redeem":
            return self._both(lambda: vm.redeem(op.account, op.amount, op.account, op.account, now, op.min_assets,
                                                deadline),
                              vc, "redeemWithMin",
                              (op.amount, sender.address, sender.address, op.min_assets, deadline), sender)
        if op.kind == "supply_for":
            return self._both(lambda: self.mw.pool.supply(op.account, COLL, op.amount, op.vault, now), self.cw.pool,
                              "supply", (self.cw.tokens[COLL].address, op.amount, vc.address), sender)
        if op.kind == "send":
            return self._both(lambda: self.mw.pool.ledger.transfer(COLL, op.account, op.vault, op.amount),
                              self.cw.tokens[COLL], "transfer", (vc.address, op.amount), sender)
        if op.kind in ("rebalance", "ripcord"):
            fn = vm.rebalance if op.kind == "rebalance" else vm.ripcord
            return self._both(lambda: fn(op.account, now), vc, op.kind, (), sender)
        if op.kind == "accrue":
            return self._both(lambda: vm.accrue(now), vc, "accrue", (), sender)
        raise ValueError(f"unknown op {op.kind}")

    def arbitrage_trade(self) -> tuple[str, int] | None:
        return arbitrage_trade(self.mw.pool, self.pair_m)

    def _both(self, model_fn, contract, method: str, args: tuple, sender) -> tuple[str, str]:
        try:
            model_fn()
            got_m = "ok"
        except PoolError as err:
            got_m = err.name
        return got_m, self._send(contract, method, args, sender, self.now)

    def _send(self, contract, method: str, args: tuple, sender, now: int) -> str:
        """Mine one call at block time ``now``: 'ok', or the revert's error name (nothing is sent then)."""
        handler = getattr(contract, method)
        if chain.provider.name != "foundry":
            from ape.exceptions import ContractLogicError

            from protocol_model.chain.adapter import revert_reason

            chain.pending_timestamp = now
            try:
                handler.call(*args, sender=sender, block_id="pending")
            except ContractLogicError as err:
                return revert_reason(err, self.cw.project)
            chain.pending_timestamp = now
            handler(*args, sender=sender)
            return "ok"
        data = handler.encode_input(*args)
        tx = {"from": sender.address, "to": contract.address, "data": "0x" + bytes(data).hex(), "gas": hex(GAS_LIMIT)}
        rpc = chain.provider.web3.provider.make_request
        res = rpc("eth_call", [tx, "latest", {}, {"time": hex(now)}])
        if "error" in res:
            err = res["error"]
            data = err.get("data") or ""
            if isinstance(data, str) and data.startswith("0x08c379a0"):  # Error(string), e.g. 'UniswapV2: K'
                from eth_abi import decode

                return decode(["string"], bytes.fromhex(data[10:]))[0]
            return self.cw.decode_revert(data, err.get("message", ""))
        rpc("evm_setNextBlockTimestamp", [now])
        sent = rpc("eth_sendTransaction", [tx])
        if "error" in sent:
            raise RuntimeError(f"{method}: eth_call passed but sending failed: {sent['error']}")
        receipt = chain.provider.web3.eth.wait_for_transaction_receipt(sent["result"], timeout=30, poll_latency=0.01)
        if receipt["status"] != 1:
            raise RuntimeError(f"{method}: eth_call passed at t={now} but the mined call reverted")
        return "ok"

    # ------------------------------------------------------------------ observing

    def observe_model(self) -> dict[str, int]:
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
        obs["pair.reserve0"], obs["pair.reserve1"] = self.pair_m.reserve0, self.pair_m.reserve1
        obs["pair.blockTimestampLast"] = self.pair_m.block_timestamp_last
        for who in (*ACTORS, ARB):
            for token in (COLL, DEBT):
                obs[f"{who}.{token}"] = ledger.balance(token, who)
        return obs

    def observe_chain(self) -> dict[str, int]:
        obs: dict[str, int] = {}
        pool, tokens, s = self.cw.pool, self.cw.tokens, self.cw.signers
        view = self._view
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
        r0, r1, ts = view(self.pair_c, "getReserves")
        obs["pair.reserve0"], obs["pair.reserve1"], obs["pair.blockTimestampLast"] = r0, r1, ts
        for who in (*ACTORS, ARB):
            for token in (COLL, DEBT):
                obs[f"{who}.{token}"] = view(tokens[token], "balanceOf", s[who].address)
        return obs

    def _view(self, contract, method: str, *args):
        """A view call through raw JSON-RPC (ape's call path costs several milliseconds more per read)."""
        from eth_abi import decode

        handler = getattr(contract, method)
        abi = handler.abis[0]
        data = "0x" + bytes(handler.encode_input(*args)).hex()
        res = chain.provider.web3.provider.make_request("eth_call", [{"to": contract.address, "data": data}, "latest"])
        if "error" in res:
            raise RuntimeError(f"{method}{args}: {res['error']}")
        out = decode([o.canonical_type for o in abi.outputs], bytes.fromhex(res["result"][2:]))
        return out[0] if len(out) == 1 else out

    def mismatches(self) -> list[str]:
        """Every differing field: the vaults, the pair, the actors' tokens and the whole pool snapshot."""
        m, c = self.observe_model(), self.observe_chain()
        out = [f"{k}: model {m[k]} != chain {c.get(k)}" for k in m if m[k] != c.get(k)]
        return out + self.mw.snapshot().diff(self.cw.snapshot())

    # ------------------------------------------------------------------ snapshots

    def checkpoint(self) -> tuple:
        """Chain snapshot plus a copy of the whole model (pool, pair and vaults share one ledger)."""
        import copy

        return chain.snapshot(), copy.deepcopy((self.mw, self.pair_m, self.vaults_m))

    def restore(self, saved: tuple) -> None:
        """Back to a checkpoint on both sides; the clock keeps running forward."""
        import copy

        snap, model = saved
        chain.restore(snap)
        self.mw, self.pair_m, self.vaults_m = copy.deepcopy(model)
