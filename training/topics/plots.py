"""Topic plots, each written as interactive HTML (plotly) and as PNG (matplotlib).

Every function takes plain tables or topic lists and a path without suffix, and
returns the files it wrote. HTML needs plotly (the ``topics`` extra); without it
only the PNG is written and the HTML is skipped with a note in the result.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from classify.io import atomic_output

_NEW_COLOR = "#9e9e9e"


def _theme_colors(themes: Sequence[str]) -> dict[str, str]:
    import matplotlib

    palette = matplotlib.colormaps["tab10"].colors
    ordered = sorted({t for t in themes if t and t != "new"})
    colors = {theme: matplotlib.colors.to_hex(palette[i % len(palette)]) for i, theme in enumerate(ordered)}
    colors["new"] = _NEW_COLOR
    colors[""] = _NEW_COLOR
    return colors


def _write_png(figure, base: Path) -> Path:
    import matplotlib.pyplot as plt

    path = base.with_suffix(".png")
    with atomic_output(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path


def _write_html(plotly_figure, base: Path) -> Path:
    path = base.with_suffix(".html")
    with atomic_output(path, "w", encoding="utf-8") as handle:
        # The plotly script is embedded so the file opens offline.
        handle.write(plotly_figure.to_html(include_plotlyjs=True, full_html=True))
    return path


def _plotly():
    try:
        import plotly.graph_objects as go
    except ImportError:
        return None
    return go


def plot_topic_sizes(topics, base) -> list[Path]:
    """Bar chart of posts per topic, coloured by the theme each topic maps to."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = Path(base)
    ordered = sorted(topics, key=lambda t: t.size)
    colors = _theme_colors([t.theme for t in ordered])
    figure, axis = plt.subplots(figsize=(9, max(3, 0.28 * len(ordered))))
    axis.barh([t.label for t in ordered], [t.size for t in ordered], color=[colors[t.theme] for t in ordered])
    axis.set_xlabel("posts")
    axis.set_title("Topic sizes (colour: taxonomy theme, grey: new)")
    axis.tick_params(axis="y", labelsize=7)
    written = [_write_png(figure, base)]
    go = _plotly()
    if go is not None:
        fig = go.Figure(go.Bar(x=[t.size for t in ordered], y=[t.label for t in ordered], orientation="h",
                               marker_color=[colors[t.theme] for t in ordered],
                               customdata=[t.theme for t in ordered],
                               hovertemplate="%{y}<br>%{x} posts<br>theme: %{customdata}<extra></extra>"))
        fig.update_layout(title="Topic sizes", height=max(400, 22 * len(ordered)), xaxis_title="posts")
        written.append(_write_html(fig, base))
    return written


def plot_topic_theme_map(topics, theme_ids: Sequence[str], base) -> list[Path]:
    """Each topic placed at its closest theme, sized by posts, shaded by seed-term share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = Path(base)
    columns = list(theme_ids) + ["new"]
    frame = pd.DataFrame({
        "label": [t.label for t in topics], "size": [t.size for t in topics],
        "theme": [t.theme if t.theme in columns else "new" for t in topics],
        "closest": [t.closest_theme or "new" for t in topics], "share": [t.theme_similarity for t in topics],
    })
    frame["column"] = [columns.index(theme) for theme in frame["theme"]]
    frame = frame.sort_values(["column", "size"], ascending=[True, False])
    frame["row"] = range(len(frame))
    x = [columns.index(theme) for theme in frame["theme"]]
    figure, axis = plt.subplots(figsize=(10, max(3, 0.25 * len(frame))))
    scatter = axis.scatter(x, frame["row"], s=20 + 400 * frame["size"] / max(1, frame["size"].max()),
                           c=frame["share"], cmap="viridis", vmin=0, vmax=1)
    axis.set_xticks(range(len(columns)), columns, rotation=40, ha="right")
    axis.set_yticks(frame["row"], frame["label"], fontsize=7)
    axis.invert_yaxis()
    figure.colorbar(scatter, ax=axis, label="share of posts with theme seed terms")
    axis.set_title("Topics and taxonomy themes")
    written = [_write_png(figure, base)]
    go = _plotly()
    if go is not None:
        fig = go.Figure(go.Scatter(
            x=frame["theme"], y=frame["label"], mode="markers",
            marker=dict(size=8 + 40 * frame["size"] / max(1, frame["size"].max()), color=frame["share"],
                        colorscale="Viridis", cmin=0, cmax=1, showscale=True),
            customdata=frame[["size", "closest", "share"]].to_numpy(),
            hovertemplate="%{y}<br>%{customdata[0]} posts<br>closest theme %{customdata[1]} "
                          "(share %{customdata[2]})<extra></extra>"))
        fig.update_layout(title="Topics and taxonomy themes", height=max(400, 20 * len(frame)),
                          xaxis=dict(categoryorder="array", categoryarray=columns), yaxis=dict(autorange="reversed"))
        written.append(_write_html(fig, base))
    return written


def plot_topics_over_time(table: pd.DataFrame, base, *, top_n: int = 8, channel: str | None = None) -> list[Path]:
    """Lines of the share of posts in the ``top_n`` largest topics per period (one channel, or all summed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = Path(base)
    data = table if channel is None else table[table["channel"] == channel]
    data = data[data["topic"] >= 0]
    per_period = data.groupby(["period", "topic", "topic_label"], as_index=False)["posts"].sum()
    totals = table.groupby("period")["posts"].sum() if channel is None else \
        table[table["channel"] == channel].groupby("period")["posts"].sum()
    per_period["share"] = per_period["posts"] / per_period["period"].map(totals)
    largest = per_period.groupby("topic_label")["posts"].sum().nlargest(top_n).index.tolist()
    per_period = per_period[per_period["topic_label"].isin(largest)]
    pivot = per_period.pivot_table(index="period", columns="topic_label", values="share", fill_value=0.0)
    pivot = pivot.reindex(columns=largest).sort_index()
    title = f"Topics over time{f' — {channel}' if channel else ''} (share of posts)"
    figure, axis = plt.subplots(figsize=(11, 5))
    for label in pivot.columns:
        axis.plot(pd.to_datetime(pivot.index), pivot[label], label=label, linewidth=1.5)
    axis.set_ylabel("share of posts")
    axis.set_title(title)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    written = [_write_png(figure, base)]
    go = _plotly()
    if go is not None:
        fig = go.Figure([go.Scatter(x=pivot.index, y=pivot[label], mode="lines+markers", name=label)
                         for label in pivot.columns])
        fig.update_layout(title=title, yaxis_title="share of posts", hovermode="x unified")
        written.append(_write_html(fig, base))
    return written
