"""Stylized historical stress episodes, encoded as data from published price figures.

Each series is a list of (hours since the episode's start, price relative to the start). Between anchors
the lab interpolates linearly in log price; after the last anchor the price stays at the last level.
The anchors are rounded readings of widely published daily open/close and intraday low figures (UTC),
not tick data: they reproduce the size and speed of each move, not its microstructure.
"""

from __future__ import annotations

import numpy as np

EPISODES: dict[str, dict[str, tuple[tuple[float, float], ...]]] = {
    # 12 Mar 2020 ("Black Thursday"): ETH opened near $194, closed near $111 (-43% within the day) and
    # touched ~$90 early on 13 Mar before a partial rebound.
    "black_thursday_2020": {
        "ETH": ((0, 1.00), (8, 0.93), (14, 0.75), (20, 0.66), (24, 0.57), (27, 0.47), (36, 0.62),
                (48, 0.68), (72, 0.64), (96, 0.57), (120, 0.59)),
        "BTC": ((0, 1.00), (8, 0.96), (14, 0.83), (20, 0.74), (24, 0.61), (27, 0.51), (36, 0.66),
                (48, 0.70), (72, 0.67), (96, 0.62), (120, 0.64)),
    },
    # 19 May 2021: ETH from ~$3,380 to an intraday low near $1,900 (-44%), closing near $2,440;
    # BTC from ~$43,000 to ~$30,000 (-30%), closing near $37,000.
    "may_19_2021": {
        "ETH": ((0, 1.00), (8, 0.92), (12, 0.75), (14, 0.56), (16, 0.72), (24, 0.72), (48, 0.82), (72, 0.78)),
        "BTC": ((0, 1.00), (8, 0.95), (12, 0.86), (14, 0.70), (16, 0.84), (24, 0.86), (48, 0.93), (72, 0.90)),
    },
    # 10-13 Mar 2023: USDC lost its peg after SVB's failure, with a low near $0.87 on 11 Mar, and was back
    # near $0.99 on 13 Mar after the deposit guarantee.
    "usdc_mar_2023": {
        "USDC": ((0, 1.00), (20, 0.97), (32, 0.87), (44, 0.90), (60, 0.93), (70, 0.96), (84, 0.99), (96, 1.00)),
    },
    # 7-14 May 2022: UST lost its peg (0.985 -> a short rebound near 0.90 -> ~0.15), LUNA fell from ~$80
    # to a small fraction of a cent.
    "luna_may_2022": {
        "UST": ((0, 1.00), (24, 0.985), (48, 0.92), (72, 0.68), (84, 0.90), (96, 0.60), (108, 0.30),
                (120, 0.40), (144, 0.15), (168, 0.12)),
        "LUNA": ((0, 1.00), (48, 0.80), (72, 0.40), (96, 0.20), (108, 0.06), (120, 0.012), (132, 0.0015),
                 (144, 2e-5), (168, 2e-6)),
    },
}


def relative_path(episode: str, series: str, n_steps: int, step_seconds: float) -> np.ndarray:
    """Price relative to the start at steps 0..n_steps (length n_steps + 1), log-linear between anchors.

    ``step_seconds`` is the length of one step; returns shape (n_steps + 1,), 1.0 at step 0.
    Raises ``KeyError`` naming the known episodes for an unknown ``episode``/``series``.
    """
    try:
        anchors = EPISODES[episode][series]
    except KeyError:
        known = {e: sorted(s) for e, s in EPISODES.items()}
        raise KeyError(f"unknown episode/series '{episode}/{series}' (known: {known})") from None
    hours = np.array([h for h, _ in anchors], dtype=float)
    logs = np.log(np.array([r for _, r in anchors], dtype=float))
    at = np.arange(n_steps + 1) * (step_seconds / 3600.0)
    return np.exp(np.interp(at, hours, logs))
