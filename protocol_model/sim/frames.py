"""Risk-lab results as pandas DataFrames: one row per path, per (path, step), or per sweep cell.

Column names are the metric names in words with their unit: ``bad_debt_usd`` -> ``"bad debt (USD)"``,
``bad_debt_probability`` -> ``"bad debt probability (%)"`` (a fraction times 100), ``liquidation_threshold_bps``
-> ``"liquidation threshold (%)"`` (bps / 100); other names lose their underscores and keep their values.
With ``raw=True`` the columns keep the metric names and the values as computed (fractions, bps). pandas is
imported when a frame is built, never at import time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from protocol_model.sim.outcome import CascadeOutcome

PERCENT_WORDS = ("probability", "discount")
"""A metric whose name holds one of these words is a fraction, shown in % (x 100)."""


def column(name: str) -> tuple[str, float]:
    """(human column name, factor from the metric's value to the human value) of one metric or axis name."""
    words = name.split("_")
    if words[-1] == "usd":
        return " ".join(words[:-1]) + " (USD)", 1.0
    if words[-1] == "bps":
        return " ".join(words[:-1]) + " (%)", 0.01
    if any(w in PERCENT_WORDS for w in words):
        return " ".join(words) + " (%)", 100.0
    return " ".join(words), 1.0


def humanize(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column renamed and scaled by :func:`column` (a new frame, same index)."""
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        label, factor = column(str(name))
        out[label] = frame[name] * factor if factor != 1.0 else frame[name]
    return out


def records_frame(rows: Sequence[Mapping[str, Any]], *, raw: bool) -> pd.DataFrame:
    """Rows of metric name -> number (a sweep's cells) as a DataFrame, columns in human units unless ``raw``."""
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    return frame if raw else humanize(frame)


def paths_frame(outcome: CascadeOutcome, assets: Sequence[str], *, raw: bool) -> pd.DataFrame:
    """One row per path: every ``PATH_FIELDS`` metric and the bad debt per debt asset in whole tokens
    (``bad_debt_tokens_<asset>``, human ``"bad debt <asset> (tokens)"``), indexed by ``path``."""
    import pandas as pd

    frame = pd.DataFrame(outcome.per_path, index=pd.RangeIndex(outcome.n_paths, name="path"))
    frame = frame if raw else humanize(frame)
    for i, asset in enumerate(assets):
        frame[f"bad_debt_tokens_{asset}" if raw else f"bad debt {asset} (tokens)"] = outcome.bad_debt_tokens[:, i]
    return frame


def series_frame(outcome: CascadeOutcome, assets: Sequence[str], *, raw: bool) -> pd.DataFrame:
    """One row per (path, step) of the recorded series (``record_series=True``): cumulative bad debt and
    liquidation volume in USD, oracle and market price of every asset in USD.

    Raises ``ValueError`` when the run recorded no series.
    """
    import pandas as pd

    if not outcome.series:
        raise ValueError("this run recorded no per-step series: simulate with record_series=True")
    n_paths, n_points = outcome.series["bad_debt_usd"].shape
    idx = pd.MultiIndex.from_product([range(n_paths), range(n_points)], names=["path", "step"])
    cols: dict[str, np.ndarray] = {k: outcome.series[k].reshape(-1) for k in ("bad_debt_usd", "liquidation_volume_usd")}
    for kind in ("oracle", "market"):
        for i, asset in enumerate(assets):
            cols[f"{kind}_price_{asset}_usd"] = outcome.series[kind][:, :, i].reshape(-1)
    frame = pd.DataFrame(cols, index=idx)
    return frame if raw else humanize(frame)


COMPARE_VALUES = ("current", "proposed", "change")
"""The value columns of a compare's metric row; each has ``*_lo``/``*_hi`` bootstrap bounds (sampled metrics)."""
UNIT_WORDS = {"usd": ("USD", 1.0), "share": ("%", 100.0), "count": ("count", 1.0)}
"""A compare metric's unit -> (the unit shown, factor from the value as computed)."""


def compare_metrics_frame(rows: Sequence[Mapping[str, Any]], *, raw: bool) -> pd.DataFrame:
    """A compare's metric rows (``scope``, ``key``, ``label``, ``unit``, the values of :data:`COMPARE_VALUES`
    with ``*_lo``/``*_hi`` bounds where sampled, ``exact``) indexed by (scope, key). Unless ``raw``: values of a
    ``share`` metric x 100 and its unit ``%``, ``usd`` shown as ``USD``, bounds named ``<value> low/high``.
    Raises ``KeyError`` for a unit not in :data:`UNIT_WORDS`."""
    import pandas as pd

    bounds = [f"{v}{end}" for v in COMPARE_VALUES for end in ("_lo", "_hi")]
    frame = pd.DataFrame(list(rows), columns=["scope", "key", "label", "unit", *COMPARE_VALUES, *bounds, "exact"])
    frame = frame.set_index(["scope", "key"])
    if raw:
        return frame
    shown = [UNIT_WORDS[u] for u in frame["unit"]]
    factor = np.array([f for _, f in shown])
    for name in (*COMPARE_VALUES, *bounds):
        frame[name] = frame[name].astype(float) * factor
    frame["unit"] = [u for u, _ in shown]
    return frame.rename(columns={b: b.replace("_lo", " low").replace("_hi", " high") for b in bounds})
