"""Extra, network-dependent (skipped here): the importers pointed at the live Aave V3 and Morpho Blue deployments
of config/live_mainnet.yaml, on the fork reset to Ethereum mainnet at the pinned block through the RPC endpoint
named by ``PROTOCOL_MODEL_MAINNET_RPC_URL`` (an archive node). The local-fork tests
(test_preset_importers.py) are the ones that prove the importers; these show the same code on the real
deployments: the twin equals every observable at the block, and a crash's prediction is computed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from .conftest import PINNED_BLOCK, UPSTREAM_PORT, reset_fork

CONFIG = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "live_mainnet.yaml").read_text())
URL = os.environ.get(CONFIG["rpc_url_env"], "")

pytestmark = [pytest.mark.live,
              pytest.mark.skipif(not URL, reason=f"{CONFIG['rpc_url_env']} is not set (a mainnet RPC endpoint)")]


@pytest.fixture
def mainnet_fork(chain, on_local_fork):
    if not on_local_fork:
        pytest.skip("the fork to reset exists only with --network ethereum:forked-protocol")
    reset_fork(chain, URL, CONFIG["block_number"])
    yield chain
    reset_fork(chain, f"http://127.0.0.1:{UPSTREAM_PORT}", PINNED_BLOCK)


def test_live_aave_import_and_crash(mainnet_fork, project):
    from ape import accounts

    from protocol_model.chain.aave_v3.importer import import_aave, predict_aave_price_move
    from protocol_model.world.aave_v3 import MAX, aave_snapshot

    cfg = CONFIG["aave_v3"]
    lens = accounts.test_accounts[0].deploy(project.AaveV3Lens)
    keeper = accounts.test_accounts[1].address
    imported = import_aave(cfg["pool"], from_block=cfg["from_block"], extra_accounts=[keeper], project=project,
                           lens=str(lens.address), allowances=False)
    assert len(imported.account_names) > 1_000
    now = mainnet_fork.blocks.head.timestamp
    assets = [imported.asset_address[a] for a in imported.asset_names]
    for i in range(0, len(imported.account_names), 100):
        names = imported.account_names[i:i + 100]
        chain_words = list(lens.snapshot(cfg["pool"], assets, [imported.account_address[n] for n in names]))
        assert aave_snapshot(imported.pool, now, names) == chain_words, f"accounts {i}..{i + len(names)}"
    # the keeper is funded in the twin only (executing on the fork needs its tokens dealt there too)
    for a in imported.asset_names:
        imported.pool.ledger.mint(a, keeper, 10**40)
        imported.pool.ledger.approve(a, keeper, imported.pool.pool_address, MAX)
    weth = next(a for a in imported.asset_names if a == "WETH")
    prediction = predict_aave_price_move(imported, {weth: imported.pool.prices[weth] * 7 // 10}, keeper, now + 12)
    assert prediction.bad_debt_written_off == 0
    assert all(p.health_factor_wad < 10**18 for p in prediction.liquidations)


def test_live_morpho_import_equals_chain(mainnet_fork, project):
    from protocol_model.chain.driver import connect
    from protocol_model.chain.morpho_blue import compare
    from protocol_model.chain.morpho_importer import chain_world, handle, import_morpho

    cfg = CONFIG["morpho_blue"]
    ids = list(cfg["markets"].values())
    m = handle("Morpho", cfg["morpho"])
    irms = {str(m.idToMarketParams(i)[3]) for i in ids}

    class RateAtBlock:
        """The live AdaptiveCurveIrm has no twin: at the imported block no time has elapsed, nothing accrues."""

        def borrow_rate(self, params, market):
            raise AssertionError("no accrual is expected at the imported block")

    imported = import_morpho(cfg["morpho"], ids, from_block=cfg["from_block"], irms={a: RateAtBlock() for a in irms})
    assert len(imported.account_names) > 10
    assert compare(chain_world(connect(project), imported).observe(), imported.observe()) == []
