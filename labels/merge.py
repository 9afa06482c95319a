"""Combine annotators by majority vote, reporting ties.

A theme is kept when more than half of the annotators who labeled the post's
themes gave it. Claims are voted character by character per label: a character
is in a merged span when more than half of the annotators who labeled the
post's claims covered it; a new span starts where a majority of the covering
annotators start one (so adjacent sentences stay apart). Exactly half is a tie:
reported, and left out unless ``ties="include"``.
"""
from __future__ import annotations

from dataclasses import dataclass

from labels.annotators import Annotations, post_order
from labels.records import LabeledRecord, Span

TIE_POLICIES = ("exclude", "include")


@dataclass
class Tie:
    post_id: str
    kind: str  # "theme" or "claim"
    label: str
    said_yes: list[str]
    said_no: list[str]
    span: tuple[int, int] | None = None  # claims: the tied characters

    def describe(self) -> str:
        where = f" {self.span[0]}-{self.span[1]}" if self.span else ""
        return (f"{self.post_id}: {self.kind} {self.label}{where}: yes {','.join(self.said_yes)}; "
                f"no {','.join(self.said_no)}")


def _runs(flags: list[bool], starts: list[bool]) -> list[tuple[int, int]]:
    runs, begin = [], None
    for i, flag in enumerate(flags + [False]):
        if begin is not None and (not flag or starts[i]):
            runs.append((begin, i))
            begin = None
        if flag and begin is None:
            begin = i
    return runs


def _vote_spans(post_id: str, text: str, voters: dict[str, LabeledRecord], label: str,
                ties: str) -> tuple[list[Span], list[Tie]]:
    n = len(voters)
    cover = {name: [False] * len(text) for name in voters}
    begins = [0] * (len(text) + 1)
    for name, record in voters.items():
        for span in record.claims:
            if span.label == label:
                cover[name][span.start:span.end] = [True] * (span.end - span.start)
                begins[span.start] += 1
    votes = [sum(cover[name][i] for name in voters) for i in range(len(text))]
    majority = [2 * v > n for v in votes]
    tied = [2 * v == n and v > 0 for v in votes]
    keep = [m or (t and ties == "include") for m, t in zip(majority, tied)]
    split_at = [i > 0 and 2 * begins[i] > n for i in range(len(text))] + [False]
    spans = [Span(s, e, label) for s, e in _runs(keep, split_at)]
    tie_list = []
    for start, end in _runs(tied, [False] * (len(text) + 1)):
        yes = sorted(name for name in voters if cover[name][start])
        tie_list.append(Tie(post_id, "claim", label, yes, sorted(set(voters) - set(yes)), (start, end)))
    return spans, tie_list


def merge_annotations(groups: Annotations, *, ties: str = "exclude",
                      claim_labels: list[str] | None = None) -> tuple[list[LabeledRecord], list[Tie]]:
    """One record per post with the majority labels of ``{annotator: {post id: record}}``, and the ties."""
    if ties not in TIE_POLICIES:
        raise ValueError(f"ties must be one of {TIE_POLICIES}, not {ties!r}")
    merged, all_ties = [], []
    for post_id in post_order(groups):
        records = {name: posts[post_id] for name, posts in sorted(groups.items()) if post_id in posts}
        first = next(iter(records.values()))
        post_ties: list[Tie] = []
        themes = None
        theme_voters = {n: r for n, r in records.items() if r.themes is not None}
        if theme_voters:
            n = len(theme_voters)
            candidates = list(dict.fromkeys(t for r in theme_voters.values() for t in r.themes))
            themes = []
            for theme in candidates:
                yes = sorted(name for name, r in theme_voters.items() if theme in r.themes)
                if 2 * len(yes) == n:
                    post_ties.append(Tie(post_id, "theme", theme, yes, sorted(set(theme_voters) - set(yes))))
                if 2 * len(yes) > n or (2 * len(yes) == n and ties == "include"):
                    themes.append(theme)
        claims = None
        claim_voters = {n: r for n, r in records.items() if r.claims is not None}
        if claim_voters:
            labels = claim_labels or sorted({s.label for r in claim_voters.values() for s in r.claims})
            claims = []
            for label in labels:
                spans, label_ties = _vote_spans(post_id, first.text, claim_voters, label, ties)
                claims += spans
                post_ties += label_ties
        merged.append(LabeledRecord(
            id=post_id, text=first.text, themes=themes, claims=claims, lang=first.lang, meta=dict(first.meta),
            annotator="majority:" + ",".join(records), status="tie" if post_ties else "merged", split=first.split))
        all_ties += post_ties
    return merged, all_ties
