import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import skops.io
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from classify.bundle import BUNDLE_PROTOCOL, TRUSTED_TYPES, load_bundle, register_trusted_type, save_component
from classify.errors import ModelError

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "bundle_v1"
TEXTS = ["Минобороны сообщило об учениях флота", "Курс рубля и инфляция в ноябре",
         "NATO drills near the border", "Oil prices and the budget deficit"]
LABELS = ["security", "economy", "security", "economy"]


def _fit():
    return make_pipeline(HashingVectorizer(n_features=512, alternate_sign=False),
                         LogisticRegression()).fit(TEXTS, LABELS)


class NotAllowed:
    """A type that is not on the trusted list."""

    def __init__(self):
        self.value = 1


def test_old_protocol_v1_bundle_still_loads():
    bundle = load_bundle(FIXTURE_V1)
    assert bundle.metadata["protocol"] == 1
    model = bundle.components["themes"]
    # Figures recorded when the fixture was written: the format must keep giving them.
    assert model.predict(["учения армии", "цены на нефть"]).tolist() == ["security", "security"]
    assert model.predict_proba(["учения армии"])[0, 1] == pytest.approx(0.53694014, abs=1e-6)


def test_round_trip_gives_identical_predictions_and_bytes(tmp_path):
    model = _fit()
    save_component(tmp_path / "a", "themes", model, metadata={"metrics": {"f1": 1.0}}, card_section="## Themes")
    save_component(tmp_path / "b", "themes", _fit(), metadata={"metrics": {"f1": 1.0}}, card_section="## Themes")
    assert (tmp_path / "a" / "themes.skops").read_bytes() == (tmp_path / "b" / "themes.skops").read_bytes()
    loaded = load_bundle(tmp_path / "a").components["themes"]
    assert loaded.predict_proba(TEXTS).tolist() == model.predict_proba(TEXTS).tolist()


def test_components_merge_into_metadata_and_card(tmp_path):
    save_component(tmp_path, "themes", _fit(), metadata={"metrics": {"micro_f1": 0.9}},
                   card_section="## Themes\n\nTheme section.")
    save_component(tmp_path, "claims", _fit(), metadata={"metrics": {"f1": 0.7}},
                   card_section="## Claims\n\nClaim section.")
    metadata = json.loads((tmp_path / "metadata.json").read_text())
    assert metadata["protocol"] == BUNDLE_PROTOCOL
    assert set(metadata["components"]) == {"themes", "claims"}
    assert metadata["components"]["themes"]["metrics"] == {"micro_f1": 0.9}
    assert metadata["components"]["claims"]["sha256"] == hashlib.sha256(
        (tmp_path / "claims.skops").read_bytes()).hexdigest()
    card = (tmp_path / "README.md").read_text()
    assert "Theme section." in card and "Claim section." in card
    assert set(load_bundle(tmp_path).components) == {"themes", "claims"}
    assert set(load_bundle(tmp_path, components=["claims"]).components) == {"claims"}


def test_changed_file_is_refused(tmp_path):
    shutil.copytree(FIXTURE_V1, tmp_path / "b")
    path = tmp_path / "b" / "themes.skops"
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ModelError, match="sha256"):
        load_bundle(tmp_path / "b")


def test_unknown_protocol_is_refused(tmp_path):
    shutil.copytree(FIXTURE_V1, tmp_path / "b")
    meta_path = tmp_path / "b" / "metadata.json"
    metadata = json.loads(meta_path.read_text())
    metadata["protocol"] = 99
    meta_path.write_text(json.dumps(metadata))
    with pytest.raises(ModelError, match="protocol 99 is not supported"):
        load_bundle(tmp_path / "b")


def test_not_a_bundle(tmp_path):
    with pytest.raises(ModelError, match="not a model bundle"):
        load_bundle(tmp_path)
    with pytest.raises(ModelError, match="not found"):
        load_bundle(tmp_path / "missing")


def test_untrusted_type_is_refused_with_its_name(tmp_path):
    with pytest.raises(ModelError, match="NotAllowed"):
        save_component(tmp_path / "s", "themes", NotAllowed(), metadata={}, card_section="")
    # A hand-made bundle whose file carries an unknown type, with a valid sha256.
    shutil.copytree(FIXTURE_V1, tmp_path / "b")
    payload = skops.io.dumps(NotAllowed())
    (tmp_path / "b" / "themes.skops").write_bytes(payload)
    meta_path = tmp_path / "b" / "metadata.json"
    metadata = json.loads(meta_path.read_text())
    metadata["components"]["themes"]["sha256"] = hashlib.sha256(payload).hexdigest()
    meta_path.write_text(json.dumps(metadata))
    with pytest.raises(ModelError, match="untrusted types: .*NotAllowed"):
        load_bundle(tmp_path / "b")


def test_register_trusted_type(tmp_path):
    name = f"{NotAllowed.__module__}.NotAllowed"
    register_trusted_type(name)
    try:
        save_component(tmp_path, "extra", NotAllowed(), metadata={}, card_section="")
        assert load_bundle(tmp_path).components["extra"].value == 1
    finally:
        TRUSTED_TYPES.remove(name)
    with pytest.raises(ValueError):
        register_trusted_type("NoModule")


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed: nothing to keep out")
def test_loading_a_bundle_does_not_import_torch_and_trusts_the_same_sklearn_types():
    import skops.io._trusted_types as trusted_types

    script = ("import json, sys\n"
              "from classify.bundle import load_bundle\n"
              f"load_bundle({str(FIXTURE_V1)!r})\n"
              "from skops.io._trusted_types import SKLEARN_ESTIMATOR_TYPE_NAMES\n"
              "print(json.dumps({'torch': 'torch' in sys.modules, 'dask': 'dask.array' in sys.modules,\n"
              "                  'sklearn_types': SKLEARN_ESTIMATOR_TYPE_NAMES}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[2])
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"torch": False, "dask": False,
                     "sklearn_types": trusted_types.SKLEARN_ESTIMATOR_TYPE_NAMES}
