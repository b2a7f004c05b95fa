"""Deploy a perp scenario (token, feeds, router, PerpEngine, PerpLens) and drive it with PerpActions."""

from __future__ import annotations

from dataclasses import dataclass, field

from ape import chain
from ape.exceptions import ContractLogicError
from eth_utils import keccak

from protocol_model.chain.adapter import GAS_LIMIT, error_name
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.perp import PerpScenario, answer
from protocol_model.world.perp_world import ACCOUNT_FIELDS, MARKET_FIELDS, POSITION_FIELDS, PerpAction, PerpSnapshot


@dataclass
class PerpChainWorld:
    scenario: PerpScenario
    project: object
    deployer: object
    signers: dict[str, object]
    feeds: dict[str, object] = field(default_factory=dict)
    index_tokens: dict[str, object] = field(default_factory=dict)
    listed_at: list[int] = field(default_factory=list)
    token: object = None
    router: object = None
    engine: object = None
    lens: object = None
    last_time: int = 0

    @classmethod
    def deploy(cls, scenario: PerpScenario, project, deployer, signers: dict[str, object]) -> PerpChainWorld:
        w, d = cls(scenario, project, deployer, signers), deployer
        c = scenario.collateral
        w.token = d.deploy(project.MockERC20, c.name, c.name, c.decimals)
        w.router = d.deploy(project.PriceRouter, d)
        for idx in scenario.indexes:
            # The index asset needs only an address the router keys its feed by: a token named after it.
            w.index_tokens[idx.name] = d.deploy(project.MockERC20, idx.name, idx.name, 18)
            w.feeds[idx.name] = d.deploy(project.MockAggregator, 8, answer(idx.price_usd), f"{idx.name} / USD")
            w.router.setFeed(w.index_tokens[idx.name], w.feeds[idx.name], sender=d)
        w.engine = d.deploy(project.PerpEngine, d, w.router, w.token)
        w.lens = d.deploy(project.PerpLens)
        w.engine.grantRole(w.engine.RISK_ADMIN_ROLE(), d, sender=d)
        w.engine.grantRole(w.engine.OPERATOR_ROLE(), d, sender=d)
        for spec in scenario.markets:
            receipt = w.engine.listMarket(w.index_tokens[spec.index], spec.params().as_tuple(), sender=d)
            w.listed_at.append(chain.blocks[receipt.block_number].timestamp)
        for acct in scenario.accounts:
            signer = signers[acct.name]
            w.token.mint(signer, scenario.units(acct.balance), sender=d)
            w.token.approve(w.engine, UINT256_MAX, sender=signer)
        return w

    def address_of(self, name: str) -> str:
        return self.signers[name].address

    def _target(self, a: PerpAction) -> tuple[object, str, tuple, object]:
        e, d = self.engine, self.deployer
        if a.kind in ("deposit", "fund_insurance", "withdraw"):
            method = {"deposit": "deposit", "fund_insurance": "fundInsurance", "withdraw": "withdraw"}[a.kind]
            return e, method, (a.amount,), self.signers[a.account]
        if a.kind == "margin_mode":
            return e, "setMarginMode", (a.market, a.isolated), self.signers[a.account]
        if a.kind == "transfer_margin":
            return e, "transferMargin", (a.market, a.amount), self.signers[a.account]
        if a.kind == "trade":
            return e, "trade", (a.market, self.address_of(a.buyer), self.address_of(a.seller), a.size_wad,
                                a.price_wad), d
        if a.kind == "liquidate":
            return e, "liquidate", (self.address_of(a.target), a.market), self.signers[a.account]
        if a.kind == "price":
            return self.feeds[a.asset], "setAnswer", (a.answer,), d
        raise ValueError(f"unknown action {a.kind}")

    def apply(self, action: PerpAction, now: int) -> str:
        """Run one action in a block at time ``now``; 'ok' or the revert's error name."""
        self.last_time = max(self.last_time, now)
        if action.kind == "warp":
            return "ok"
        contract, method, args, sender = self._target(action)
        if chain.provider.name == "foundry":
            return self._apply_raw(action, contract, method, args, sender, now)
        handler = getattr(contract, method)
        chain.pending_timestamp = now
        try:
            handler.call(*args, sender=sender, block_id="pending")
        except ContractLogicError as err:
            name = error_name(err)
            return self.decode_revert(err.message) if name.startswith("Revert(") else name
        chain.pending_timestamp = now
        receipt = handler(*args, sender=sender)
        if chain.blocks[receipt.block_number].timestamp != now:
            raise RuntimeError(f"{action.describe()}: not mined at t={now}")
        return "ok"

    def _apply_raw(self, action, contract, method, args, sender, now: int) -> str:
        """eth_call at time ``now`` decides the outcome; a passing call is then mined at ``now``."""
        data = getattr(contract, method).encode_input(*args)
        tx = {"from": sender.address, "to": contract.address, "data": "0x" + bytes(data).hex(), "gas": hex(GAS_LIMIT)}
        rpc = chain.provider.web3.provider.make_request
        res = rpc("eth_call", [tx, "latest", {}, {"time": hex(now)}])
        if "error" in res:
            return self.decode_revert(res["error"].get("data") or "", res["error"].get("message", ""))
        rpc("evm_setNextBlockTimestamp", [now])
        sent = rpc("eth_sendTransaction", [tx])
        if "error" in sent:
            raise RuntimeError(f"{action.describe()}: eth_call passed but sending failed: {sent['error']}")
        receipt = chain.provider.web3.eth.wait_for_transaction_receipt(sent["result"], timeout=30, poll_latency=0.01)
        if receipt["status"] != 1:
            raise RuntimeError(f"{action.describe()}: eth_call passed at t={now} but the mined call reverted")
        return "ok"

    def decode_revert(self, data, message: str = "") -> str:
        if not hasattr(self, "_selectors"):
            self._selectors = {keccak(text=abi.selector)[:4].hex(): abi.name
                               for ct in self.project.contracts.values() for abi in ct.errors}
        if isinstance(data, dict):
            data = data.get("data", "")
        hexdata = data[2:] if data.startswith("0x") else data
        return self._selectors.get(hexdata[:8], f"Revert({message or data})")

    def snapshot(self) -> PerpSnapshot:
        names = [a.name for a in self.scenario.accounts]
        glob, mk, ac, pos = self.lens.snapshot(self.engine, [self.address_of(n) for n in names])
        n, nm, na, np_ = len(self.scenario.markets), len(MARKET_FIELDS), len(ACCOUNT_FIELDS), len(POSITION_FIELDS)
        markets = {i: tuple(mk[i * nm:(i + 1) * nm]) for i in range(n)}
        accounts = {a: tuple(ac[j * na:(j + 1) * na]) for j, a in enumerate(names)}
        positions = {(a, i): tuple(pos[(j * n + i) * np_:(j * n + i + 1) * np_])
                     for j, a in enumerate(names) for i in range(n)}
        return PerpSnapshot(tuple(glob), markets, accounts, positions)

    def now(self) -> int:
        return max(chain.blocks.head.timestamp, self.last_time)
