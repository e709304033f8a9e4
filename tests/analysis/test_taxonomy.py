from __future__ import annotations

from pathlib import Path

import pytest

from civicpulse.analysis.taxonomy import Taxonomy, TaxonomyError, default_taxonomy

DEFAULT_IDS = ["traffic_transport", "flooding_weather", "environment_pollution", "healthcare", "education",
               "public_administration", "housing_land", "prices_economy", "jobs", "public_safety", "utilities",
               "culture_events", "tourism"]


def test_default_taxonomy_has_the_civic_topics_with_both_languages() -> None:
    taxonomy = default_taxonomy()
    assert taxonomy.ids == DEFAULT_IDS
    for topic in taxonomy.topics:
        assert topic.label_en and topic.label_vi and topic.description
        assert len(topic.examples) >= 10


def test_toml_and_json_round_trip_keep_the_fingerprint() -> None:
    taxonomy = default_taxonomy()
    assert Taxonomy.from_toml(taxonomy.to_toml()) == taxonomy
    assert Taxonomy.from_json(taxonomy.to_json()).fingerprint() == taxonomy.fingerprint()


def test_an_edit_changes_the_fingerprint() -> None:
    text = default_taxonomy().to_toml().replace('"kẹt xe", ', '"kẹt xe", "xe ôm công nghệ", ', 1)
    assert Taxonomy.from_toml(text).fingerprint() != default_taxonomy().fingerprint()


@pytest.mark.parametrize(("body", "message"), [
    ('[[topic]]\nid = "Bad Id"\nlabel_en = "x"\nexamples = ["a"]', "id must be lowercase"),
    ('[[topic]]\nid = "a"\nlabel_en = "x"\nexamples = ["a"]\n[[topic]]\nid = "a"\nlabel_en = "y"\nexamples = ["b"]',
     "duplicate id 'a'"),
    ('[[topic]]\nid = "a"\nlabel_en = "x"', "needs a description or example phrases"),
    ('[[topic]]\nid = "a"\nlabel_en = "x"\nexamples = [""]', "examples must be a list of non-empty strings"),
    ('[[topic]]\nid = "a"\nlabel_en = "x"\ncolour = "red"\nexamples = ["a"]', "unknown field(s) colour"),
    ("", "at least one [[topic]]"),
    ("[[topic]\n", "not valid TOML"),
])
def test_bad_taxonomies_are_explained(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TaxonomyError) as caught:
        Taxonomy.from_file(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
