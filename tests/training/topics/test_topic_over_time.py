import pandas as pd
import pytest

from classify.errors import InputError
from training.topics.over_time import topics_over_time


def _posts():
    return pd.DataFrame({
        "channel": ["a", "a", "a", "b", "b"],
        "date": pd.to_datetime(["2024-01-01T10:00Z", "2024-01-07T23:00Z", "2024-01-08T01:00Z",
                                "2024-01-02T00:00Z", "2024-02-02T00:00Z"], utc=True),
    })


def test_counts_and_shares_per_channel_and_week():
    table = topics_over_time(_posts(), [0, 1, 0, -1, 0], ["0_x", "1_y", "0_x", "outlier", "0_x"],
                             themes={0: "economy", 1: "new"})
    week = table[(table["channel"] == "a") & (table["period"] == "2024-01-01")]
    assert week[["topic", "posts", "share", "theme"]].values.tolist() == [[0, 1, 0.5, "economy"], [1, 1, 0.5, "new"]]
    assert table.groupby(["channel", "period"])["share"].sum().round(6).eq(1.0).all()
    assert set(table[table["channel"] == "b"]["topic"]) == {-1, 0}


def test_monthly_and_all_channels():
    table = topics_over_time(_posts(), [0, 0, 0, 0, 0], ["0_x"] * 5, freq="M", by_channel=False)
    assert table[["channel", "period", "posts"]].values.tolist() == [["(all)", "2024-01-01", 4],
                                                                     ["(all)", "2024-02-01", 1]]


def test_unknown_period_is_an_input_error():
    with pytest.raises(InputError, match="unknown period"):
        topics_over_time(_posts(), [0] * 5, ["0_x"] * 5, freq="fortnight")
