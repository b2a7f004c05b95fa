"""The console a designer reads: ape's per-transaction logs hidden unless asked for, tables that fit the
terminal, step amounts in the units the scenario file used, and a progress bar on long chain runs.

* ``verbose_option``: the scripts' ``-v/--verbose`` flag. Without it ape logs warnings and errors only
  (its INFO/SUCCESS lines — 'Confirmed 0x…', 'deployed to', 'Starting anvil' — are hidden); the flag is
  eager, so the level is set before the provider connects.
* ``make_console``: a rich ``Console`` as wide as the terminal (``COLUMNS`` or 100 when not a TTY).
* ``step_table``: a rich ``Table`` whose text folds instead of being cut (``overflow='fold'``) and whose
  outcome columns never wrap (an error name stays whole).
* ``ActionText``: an ``Action`` as ``kind(field=value, ...)`` with token amounts in whole tokens of the
  asset's decimals, feed answers in USD (8-decimal answers), shares in bps as %, leverage as ``3x``;
  ``raw=True`` gives ``Action.describe()`` (the integers both twins run).
* ``progress``: a transient rich progress bar over an iterable; ``progress_of``: the same bar counting
  whatever a callable reports (steps replayed, calls made) while a block runs. Both are hidden when the
  output is not a terminal, so captured output stays clean.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from protocol_model.exact.decimal_context import EXACT
from protocol_model.exact.math_lib import UINT256_MAX
from protocol_model.scenario.units import FEED_DECIMALS

DEFAULT_WIDTH = 100
"""Console width when the output is not a terminal and ``COLUMNS`` is not set."""
QUIET_LEVEL = "WARNING"
"""ape's log level without ``--verbose``."""
VERBOSE_LEVEL = "INFO"
"""ape's log level with ``--verbose``."""
USD_KINDS = frozenset({"price", "market"})
"""Action kinds whose ``answer`` is a USD price the file gave (8-decimal feed answer)."""
BPS_FIELDS = ("fraction_bps", "max_slippage_bps")
"""Action fields holding a share in basis points (shown as %)."""

T = TypeVar("T")


def _set_ape_level(ctx: click.Context, param: click.Parameter, verbose: bool) -> bool:
    from ape.logging import logger

    logger.set_level(VERBOSE_LEVEL if verbose else QUIET_LEVEL)
    return verbose


def verbose_option(command: Any) -> Any:
    """Decorator: ``-v/--verbose`` (flag, parameter name ``verbosity`` so ``ape run`` adds no option of
    its own) showing ape's INFO logs; without it ape logs warnings and errors only."""
    return click.option("-v", "--verbose", "verbosity", is_flag=True, is_eager=True, expose_value=False,
                        callback=_set_ape_level,
                        help="show ape's per-transaction logs (hidden by default)")(command)


def terminal_width() -> int:
    """Columns of the terminal; ``COLUMNS`` (else ``DEFAULT_WIDTH``) when stdout is not a terminal."""
    if sys.stdout.isatty():
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    try:
        return max(40, int(os.environ.get("COLUMNS", DEFAULT_WIDTH)))
    except ValueError:
        return DEFAULT_WIDTH


def make_console() -> Console:
    """A rich Console exactly as wide as the terminal (see ``terminal_width``)."""
    return Console(width=terminal_width())


def step_table(title: str, columns: Iterable[str], whole: Iterable[str] = (),
               right: Iterable[str] = ()) -> Table:
    """A table that fits its console: every column folds long text onto more lines, except the
    ``whole`` ones (outcomes, error names, numbers), which never wrap; call ``keep_whole`` before printing
    so rich never cuts them either. ``right`` columns are right-aligned."""
    keep, to_right = set(whole), set(right)
    table = Table(title=title)
    for col in columns:
        table.add_column(col, no_wrap=col in keep, overflow="ellipsis" if col in keep else "fold",
                         justify="right" if col in to_right else "left")
    return table


def keep_whole(table: Table) -> Table:
    """Give every no-wrap column of ``table`` a minimum width of its longest cell (and header), so a
    narrow console shrinks the folding columns instead of cutting an error name (a multi-line cell counts
    its longest line); returns ``table``."""
    for column in table.columns:
        if column.no_wrap:
            cells = [str(c) for c in column.cells] + [str(column.header)]
            column.min_width = max(len(line) for c in cells for line in c.split("\n"))
    return table


def outcome(model: str, chain: str, expected: str) -> str:
    """One cell for a step's outcomes: the name when model, chain and the file agree, else each named."""
    if model == chain == expected:
        return model
    return f"model {model} / chain {chain} / expected {expected}"


def tokens(units: int, decimals: int) -> str:
    """Token units -> whole tokens, exact, without trailing zeros (``10`` for 10·10^18 at 18 decimals;
    'max' for ``UINT256_MAX``)."""
    if units == UINT256_MAX:
        return "max"
    value = EXACT.scaleb(Decimal(units), -decimals).normalize(EXACT)
    return f"{value:f}"


def percent(bps: int) -> str:
    """Basis points -> ``'80%'`` / ``'2.5%'``."""
    return f"{(Decimal(bps) / 100).normalize():f}%"


@dataclass(frozen=True)
class ActionText:
    """Formats actions of one lending/AMM scenario (``scenario.asset(name).decimals``,
    ``scenario.pair(name).assets``) in the file's units; ``raw`` keeps the integers."""

    scenario: Any
    raw: bool = False

    def _decimals(self, asset: str) -> int | None:
        try:
            return int(self.scenario.asset(asset).decimals)
        except (AttributeError, KeyError, ValueError, TypeError):
            return None

    def _amount_asset(self, a: Any) -> str:
        if a.kind == "liquidate":
            return str(a.debt)
        if a.kind == "loop_open":
            return str(a.collateral)
        if a.kind in ("add_liquidity",) and a.pair:
            return str(self.scenario.pair(a.pair).assets[0])
        return str(a.asset) if a.kind not in ("feed_round",) else ""

    def _amount2_asset(self, a: Any) -> str:
        if not a.pair or a.kind not in ("add_liquidity", "swap"):
            return ""
        first, second = self.scenario.pair(a.pair).assets
        if a.kind == "add_liquidity":
            return str(second)
        return str(second if a.asset == first else first)

    def _token_field(self, units: int, asset: str) -> str | None:
        decimals = self._decimals(asset) if asset else None
        return None if decimals is None else tokens(units, decimals)

    def fields(self, a: Any) -> dict[str, str]:
        """The action's non-default fields, formatted (``amount``/``amount2`` in tokens, ``answer`` in USD
        for price kinds, bps fields in %, ``leverage_bps`` as ``Nx``)."""
        out = {k: str(v) for k, v in a.__dict__.items() if v not in ("", 0, False) and k != "kind"}
        if a.amount == UINT256_MAX:
            out["amount"] = "max"
        for name, asset in (("amount", self._amount_asset(a)), ("amount2", self._amount2_asset(a))):
            value = getattr(a, name, 0)
            text = self._token_field(value, asset) if value and value != UINT256_MAX else None
            if text is not None:
                out[name] = text
        if a.answer and a.kind in USD_KINDS:
            out["answer"] = tokens(a.answer, FEED_DECIMALS)
        for name in BPS_FIELDS:
            if getattr(a, name, 0):
                out[name] = percent(getattr(a, name))
        if getattr(a, "leverage_bps", 0):
            out["leverage_bps"] = f"{(Decimal(a.leverage_bps) / 10_000).normalize():f}x"
        return out

    def describe(self, a: Any) -> str:
        """``kind(field=value, ...)``: the file's units, or ``a.describe()`` when ``raw``."""
        if self.raw:
            return str(a.describe())
        renamed = {"answer": "usd"} if a.kind in USD_KINDS else {}
        return f"{a.kind}({', '.join(f'{renamed.get(k, k)}={v}' for k, v in self.fields(a).items())})"


POLL_SECONDS = 0.2
"""How often ``progress_of`` reads its counter."""


def _bar(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def progress(console: Console, items: Iterable[T], total: int, description: str) -> Iterator[T]:
    """Yield ``items`` while a transient progress bar (``description``, done/total, elapsed) counts them;
    nothing is drawn when ``console`` is not a terminal."""
    bar = _bar(console)
    with bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)


@contextmanager
def progress_of(console: Console, description: str, done: Callable[[], int],
                total: int | None = None) -> Iterator[None]:
    """While the block runs, a transient progress bar (``description``, ``done()``/``total``, elapsed)
    shows ``done()`` read every ``POLL_SECONDS`` by a daemon thread (``total=None``: no known end). Nothing
    is drawn and no thread starts when ``console`` is not a terminal. ``done`` must be safe to call from
    another thread (e.g. ``lambda: len(replay.results)``)."""
    if not console.is_terminal:
        yield
        return
    stop = threading.Event()
    with _bar(console) as bar:
        task = bar.add_task(description, total=total)

        def poll() -> None:
            while not stop.wait(POLL_SECONDS):
                bar.update(task, completed=done())

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def stop_with(message: str) -> NoReturn:
    """End the command with one line ``error: <message>`` on stderr and exit status 1 (no traceback)."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(1)
