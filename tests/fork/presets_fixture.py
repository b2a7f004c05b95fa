"""Build the presets' fork fixture: real Aave V3 (npm @aave/core-v3 1.19.3) and real Morpho Blue 1.0.0 deployed
on a throw-away anvil, used by several accounts (several collaterals, eMode, interest accrued over weeks), then
saved (``anvil_dumpState``) with a record of every address, pinned at ``PRESETS_BLOCK``.

Run by tests/fork/conftest.py as ``python tests/fork/presets_fixture.py STATE RECORD`` when the fixture is
missing or older than its sources. Every call is also played on the exact twin and every observable compared,
so the fixture is a state both twins agree on before the importer ever reads it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRESETS_BLOCK = 300
AAVE_PROTOCOL = ROOT / "protocols" / "aave_v3_market.yaml"
MORPHO_PROTOCOL = ROOT / "protocols" / "morpho_blue_wsteth.yaml"
NAMES = ["lp", "alice", "bob", "carol", "dave", "erin", "keeper"]
DAY = 86_400

# Aave V3 (prices: USDC, DAI 1, WETH 2000, WBTC 60000 USD). HF by hand at the opening prices:
#   alice  10 WETH + 0.5 WBTC, 30,000 USDC: (20000·0.825 + 30000·0.75) / 30000 = 1.30
#   bob    5 WETH, 7,000 DAI: 10000·0.825 / 7000 = 1.18
#   carol  1 WBTC, 35,000 USDC: 60000·0.75 / 35000 = 1.29
#   dave   eMode 1 (stablecoins: DAI at 95 %), 3 WETH + 2,000 DAI, 5,000 USDC: (6000·0.825 + 2000·0.95) / 5000 = 1.37
#   erin   20,000 USDC, 6 WETH: 20000·0.8 / 12000 = 1.33
AAVE_BALANCES = {
    "lp": {"USDC": 2_000_000, "DAI": 600_000, "WETH": 600, "WBTC": 20},
    "alice": {"WETH": 10, "WBTC": 0.5}, "bob": {"WETH": 5}, "carol": {"WBTC": 1},
    "dave": {"WETH": 3, "DAI": 2_000}, "erin": {"USDC": 20_000},
    "keeper": {"USDC": 500_000, "DAI": 200_000, "WETH": 200},
}
AAVE_OPENING = [  # (account, op, asset, whole tokens)
    ("lp", "supply", "USDC", 1_000_000), ("lp", "supply", "DAI", 500_000), ("lp", "supply", "WETH", 500),
    ("lp", "supply", "WBTC", 10),
    ("alice", "supply", "WETH", 10), ("alice", "supply", "WBTC", 0.5), ("alice", "borrow", "USDC", 30_000),
    ("bob", "supply", "WETH", 5), ("bob", "borrow", "DAI", 7_000),
    ("carol", "supply", "WBTC", 1), ("carol", "borrow", "USDC", 35_000),
    ("dave", "emode", "", 1), ("dave", "supply", "WETH", 3), ("dave", "supply", "DAI", 2_000),
    ("dave", "borrow", "USDC", 5_000), ("erin", "supply", "USDC", 20_000), ("erin", "borrow", "WETH", 6),
]
AAVE_LATER = [("alice", "repay", "USDC", 1_000), ("bob", "borrow", "DAI", 100), ("lp", "withdraw", "USDC", 10_000)]

# Morpho Blue (wstETH_USDC: LLTV 86 %, fee 10 %, 3000 USDC; wstETH_WETH: LLTV 94.5 %, 1.18 WETH). Liquidation
# prices by hand: alice 20000 / (10·0.86) = 2325.6, bob 5000 / (2·0.86) = 2907.0, dave 2300 / 0.86 = 2674.4,
# carol 4 / (5·0.945) = 0.8466 WETH per wstETH.
MORPHO_BALANCES = {"lp": {"USDC": 1_000_000, "WETH": 1_000}, "alice": {"wstETH": 10}, "bob": {"wstETH": 2},
                   "carol": {"wstETH": 5}, "dave": {"wstETH": 1}, "keeper": {"USDC": 500_000, "WETH": 500}}
MORPHO_OPENING = [  # (account, op, market, whole tokens)
    ("lp", "supply", "wstETH_USDC", 1_000_000), ("lp", "supply", "wstETH_WETH", 1_000),
    ("alice", "supply_collateral", "wstETH_USDC", 10), ("alice", "borrow", "wstETH_USDC", 20_000),
    ("bob", "supply_collateral", "wstETH_USDC", 2), ("bob", "borrow", "wstETH_USDC", 5_000),
    ("dave", "supply_collateral", "wstETH_USDC", 1), ("dave", "borrow", "wstETH_USDC", 2_300),
    ("carol", "supply_collateral", "wstETH_WETH", 5), ("carol", "borrow", "wstETH_WETH", 4),
]


def _head() -> int:
    from ape import chain

    return int(chain.blocks.head.number)


def _units(amount: float, decimals: int) -> int:
    from decimal import Decimal

    return int(Decimal(str(amount)) * 10**decimals)


def build_aave(driver, test_accounts, at: int) -> tuple[dict, int]:
    """Deploy and use the Aave market; every step agrees with the twin. Returns (record part, last time)."""
    from protocol_model.chain.aave_v3.replay import AaveChainWorld
    from protocol_model.scenario.protocol import load_protocol
    from protocol_model.world.aave_v3 import TREASURY, AaveAction

    params = load_protocol(AAVE_PROTOCOL).aave_v3.params()
    decimals = {r.symbol: r.decimals for r in params.reserves}
    balances = {n: {a: _units(v, decimals[a]) for a, v in held.items()} for n, held in AAVE_BALANCES.items()}
    deploy_block = _head() + 1
    world = AaveChainWorld.deploy(driver, params, list(test_accounts), NAMES, balances)
    at = max(at, driver.now())

    def play(steps, step_seconds: int) -> None:
        nonlocal at
        for i, (acct, op, asset, amount) in enumerate(steps):
            at += step_seconds
            action = AaveAction("emode", acct, number=amount) if op == "emode" else \
                AaveAction(op, acct, asset, _units(amount, decimals[asset]))
            r = world.step(i, action, at)
            assert r.agrees and r.chain == "ok", (action.describe(), r)

    play(AAVE_OPENING, 12)
    at += 30 * DAY
    play(AAVE_LATER, 12)
    at += 10 * DAY
    driver.mine(at)
    assert world.compare() == ()
    record = {"pool": str(world.market.pool.address), "lens": str(world.lens.address), "deploy_block": deploy_block,
              "assets": {s: str(t.address) for s, t in world.market.tokens.items()},
              "accounts": {n: str(a.address) for n, a in world.accounts.items() if n != TREASURY},
              "treasury": str(world.accounts[TREASURY].address)}
    return record, at


def build_morpho(driver, test_accounts, at: int) -> tuple[dict, int]:
    """Deploy and use Morpho Blue; every step agrees with the twin. Returns (record part, last time)."""
    from protocol_model.chain.morpho_blue import compare, deploy
    from protocol_model.scenario.protocol import load_protocol
    from protocol_model.world.morpho_blue_world import OK, MorphoOp

    spec = load_protocol(MORPHO_PROTOCOL).morpho
    accounts = dict(zip([*NAMES, "treasury"], [*test_accounts[1:len(NAMES) + 1], test_accounts[-1]], strict=True))
    deploy_block = _head() + 1
    chain, model, now = deploy(driver, spec, test_accounts[0], accounts, "treasury")
    now = max(now, at)
    addr = chain.addresses

    def apply(op: MorphoOp) -> None:
        nonlocal now
        now += 12
        got, want = chain.apply(op, now), model.apply(op, now)
        assert got == want == OK, (op.describe(), got, want)

    for name, held in MORPHO_BALANCES.items():
        for token, amount in held.items():
            apply(MorphoOp("set_balance", addr.owner, token=addr.tokens[token], on_behalf=addr.accounts[name],
                           value=spec.units(token, amount, "balance")))
    for who, op, market, amount in MORPHO_OPENING:
        m = spec.markets[market]
        token = m.collateral_token if op == "supply_collateral" else m.loan_token
        a = addr.accounts[who]
        apply(MorphoOp(op, a, market, assets=spec.units(token, amount, op), on_behalf=a, receiver=a))
    now += 30 * DAY
    apply(MorphoOp("accrue_interest", addr.accounts["keeper"], "wstETH_USDC"))
    apply(MorphoOp("repay", addr.accounts["alice"], "wstETH_USDC", assets=spec.units("USDC", 500, "repay"),
                   on_behalf=addr.accounts["alice"]))
    now += 5 * DAY
    driver.mine(now)
    assert compare(chain.observe(), model.observe()) == []
    record = {"morpho": addr.morpho, "deploy_block": deploy_block, "tokens": dict(addr.tokens),
              "markets": {n: "0x" + mid.hex() for n, mid in chain.ids.items()},
              "accounts": {n: a for n, a in addr.accounts.items() if n != "owner"}}
    return record, now


def build(state: Path, record_path: Path) -> None:
    """Deploy both presets on a fresh anvil, mine to ``PRESETS_BLOCK``, save the state and the record."""
    from ape import accounts, chain

    from protocol_model.chain.driver import connect
    from protocol_model.chain.state import dump_state
    from protocol_model.chain.story_chain import local_chain

    with local_chain() as project:
        driver = connect(project, via_ape=False)  # the raw JSON-RPC path: several times faster
        test = accounts.test_accounts
        aave, at = build_aave(driver, test, driver.now())
        morpho, _ = build_morpho(driver, test, at)
        head = chain.blocks.head.number
        if head >= PRESETS_BLOCK:
            raise SystemExit(f"the presets fixture reached block {head}, beyond PRESETS_BLOCK {PRESETS_BLOCK}")
        chain.provider.make_request("anvil_mine", [hex(PRESETS_BLOCK - head)])
        block = chain.blocks.head
        dump_state(chain.provider.web3.provider.make_request, state)
        record = {"block_number": block.number, "block_hash": "0x" + bytes(block.hash).hex().removeprefix("0x"),
                  "block_timestamp": block.timestamp, "keeper": aave["accounts"]["keeper"],
                  "aave": aave, "morpho": morpho}
        record_path.write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]))
