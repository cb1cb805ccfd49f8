"""The text pipeline, model files, rules and predictions (R-CL-2, R-CL-3)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from kesu.triage.ml.model import ModelFileError, TextModel
from kesu.triage.ml.predictor import Predictor
from kesu.triage.ml.rules import Rule, default_rules
from kesu.triage.ml.text import detect_language, normalise, words
from kesu.triage.ml.training import Example, TrainingError, train

TEXTS = [
    "手机充电时起火了",
    "快递三天还没到",
    "they charged a hidden fee",
    "店员很不耐烦",
]


@pytest.fixture
def tiny_model(tiny_examples) -> TextModel:
    return train(tiny_examples, meta={"version": "tiny"})


def test_model_round_trip_gives_the_same_predictions(tiny_model):
    loaded = TextModel.from_bytes(tiny_model.to_bytes())

    before = tiny_model.proba("category", TEXTS)
    after = loaded.proba("category", TEXTS)

    np.testing.assert_allclose(before, after, rtol=1e-6)
    assert loaded.heads["category"].classes == tiny_model.heads["category"].classes
    assert loaded.meta["version"] == "tiny"


def test_model_file_holds_no_pickle(tiny_model):
    with zipfile.ZipFile(io.BytesIO(tiny_model.to_bytes())) as bundle:
        names = sorted(bundle.namelist())
        arrays = np.load(io.BytesIO(bundle.read("arrays.npz")), allow_pickle=False)

        assert names == ["arrays.npz", "model.json"]
        assert all(arrays[key].dtype != object for key in arrays.files)


def test_tiny_model_learns_its_training_texts(tiny_model):
    predictor = Predictor(tiny_model, [], "tiny")

    categories = [p.category for p in predictor.predict_many(TEXTS)]

    assert categories == ["safety", "logistics", "price_charges", "service_attitude"]


ODD_TEXTS = [
    *TEXTS,
    "",
    "   \n\t ",
    "快递  一直没到\n\n   三天了",
    "退款 refund 不到账 XXXX {$12.00}",
    "很" * 3000,
]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_one_text_features_equal_the_batch_transform(tiny_model, text):
    """The per-complaint fast path computes exactly scikit-learn's features."""
    indices, values = tiny_model.row(text)
    fast = np.zeros(tiny_model.features([text]).shape[1], dtype=np.float32)
    np.add.at(fast, indices, values)

    np.testing.assert_allclose(
        fast, tiny_model.features([text]).toarray()[0], atol=1e-6
    )


def test_predict_agrees_with_predict_many(tiny_model):
    predictor = Predictor(tiny_model, default_rules(), "tiny")

    one_by_one = [predictor.predict(text) for text in ODD_TEXTS]

    batch = predictor.predict_many(ODD_TEXTS)
    for single, batched in zip(one_by_one, batch, strict=True):
        assert (single.category, single.subcategory, single.severity) == (
            batched.category,
            batched.subcategory,
            batched.severity,
        )
        for name, confidence in single.confidences.items():
            assert confidence == pytest.approx(batched.confidences[name], abs=1e-4)


@pytest.mark.parametrize(
    "data",
    [b"", b"not a zip", b"PK\x05\x06" + b"\x00" * 18],
    ids=["empty", "text", "empty-zip"],
)
def test_damaged_model_file_is_refused(data):
    with pytest.raises(ModelFileError):
        TextModel.from_bytes(data)


def test_pickled_arrays_are_refused(tiny_model):
    buffer = io.BytesIO()
    np.savez(buffer, char_idf=np.array([object()], dtype=object))
    original = zipfile.ZipFile(io.BytesIO(tiny_model.to_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        bundle.writestr("model.json", original.read("model.json"))
        bundle.writestr("arrays.npz", buffer.getvalue())

    with pytest.raises(ModelFileError):
        TextModel.from_bytes(out.getvalue())


def test_training_with_one_label_is_refused():
    with pytest.raises(TrainingError):
        train([Example("a", "other"), Example("b", "other")])


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("手机充电时起火了", "zh"),
        ("The charger caught fire", "en"),
        ("我的iPhone 15 Pro屏幕碎了", "zh"),
        ("Order 12345 from 京东 never arrived at my home address", "en"),
        ("", "zh"),
        ("12315", "zh"),
    ],
)
def test_language_is_detected_by_script_share(text, language):
    assert detect_language(text) == language


def test_normalise_drops_cfpb_masks_and_case():
    assert (
        normalise("I paid XXXX on XX/XX/2019  {$25.00} FEE") == "i paid on / /2019 fee"
    )


def test_words_segment_chinese_with_jieba_and_english_with_a_regex():
    assert words("手机电池鼓包了") == ["手机电池", "鼓包", "了"]
    assert words("they didn't refund me") == ["they", "didn't", "refund", "me"]


def test_safety_word_makes_a_case_major_even_when_the_model_says_otherwise(tiny_model):
    predictor = Predictor(tiny_model, default_rules(), "tiny")

    prediction = predictor.predict("店员很不耐烦，孩子还被门夹受伤了")

    assert prediction.category != "safety"
    assert prediction.severity == "major"
    assert prediction.confidences["severity"] == 1.0
    assert "受伤" in prediction.reasons


def test_escalation_threat_makes_a_case_at_least_urgent(tiny_model):
    predictor = Predictor(tiny_model, default_rules(), "tiny")

    zh, en = predictor.predict_many(
        [
            "快递三天还没到，我要打12315",
            "The parcel never arrived, I will call my lawyer",
        ]
    )

    assert (zh.severity, en.severity) == ("urgent", "urgent")
    assert (zh.emotion, en.emotion) == ("angry", "angry")


def test_without_rules_a_non_safety_text_is_general(tiny_model):
    prediction = Predictor(tiny_model, [], "tiny").predict("快递三天还没到")

    assert prediction.severity == "general"
    assert prediction.emotion == "calm"


def test_english_keywords_match_whole_words_only(tiny_model):
    rules = [Rule("severity", "major", "en", "fire")]

    prediction = Predictor(tiny_model, rules, "tiny").predict(
        "I was fired and the fee stayed"
    )

    assert prediction.severity != "major"


def test_regex_rule_applies(tiny_model):
    rules = [Rule("severity", "urgent", "", r"re:投诉.{0,4}到底")]

    prediction = Predictor(tiny_model, rules, "tiny").predict("我要投诉你们到底")

    assert prediction.severity == "urgent"


def test_prediction_carries_language_version_and_confidences(tiny_model):
    prediction = Predictor(tiny_model, default_rules(), "tiny").predict(
        "the charger caught fire"
    )

    assert prediction.language == "en"
    assert prediction.model_version == "tiny"
    assert prediction.department is None
    assert set(prediction.confidences) == {
        "category",
        "subcategory",
        "severity",
        "emotion",
    }
    assert 0.0 < prediction.confidences["category"] <= 1.0


def test_large_enough_training_calibrates_confidences(tiny_examples):
    many = tiny_examples * 63  # past CALIBRATION_MIN_EXAMPLES

    model = train(many)

    assert model.meta["temperature"] != 1.0
    assert model.meta["examples"] == len(many)


def test_emotion_labels_train_an_emotion_head_that_replaces_the_rules(tiny_examples):
    # Texts about slow delivery are labelled angry although no angry rule word is in
    # them: the head must learn that, the rules could not.
    felt = [
        Example(
            e.text, e.category, emotion="angry" if e.category == "logistics" else "calm"
        )
        for e in tiny_examples * 8
    ]

    model = train(felt)
    prediction = Predictor(model, default_rules(), "felt").predict("快递三天还没到")

    assert "emotion" in model.heads
    assert prediction.emotion == "angry"
    assert 0.5 < prediction.confidences["emotion"] <= 1.0


def test_without_emotion_labels_the_rules_decide_emotion(tiny_model):
    prediction = Predictor(tiny_model, default_rules(), "tiny").predict(
        "快递三天还没到"
    )

    assert "emotion" not in tiny_model.heads
    assert prediction.emotion in {"calm", "unhappy"}
    assert prediction.confidences["emotion"] in {0.5, 1.0}
