"""Outcome checks of the oracle stories, each derived by hand from the scenario's numbers (floats,
independent of the integer engine) and shared by the chain replay and the model-only test."""

from __future__ import annotations

from decimal import Decimal

from protocol_model.oracle_outcome import Outcome


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


CHECKS = {
    "stale_crash": check_stale_crash,
}
