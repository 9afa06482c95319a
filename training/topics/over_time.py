"""How topics rise and fall: post counts and shares per channel and period."""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from classify.errors import InputError

FREQUENCIES = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q", "Y": "Y"}
OVER_TIME_COLUMNS = ["channel", "period", "topic", "topic_label", "theme", "posts", "share"]


def topics_over_time(posts: pd.DataFrame, topics: Sequence[int], labels: Sequence[str], *,
                     themes: dict[int, str] | None = None, freq: str = "W", by_channel: bool = True) -> pd.DataFrame:
    """Posts per (channel, period, topic) and their share of the channel's posts in that period.

    ``posts`` needs ``date`` (UTC) and, when ``by_channel``, ``channel``. ``freq`` is
    one of D, W (weeks starting Monday), M, Q, Y; periods are named by their first day.
    Outliers are kept as topic -1 so shares add up to 1 per channel and period.

    >>> frame = pd.DataFrame({"channel": ["a", "a", "a"],
    ...                       "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09"], utc=True)})
    >>> topics_over_time(frame, [0, 1, 0], ["0_x", "1_y", "0_x"])[["period", "topic", "posts", "share"]]
           period  topic  posts  share
    0  2024-01-01      0      1    0.5
    1  2024-01-01      1      1    0.5
    2  2024-01-08      0      1    1.0
    """
    if freq not in FREQUENCIES:
        raise InputError("--freq", f"unknown period {freq!r}; choose one of {', '.join(FREQUENCIES)}")
    if len(topics) != len(posts) or len(labels) != len(posts):
        raise ValueError(f"{len(posts)} posts but {len(topics)} topics and {len(labels)} labels")
    if "date" not in posts.columns:
        raise InputError("posts", "no 'date' column: topics over time need post dates")
    dates = pd.to_datetime(posts["date"], utc=True)
    frame = pd.DataFrame({
        "channel": posts["channel"].astype("string").fillna("").to_numpy() if by_channel else "(all)",
        "period": dates.dt.tz_localize(None).dt.to_period(FREQUENCIES[freq]).dt.start_time.dt.strftime("%Y-%m-%d"),
        "topic": list(topics), "topic_label": list(labels),
    })
    frame = frame[dates.notna().to_numpy()]
    counts = (frame.groupby(["channel", "period", "topic", "topic_label"], sort=True).size()
              .rename("posts").reset_index())
    totals = counts.groupby(["channel", "period"])["posts"].transform("sum")
    counts["share"] = (counts["posts"] / totals).round(4)
    counts["theme"] = [(themes or {}).get(topic, "") for topic in counts["topic"]]
    return counts[OVER_TIME_COLUMNS].reset_index(drop=True)
