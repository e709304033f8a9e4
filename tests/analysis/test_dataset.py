from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicpulse.analysis.dataset import DatasetError, Example, default_data_dir, load_jsonl, load_labels_csv
from civicpulse.analysis.evaluation import multilabel_scores, scores
from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analysis.taxonomy import default_taxonomy


def test_heldout_split_ignores_diacritics_and_spacing() -> None:
    a = Example("Kẹt xe quá trời  ở Q1", "vi")
    b = Example("ket xe qua troi o q1", "vi")
    assert a.key == b.key and a.heldout == b.heldout


def test_the_split_holds_out_about_a_fifth() -> None:
    examples = [Example(f"câu số {i} về giao thông", "vi") for i in range(2000)]
    share = sum(e.heldout for e in examples) / len(examples)
    assert 0.17 < share < 0.23


def test_bad_training_lines_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    good = {"text": "ok", "lang": "en", "sentiment": "neutral", "emotion": "neutral", "topics": []}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "emotion": "happy"}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"x\.jsonl:2: emotion: 'happy' is not one of"):
        load_jsonl([path])
    path.write_text(json.dumps(good) + "\n{broken\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"x\.jsonl:2: not valid JSON"):
        load_jsonl([path])


def test_duplicate_sentences_count_once(tmp_path: Path) -> None:
    row = {"text": "same", "lang": "en", "sentiment": "neutral", "emotion": "neutral", "topics": []}
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    assert len(load_jsonl([tmp_path / "a.jsonl"]).examples) == 1


def test_corrected_labels_csv_accepts_label_or_task_column(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("text,sentiment\nxe buýt đúng giờ,positive\n\"ngập, lại ngập\",negative\n", encoding="utf-8")
    examples = load_labels_csv(path, "sentiment", SENTIMENTS)
    assert [(e.text, e.sentiment) for e in examples] == [("xe buýt đúng giờ", "positive"),
                                                         ("ngập, lại ngập", "negative")]


@pytest.mark.parametrize(("body", "message"), [
    ("words,label\nx,positive\n", "header must have `text` and `label`"),
    ("text,label\nx,great\n", r"labels\.csv:2: label: 'great' is not one of"),
    ("text,label\n,positive\n", r"labels\.csv:2: text: empty"),
    ("text,label\n", "no labelled rows"),
])
def test_bad_label_files_are_explained(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        load_labels_csv(path, "sentiment", SENTIMENTS)


def test_topic_labels_must_exist_in_the_taxonomy(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("text,label\nmetro chạy rồi,\"traffic_transport, fun\"\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="unknown topic"):
        load_labels_csv(path, "topics", default_taxonomy().ids)


def test_scores_match_a_hand_computed_example() -> None:
    gold = ["a", "a", "b", "b"]
    pred = ["a", "b", "b", "b"]
    s = scores(gold, pred, ["a", "b"])
    assert s["accuracy"] == 0.75
    # a: P=1, R=.5, F1=2/3; b: P=2/3, R=1, F1=.8
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert s["confusion"]["a"]["b"] == 1
    m = multilabel_scores([["x"], ["x", "y"], []], [["x"], ["x"], ["y"]], ["x", "y"])
    assert m["exact_match"] == pytest.approx(1 / 3)
    assert m["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))


def test_the_shipped_training_data_is_valid_balanced_and_large() -> None:
    data = load_jsonl(sorted(default_data_dir().glob("*.jsonl")))
    assert len(data.examples) >= 3000
    for lang in ("vi", "en"):
        rows = [e for e in data.examples if e.lang == lang]
        assert len(rows) >= 1200
        for label in SENTIMENTS:
            assert sum(e.sentiment == label for e in rows) / len(rows) > 0.2, (lang, label)
        for label in EMOTIONS:
            assert sum(e.emotion == label for e in rows) / len(rows) > 0.05, (lang, label)
    topics = default_taxonomy().ids
    for topic in topics:
        assert sum(topic in e.topics for e in data.examples) >= 60, topic
