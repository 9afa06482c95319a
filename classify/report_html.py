"""Write a report folder: a self-contained ``index.html`` (inline CSS, PNGs inlined as base64,
no scripts, no network assets), the same charts as PNG files and the aggregates as CSV tables.
"""
from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from classify import report_plots
from classify.io import atomic_output, write_table

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:32px 0 8px;border-bottom:1px solid #dde2e8;padding-bottom:4px}
h3{font-size:1.0em;margin:18px 0 6px}
p.meta{color:#5b6776;margin:2px 0}
figure{margin:8px 0 16px}figure img{max-width:100%;height:auto;border:1px solid #eef0f3}
figcaption{color:#5b6776;font-size:.85em}
table{border-collapse:collapse;font-size:.85em;margin:6px 0 12px}
th,td{border-bottom:1px solid #e6e9ee;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.claim{max-width:640px}
.note{background:#fff8e1;border-left:3px solid #f0b400;padding:6px 10px;font-size:.9em}
"""

CHARTS = ("theme_shares", "themes_over_time", "themes_over_time_by_channel", "language_mix")


def _percent_table(table: pd.DataFrame, names: dict[str, str], index_label: str) -> str:
    head = "".join(f"<th>{html.escape(names.get(str(c), str(c)))}</th>" for c in table.columns)
    rows = []
    for key, values in table.iterrows():
        cells = "".join(f'<td class="num">{float(v):.1%}</td>' for v in values)
        rows.append(f"<tr><td>{html.escape(str(key))}</td>{cells}</tr>")
    return f"<table><tr><th>{html.escape(index_label)}</th>{head}</tr>{''.join(rows)}</table>"


def _figure(name: str, png: bytes, caption: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" data-chart="{html.escape(name)}" '
            f'src="data:image/png;base64,{encoded}"><figcaption>{html.escape(caption)}</figcaption></figure>')


def _claims_section(top_claims: dict[str, list[dict]], themes: list[str], names: dict[str, str],
                    has_claims: bool) -> str:
    if not any(top_claims.values()):
        if has_claims:
            return '<p class="note">No claim was found in the tagged posts.</p>'
        return '<p class="note">The tagged data carries no claims (the model bundle had no claim model).</p>'
    parts = []
    for theme in [t for t in themes if t in top_claims] + sorted(t for t in top_claims if t not in themes):
        rows = "".join(
            f'<tr><td class="num">{claim["score"]:.2f}</td><td class="claim" dir="auto">{html.escape(claim["text"])}</td>'
            f'<td>{html.escape(str(claim["channel"]))}</td><td>{html.escape(claim["date"] or "")}</td>'
            f'<td class="num">{"" if claim["views"] is None else format(claim["views"], ",")}</td></tr>'
            for claim in top_claims[theme])
        parts.append(f"<h3>{html.escape(names.get(theme, theme))}</h3><table><tr><th>score</th><th>claim</th>"
                     f"<th>channel</th><th>date</th><th>views</th></tr>{rows}</table>")
    return "".join(parts)


def _weight_sentence(data) -> str:
    if data.weight == "posts":
        return "Shares count posts (no views or reactions in most posts)."
    return (f"Shares are weighted by {data.weight}: {data.weighted_posts:,} of {data.posts:,} posts carry "
            f"{data.weight}; posts without it are left out of the shares.")


def render_report(data, out_dir: Path, *, title: str, sources: list[str], theme_names: dict[str, str],
                  max_trend_channels: int = 12) -> Path:
    """Draw the charts of ``data`` (a :class:`classify.report.ReportData`) and write the report folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = theme_names
    colors = report_plots.theme_colors(data.themes)
    charts: dict[str, tuple[bytes, str]] = {}
    if len(data.theme_shares.columns):
        charts["theme_shares"] = (report_plots.png_bytes(report_plots.theme_share_heatmap(
            data.theme_shares, theme_names=names)), "Share of each channel's posts tagged with each theme")
    if len(data.weekly):
        charts["themes_over_time"] = (report_plots.png_bytes(report_plots.weekly_theme_lines(
            data.weekly, colors=colors, theme_names=names)), "Weekly share of posts per theme, all channels")
        trend_channels = [c for c in data.channels.index[:max_trend_channels]
                          if c in set(data.weekly_by_channel["channel"])]
        if trend_channels:
            charts["themes_over_time_by_channel"] = (report_plots.png_bytes(report_plots.channel_trend_grid(
                data.weekly_by_channel, trend_channels, colors=colors, theme_names=names)),
                f"Weekly theme shares for the {len(trend_channels)} largest channels")
    charts["language_mix"] = (report_plots.png_bytes(report_plots.language_mix_bars(data.languages)),
                              "Language mix of each channel")
    for name, (png, _) in charts.items():
        with atomic_output(out_dir / f"{name}.png", "wb") as handle:
            handle.write(png)
    for name in CHARTS:  # a chart of an earlier report into this folder that this data does not have
        if name not in charts:
            (out_dir / f"{name}.png").unlink(missing_ok=True)

    write_table(data.channels.reset_index(), out_dir / "channels.csv")
    write_table(data.theme_shares.rename_axis("channel").reset_index(), out_dir / "theme_shares.csv")
    write_table(data.weekly.rename_axis("week").reset_index(), out_dir / "themes_weekly.csv")
    write_table(data.languages.rename_axis("channel").reset_index(), out_dir / "languages.csv")
    claim_rows = [dict(theme=theme, rank=rank, **claim) for theme, claims in data.top_claims.items()
                  for rank, claim in enumerate(claims, start=1)]
    write_table(pd.DataFrame(claim_rows, columns=["theme", "rank", "text", "score", "label", "channel", "date",
                                                  "views", "post_id"]), out_dir / "top_claims.csv")

    period = (f"{data.first_date:%Y-%m-%d} to {data.last_date:%Y-%m-%d}" if data.first_date is not None
              else "no dates")
    channels_table = data.channels.assign(weight_total=data.channels["weight_total"].round(0).astype("int64"))
    # Counted posts: the weight columns would repeat the post count.
    weighted = data.weight != "posts"
    channel_rows = "".join(
        f'<tr><td>{html.escape(str(c))}</td><td class="num">{r.posts:,}</td>'
        + (f'<td class="num">{r.weighted_posts:,}</td><td class="num">{r.weight_total:,}</td>' if weighted else "")
        + "</tr>" for c, r in channels_table.iterrows())
    weight_heads = (f"<th>posts with {html.escape(data.weight)}</th><th>total {html.escape(data.weight)}</th>"
                    if weighted else "")
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{data.posts:,} posts in {len(data.channels)} channels, {period}. '
        f'Sources: {html.escape(", ".join(sources))}.</p>',
        f'<p class="meta">{html.escape(_weight_sentence(data))} A post can carry several themes, '
        "so a channel's shares can add up to more than 100%.</p>",
        *([f'<p class="note">{data.unreadable_dates:,} posts have a date that is not an ISO 8601 date (e.g. '
           f'{html.escape(repr(data.unreadable_date_example))}): they count in the shares but not in the trends '
           "over time.</p>"] if data.unreadable_dates else []),
        "<h2>Channels</h2>",
        f"<table><tr><th>channel</th><th>posts</th>{weight_heads}</tr>{channel_rows}</table>",
        "<h2>Theme shares per channel</h2>",
    ]
    if "theme_shares" in charts:
        body += [_figure("theme_shares", *charts["theme_shares"]),
                 _percent_table(data.theme_shares, names, "channel")]
    else:
        body.append('<p class="note">No post carries a theme.</p>')
    body.append("<h2>Themes over time</h2>")
    for name in ("themes_over_time", "themes_over_time_by_channel"):
        if name in charts:
            body.append(_figure(name, *charts[name]))
    if "themes_over_time" not in charts:
        body.append('<p class="note">No dated posts with themes.</p>')
    body += ["<h2>Top claims per theme</h2>", _claims_section(data.top_claims, data.themes, names, data.has_claims),
             "<h2>Language mix</h2>", _figure("language_mix", *charts["language_mix"]),
             _percent_table(data.languages, {}, "channel")]
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
            f'<body><main>{"".join(body)}</main></body></html>\n')
    index = out_dir / "index.html"
    with atomic_output(index, "w", encoding="utf-8") as handle:
        handle.write(page)
    return index
