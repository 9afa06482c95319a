"""Report charts as functions: each takes report aggregates and returns a matplotlib Figure.

:func:`png_bytes` turns a figure into PNG bytes without a timestamp or version
stamp, so the same aggregates give the same image bytes.
"""
from __future__ import annotations

import io

import matplotlib
import matplotlib.dates

matplotlib.use("Agg")  # reports are drawn in batch jobs and test runs without a display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

_STYLE = {"font.size": 9, "axes.spines.top": False, "axes.spines.right": False}


def theme_colors(themes: list[str]) -> dict[str, tuple]:
    """One stable colour per theme, shared by every chart of a report."""
    palette = plt.get_cmap("tab20" if len(themes) > 10 else "tab10")
    return {theme: palette(i % palette.N) for i, theme in enumerate(themes)}


def _date_axis(ax, *, max_ticks: int) -> None:
    locator = matplotlib.dates.AutoDateLocator(minticks=2, maxticks=max_ticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))


def _label(theme: str, names: dict[str, str]) -> str:
    return names.get(theme, theme)


def theme_share_heatmap(theme_shares: pd.DataFrame, *, theme_names: dict[str, str] | None = None,
                        max_channels: int = 40) -> Figure:
    """Channels (rows) by themes (columns), each cell the share of the channel's posts with the theme."""
    names = theme_names or {}
    table = theme_shares.iloc[:max_channels]
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(1.0 + 0.75 * max(len(table.columns), 3), 3.0 + 0.38 * max(len(table), 2)))  # room for the rotated theme names
        image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="Blues", vmin=0.0,
                          vmax=max(float(table.to_numpy().max(initial=0.0)), 0.01))
        ax.set_xticks(range(len(table.columns)), [_label(t, names) for t in table.columns], rotation=40, ha="right")
        ax.set_yticks(range(len(table.index)), [str(c) for c in table.index])
        for row, channel in enumerate(table.index):
            for col, theme in enumerate(table.columns):
                value = float(table.loc[channel, theme])
                ax.text(col, row, f"{value:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if value > 0.6 * image.norm.vmax else "black")
        fig.colorbar(image, ax=ax, format=matplotlib.ticker.PercentFormatter(1.0), shrink=0.8)
        ax.set_title("Share of posts per theme, by channel")
        fig.tight_layout()
    return fig


def weekly_theme_lines(weekly: pd.DataFrame, *, colors: dict[str, tuple], theme_names: dict[str, str] | None = None,
                       title: str = "Themes over time (weekly share of posts)") -> Figure:
    """One line per theme: the weekly share of posts carrying it."""
    names = theme_names or {}
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(10, 4.2))
        for theme in weekly.columns:
            ax.plot(weekly.index, weekly[theme].to_numpy(dtype=float), label=_label(theme, names),
                    color=colors.get(theme), linewidth=1.4, marker="o" if len(weekly) < 20 else None, markersize=3)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_ylim(bottom=0)
        ax.set_xlabel("week (Monday, UTC)")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        _date_axis(ax, max_ticks=10)
        fig.tight_layout()
    return fig


def channel_trend_grid(weekly_by_channel: pd.DataFrame, channels: list[str], *, colors: dict[str, tuple],
                       theme_names: dict[str, str] | None = None, columns: int = 3) -> Figure:
    """Small multiples: weekly theme shares for each of ``channels`` (same y scale for all)."""
    names = theme_names or {}
    rows = max(1, -(-len(channels) // columns))
    legend_inches = 0.3 + 0.22 * -(-len(colors) // 5)
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(rows, columns, figsize=(4.0 * columns, 2.6 * rows + legend_inches), sharey=True,
                                 squeeze=False)
        for ax, channel in zip(axes.flat, channels):
            table = weekly_by_channel[weekly_by_channel["channel"] == channel].pivot(
                index="week", columns="theme", values="share").fillna(0.0).sort_index()
            for theme in [theme for theme in colors if theme in table.columns]:
                ax.plot(table.index, table[theme].to_numpy(dtype=float), color=colors[theme], linewidth=1.1,
                        label=_label(theme, names))
            ax.set_title(str(channel), fontsize=9)
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
            _date_axis(ax, max_ticks=4)
            ax.tick_params(axis="x", labelsize=7)
        for ax in list(axes.flat)[len(channels):]:
            ax.set_visible(False)
        handles = [matplotlib.lines.Line2D([], [], color=color, label=_label(theme, names))
                   for theme, color in colors.items()]
        fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
        fig.suptitle("Weekly theme shares per channel")
        fig.tight_layout(rect=(0, legend_inches / fig.get_figheight(), 1, 1))
    return fig


def language_mix_bars(languages: pd.DataFrame, *, max_channels: int = 40) -> Figure:
    """Horizontal stacked bars: the language mix of each channel's posts."""
    table = languages.iloc[:max_channels]
    order = [lang for lang in ("ru", "en") if lang in table.columns] + sorted(
        lang for lang in table.columns if lang not in ("ru", "en"))
    palette = {"ru": "#c0392b", "en": "#2c7fb8"}
    others = plt.get_cmap("Greys")
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(8, 1.2 + 0.35 * max(len(table), 2)))
        left = pd.Series(0.0, index=table.index)
        for i, lang in enumerate(order):
            values = table[lang].astype(float)
            ax.barh([str(c) for c in table.index], values, left=left, label=lang,
                    color=palette.get(lang, others(0.35 + 0.15 * (i % 4))))
            left = left + values
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_xlim(0, 1)
        ax.set_title("Language mix by channel")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        fig.tight_layout()
    return fig


def png_bytes(fig: Figure, *, dpi: int = 110) -> bytes:
    """The figure as PNG bytes with no timestamp or software stamp; closes the figure."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        plt.close(fig)
    return buffer.getvalue()
