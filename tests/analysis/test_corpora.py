"""Mapping of the third-party corpora's labels to ours, on tiny project-written fixtures (never the corpora)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civicpulse.analysis.corpora import load_goemotions, load_xed, map_goemotions, map_xed, stable_sample
from civicpulse.analysis.ood import ood_sets, task_metrics

EKMAN = {"anger": ["anger", "annoyance"], "joy": ["joy", "gratitude"], "surprise": ["surprise", "curiosity"],
         "sadness": ["sadness"]}
POLARITY = {"positive": ["joy", "gratitude"], "negative": ["anger", "annoyance", "sadness"],
            "ambiguous": ["surprise", "curiosity"]}
NAMES = ["anger", "annoyance", "curiosity", "gratitude", "joy", "sadness", "surprise", "neutral"]


def _goemotions(root: Path) -> Path:
    folder = root / "goemotions"
    folder.mkdir(parents=True)
    (folder / "emotions.txt").write_text("\n".join(NAMES) + "\n")
    (folder / "ekman_mapping.json").write_text(json.dumps(EKMAN))
    (folder / "sentiment_dict.json").write_text(json.dumps(POLARITY))
    rows = ["the bus is late again\t0,1\tid1",  # anger + annoyance: one Ekman class
            "thanks, that made my day\t3\tid2",
            "wait, what happened here?\t2\tid3",  # curiosity: surprise, sentiment ambiguous
            "so angry and yet so grateful\t0,3\tid4",  # two classes, mixed polarity: dropped
            "the meeting is at noon\t7\tid5"]
    (folder / "dev.tsv").write_text("\n".join(rows) + "\n")
    (folder / "test.tsv").write_text("never read\t7\tid9\n")
    return root


def test_goemotions_labels_map_through_the_authors_tables() -> None:
    assert map_goemotions(["anger", "annoyance"], EKMAN, POLARITY) == ("negative", "anger")
    assert map_goemotions(["curiosity"], EKMAN, POLARITY) == (None, "surprise")
    assert map_goemotions(["curiosity", "joy"], EKMAN, POLARITY) == ("positive", None)
    assert map_goemotions(["neutral"], EKMAN, POLARITY) == ("neutral", "neutral")
    assert map_goemotions(["anger", "gratitude"], EKMAN, POLARITY) == (None, None)


def test_goemotions_loader_keeps_mappable_rows_and_refuses_the_test_split(tmp_path: Path) -> None:
    root = _goemotions(tmp_path)
    rows = load_goemotions(root, "dev")
    assert [(e.text, e.sentiment, e.emotion) for e in rows] == [
        ("the bus is late again", "negative", "anger"), ("thanks, that made my day", "positive", "joy"),
        ("wait, what happened here?", None, "surprise"), ("the meeting is at noon", "neutral", "neutral")]
    with pytest.raises(ValueError, match="test"):
        load_goemotions(root, "test")
    assert load_goemotions(root, "train") == []


def test_xed_drops_anticipation_and_trust_and_maps_sentiment_where_clear(tmp_path: Path) -> None:
    assert map_xed([1, 8]) == (None, "anger")  # trust is dropped; anger with trust mixes polarity
    assert map_xed([2]) == (None, None)
    assert map_xed([5, 8]) == ("positive", "joy")
    assert map_xed([7]) == (None, "surprise")
    assert map_xed([4, 6]) == ("negative", None)
    assert map_xed([9]) == ("neutral", "neutral")
    folder = tmp_path / "xed"
    folder.mkdir()
    (folder / "vi-projections.tsv").write_text("Trời ơi, bất ngờ quá!\t7\nMình sợ lắm.\textra\t4\nChờ nhé.\t2\n")
    (folder / "en-annotated.tsv").write_text("I hate this place.\t1, 3\nSo happy for you!\t5\n")
    (folder / "neu_en.txt").write_text("9\tThe train leaves at six.\n")
    vi = load_xed(tmp_path, "vi")
    assert [(e.text, e.sentiment, e.emotion, e.lang) for e in vi] == [
        ("Trời ơi, bất ngờ quá!", None, "surprise", "vi"), ("Mình sợ lắm.", "negative", "fear", "vi")]
    en = load_xed(tmp_path, "en")
    assert [(e.text, e.sentiment, e.emotion) for e in en] == [
        ("I hate this place.", "negative", None), ("So happy for you!", "positive", "joy"),
        ("The train leaves at six.", "neutral", "neutral")]


def test_ood_sets_skip_cleanly_without_the_corpora(tmp_path: Path) -> None:
    assert ood_sets(tmp_path / "absent") == []
    assert ood_sets(tmp_path) == []  # a folder without the corpora in it
    root = _goemotions(tmp_path)
    found = ood_sets(root)
    assert [s.name for s in found] == ["goemotions-dev"]
    assert ood_sets(root, ["xed-vi"]) == []


def test_stable_sample_is_a_fixed_subset(tmp_path: Path) -> None:
    rows = load_goemotions(_goemotions(tmp_path), "dev")
    assert stable_sample(rows, 2) == stable_sample(list(reversed(rows)), 2)
    assert len(stable_sample(rows, None)) == len(rows)


def test_task_metrics_in_the_styles_the_product_is_judged_by() -> None:
    m = task_metrics("sentiment", ["negative", "negative", "positive", "neutral"],
                     ["negative", "neutral", "positive", "neutral"])
    assert m["macro_recall"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert m["f1_negative"] == pytest.approx(2 / 3)
    e = task_metrics("emotion", ["anger", "joy", "joy", "fear"], ["anger", "joy", "neutral", "fear"])
    # weighted-F1: anger 1*1, joy (F1 2/3)*2, fear 1*1, over 4
    assert e["weighted_f1"] == pytest.approx((1 + 4 / 3 + 1) / 4)
    # anger/joy/sadness style: only gold anger/joy rows count; sadness absent from gold is not averaged
    assert e["ajs_macro_f1"] == pytest.approx((1 + 2 / 3) / 2)


def test_training_recipe_uses_the_corpus_only_when_present(tmp_path: Path) -> None:
    from civicpulse.analysis.training import default_recipe

    absent = default_recipe(tmp_path / "absent")
    assert absent.corpora == {} and absent.extra("emotion") == [] and absent.describe().startswith("data/training only")
    root = _goemotions(tmp_path)
    (root / "goemotions" / "dev.tsv").rename(root / "goemotions" / "train.tsv")
    recipe = default_recipe(root, per_emotion=1)
    assert sorted(e.emotion for e in recipe.extra("emotion")) == ["anger", "joy", "neutral", "surprise"]
    assert all(e.sentiment for e in recipe.extra("sentiment"))  # the surprise row has no sentiment: left out
    assert "goemotions/train.tsv" in recipe.corpora


def test_students_take_more_corpus_rows_than_teachers_but_never_the_calibration_texts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import civicpulse.analysis.training as training

    root = _goemotions(tmp_path)
    rows = [f"the bus is late again, day {n}\t0\tid{n}" for n in range(3)]
    rows += [f"thanks, that made my day {n}\t3\tjd{n}" for n in range(3)]
    (root / "goemotions" / "train.tsv").write_text("\n".join(rows) + "\n")
    monkeypatch.setattr(training, "CALIBRATION_TEXTS", 2)
    recipe = training.default_recipe(root, per_emotion=1, student_per_emotion=3)
    teacher = {e.text for e in recipe.extra("emotion")}
    student = {e.text for e in recipe.student_extra("emotion")}
    assert len(teacher) == 2 and len(recipe.calibration) == 2
    assert teacher < student and not student & set(recipe.calibration)
    assert len(student) == 4  # six rows, two kept back to calibrate the routing
    assert "students sentiment 4, emotion 4 rows" in recipe.describe()
    # without separate student rows (workspace recipes, older models) the students take the teachers' rows
    assert training.Recipe(extra_rows={"emotion": recipe.extra("emotion")}).student_extra("emotion") == \
        recipe.extra("emotion")
