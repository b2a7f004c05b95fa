"""Stablecoin quality in the risk lab (protocol_model/sim/stable.py, stable_spec.py): the redemption floor and
its queue by hand, a wrong-way link moving a liquidation to where the algebra puts it, common random
numbers, validated definition files and the ``stablecoin`` CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from protocol_model.analytics.stablecoin import RedemptionTerms
from protocol_model.cli import main
from protocol_model.sim.books import Book
from protocol_model.sim.cascade import run_cascade
from protocol_model.sim.config import AssetRisk, CascadeParams
from protocol_model.sim.paths import Bridge, Gbm, JumpDiffusion, MarketModel
from protocol_model.sim.spec import LabSpecError, load_simulation
from protocol_model.sim.stable import Redemption, StableCoin, StableMarket, WrongWay
from protocol_model.sim.stable_spec import coin_stats, compare

LAB = Path(__file__).resolve().parents[2] / "scenarios" / "lab"
STABLE = LAB / "stable_redeemable.yaml"


def _prices(market: MarketModel, steps: int, paths: int = 1, seed: int = 0) -> np.ndarray:
    s = market.stream(np.random.default_rng(seed), paths, [1.0] * len(market.drivers), steps)
    return np.stack([s.next() for _ in range(steps)])  # (steps, paths, assets)


def test_redemption_floor_and_queue_by_hand():
    base = MarketModel((Bridge(0.0, ((2, 0.9), (4, 1.0))),))  # daily steps: 0.9^½, 0.9, 0.9^½, 1
    terms = RedemptionTerms(delay_days=1, fee_bps=10, minimum=0, daily_capacity=1e5)
    red = Redemption(terms, depth_usd=10e6, wait_cost_bps_per_day=100)
    got = _prices(StableMarket.wrap(base, (StableCoin(0, red),)), 4)[:, 0, 0]
    # by hand: floor = (1 − 0.001)·(1 − 0.01·wait); arbitrage = depth·(1/√b − 1/√floor) joins the queue
    queue, expect = 0.0, []
    for b in (0.9**0.5, 0.9, 0.9**0.5, 1.0):
        queue -= min(queue, 1e5)  # one day of capacity
        floor = 0.999 * (1 - 0.01 * (queue / 1e5 + 1))
        if b < floor:
            queue += 10e6 * (1 / math.sqrt(b) - 1 / math.sqrt(floor))
            b = floor
        expect.append(b)
    np.testing.assert_allclose(got, expect, rtol=1e-12)
    assert expect[1] < expect[0]  # 111k of step 1's 211k still queued: a longer wait, a lower floor
    # an arbitrage below the minimum size is not possible: the driver's price stands
    small = Redemption(RedemptionTerms(1, 10, 1e9, 1e5), 10e6, 100)
    np.testing.assert_allclose(_prices(StableMarket.wrap(base, (StableCoin(0, small),)), 4)[:, 0, 0],
                               [0.9**0.5, 0.9, 0.9**0.5, 1.0], rtol=1e-12)
    # a closed window [1, 3) adds the days until it reopens: 2 + 0 + 1 = 3 days at step 1
    shut = Redemption(terms, 10e6, 100, ((1, 3),))
    assert _prices(StableMarket.wrap(base, (StableCoin(0, shut),)), 1)[0, 0, 0] == pytest.approx(0.999 * 0.97)


def test_transform_draws_no_random_numbers():
    base = MarketModel((Gbm(0.8), JumpDiffusion(0.5, 10, -0.1, 0.1)), ((1, 0.3), (0.3, 1)))
    plain = _prices(base, 20, paths=50, seed=7)
    wrapped = _prices(StableMarket.wrap(base, (StableCoin(0),)), 20, paths=50, seed=7)
    assert np.array_equal(plain, wrapped)


def test_wrong_way_link_brings_the_liquidation_where_the_algebra_puts_it():
    # one position: stablecoin S collateral, V debt (short V); V rises log-linearly to 1.5× over 50 steps
    params = CascadeParams((AssetRisk("S", 1.0, 8_000, 8_500, 500), AssetRisk("V", 1.0, 7_000, 7_500, 500)))
    book = Book.sorted([0], [1], [10_000.0], [10_000 * 0.85 / 1.2])  # HF 1.2 at step 0
    base = MarketModel((Gbm(0.0), Bridge(0.0, ((50, 1.5),))), step_seconds=3600)

    def first_liquidation(beta: float) -> int:
        market = StableMarket.wrap(base, (StableCoin(0, wrong_way=WrongWay(1, beta, "rise")),))
        out = run_cascade(params, book, market, np.random.default_rng(0), 1, 40, record_events=True)
        return out.events[0][1]

    # HF = 1.2·(1 − βx)/(1 + x) < 1  ⇔  x > 0.2/(1 + 1.2β); V at step t is 1.5^(t/50)
    for beta in (0.0, 0.5, 1.0):
        x = 0.2 / (1 + 1.2 * beta)
        assert first_liquidation(beta) == math.floor(50 * math.log(1 + x) / math.log(1.5)) + 1, beta
    assert first_liquidation(1.0) < first_liquidation(0.0)
    # a link on a fall does nothing to a position short the rising asset
    falling = StableMarket.wrap(base, (StableCoin(0, wrong_way=WrongWay(1, 1.0, "fall")),))
    assert np.all(_prices(falling, 40)[:, 0, 0] == 1.0)


def _write(tmp_path, data, name="sim.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data))
    return p


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["assets"]["USDC"]["redemption"].update(fee_bps=-1), "assets.USDC.redemption.fee_bps"),
    (lambda d: d["assets"]["USDC"]["redemption"].update(daily_capacity_usd=0),
     "assets.USDC.redemption.daily_capacity_usd"),
    (lambda d: d["assets"]["USDC"]["redemption"].update(closed_steps=[[5, 2]]), "closed_steps.0: window [5, 2)"),
    (lambda d: d["assets"]["USDC"]["redemption"].update(queue=1), "assets.USDC.redemption.queue"),
    (lambda d: d["assets"]["USDC"].pop("amm_depth_usd"), "redemption.depth_usd: needed"),
    (lambda d: d["assets"]["USDC"]["wrong_way"].update(asset="WBTC"),
     "assets.USDC.wrong_way.asset: unknown asset 'WBTC'"),
    (lambda d: d["assets"]["USDC"]["wrong_way"].update(asset="USDC"), "cannot follow itself"),
    (lambda d: d["assets"]["USDC"]["wrong_way"].update(when="sideways"), "assets.USDC.wrong_way.when"),
])
def test_bad_stablecoin_fields_are_named(tmp_path, mutate, message):
    data = yaml.safe_load(STABLE.read_text())
    mutate(data)
    with pytest.raises(LabSpecError) as err:
        load_simulation(_write(tmp_path, data))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_redemption_and_wrong_way_in_a_lab_book():
    spec = load_simulation(STABLE)
    rows = {r["variant"]: r for r in compare(spec, paths=400, workers=1)}
    assert list(rows) == ["as written", "no redemption", "no wrong-way link", "neither"]
    p = {k: r["bad_debt_probability"] for k, r in rows.items()}
    # redemption (the arbitrage floor) shrinks the depeg; the wrong-way link adds to it, on the same paths
    assert p["as written"] < p["no redemption"] and p["neither"] < p["no redemption"]
    assert p["no wrong-way link"] <= p["as written"] and p["neither"] <= p["no redemption"]
    assert rows["no redemption"]["bad_debt_cvar99_usd"] > 5 * rows["as written"]["bad_debt_cvar99_usd"]
    coin = {k: r["coins"]["USDC"] for k, r in rows.items()}
    assert coin["neither"]["min_price_median"] == pytest.approx(0.87, abs=1e-12)  # the bridge's pin
    # at step 4 the driver is 0.87^(4/6) ≈ 0.911; the window reopens in 6 steps: wait 1.5 + 0 + 1 days
    assert coin["no wrong-way link"]["min_price_median"] == pytest.approx(0.999 * (1 - 0.03 * 2.5))
    assert coin["as written"]["min_price_p1"] < coin["no wrong-way link"]["min_price_p1"]
    assert coin["no redemption"]["redeemed_mean_usd"] == 0 < coin["as written"]["redeemed_mean_usd"]
    # a slower issuer: a longer queue, a longer wait, a lower floor (same seed)
    slow = spec.model_copy(update={"assets": [spec.assets[0].model_copy(update={"redemption": spec.assets[
        0].redemption.model_copy(update={"daily_capacity_usd": 1e6})}), spec.assets[1]]})
    s, f = coin_stats(slow, [0], 400)["USDC"], coin["as written"]
    assert s["max_wait_days_p99"] > f["max_wait_days_p99"] + 1 and s["min_price_p1"] < f["min_price_p1"]


def test_stablecoin_cli(tmp_path, capsys):
    assert main(["stablecoin", str(STABLE), "--paths", "200", "--workers", "1", "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 0
    doc = json.loads((tmp_path / "o" / "stable.json").read_text())
    assert [r["variant"] for r in doc["rows"]] == ["as written", "no redemption", "no wrong-way link", "neither"]
    assert "| as written | USDC |" in (tmp_path / "o" / "stable.md").read_text()
    assert main(["simulate", str(STABLE), "--paths", "100", "--workers", "1", "--out", str(tmp_path / "s"),
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["stablecoin", str(LAB / "eth_crash.yaml"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "eth_crash.yaml: assets: no asset has 'redemption' or 'wrong_way'" in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()
