"""A scripted flash-loan receiver on both twins (review-flash): ``FlashScriptReceiver`` on the in-process chain and
the same script as a Python callback of the lending twin's ``flash_loan``, so each attack is one transaction on
chain and one call in the model, compared to the wei (every snapshot field and the receiver's balances).

An :class:`Op` is one call the callback makes: its target contract, method and arguments on chain, and the same
call on the model at the flash loan's block time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from protocol_model.chain.driver import Call
from protocol_model.chain.replay import Replay
from protocol_model.exact import errors
from protocol_model.exact.lending.lending_pool import POOL

RECV = "receiver"
"""The receiver contract's name in the model's ledger."""


@dataclass(frozen=True)
class Op:
    """One call of the callback: ``contract.method(*args)`` on chain, ``model(now)`` in the twin."""

    contract: Any
    method: str
    args: tuple
    model: Callable[[int], Any]

    def payload(self) -> bytes:
        """The call's calldata."""
        return bytes(getattr(self.contract, self.method).encode_input(*self.args))


@dataclass
class FlashRig:
    """A deployed scenario (``rp``) with a ``FlashScriptReceiver`` (``receiver``) the model knows as ``RECV``."""

    rp: Replay
    receiver: Any

    @classmethod
    def start(cls, rp: Replay) -> FlashRig:
        """Deploys the receiver on ``rp``'s chain (the model needs nothing: it is a ledger name)."""
        cw = rp.chain
        receiver = cw.driver.deploy(cw.project.FlashScriptReceiver, cw.pool, sender=cw.deployer)
        return cls(rp, receiver)

    @property
    def pool(self) -> Any:
        """The model's lending pool."""
        return self.rp.model.pool

    def token(self, asset: str) -> Any:
        """``asset``'s token contract."""
        return self.rp.chain.tokens[asset]

    def send(self, contract: Any, method: str, *args: Any, sender: Any = None) -> str:
        """``contract.method(*args)`` by ``sender`` (default the deployer), one second on: 'ok' or the revert's name
        (chain only)."""
        self.rp.now = max(self.rp.now, self.rp.chain.now()) + 1  # deployments mine blocks of their own
        call = Call(contract, method, args, sender or self.rp.chain.deployer)
        return self.rp.chain.driver.send(call, self.rp.now).name

    def fund(self, asset: str, amount: int) -> None:
        """Mints ``amount`` units of ``asset`` to the receiver on both twins."""
        assert self.send(self.token(asset), "mint", self.receiver, amount) == "ok"
        self.pool.ledger.mint(asset, RECV, amount)

    def set_fee(self, fee_bps: int) -> None:
        """The flash-loan fee on both twins (the risk admin's ``setFlashLoanFee``)."""
        assert self.send(self.rp.chain.pool, "setFlashLoanFee", fee_bps) == "ok"
        self.pool.set_flash_loan_fee(fee_bps)

    def act(self, op: Op) -> str:
        """``op`` made by the receiver outside any flash loan (``execute``) on both twins at the same time; returns
        the outcome, the same on both."""
        chain_out = self.send(self.receiver, "execute", op.contract, op.payload())
        try:
            op.model(self.rp.now)
            model_out = "ok"
        except errors.PoolError as err:
            model_out = err.name
        assert model_out == chain_out, f"{op.method}: model {model_out}, chain {chain_out}"
        return chain_out

    def flash(self, asset: str | Any, amount: int, script: list[Op] = (), adjust: int = 0,
              magic_ok: bool = True) -> tuple[str, str]:
        """One flash loan of ``amount`` of ``asset`` (a name, or a contract the pool never listed) by the receiver
        on both twins at the same block time: the callback runs ``script``, approves ``amount + fee + adjust`` and
        returns the right magic value or not. Returns (model outcome, chain outcome)."""
        magic = b"\x00" * 32 if magic_ok else b"\x01" * 32
        assert self.send(self.receiver, "setScript", [op.contract for op in script],
                         [op.payload() for op in script], adjust, magic) == "ok"
        rp = self.rp
        chain_asset = self.token(asset) if isinstance(asset, str) else asset
        chain_out = self.send(self.receiver, "borrow", chain_asset, amount, b"")
        now = rp.now
        rp.model.view_now = now
        if rp.model.amm is not None:
            rp.model.amm.refresh_pair_feeds(now)

        def callback(initiator: str, asset_: str, amount_: int, fee: int) -> bool:
            for op in script:
                op.model(now)
            self.pool.ledger.approve(asset_, RECV, POOL, amount_ + fee + adjust)
            return magic_ok

        try:
            self.pool.flash_loan(RECV, RECV, asset if isinstance(asset, str) else "unlisted", amount, callback, now)
            model_out = "ok"
        except errors.PoolError as err:
            model_out = err.name
        return model_out, chain_out

    def differences(self) -> list[str]:
        """Every snapshot field and receiver balance that differs between the twins (empty when they agree)."""
        diff = list(self.rp.model.snapshot().diff(self.rp.chain.snapshot()))
        for a in self.rp.scenario.assets:
            on_chain = self.rp.chain.driver.view(self.token(a.name), "balanceOf", self.receiver)
            if on_chain != self.pool.ledger.balance(a.name, RECV):
                diff.append(f"receiver's {a.name}: model {self.pool.ledger.balance(a.name, RECV)}, chain {on_chain}")
        return diff

    def agree(self, model_out: str, chain_out: str, expected: str) -> None:
        """Both outcomes are ``expected`` and every field agrees."""
        assert (model_out, chain_out) == (expected, expected), f"model {model_out}, chain {chain_out}"
        diff = self.differences()
        assert not diff, diff[:5]

    # ---------------------------------------------------------------- ops of the callback (the receiver acts)

    def approve(self, asset: str, spender: Any, amount: int, spender_name: str = POOL) -> Op:
        """``asset.approve(spender, amount)`` by the receiver."""
        return Op(self.token(asset), "approve", (spender, amount),
                  lambda now: self.pool.ledger.approve(asset, RECV, spender_name, amount))

    def transfer(self, asset: str, to: Any, to_name: str, amount: int) -> Op:
        """``asset.transfer(to, amount)`` by the receiver (``to_name`` in the model: POOL for a donation)."""
        return Op(self.token(asset), "transfer", (to, amount),
                  lambda now: self.pool.ledger.transfer(asset, RECV, to_name, amount))

    def pool_op(self, method: str, asset: str, amount: int, *more: Any) -> Op:
        """A pool entry point by the receiver for itself: supply, withdraw, borrow, repay (token, amount, self)."""
        cw, recv = self.rp.chain, self.receiver
        chain_args = {"supply": (cw.tokens[asset], amount, recv), "withdraw": (cw.tokens[asset], amount, recv),
                      "borrow": (cw.tokens[asset], amount), "repay": (cw.tokens[asset], amount, recv)}[method]
        model = {"supply": lambda now: self.pool.supply(RECV, asset, amount, RECV, now),
                 "withdraw": lambda now: self.pool.withdraw_on_behalf(RECV, asset, amount, RECV, RECV, now),
                 "borrow": lambda now: self.pool.borrow_on_behalf(RECV, asset, amount, RECV, RECV, now),
                 "repay": lambda now: self.pool.repay(RECV, asset, amount, RECV, now)}[method]
        return Op(cw.pool, method, chain_args, model)

    def liquidate(self, borrower: str, collateral: str, debt: str, amount: int) -> Op:
        """``pool.liquidate`` by the receiver."""
        cw = self.rp.chain
        return Op(cw.pool, "liquidate", (cw.address_of(borrower), cw.tokens[collateral], cw.tokens[debt], amount),
                  lambda now: self.pool.liquidate(RECV, borrower, collateral, debt, amount, now))

    def nested_flash(self, asset: str, amount: int) -> Op:
        """A second ``flashLoan`` from inside the callback (to the receiver again)."""
        cw = self.rp.chain
        return Op(cw.pool, "flashLoan", (self.receiver, cw.tokens[asset], amount, b""),
                  lambda now: self.pool.flash_loan(RECV, RECV, asset, amount, lambda *a: True, now))

    def swap(self, pair_name: str, asset_in: str, amount_in: int, out: int) -> list[Op]:
        """Sell ``amount_in`` of ``asset_in`` on pair ``pair_name`` for ``out`` of the other asset, to the receiver:
        a transfer in, then ``pair.swap`` (``quote`` gives the exact-input ``out``)."""
        model_pair = self.rp.model.amm.pairs[pair_name]
        outs = (0, out) if asset_in == model_pair.token0 else (out, 0)
        pair = self.rp.chain.amm.pairs[pair_name]
        return [self.transfer(asset_in, pair, pair_name, amount_in),
                Op(pair, "swap", (*outs, self.receiver, b""), lambda now: model_pair.swap(*outs, RECV, now))]


def quote(reserves: dict[str, int], asset_in: str, asset_out: str, amount_in: int) -> int:
    """Uniswap V2's exact-input quote on ``reserves`` (asset -> units), which it updates as the swap would."""
    from protocol_model.exact.amm.uniswap_v2_pair import get_amount_out

    out = get_amount_out(amount_in, reserves[asset_in], reserves[asset_out])
    reserves[asset_in] += amount_in
    reserves[asset_out] -= out
    return out
