"""Matplotlib figures (PNG): sweep heatmaps and line charts, fan charts over steps, loss histograms."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

BANDS = ((5, 95), (25, 75))


def heatmap(rows: list[dict], x: str, y: str, metric: str, path: Path, title: str, *,
            xlabel: str | None = None, ylabel: str | None = None, colorbar: str | None = None,
            xfmt: Callable[[float], str] = "{:g}".format, yfmt: Callable[[float], str] = "{:g}".format,
            cellfmt: Callable[[float], str] | None = None) -> Path:
    """A heatmap of ``metric`` over the grid of ``x`` × ``y`` values in ``rows`` (one dict per sweep cell),
    annotated with each cell's value (``cellfmt``, default short USD-like numbers); tick labels through
    ``xfmt``/``yfmt`` (e.g. percent, $M). Saved as PNG at ``path``, which is returned.
    """
    xs, ys = sorted({r[x] for r in rows}), sorted({r[y] for r in rows})
    grid = np.full((len(ys), len(xs)), np.nan)
    for r in rows:
        grid[ys.index(r[y]), xs.index(r[x])] = r[metric]
    fig, ax = plt.subplots(figsize=(min(1.2 * len(xs) + 3, 10), 0.8 * len(ys) + 2.5))
    im = ax.imshow(grid, origin="lower", cmap="magma_r", aspect="auto")
    ax.set_xticks(range(len(xs)), [xfmt(v) for v in xs])
    ax.set_yticks(range(len(ys)), [yfmt(v) for v in ys])
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    fmt = cellfmt or _short
    for i in range(len(ys)):
        for j in range(len(xs)):
            ax.text(j, i, fmt(grid[i, j]) if np.isfinite(grid[i, j]) else "–", ha="center", va="center", fontsize=8,
                    color="white" if grid[i, j] > np.nanmean(grid) else "black")
    fig.colorbar(im, ax=ax, label=colorbar or metric)
    return _save(fig, ax, title, path)


def line(rows: list[dict], x: str, metrics: list[str], path: Path, title: str, *, labels: dict[str, str] | None = None,
         xlabel: str | None = None, xfmt: Callable[[float], str] | None = None) -> Path:
    """One line per metric of ``metrics`` (USD) against ``x`` over ``rows`` (legend from ``labels``, ticks
    through ``xfmt``); saved as PNG at ``path``, returned."""
    xs = [r[x] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    for m in metrics:
        ax.plot(xs, [r[m] for r in rows], marker="o", label=(labels or {}).get(m, m))
    if xfmt is not None:
        ax.set_xticks(xs, [xfmt(v) for v in xs])
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel("USD")
    return _save(fig, ax, title, path, legend=True)


def fan_chart(series: np.ndarray, path: Path, title: str, ylabel: str, step_label: str = "step",
              days_per_step: float | None = None, overlay: dict[str, np.ndarray] | None = None) -> Path:
    """Median and 25-75 / 5-95 percentile bands across paths, per step; ``series`` shape (paths, steps).

    With ``days_per_step`` the x axis is in days. ``overlay``: label -> (paths, steps) series drawn as a
    dashed median (e.g. the exogenous price next to the market price). Saved as PNG at ``path``, returned.
    """
    steps = np.arange(series.shape[1]) * (days_per_step or 1.0)
    fig, ax = plt.subplots(figsize=(7, 4))
    for (lo, hi), alpha in zip(BANDS, (0.2, 0.35), strict=True):
        ax.fill_between(steps, np.percentile(series, lo, axis=0), np.percentile(series, hi, axis=0),
                        alpha=alpha, color="tab:red", label=f"p{lo}–p{hi}")
    ax.plot(steps, np.median(series, axis=0), color="tab:red", label="median")
    for (label, other), color in zip((overlay or {}).items(), ("black", "tab:blue", "tab:green"), strict=False):
        ax.plot(steps, np.median(other, axis=0), color=color, linestyle="--", label=label)
        ax.plot(steps, np.percentile(other, 5, axis=0), color=color, linestyle=":", linewidth=0.8)
    ax.set_xlabel("days" if days_per_step else step_label)
    ax.set_ylabel(ylabel)
    return _save(fig, ax, title, path, legend=True)


def tail_histogram(samples: dict[str, np.ndarray], path: Path, title: str, xlabel: str,
                   marks: dict[str, float] | None = None) -> Path:
    """Histogram of the positive values of each sample (label -> (paths,)) on log-spaced bins and a log x
    axis (the tail of a loss distribution spans decades), with the share of zero paths in the legend and a
    dashed line per ``marks`` entry (label -> x). Saved as PNG at ``path``, which is returned.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    positive = [v[v > 0] for v in samples.values()]
    lo = min((float(v.min()) for v in positive if v.size), default=1.0)
    hi = max((float(v.max()) for v in positive if v.size), default=10.0)
    bins = np.geomspace(lo, max(hi, lo * 10), 40).tolist()
    for (label, v), pos in zip(samples.items(), positive, strict=True):
        ax.hist(pos, bins=bins, alpha=0.55, label=f"{label} ({(v <= 0).mean():.0%} of paths at zero)")
    for label, x in (marks or {}).items():
        if x > 0:
            ax.axvline(x, linestyle="--", color="black", linewidth=0.8)
            ax.text(x, ax.get_ylim()[1] * 0.92, f" {label}", fontsize=7, rotation=90, va="top")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("paths")
    return _save(fig, ax, title, path, legend=True)


def histogram(values: np.ndarray, path: Path, title: str, xlabel: str, marks: dict[str, float]) -> Path:
    """A 50-bin histogram of ``values`` (one per path) with a dashed line per ``marks`` entry (label → x); saved
    as PNG at ``path``, which is returned.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(values, bins=50, color="tab:blue", alpha=0.8)
    for label, v in marks.items():
        ax.axvline(v, linestyle="--", color="black")
        ax.text(v, ax.get_ylim()[1] * 0.9, f" {label}", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("paths")
    return _save(fig, ax, title, path)


def frontier(points: list[tuple[float, float]], front: list[tuple[float, float]],
             chosen: dict[str, tuple[float, float]], budgets: dict[str, float], path: Path, title: str,
             xlabel: str, *, risk_is_share: bool = False) -> Path:
    """Capital efficiency against risk: every evaluated point (grey), the frontier (line), each profile's
    budget (dotted vertical) and choice (marked); ``points``/``front``/``chosen`` are (risk, capacity USD).
    Risk on the x axis in $M (or % when ``risk_is_share``), capacity in $M. Saved as PNG at ``path``."""
    fig, ax = plt.subplots(figsize=(8, 4.6))
    sx = 100.0 if risk_is_share else 1e-6
    if points:
        ax.scatter([p[0] * sx for p in points], [p[1] / 1e6 for p in points], s=10, color="0.7",
                   label="evaluated parameters")
    if front:
        ax.plot([p[0] * sx for p in front], [p[1] / 1e6 for p in front], "-o", color="tab:blue", ms=4,
                label="frontier")
    colours = {"conservative": "tab:green", "moderate": "tab:orange", "aggressive": "tab:red"}
    for name, b in budgets.items():
        ax.axvline(b * sx, linestyle=":", color=colours.get(name, "black"))
    for name, (r, c) in chosen.items():
        ax.scatter([r * sx], [c / 1e6], s=80, marker="*", color=colours.get(name, "black"), zorder=3,
                   label=f"{name} (budget dotted)")
    ax.set_xlabel(xlabel + (" (%)" if risk_is_share else " ($M)"))
    ax.set_ylabel("borrowing capacity ($M)")
    return _save(fig, ax, title, path, legend=True)


def _short(v: float) -> str:
    if not np.isfinite(v):
        return "–"
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.1f}{suffix}"
    return f"{v:.2g}"


def _save(fig: Any, ax: Any, title: str, path: Path, legend: bool = False) -> Path:
    """Title (and legend and grid when ``legend``), tight layout, write ``path`` as a 110 dpi PNG, free the
    figure; returns ``path``."""
    ax.set_title(title)
    if legend:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
