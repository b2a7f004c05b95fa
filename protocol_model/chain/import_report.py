"""What ``protocol-model import`` prints and writes from an :class:`~protocol_model.chain.import_command.ImportView`:
the summary table, the prediction, the output folder's files (``import.json``, ``positions.csv``,
``liquidations.csv``) and the lab book file (the format of ``protocol_model.sim.book_file``, read by ``compare --book``:
``position,collateral,debt,collateral_tokens,debt_tokens``, whole tokens, a name on several rows = one
cross-collateral account).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal, Inexact, localcontext
from pathlib import Path

from protocol_model.chain.import_command import HF_BUCKETS, ImportView, LiquidationRow, PositionRow, tokens
from protocol_model.exact.decimal_context import EXACT
from protocol_model.scenario.base import ScenarioError
from protocol_model.sim.book_file import BOOK_COLUMNS

SHOWN_PLACES = 6
"""Decimal places of the amounts printed (rounded half-even); ``import.json`` and the CSV files are exact."""


def shown(value: Decimal) -> str:
    """``1,234.5``: at most ``SHOWN_PLACES`` decimals (half-even), trailing zeros dropped; every integer digit is
    kept (the project's ``EXACT`` context, 200 digits, with only this deliberate rounding let through)."""
    with localcontext(EXACT) as ctx:  # a copy: EXACT itself keeps trapping Inexact
        ctx.traps[Inexact] = False
        q = value.quantize(Decimal(1).scaleb(-SHOWN_PLACES))
        return f"{q.normalize() if q else Decimal(0):,f}"


def _amount(units: int, decimals: int | None, symbol: str) -> str:
    """``1,234.5 WETH``, or ``1234500 units of X`` when the decimals are unknown."""
    if decimals is None:
        return f"{units} units of {symbol}"
    return f"{shown(tokens(units, decimals))} {symbol}"


SHOWN_POSITIONS = 5
"""Positions listed under "lowest health factors" (every one is in positions.csv)."""


def _money(value: Decimal, unit: str) -> str:
    return f"${value:,.2f}" if unit == "USD" else f"{shown(value)} {unit}"


def hf_distribution(positions: Iterable[PositionRow]) -> dict[str, int]:
    """Indebted positions per health-factor bucket (``< 1``, ``1-1.05``, ..., ``>= 2``; ``n/a`` without one)."""
    labels = [f"< {HF_BUCKETS[0]}"] + [f"{a}-{b}" for a, b in zip(HF_BUCKETS, HF_BUCKETS[1:], strict=False)] + \
        [f">= {HF_BUCKETS[-1]}"]
    out = dict.fromkeys([*labels, "n/a"], 0)
    for p in positions:
        if p.health_factor is None:
            out["n/a"] += 1
            continue
        out[labels[sum(p.health_factor >= b for b in HF_BUCKETS)]] += 1
    return out


def _totals(positions: Iterable[PositionRow]) -> dict[str, tuple[Decimal, Decimal]]:
    """(collateral value, debt value) summed per unit (USD, or each Morpho loan token)."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for p in positions:
        c, d = out.get(p.unit, (Decimal(0), Decimal(0)))
        out[p.unit] = (EXACT.add(c, p.collateral_value), EXACT.add(d, p.debt_value))  # exact, never 28 digits
    return out


def summary_lines(view: ImportView) -> list[str]:
    """The import's summary: where and when, the assets or markets table, accounts and indebted positions, total
    collateral and debt, the health-factor distribution, and the positions liquidatable now."""
    when = datetime.fromtimestamp(view.block_timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    kind = "market" if view.preset == "morpho-blue" else "reserve"
    lines = [f"{view.preset} at {view.address}, block {view.block_number} ({when}): {len(view.assets)} {kind}s, "
             f"{view.accounts} accounts, {len(view.positions)} indebted positions"]
    width = max([len(kind), *(len(a.name) for a in view.assets)])
    lines.append(f"{kind:<{width}}  {'price':>14}  {'supplied':>22}  {'borrowed':>22}  terms")
    for a in view.assets:
        d = view.decimals.get(a.symbol)
        sup, bor = (shown(tokens(x, d)) if d is not None else f"{x} units" for x in (a.supplied, a.borrowed))
        lines.append(f"{a.name:<{width}}  {shown(a.price):>14}  {sup:>22}  {bor:>22}  {a.terms}")
    for unit, (coll, debt) in _totals(view.positions).items():
        lines.append(f"total collateral {_money(coll, unit)}, total debt {_money(debt, unit)} (indebted positions)")
    dist = hf_distribution(view.positions)
    lines.append("health factors: " + " | ".join(f"{k}: {v}" for k, v in dist.items() if v or k != "n/a"))
    worst = sorted((p for p in view.positions if p.health_factor is not None), key=lambda p: p.health_factor or 0)
    if worst:
        lines.append("lowest health factors: " + ", ".join(
            f"{_who(p)} {p.health_factor:.4f} ({_money(p.collateral_value, p.unit)} / {_money(p.debt_value, p.unit)})"
            for p in worst[:SHOWN_POSITIONS]))
    now = [_who(p) for p in view.positions if p.liquidatable]
    lines.append(f"liquidatable now: {len(now)}" + (f" ({', '.join(now)})" if now else ""))
    lines += [f"note: {n}" for n in view.notes]
    return lines


def _who(p: PositionRow | LiquidationRow) -> str:
    name = p.account if isinstance(p, PositionRow) else p.borrower
    return f"{name} ({p.market})" if p.market else name


def prediction_lines(view: ImportView) -> list[str]:
    """The prediction: prices published, who is liquidatable after the move, each liquidation (repaid, seized,
    protocol fee, bad debt), totals per asset, and the debt left that the protocol does not write off."""
    pr = view.prediction
    if pr is None:
        return []
    dec = view.decimals
    lines = ["move: " + ", ".join(f"{k} published {v} (oracle units) at t={view.block_timestamp + 1 + i}"
                                  for i, (k, v) in enumerate(pr.published.items()))]
    lines.append(f"liquidatable after the move: {len(pr.liquidatable)}"
                 + (f" ({', '.join(pr.liquidatable)})" if pr.liquidatable else ""))
    totals: dict[str, dict[str, int]] = {"repaid": {}, "seized": {}, "protocol fee": {}, "bad debt written off": {}}
    for n, q in enumerate(pr.liquidations, 1):
        hf = "" if q.health_factor is None else f", HF {q.health_factor:.4f}"
        lines.append(f"liquidation {n} at t={q.time}: {_who(q)}{hf}: repaid {_amount(q.repaid, dec[q.debt], q.debt)}"
                     f", seized {_amount(q.seized, dec[q.collateral], q.collateral)} (protocol fee "
                     f"{_amount(q.protocol_fee, dec[q.collateral], q.collateral)}), bad debt written off "
                     f"{_amount(q.bad_debt, dec[q.debt], q.debt)}")
        for key, asset, units in (("repaid", q.debt, q.repaid), ("seized", q.collateral, q.seized),
                                  ("protocol fee", q.collateral, q.protocol_fee),
                                  ("bad debt written off", q.debt, q.bad_debt)):
            totals[key][asset] = totals[key].get(asset, 0) + units
    for key, by in totals.items():
        listed = ", ".join(_amount(u, dec[a], a) for a, u in by.items() if u) or "0"
        lines.append(f"total {key}: {listed}")
    for who, reason in pr.skipped.items():
        lines.append(f"not liquidated: {who} ({reason})")
    if pr.debt_left:
        lines.append("debt left without collateral, not written off: " + ", ".join(
            f"{k.split('/')[0]} {_amount(v, dec[k.split('/')[1]], k.split('/')[1])}" for k, v in pr.debt_left.items()))
    return lines


def _jsonable(obj: object) -> object:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj


def import_json(view: ImportView) -> dict:
    """Everything shown, exact (token units as integers, prices and health factors as decimal strings)."""
    pr = view.prediction
    return _jsonable({
        "preset": view.preset, "address": view.address, "block_number": view.block_number,
        "block_timestamp": view.block_timestamp, "accounts": view.accounts, "decimals": view.decimals,
        "assets": [asdict(a) for a in view.assets], "positions": [asdict(p) for p in view.positions],
        "health_factors": hf_distribution(view.positions),
        "liquidatable_now": [_who(p) for p in view.positions if p.liquidatable], "notes": view.notes,
        "prediction": None if pr is None else {
            "published": pr.published, "start": view.block_timestamp + 1, "liquidatable": pr.liquidatable,
            "liquidations": [asdict(q) for q in pr.liquidations], "debt_left_not_written_off": pr.debt_left,
            "not_liquidated": pr.skipped}})  # type: ignore[return-value]


def _csv(header: list[str], rows: Iterable[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _legs(held: dict[str, int]) -> str:
    return ";".join(f"{a}:{u}" for a, u in held.items())


def write_outputs(view: ImportView, folder: Path) -> list[Path]:
    """``import.json``, ``positions.csv`` and, with a prediction, ``liquidations.csv`` (token units) in
    ``folder``. Returns the paths."""
    out = [folder / "import.json", folder / "positions.csv"]
    out[0].write_text(json.dumps(import_json(view), indent=2) + "\n")
    out[1].write_text(_csv(["account", "market", "unit", "collateral_value", "debt_value", "health_factor",
                            "liquidatable", "collateral_units", "debt_units"],
                           ([p.account, p.market, p.unit, p.collateral_value, p.debt_value, p.health_factor,
                             p.liquidatable, _legs(p.collateral), _legs(p.debt)] for p in view.positions)))
    if view.prediction is not None:
        out.append(folder / "liquidations.csv")
        out[2].write_text(_csv(list(LiquidationRow.__dataclass_fields__),
                               (list(asdict(q).values()) for q in view.prediction.liquidations)))
    return out


def book_csv(view: ImportView) -> tuple[str, dict[str, str]]:
    """The indebted positions as a lab book file (whole tokens, exact decimals): a position with one collateral
    and one debt asset is one row; with more, one row per leg under the same name (a cross-collateral account);
    Morpho positions are named ``account@market`` (isolated markets). The lab's preset rules take pairs only: an
    Aave V3 account with several collaterals or debts is left out. Returns (the CSV text, positions left out ->
    why: no collateral left, one asset both collateral and debt, which a lab position cannot hold, or several
    assets under a preset). Raises ScenarioError naming ``--book-out`` for a token of unknown decimals, or when no
    position can be written."""
    rows, skipped = [], {}
    for p in view.positions:
        name = f"{p.account}@{p.market}" if p.market else p.account
        both = sorted(set(p.collateral) & set(p.debt))
        if not p.collateral or both:
            skipped[name] = f"holds {both[0]} as collateral and as debt" if both else "no collateral"
            continue
        if view.preset != "generic" and len(p.collateral) + len(p.debt) > 2:
            skipped[name] = f"several assets: the lab's {view.preset} rule takes one collateral and one debt"
            continue
        for a in [*p.collateral, *p.debt]:
            if view.decimals.get(a) is None:
                raise ScenarioError(f"--book-out: token {a} answers no decimals(): give --decimals {a}=N")
        coll, debt = list(p.collateral.items()), list(p.debt.items())
        for j in range(max(len(coll), len(debt))):
            (c, cu), (d, du) = coll[min(j, len(coll) - 1)], debt[min(j, len(debt) - 1)]
            rows.append([name, c, d, tokens(cu, view.decimals[c]) if j < len(coll) else 0,
                         tokens(du, view.decimals[d]) if j < len(debt) else 0])
    if not rows:
        raise ScenarioError(f"--book-out: no position can be written ({len(skipped)} left out: "
                            f"{', '.join(f'{k}: {v}' for k, v in skipped.items()) or 'no indebted account'})")
    return _csv(list(BOOK_COLUMNS), rows), skipped
