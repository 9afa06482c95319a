"""Fixtures for batch, distributed and report tests: a tiny tagging bundle and a small invented archive.

Both are built from the templates of ``benchmarks/synthetic_archive.py`` (invented
RU/EN posts), so no test depends on ``../shared``.
"""
import importlib.util
import random
import re
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load_synthetic_archive():
    spec = importlib.util.spec_from_file_location("synthetic_archive", BENCHMARKS / "synthetic_archive.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synthetic():
    """The archive generator module (templates, word lists, ``generate_archive``)."""
    return _load_synthetic_archive()


@pytest.fixture(scope="session")
def tagging_bundle(tmp_path_factory, synthetic) -> Path:
    """A small bundle with a themes and a claims component, trained on template sentences."""
    from classify.bundle import save_component
    from classify.claims import sentence_table
    from training.claims import ClaimSentenceClassifier
    from training.themes import ThemeClassifier

    rng = random.Random(3)
    texts, labels, langs = [], [], []
    for theme, by_lang in synthetic.THEMES.items():
        for lang, templates in by_lang.items():
            for template in templates:
                for _ in range(4):
                    texts.append(template.format_map(synthetic._Slots(rng, lang)))
                    labels.append([theme])
                    langs.append(lang)
    for lang, fillers in synthetic.FILLER.items():
        for template in fillers:
            texts.append(template.format_map(synthetic._Slots(rng, lang)))
            labels.append([])
            langs.append(lang)
    themes = ThemeClassifier(themes=list(synthetic.THEMES), n_features=2 ** 14, cv_folds=2)
    themes.fit(texts, labels, langs=langs)

    # Claims: sentences with a figure in them are "check-worthy" here, the rest not.
    table, _ = sentence_table(texts, langs)
    claims = ClaimSentenceClassifier(cv_folds=2, n_features=2 ** 12)
    claims.fit(table, [["checkworthy"] if re.search(r"\d", text) else [] for text in table["text"]])

    folder = tmp_path_factory.mktemp("bundle") / "tiny"
    taxonomy = {"id": "test", "version": "1", "themes": list(synthetic.THEMES), "claim_labels": ["checkworthy"]}
    save_component(folder, "themes", themes, metadata={"taxonomy": taxonomy}, card_section="Test themes.")
    save_component(folder, "claims", claims, metadata={"taxonomy": taxonomy}, card_section="Test claims.")
    return folder


@pytest.fixture(scope="session")
def small_archive(tmp_path_factory, synthetic) -> Path:
    """A folder of 6 channel files (JSONL, Telethon layout), 1,200 posts in all."""
    folder = tmp_path_factory.mktemp("archive")
    synthetic.generate_archive(folder, 1200, channels=6, seed=5)
    return folder


@pytest.fixture
def format_detections(monkeypatch):
    """A Counter of ``detect_format`` calls per file name, counting from now on."""
    from collections import Counter

    from classify.ingest import detect

    examined = Counter()
    sniff = detect.detect_format

    def counted(path):
        examined[Path(path).name] += 1
        return sniff(path)

    monkeypatch.setattr(detect, "detect_format", counted)
    return examined
