"""A preset lab path (``sim.onchain_presets.PresetReplay``) replayed on the REAL protocol's bytecode on a fresh
in-process chain (revm): Aave V3 1.19.3 from npm ``@aave/core-v3``'s own artifacts (``chain.aave_v3.deploy``) or
Morpho Blue 1.0.0 compiled by ``make setup`` (``chain.morpho_blue``).

Every call the exact twin's keeper made (the lab's oracle prices posted, the opening supplies and borrows, each
liquidation, and for Morpho the liquidation by shares the protocol refused before the seize-all) is sent to the
chain and applied to a fresh twin at the same block time, and every observable (Aave: ``AaveV3Lens.snapshot``;
Morpho: markets, positions and token balances) is compared to the wei after every call. All calls share one
block time, as in the keeper's twin (no interest accrues). The chain's liquidations and bad debt are read from the
chain itself (Aave: the variable debt of accounts left without aTokens; Morpho: the drops of a market's total
supply assets, its realised bad debt) and judged by ``sim.onchain_presets.check_preset_replay``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from protocol_model.sim.onchain import PathCheck
from protocol_model.sim.onchain_presets import PresetReplay, check_preset_replay

Step = tuple[str, str, str, str, tuple]
"""(call, twin outcome, chain outcome, the keeper's outcome, observables that differ)"""


def _aave(replay: PresetReplay) -> tuple[list[Step], int, dict[str, int]]:
    from protocol_model.chain.aave_v3.replay import AaveChainWorld
    from protocol_model.chain.inprocess import InProcessChain

    run = replay.run
    chain = InProcessChain()
    world = AaveChainWorld.deploy(chain, run.market, chain.accounts, list(run.accounts), run.balances)
    at, steps, liquidations = chain.now(), [], 0
    for i, (action, expected) in enumerate(run.calls):
        r = world.step(i, action, at)
        steps.append((action.describe(), r.model, r.chain, expected, r.mismatches))
        liquidations += action.op == "liquidate" and r.chain == "ok"
    market, bad = world.market, {s: 0 for s in world.assets}
    for user in run.accounts[:len(replay.positions)]:
        address = world.accounts[user].address
        if any(chain.view(market.a_tokens[s], "balanceOf", address) for s in world.assets):
            continue
        for s in world.assets:
            bad[s] += int(chain.view(market.variable_debt[s], "balanceOf", address))
    return steps, liquidations, bad


def _morpho(replay: PresetReplay) -> tuple[list[Step], int, dict[str, int]]:
    from protocol_model.chain.morpho_blue import compare, deploy, in_process_chain

    run, spec = replay.run, replay.run.market
    assert run.addresses is not None
    chain = in_process_chain()
    named = {n: chain.accounts[i + 1] for i, n in enumerate(run.accounts)}
    world, twin, at = deploy(chain, spec, chain.accounts[0], named)
    ours, theirs = run.addresses, world.addresses
    moved = {ours.morpho: theirs.morpho, ours.owner: theirs.owner, ours.irm: theirs.irm,
             **{ours.tokens[t]: theirs.tokens[t] for t in ours.tokens},
             **{ours.accounts[n]: theirs.accounts[n] for n in ours.accounts}}

    def on_chain(op: Any) -> Any:
        return replace(op, **{k: moved.get(getattr(op, k), getattr(op, k))
                              for k in ("sender", "on_behalf", "receiver", "token")})

    def supplied(seen: dict[str, Any], m: str) -> int:  # the market's totalSupplyAssets
        return int(seen[f"market {m}"][0])

    supply = {m: supplied(world.observe(), m) for m in spec.markets}
    steps, liquidations, bad = [], 0, {t: 0 for t in spec.tokens}
    for op, expected in run.calls:
        moved_op = on_chain(op)
        got, want = world.apply(moved_op, at), twin.apply(moved_op, at)
        seen = world.observe()
        steps.append((op.describe(), want, got, expected, tuple(compare(seen, twin.observe()))))
        liquidations += op.kind == "liquidate" and got == "ok"
        for m, before in supply.items():
            now = supplied(seen, m)
            if op.kind == "liquidate" and now < before:
                bad[spec.markets[m].loan_token] += before - now
            supply[m] = now
    return steps, liquidations, bad


def play_preset(replay: PresetReplay) -> tuple[list[Step], int, dict[str, int]]:
    """Deploy ``replay``'s protocol (``replay.run.market``) on a fresh in-process chain and replay every call of
    its twin with a fresh twin beside the chain: (one ``Step`` per call, liquidations that passed on chain, asset
    -> bad debt read from the chain in token units). Raises ``ValueError`` for a rule set with no real protocol
    here, ``AaveArtifactsMissing`` / ``MorphoArtifactsMissing`` when the bytecode is not installed (``make
    setup``)."""
    play = {"aave-v3": _aave, "morpho-blue": _morpho}.get(replay.rules)
    if play is None:
        raise ValueError(f"rules: {replay.rules}: no real protocol to replay on (aave-v3, morpho-blue)")
    return play(replay)


def verify_preset(replay: PresetReplay) -> PathCheck:
    """:func:`play_preset`, judged by ``sim.onchain_presets.check_preset_replay``."""
    return check_preset_replay(replay, *play_preset(replay))
