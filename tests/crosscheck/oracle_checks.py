"""Outcome checks of the oracle stories, each derived by hand from the scenario's numbers (floats,
independent of the integer engine) and shared by the chain replay and the model-only test."""

from __future__ import annotations

from decimal import Decimal

from protocol_model.world.oracle_outcome import Outcome


def close(x: Decimal, y: float, rel: float = 0.01) -> bool:
    return abs(float(x) - y) <= rel * abs(y)


def check_stale_crash(naive: Outcome, protected: Outcome, scenario) -> None:
    # Naive: the only liquidation runs at $1,300 and seizes all 10 WETH, which pays for
    # 10 · 1300 / 1.05 USDC of the 15,000 owed (plus three hours of interest, < 0.1%); the rest is bad debt.
    expected_bad = 15_000 - 10 * 1300 / 1.05
    assert naive.liquidations == 1
    assert close(naive.bad_debt_usd, expected_bad), (naive.bad_debt_usd, expected_bad)
    # Protected: the fallback's $1,700 lets the liquidation run an hour in (HF 17000·0.825/15000 = 0.935,
    # below the 0.95 full-close line): 15,000 · 1.05 / 1700 = 9.26 WETH < 10, so nothing is written off.
    assert protected.liquidations == 1
    assert protected.bad_debt_usd == 0 and protected.hidden_insolvency_usd == 0
    assert not naive.wrongly_liquidated and not protected.wrongly_liquidated


def check_single_venue_spike(naive: Outcome, protected: Outcome, scenario) -> None:
    # Naive: at $1.30 the 15,000 DAI debt counts 19,500; HF = 20,000·0.825 / 19,500 = 0.846 < 0.95, so all
    # of it may be repaid; 15,000·1.30·1.05/2000 = 10.24 WETH > 10,
    # so all 10 WETH are seized and the repayment shrinks to 10·2000/1.05/1.30 = 14,652.0 DAI.
    repaid = 10 * 2000 / 1.05 / 1.30
    assert naive.liquidations == 1 and naive.wrongly_liquidated == ["alice"]
    assert close(naive.bad_debt_usd, 15_000 - repaid), naive.bad_debt_usd
    # Carol pays 14,652 DAI (worth $1 each) and keeps the seized WETH minus the protocol's 10% of the bonus.
    kept_weth = 10 - (10 - 10 / 1.05) * 0.10
    assert close(naive.profit_usd["carol"], kept_weth * 2000 - repaid), naive.profit_usd["carol"]
    assert protected.liquidations == 0 and not protected.wrongly_liquidated
    assert protected.bad_debt_usd == 0 and protected.hidden_insolvency_usd == 0


def check_luna_floor(naive: Outcome, protected: Outcome, scenario) -> None:
    # Naive: 1,000,000 LUNA at the $0.10 floor, LTV 50%: capacity $50,000, all borrowed; at the market's
    # $0.0001 the collateral is worth $100, so Mallory walks away with 50,000 − 100.
    assert close(naive.profit_usd["mallory"], 50_000 - 100)
    assert close(naive.hidden_insolvency_usd, 50_000 - 100)
    assert protected.profit_usd["mallory"] == 0 and protected.loss_usd == 0


def check_stablecoin_depeg(naive: Outcome, protected: Outcome, scenario) -> None:
    # Naive: Alice owes 45 WETH ($90,000) against 100,000 USDC worth $87,000: $3,000 hidden, plus
    # Mallory's 44.9 WETH ($89,800) against another $87,000: $2,800. Nobody can liquidate (HF 1.033).
    assert naive.liquidations == 0
    assert close(naive.hidden_insolvency_usd, 3_000 + 2_800), naive.hidden_insolvency_usd
    assert close(naive.profit_usd["mallory"], 2_800), naive.profit_usd["mallory"]
    # Protected: HF = 87,000·0.80/75,000 = 0.928 < 0.95: the whole 37.5 WETH is repaid and
    # 75,000·1.05/0.87 = 90,517 USDC seized; no loss, and Mallory's cheap USDC gives no profit.
    assert protected.liquidations == 1 and protected.loss_usd == 0
    assert abs(protected.profit_usd["mallory"]) < 1
    assert close(protected.profit_usd["alice"], -75_000 * 0.05), protected.profit_usd["alice"]


def check_sequencer_outage(naive: Outcome, protected: Outcome, scenario) -> None:
    # Naive: at $1,750 HF = 17,500·0.825/15,000 = 0.9625 (above 0.95: close factor 50%): 7,500 USDC repaid,
    # Alice pays the 5% bonus on it, 375 USD, before she could react.
    assert naive.liquidations == 1
    assert close(naive.profit_usd["alice"], -7_500 * 0.05), naive.profit_usd["alice"]
    assert protected.liquidations == 0 and abs(protected.profit_usd["alice"]) < 1


def check_osm_delay(naive: Outcome, protected: Outcome, scenario) -> None:
    # Protected (no delay): the float walk-through in osm_story gives liquidations at every tick from
    # $1,714.75 down, each leaving the position healthier; nothing is lost. Naive (one hour): the first
    # liquidation waits until the delayed price is below 15,000 / (10 · 0.825) = $1,818, when the market is
    # six ticks lower; the rest of the position ends the crash underwater at the market price.
    assert protected.loss_usd == 0 and protected.liquidations > naive.liquidations
    assert naive.loss_usd > 0 and not naive.wrongly_liquidated


def check_spot_manipulation(naive: Outcome, protected: Outcome, scenario) -> None:
    # Mallory sells 300,000 USDC into the 100,000/100,000 pair: she gets
    # 300,000·0.997·100,000 / (100,000 + 300,000·0.997) = 74,943.62 TKN, leaving 25,056.38 TKN / 400,000 USDC.
    out = 300_000 * 0.997 * 100_000 / (100_000 + 300_000 * 0.997)
    spot = 400_000 / (100_000 - out)
    # Naive (spot feed): capacity 74,943 · 15.964 · 0.75 = 897,293 >= 890,000, so the borrow passes.
    assert 74_943 * spot * 0.75 > 890_000
    # At the market's $1 she keeps 890,000 USDC + the 0.62 TKN she did not supply, for 300,000 spent; her
    # 890,000 debt against 74,943 TKN of collateral is left on the books.
    assert close(naive.profit_usd["mallory"], 890_000 + (out - 74_943) - 300_000), naive.profit_usd["mallory"]
    assert close(naive.hidden_insolvency_usd, 890_000 - 74_943), naive.hidden_insolvency_usd
    assert naive.bad_debt_usd == 0 and naive.liquidations == 0
    # Protected (TWAP since the feed's deployment, ~3,603 s): the pumped price held for 2 s moves the
    # average by (15.964 − 1)·2/3,603 < 1%: capacity ~56,700, so 890,000 is refused and 50,000 passes;
    # she is left with 74,943.62 TKN ($1) for 300,000 USDC, the pool with a healthy 50,000 loan.
    assert close(protected.profit_usd["mallory"], out - 300_000), protected.profit_usd["mallory"]
    assert protected.loss_usd == 0 and protected.liquidations == 0


CHECKS = {
    "spot_manipulation": check_spot_manipulation,
    "osm_delay": check_osm_delay,
    "stale_crash": check_stale_crash,
    "single_venue_spike": check_single_venue_spike,
    "luna_floor": check_luna_floor,
    "stablecoin_depeg": check_stablecoin_depeg,
    "sequencer_outage": check_sequencer_outage,
}
