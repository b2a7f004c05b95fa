"""Matplotlib figures (PNG): sweep heatmaps and line charts, fan charts over steps, loss histograms."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

BANDS = ((5, 95), (25, 75))


def heatmap(rows: list[dict], x: str, y: str, metric: str, path: Path, title: str) -> Path:
    """A heatmap of ``metric`` over the grid of ``x`` × ``y`` values in ``rows`` (one dict per sweep cell),
    annotated with each cell's value; saved as PNG at ``path``, which is returned.
    """
    xs, ys = sorted({r[x] for r in rows}), sorted({r[y] for r in rows})
    grid = np.full((len(ys), len(xs)), np.nan)
    for r in rows:
        grid[ys.index(r[y]), xs.index(r[x])] = r[metric]
    fig, ax = plt.subplots(figsize=(1.2 * len(xs) + 3, 0.8 * len(ys) + 2.5))
    im = ax.imshow(grid, origin="lower", cmap="magma_r", aspect="auto")
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
    ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for i in range(len(ys)):
        for j in range(len(xs)):
            ax.text(j, i, _short(grid[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if grid[i, j] > np.nanmean(grid) else "black")
    fig.colorbar(im, ax=ax, label=metric)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def line(rows: list[dict], x: str, metrics: list[str], path: Path, title: str) -> Path:
    """One line per metric of ``metrics`` (USD) against ``x`` over ``rows``; saved as PNG at ``path``, returned."""
    xs = [r[x] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    for m in metrics:
        ax.plot(xs, [r[m] for r in rows], marker="o", label=m)
    ax.set_xlabel(x)
    ax.set_ylabel("USD")
    ax.legend(fontsize=8)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def fan_chart(series: np.ndarray, path: Path, title: str, ylabel: str, step_label: str = "step") -> Path:
    """Median and 25-75 / 5-95 percentile bands across paths, per step; ``series`` shape (paths, steps).

    Saved as PNG at ``path``, which is returned.
    """
    steps = np.arange(series.shape[1])
    fig, ax = plt.subplots(figsize=(7, 4))
    for (lo, hi), alpha in zip(BANDS, (0.2, 0.35), strict=True):
        ax.fill_between(steps, np.percentile(series, lo, axis=0), np.percentile(series, hi, axis=0),
                        alpha=alpha, color="tab:red", label=f"p{lo}–p{hi}")
    ax.plot(steps, np.median(series, axis=0), color="tab:red", label="median")
    ax.set_xlabel(step_label)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


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
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _short(v: float) -> str:
    if not np.isfinite(v):
        return "–"
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.1f}{suffix}"
    return f"{v:.2g}"
