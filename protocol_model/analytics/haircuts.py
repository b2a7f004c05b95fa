"""Collateral haircuts by liquidity/volatility class and concentration limits per issuer (exact integers).

A haircut makes one dollar of collateral count as less than a dollar of usable margin (seed 000, "Why
collateral quality still matters"); a concentration limit stops one issuer's token from carrying more than
a share of the margin. Values are WAD dollars, rates in bps, every result rounded down (the venue's side).
See docs/haircuts.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol_model.exact.math_lib import BPS, bps_mul_down


@dataclass(frozen=True)
class HaircutClass:
    """A collateral class and its haircut in bps (docs/haircuts.md).

    Raises ``ValueError`` if ``haircut_bps`` is not within 0..10,000.
    """

    name: str
    haircut_bps: int
    """Share of market value not counted as margin."""

    def __post_init__(self) -> None:
        if not 0 <= self.haircut_bps <= BPS:
            raise ValueError(f"{self.name}: haircut_bps ({self.haircut_bps}) must be within 0..{BPS}")


# Illustrative schedule (a venue sets its own): what each class loses in a forced sale within a day or two.
CLASSES = {c.name: c for c in (
    HaircutClass("payment_stablecoin", 200),  # redeemable at par by a supervised issuer; delay and fee risk
    HaircutClass("offshore_stablecoin", 800),  # par redemption with weaker disclosure or access
    HaircutClass("bridged_stablecoin", 2_500),  # a bridge's claim on a stablecoin: bridge and liquidity risk
    HaircutClass("major_crypto", 3_000),
    HaircutClass("long_tail_crypto", 6_000),
)}


@dataclass(frozen=True)
class Holding:
    """One collateral holding: asset, its issuer (for the concentration limit) and haircut class name.

    Raises ``ValueError`` if ``value_wad`` is negative.
    """

    asset: str
    issuer: str
    haircut_class: str
    value_wad: int
    """Market value in dollars (WAD)."""

    def __post_init__(self) -> None:
        if self.value_wad < 0:
            raise ValueError(f"{self.asset}: value_wad ({self.value_wad}) is negative")


@dataclass(frozen=True)
class HoldingMargin:
    """A holding's margin: ``after_haircut_wad`` = ⌊value·(1 − haircut)⌋, then ``usable_wad`` (WAD dollars)."""

    holding: Holding
    after_haircut_wad: int
    usable_wad: int
    """After the haircut and the issuer's concentration cap."""


def usable_margin(holdings: list[Holding], issuer_limit_bps: int = BPS,
                  classes: dict[str, HaircutClass] = CLASSES) -> list[HoldingMargin]:
    """Each holding's usable margin: ⌊value·(1 − haircut)⌋, then each issuer's total capped at
    ⌊limit · Σ after-haircut⌋ (the excess counts zero; the cap is shared pro rata, rounded down).

    Values in WAD dollars, rounded down with ``bps_mul_down``; one result per holding, in order (docs/haircuts.md).
    Raises ``ValueError`` if ``issuer_limit_bps`` is not within 1..10,000 or a holding's class is unknown.
    """
    if not 0 < issuer_limit_bps <= BPS:
        raise ValueError(f"issuer_limit_bps ({issuer_limit_bps}) must be within 1..{BPS}")
    after = []
    for h in holdings:
        if h.haircut_class not in classes:
            raise ValueError(f"{h.asset}: unknown haircut_class '{h.haircut_class}' (known: {sorted(classes)})")
        after.append(bps_mul_down(h.value_wad, BPS - classes[h.haircut_class].haircut_bps))
    cap = bps_mul_down(sum(after), issuer_limit_bps)
    by_issuer: dict[str, int] = {}
    for h, a in zip(holdings, after, strict=True):
        by_issuer[h.issuer] = by_issuer.get(h.issuer, 0) + a
    out = []
    for h, a in zip(holdings, after, strict=True):
        total = by_issuer[h.issuer]
        usable = a if total <= cap else a * cap // total
        out.append(HoldingMargin(h, a, usable))
    return out


def total_usable_wad(holdings: list[Holding], issuer_limit_bps: int = BPS) -> int:
    """Σ usable margin of :func:`usable_margin` with the default classes (WAD dollars, rounded down).

    Raises ``ValueError`` as :func:`usable_margin`.
    """
    return sum(m.usable_wad for m in usable_margin(holdings, issuer_limit_bps))
