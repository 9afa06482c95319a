"""Reports on tagged posts: theme shares per channel, weekly theme trends, top claims, language mix.

The input is one or more tag tables (JSONL, CSV or Parquet, as written by
``classify tag``). They are read in chunks and folded into small aggregates, so
a report over millions of posts needs memory for the aggregates only.

Shares are *weighted*: by views, by reactions, or by post counts. With
``weight="auto"`` views are used when at least half of the posts carry them,
else reactions under the same rule, else plain post counts. Posts without the
chosen weight are left out of the weighted shares (never counted as zero), and
the report says how many posts carried it.

Example::

    >>> from classify.report import write_report
    >>> write_report(["tagged/mfa.jsonl"], "report/")          # doctest: +SKIP
    PosixPath('report/index.html')
"""
from __future__ import annotations

import heapq
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from classify.errors import InputError
from classify.io import checked_input_format

WEIGHTS = ("auto", "views", "reactions", "posts")
_MEASURES = ("posts", "views", "reactions")
_JSON_COLUMNS = ("themes", "theme_scores", "claims")
_REQUIRED = ("channel", "themes")
NO_THEME = "(none)"


@dataclass
class ReportData:
    """The aggregates a report is drawn from (all shares are in [0, 1]).

    ``theme_shares``: index channel, one column per theme, share of the channel's
    (weighted) posts tagged with the theme; a post can carry several themes.
    ``weekly``: index week start (Monday, UTC), the same shares over all channels.
    ``weekly_by_channel``: long table channel, week, theme, share.
    ``languages``: index channel, one column per language.
    ``channels``: per channel posts, posts carrying the weight, total weight, first and last date.
    ``top_claims``: theme -> the highest-scoring distinct claims, best first.
    ``has_claims``: the input has a ``claims`` column (tagged with a claims component).
    ``unreadable_dates``: posts whose date is given but not an ISO 8601 date (one is kept as an example);
    they count in the shares but not in the weekly trends.
    """

    weight: str
    posts: int
    weighted_posts: int
    themes: list[str]
    channels: pd.DataFrame
    theme_shares: pd.DataFrame
    weekly: pd.DataFrame
    weekly_by_channel: pd.DataFrame
    languages: pd.DataFrame
    top_claims: dict[str, list[dict]]
    first_date: pd.Timestamp | None
    last_date: pd.Timestamp | None
    has_claims: bool = False
    unreadable_dates: int = 0
    unreadable_date_example: str | None = None


# ---------------------------------------------------------------- reading


def csv_record_line(path, index: int) -> int:
    """The line on which record ``index`` (0-based, after the header) of a CSV file starts: posts hold line
    breaks, so lines and records differ. Read again only for an error that names the record."""
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            for _ in itertools.islice(reader, index + 1):  # the header and the records before
                pass
        except csv.Error:  # a field beyond the csv module's size limit: the record's number is the best guess
            return index + 2
        return reader.line_num + 1


def _themes_problem(value) -> str | None:
    return None if value is None or isinstance(value, (str, list)) else "'themes' must be a list of theme ids"


def _shape_problem(column: str, cell) -> str | None:
    """What makes a decoded ``themes`` or ``claims`` cell unlike those ``classify tag`` writes, if anything."""
    if cell is None or column not in ("themes", "claims"):
        return None
    if column == "themes":
        return _themes_problem(cell)
    if not isinstance(cell, list):
        return "'claims' must be a list of {text, score, themes, ...} objects"
    for i, claim in enumerate(cell):
        if not isinstance(claim, dict):
            return f"claims[{i}] must be an object with text, score and themes"
        score = claim.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            return f"claims[{i}]: 'score' must be a number"
        problem = _themes_problem(claim.get("themes"))
        if problem:
            return f"claims[{i}]: {problem}"
    return None


def _cell_line(path, record: int, header_lines: int) -> str:
    """Where record number ``record`` (from 1) of a CSV table (one header line) or a Parquet table (none) is."""
    return f"line {csv_record_line(path, record - 1)}" if header_lines else f"row {record}"


def _decode_json_cells(frame: pd.DataFrame, path, first_record: int, header_lines: int) -> pd.DataFrame:
    for column in _JSON_COLUMNS:
        if column not in frame.columns:
            continue
        decoded = []
        for offset, cell in enumerate(frame[column].tolist()):
            if isinstance(cell, str):
                try:
                    cell = json.loads(cell) if cell.strip() else None
                except json.JSONDecodeError as error:
                    raise InputError(path, f"column '{column}' is not JSON: {error.msg}",
                                     location=_cell_line(path, first_record + offset, header_lines)) from None
            elif cell is not None and not isinstance(cell, (list, dict)) and pd.isna(cell):
                cell = None
            problem = _shape_problem(column, cell)
            if problem:
                raise InputError(path, problem, location=_cell_line(path, first_record + offset, header_lines))
            decoded.append(cell)
        frame[column] = decoded
    return frame


def _jsonl_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    rows: list[dict] = []
    first_line = 1
    with open(path, encoding="utf-8-sig") as handle:  # -sig: a byte order mark (Windows editors) is skipped
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(path, f"invalid JSON: {error.msg}", location=f"line {number}") from None
                if not isinstance(record, dict):
                    raise InputError(path, "expected one JSON object per line", location=f"line {number}")
                problem = (_shape_problem("themes", record.get("themes"))
                           or _shape_problem("claims", record.get("claims")))
                if problem:
                    raise InputError(path, problem, location=f"line {number}")
                rows.append(record)
                if len(rows) >= chunk_size:
                    yield pd.DataFrame(rows)
                    rows, first_line = [], number + 1
        except UnicodeDecodeError as error:
            raise InputError(path, f"not UTF-8 (byte {error.start} of a line after line {first_line})") from None
    if rows:
        yield pd.DataFrame(rows)


def _csv_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    try:
        reader = pd.read_csv(path, chunksize=chunk_size, dtype={"channel": "string", "lang": "string", "id": "string"},
                             keep_default_na=False, na_values=[""])
        first_record = 1
        for frame in reader:
            yield _decode_json_cells(frame, path, first_record, header_lines=1)
            first_record += len(frame)
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 (byte {error.start})") from None
    except pd.errors.ParserError as error:
        raise InputError(path, f"malformed CSV: {error}") from None


def _parquet_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise InputError(path, f"not a readable Parquet file: {error}") from None
    first_row = 1
    for batch in parquet.iter_batches(batch_size=chunk_size):
        frame = batch.to_pandas()
        for column in _JSON_COLUMNS:
            if column in frame.columns:
                frame[column] = [_as_python(cell) for cell in frame[column].tolist()]
        yield _decode_json_cells(frame, path, first_row, header_lines=0)
        first_row += len(frame)


def _as_python(cell):
    """Arrow list/struct cells arrive as numpy arrays and dicts with None for absent keys."""
    if hasattr(cell, "tolist"):
        cell = cell.tolist()
    if isinstance(cell, list):
        return [_as_python(item) for item in cell]
    if isinstance(cell, dict):
        return {key: _as_python(value) for key, value in cell.items() if value is not None}
    return cell


def read_tagged(paths: Iterable, *, chunk_size: int = 50_000) -> Iterator[pd.DataFrame]:
    """Yield chunks of tagged posts from JSONL, CSV or Parquet tag tables.

    ``themes``, ``theme_scores`` and ``claims`` come back as Python lists/dicts.
    A file without ``channel`` and ``themes`` columns raises ``InputError``.
    """
    for path in map(Path, paths):
        kind = checked_input_format(path, "tagged file")
        chunks = {"jsonl": _jsonl_chunks, "csv": _csv_chunks, "parquet": _parquet_chunks}[kind](path, chunk_size)
        for frame in chunks:
            missing = [column for column in _REQUIRED if column not in frame.columns]
            if missing:
                raise InputError(path, f"not a tag table: missing column(s) {', '.join(missing)}")
            yield frame


# ---------------------------------------------------------------- aggregating


class _Accumulator:
    """Running sums per group for the three measures: posts, views, reactions.

    For views and reactions two sums are kept per group: how many posts carry
    the measure and the measure's total, so posts without it stay out of shares.
    """

    def __init__(self, top_claims: int):
        self.top_claims = top_claims
        self.totals: dict[str, pd.DataFrame] = {}
        self.claims: dict[str, dict[str, tuple]] = defaultdict(dict)
        self.first_date = None
        self.last_date = None
        self.has_claims = False
        self.unreadable_dates = 0
        self.unreadable_date_example = None

    def _add(self, name: str, frame: pd.DataFrame, keys: list[str]) -> None:
        if frame.empty:
            return
        sums = frame.groupby(keys, sort=False, dropna=False)[_SUM_COLUMNS].sum()
        previous = self.totals.get(name)
        self.totals[name] = sums if previous is None else previous.add(sums, fill_value=0)

    def add_chunk(self, chunk: pd.DataFrame) -> None:
        frame = pd.DataFrame({"channel": chunk["channel"].astype("string").fillna("(unknown)")})
        frame["lang"] = (chunk["lang"].astype("string") if "lang" in chunk else pd.Series("other", index=chunk.index)
                         ).fillna("other")
        dates = (pd.to_datetime(chunk["date"], utc=True, errors="coerce", format="ISO8601")
                 if "date" in chunk else pd.Series(pd.NaT, index=chunk.index, dtype="datetime64[ns, UTC]"))
        if "date" in chunk:
            given = chunk["date"].astype("string").str.strip().fillna("") != ""
            unreadable = given & dates.isna()
            if unreadable.any():
                self.unreadable_dates += int(unreadable.sum())
                self.unreadable_date_example = (self.unreadable_date_example
                                                or str(chunk["date"][unreadable.to_numpy()].iloc[0]))
        frame["week"] = dates.dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
        frame["n_posts"] = 1
        for measure in ("views", "reactions"):
            values = pd.to_numeric(chunk[measure], errors="coerce") if measure in chunk else pd.Series(
                float("nan"), index=chunk.index)
            frame[f"n_{measure}"] = values.notna().astype("int64")
            frame[f"sum_{measure}"] = values.fillna(0).astype("float64")
        frame["themes"] = [_theme_list(cell) for cell in chunk["themes"].tolist()]
        if dates.notna().any():
            low, high = dates.min(), dates.max()
            self.first_date = low if self.first_date is None else min(self.first_date, low)
            self.last_date = high if self.last_date is None else max(self.last_date, high)

        self._add("channel", frame, ["channel"])
        self._add("lang", frame, ["channel", "lang"])
        dated = frame[frame["week"].notna()]
        self._add("week", dated, ["channel", "week"])
        exploded = frame.explode("themes").rename(columns={"themes": "theme"})
        exploded = exploded[exploded["theme"].notna()]
        self._add("theme", exploded, ["channel", "theme"])
        self._add("theme_week", exploded[exploded["week"].notna()], ["channel", "week", "theme"])
        if "claims" in chunk:
            self.has_claims = True
            self._add_claims(chunk, dates)

    def _add_claims(self, chunk: pd.DataFrame, dates: pd.Series) -> None:
        views = pd.to_numeric(chunk["views"], errors="coerce") if "views" in chunk else None
        ids = chunk["id"].tolist() if "id" in chunk else [None] * len(chunk)
        channels = chunk["channel"].tolist()
        for row, claims in enumerate(chunk["claims"].tolist()):
            if not isinstance(claims, list) or not claims:
                continue
            for claim in claims:
                text = " ".join(str(claim.get("text") or "").split())
                if not text:
                    continue
                score = float(claim.get("score") or 0.0)
                post_views = None if views is None or pd.isna(views.iloc[row]) else int(views.iloc[row])
                record = {"text": text, "score": score, "label": claim.get("label"), "channel": channels[row],
                          "date": None if pd.isna(dates.iloc[row]) else dates.iloc[row].strftime("%Y-%m-%d"),
                          "views": post_views, "post_id": ids[row]}
                for theme in _theme_list(claim.get("themes")) or [NO_THEME]:
                    self._keep_claim(theme, record)

    def _keep_claim(self, theme: str, record: dict) -> None:
        best = self.claims[theme]
        key = record["text"].casefold()
        rank = (record["score"], record["views"] or 0)
        if key in best and best[key][0] >= rank:
            return
        best[key] = (rank, record)
        # Keeping twice the wanted number of distinct texts is exact: a text
        # dropped here is outranked by more distinct texts than will be shown.
        if len(best) > 4 * self.top_claims:
            kept = heapq.nlargest(2 * self.top_claims, best.items(), key=lambda item: item[1][0])
            self.claims[theme] = dict(kept)

    def top(self) -> dict[str, list[dict]]:
        return {theme: [record for _, record in sorted(best.values(), key=lambda item: item[0], reverse=True)
                        [: self.top_claims]]
                for theme, best in self.claims.items()}


_SUM_COLUMNS = ["n_posts", "n_views", "sum_views", "n_reactions", "sum_reactions"]


def _theme_list(cell) -> list[str]:
    if cell is None:
        return []
    if isinstance(cell, str):
        return [cell] if cell else []
    if hasattr(cell, "tolist"):
        cell = cell.tolist()
    return [str(theme) for theme in cell if theme is not None and theme == theme]


def _choose_weight(weight: str, channel_totals: pd.DataFrame) -> str:
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {', '.join(WEIGHTS)}, not {weight!r}")
    if weight != "auto":
        return weight
    posts = channel_totals["n_posts"].sum()
    for measure in ("views", "reactions"):
        if posts and channel_totals[f"n_{measure}"].sum() >= 0.5 * posts:
            return measure
    return "posts"


def _weight_column(weight: str) -> str:
    return "n_posts" if weight == "posts" else f"sum_{weight}"


def _shares(numerators: pd.DataFrame, denominators: pd.Series, column: str, keys: list[str],
            pivot: str) -> pd.DataFrame:
    """Pivot ``numerators[column] / denominators`` into one column per value of ``pivot``."""
    table = numerators[column].astype("float64").unstack(pivot, fill_value=0.0)
    denominators = denominators.reindex(table.index)
    shares = table.div(denominators.where(denominators > 0), axis=0).fillna(0.0)
    return shares.sort_index()


def aggregate_tagged(chunks: Iterable[pd.DataFrame], *, weight: str = "auto", top_claims: int = 10,
                     origin: str = "tagged posts") -> ReportData:
    """Fold chunks of tagged posts (see :func:`read_tagged`) into the report aggregates.

    ``origin`` names the input in the error raised when it holds no post."""
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {', '.join(WEIGHTS)}, not {weight!r}")
    accumulator = _Accumulator(top_claims)
    for chunk in chunks:
        if len(chunk):
            accumulator.add_chunk(chunk)
    totals = accumulator.totals
    if "channel" not in totals:
        raise InputError(origin, "no tagged posts to report on")
    channel_totals = totals["channel"]
    chosen = _choose_weight(weight, channel_totals)
    column = _weight_column(chosen)
    carrying = "n_posts" if chosen == "posts" else f"n_{chosen}"
    if not channel_totals[carrying].sum():
        raise InputError(origin, f"no post carries {chosen} to weight by; weight by posts (or auto)")

    theme_totals = totals.get("theme", pd.DataFrame(columns=_SUM_COLUMNS,
                                                    index=pd.MultiIndex.from_tuples([], names=["channel", "theme"])))
    theme_order = (theme_totals[column].groupby(level="theme").sum().sort_values(ascending=False, kind="stable")
                   .index.tolist())
    theme_shares = _shares(theme_totals, channel_totals[column], column, ["channel"], "theme") \
        if len(theme_totals) else pd.DataFrame(index=channel_totals.index.sort_values())
    theme_shares = theme_shares.reindex(columns=theme_order, fill_value=0.0)

    week_totals = totals.get("week")
    theme_week = totals.get("theme_week")
    if week_totals is not None and theme_week is not None and len(theme_week):
        overall_weeks = week_totals[column].groupby(level="week").sum()
        overall_theme_weeks = theme_week[column].groupby(level=["week", "theme"]).sum()
        weekly = overall_theme_weeks.astype("float64").unstack("theme", fill_value=0.0).div(
            overall_weeks.where(overall_weeks > 0), axis=0).fillna(0.0).sort_index()
        weekly = weekly.reindex(index=overall_weeks.sort_index().index, columns=theme_order, fill_value=0.0)
        by_channel = theme_week[column].div(week_totals[column].where(week_totals[column] > 0)
                                            .reindex(theme_week.index.droplevel("theme")).to_numpy())
        weekly_by_channel = by_channel.fillna(0.0).rename("share").reset_index().sort_values(
            ["channel", "week", "theme"], kind="stable").reset_index(drop=True)
    else:
        weekly = pd.DataFrame(columns=theme_order)
        weekly_by_channel = pd.DataFrame(columns=["channel", "week", "theme", "share"])

    languages = _shares(totals["lang"], channel_totals[column], column, ["channel"], "lang")
    languages = languages[sorted(languages.columns, key=lambda lang: (lang not in ("ru", "en"), lang != "ru", lang))]
    channels = pd.DataFrame({
        "posts": channel_totals["n_posts"].astype("int64"),
        "weighted_posts": channel_totals[carrying].astype("int64"),
        "weight_total": channel_totals[column],
    }).sort_values("posts", ascending=False, kind="stable")
    return ReportData(
        weight=chosen, posts=int(channel_totals["n_posts"].sum()), weighted_posts=int(channel_totals[carrying].sum()),
        themes=theme_order, channels=channels, theme_shares=theme_shares, weekly=weekly,
        weekly_by_channel=weekly_by_channel, languages=languages, top_claims=accumulator.top(),
        first_date=accumulator.first_date, last_date=accumulator.last_date, has_claims=accumulator.has_claims,
        unreadable_dates=accumulator.unreadable_dates, unreadable_date_example=accumulator.unreadable_date_example,
    )


def write_report(paths: Iterable, out_dir, *, weight: str = "auto", top_claims: int = 10, title: str | None = None,
                 taxonomy=None, chunk_size: int = 50_000) -> Path:
    """Read tag tables, aggregate them and write ``out_dir/index.html`` with its PNGs and CSV tables.

    ``taxonomy`` (a :class:`labels.Taxonomy`) gives theme names; theme ids are shown without it.
    Returns the path of the HTML file. Everything is written atomically.
    """
    from classify.report_html import render_report

    paths = [Path(path) for path in paths]
    if not paths:
        raise ValueError("give at least one tagged file")
    resolved = [path.resolve() for path in paths]
    again = next((path for i, path in enumerate(paths) if resolved[i] in resolved[:i]), None)
    if again is not None:
        raise InputError(again, "given twice; its posts would be counted twice")
    data = aggregate_tagged(read_tagged(paths, chunk_size=chunk_size), weight=weight, top_claims=top_claims,
                            origin=", ".join(map(str, paths)))
    names = {theme.id: theme.name for theme in taxonomy.themes} if taxonomy is not None else {}
    return render_report(data, Path(out_dir), title=title or "Theme report",
                         sources=[path.name for path in paths], theme_names=names)
