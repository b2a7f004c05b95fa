"""Deploy a scenario's world on the connected ape network and drive it with the model's actions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ape import chain
from ape.exceptions import ContractLogicError
from eth_utils import keccak

from protocol_model.chain.amm_adapter import LOOP_GAS_LIMIT, with_amm
from protocol_model.chain.oracle_adapter import deploy_oracle, feed_contract, oracle_call_target
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.amm import AMM_KINDS
from protocol_model.scenario.story import Scenario
from protocol_model.world.model_world import Action
from protocol_model.world.snapshot import Snapshot

# Actions the deployer sends (feeds and the guardian switch); every other action is sent by its account.
KEEPER_KINDS = ("price", "pause", "price_from_pair")
# Gas limit of the raw JSON-RPC path (no estimate round-trip); ample for any pool call.
GAS_LIMIT = 3_000_000


@dataclass
class ChainWorld:
    scenario: Scenario
    project: object
    deployer: object
    signers: dict[str, object]
    """account name -> ape account"""
    tokens: dict[str, object] = field(default_factory=dict)
    feeds: dict[str, object] = field(default_factory=dict)
    rate_models: dict[str, object] = field(default_factory=dict)
    listed_at: dict[str, int] = field(default_factory=dict)
    pool: object = None
    router: object = None
    lens: object = None
    last_time: int = 0
    oracle_feeds: dict[str, object] = field(default_factory=dict)
    """Fallback feeds ('ASSET/fallback') and the sequencer feed ('sequencer') of oracle scenarios."""
    feed_times: dict[str, int] = field(default_factory=dict)
    """Initial round time of every ScriptedFeed (oracle scenarios), for the model."""
    time_exact: bool = False
    """Oracle scenarios: a block is mined at the step's time even when nothing is sent (warp, market,
    revert), so views that depend on time (staleness, grace period) read at the model's time."""
    """Latest block time used; a restored snapshot may report an older head, but time never runs back."""
    amm: object = None
    """AMM pairs, swap helper and Looper (chain/amm_adapter.ChainAmm) when the scenario has ``amm_pairs``."""

    @classmethod
    def deploy(cls, scenario: Scenario, project, deployer, signers: dict[str, object]) -> ChainWorld:
        """Deploy tokens, feeds, rate models, router, pool and lens; list every asset; fund accounts."""
        w = cls(scenario, project, deployer, signers)
        d = deployer
        w.router = d.deploy(project.PriceRouter, d)
        w.pool = d.deploy(project.LendingPool, d, w.router)
        w.lens = d.deploy(project.PoolLens)
        w.pool.grantRole(w.pool.RISK_ADMIN_ROLE(), d, sender=d)
        w.pool.grantRole(w.pool.GUARDIAN_ROLE(), d, sender=d)
        params = scenario.pool.params()
        if (params.close_factor_bps, params.full_close_hf_wad) != (w.pool.closeFactorBps(), w.pool.fullCloseHfWad()):
            w.pool.setCloseFactor(params.close_factor_bps, params.full_close_hf_wad, sender=d)
        if params.min_leftover_usd_wad != w.pool.minLeftoverUsdWad():
            w.pool.setMinLeftover(params.min_leftover_usd_wad, sender=d)
        for spec in scenario.assets:
            token = d.deploy(project.MockERC20, spec.name, spec.name, spec.decimals)
            feed = d.deploy(feed_contract(w), 8, spec.answer(), f"{spec.name} / USD")
            r = spec.rate.params()
            model = d.deploy(project.KinkedRateModel, r.base_per_second_ray, r.slope1_per_second_ray,
                             r.slope2_per_second_ray, r.optimal_utilization_wad)
            w.router.setFeed(token, feed, sender=d)
            receipt = w.pool.listAsset(token, model, spec.config().as_tuple(), sender=d)
            w.tokens[spec.name], w.feeds[spec.name], w.rate_models[spec.name] = token, feed, model
            w.listed_at[spec.name] = chain.blocks[receipt.block_number].timestamp
        deploy_oracle(w)
        w.time_exact = bool(w.feed_times)
        for acct in scenario.accounts:
            signer = signers[acct.name]
            for asset, amount in acct.balances.items():
                w.tokens[asset].mint(signer, scenario.asset(asset).units(amount), sender=d)
            for token in w.tokens.values():
                token.approve(w.pool, UINT256_MAX, sender=signer)
        if scenario.amm_pairs:
            from protocol_model.chain.amm_adapter import ChainAmm

            w.amm = ChainAmm.deploy(w)
        return w

    # ------------------------------------------------------------------ driving

    def address_of(self, account: str) -> str:
        return self.signers[account].address

    def apply(self, action: Action, now: int) -> str:
        """Send one action in a block at time ``now``; returns 'ok' or the revert's error name."""
        self.last_time = max(self.last_time, now)
        if action.kind in ("warp", "market"):
            outcome = "ok"  # time passes; the next call's block carries it
        elif chain.provider.name == "foundry" or is_anvil():
            outcome = self._apply_raw(action, now)
        else:
            outcome = self._apply_ape(action, now)
        if self.time_exact and (action.kind in ("warp", "market") or outcome != "ok"):
            self._mine_at(now)
        return outcome

    def _mine_at(self, now: int) -> None:
        """An empty block at ``now`` (oracle scenarios: views read at the step's time)."""
        if chain.provider.name == "foundry" or is_anvil():
            chain.provider.web3.provider.make_request("evm_mine", [now])
        else:
            chain.pending_timestamp = now
            chain.mine(1)

    # On anvil, calls go through raw JSON-RPC (several times faster than ape's transaction path): an
    # eth_call with the block time overridden to ``now`` either reverts (its error is the outcome, and
    # nothing is sent, exactly as a reverted transaction leaves no state) or the transaction is mined
    # in a block at ``now``.
    def _call_target(self, action: Action) -> tuple[object, str, object]:
        a, pool, tok = action, self.pool, self.tokens
        if a.kind == "supply":
            return pool, "supply", (tok[a.asset].address, a.amount, self.address_of(a.on_behalf or a.account))
        if a.kind in ("withdraw", "borrow") and a.on_behalf not in ("", a.account):
            # the on-behalf entry points: the caller acts for `on_behalf`, tokens go to the caller
            return pool, f"{a.kind}OnBehalf", (tok[a.asset].address, a.amount, self.address_of(a.on_behalf),
                                               self.address_of(a.account))
        if a.kind == "withdraw":
            return pool, "withdraw", (tok[a.asset].address, a.amount, self.address_of(a.account))
        if a.kind == "borrow":
            return pool, "borrow", (tok[a.asset].address, a.amount)
        if a.kind == "delegate":
            return pool, "setAuthorization", (self.address_of(a.operator), a.enabled)
        if a.kind == "repay":
            return pool, "repay", (tok[a.asset].address, a.amount, self.address_of(a.on_behalf or a.account))
        if a.kind == "liquidate":
            return pool, "liquidate", (self.address_of(a.borrower), tok[a.collateral].address, tok[a.debt].address,
                                       a.amount)
        if a.kind == "price":
            return self.feeds[a.asset], "setAnswer", (a.answer,)
        if a.kind == "pause":
            return pool, "setPause", (a.supply_paused, a.borrow_paused)
        if a.kind in ("feed", "feed_round", "feed_revert", "sequencer"):
            return oracle_call_target(self, a)

        if a.kind in AMM_KINDS:
            return self.amm.call_target(self, a)
        raise ValueError(f"unknown action {a.kind}")

    def _apply_raw(self, action: Action, now: int) -> str:
        contract, method, args = self._call_target(action)
        sender = self.deployer if action.kind in KEEPER_KINDS or not action.account else self.signers[action.account]
        data = getattr(contract, method).encode_input(*args)
        gas = LOOP_GAS_LIMIT if action.kind.startswith("loop_") else GAS_LIMIT
        tx = {"from": sender.address, "to": contract.address, "data": "0x" + bytes(data).hex(), "gas": hex(gas)}
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

    def decode_revert(self, data: str, message: str = "") -> str:
        """Revert data -> custom error name, from every error the project's contracts declare."""
        if not hasattr(self, "_selectors"):
            self._selectors = {}
            for ct in self.project.contracts.values():
                for abi in ct.errors:
                    self._selectors[keccak(text=abi.selector)[:4].hex()] = abi.name
        if isinstance(data, dict):
            data = data.get("data", "")
        hexdata = data[2:] if data.startswith("0x") else data
        return self._selectors.get(hexdata[:8], f"Revert({message or data})")

    def _apply_ape(self, action: Action, now: int) -> str:
        """Other providers (ape's in-process py-evm): a call at the pending block, whose time is set to
        ``now``, gives the outcome; a passing call is then sent and must be mined at ``now``."""
        contract, method, args = self._call_target(action)
        sender = self.deployer if action.kind in KEEPER_KINDS or not action.account else self.signers[action.account]
        handler = getattr(contract, method)
        chain.pending_timestamp = now
        try:
            handler.call(*args, sender=sender, block_id="pending")
        except ContractLogicError as err:
            name = error_name(err)
            return self.decode_revert(err.message) if name.startswith("Revert(") else name
        chain.pending_timestamp = now
        receipt = handler(*args, sender=sender)
        mined_at = chain.blocks[receipt.block_number].timestamp
        if mined_at != now:
            raise RuntimeError(f"{action.describe()}: mined at t={mined_at}, the model ran it at t={now}")
        return "ok"

    def snapshot(self) -> Snapshot:
        names = [a.name for a in self.scenario.assets]
        accts = [a.name for a in self.scenario.accounts]
        asset_data, position_data, account_data = self.lens.snapshot(
            self.pool, [self.tokens[n] for n in names], [self.address_of(a) for a in accts])
        na, np_, nc = 10, 5, 5
        assets = {n: tuple(asset_data[i * na:(i + 1) * na]) for i, n in enumerate(names)}
        positions = {}
        for i, asset in enumerate(names):
            for j, acct in enumerate(accts):
                o = (i * len(accts) + j) * np_
                positions[(asset, acct)] = tuple(position_data[o:o + np_])
        accounts = {a: tuple(account_data[j * nc:(j + 1) * nc]) for j, a in enumerate(accts)}
        return with_amm(Snapshot(assets, positions, accounts), self.amm, self)

    def now(self) -> int:
        """The time to continue from: the head block's, or later if calls already ran past it."""
        return max(chain.blocks.head.timestamp, self.last_time)


def revert_reason(err: ContractLogicError, project) -> str:
    """A revert as one name: the custom error's name (decoded from any project contract's ABI when ape
    could not), else the revert string itself (e.g. the Uniswap pair's 'UniswapV2: K')."""
    name = error_name(err)
    if not name.startswith("Revert("):
        return name
    message = str(err.message or "")
    match = re.search(r"custom error 0x([0-9a-fA-F]{8})", message)
    if match:
        return _selectors(project).get(match.group(1).lower(), f"Revert({message})")
    return message


def _selectors(project) -> dict[str, str]:
    key = id(project)
    if key not in _SELECTOR_CACHE:
        _SELECTOR_CACHE[key] = {keccak(text=abi.selector)[:4].hex(): abi.name
                                for ct in project.contracts.values() for abi in ct.errors}
    return _SELECTOR_CACHE[key]


_SELECTOR_CACHE: dict[int, dict[str, str]] = {}


def error_name(err: ContractLogicError) -> str:
    """The custom error's name (ape decodes it into a class of that name), else the revert message."""
    name = type(err).__name__
    if name not in ("ContractLogicError", "VirtualMachineError"):
        return name
    return f"Revert({err.message})"


def is_anvil() -> bool:
    """True when the connected node is anvil under any ape provider (e.g. ``node`` on a fork network)."""
    try:
        return str(chain.provider.web3.client_version).lower().startswith("anvil")
    except Exception:  # noqa: BLE001 - a provider without web3 (in-process EVM) is not anvil
        return False
