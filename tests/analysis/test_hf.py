"""The optional Hugging Face backends, loaded through the real `from_pretrained` path from tiny local models.

The models are built here (a WordPiece tokenizer trained on a few sentences, a 2-layer BERT with 32 hidden
units), saved with `save_pretrained`, and loaded by path: no network, no downloaded weights.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

REASON = "optional Hugging Face packages not installed: pip install -r requirements-hf.lock"
torch = pytest.importorskip("torch", reason=REASON)
transformers = pytest.importorskip("transformers", reason=REASON)
tokenizers = pytest.importorskip("tokenizers", reason=REASON)

from civicpulse.analysis.hf import (  # noqa: E402 - only importable checks above decide whether to run
    HFBackendError,
    HFClassifier,
    HFDependencyError,
    HFEncoder,
    civic_label,
    load_backend,
    parse_spec,
)

CORPUS = [
    "giá xăng tăng quá, dân khổ",
    "gia xang tang qua dan kho",
    "ko thích dịch vụ này chút nào",
    "khong thich dich vu nay",
    "đường ngập nước sau cơn mưa lớn",
    "duong ngap nuoc sau con mua lon",
    "bệnh viện phục vụ rất tốt, cảm ơn các bác sĩ",
    "benh vien phuc vu rat tot cam on cac bac si",
    "mik thấy chính sách mới ok đấy",
    "giao thông ở Hà Nội tắc kinh khủng",
    "trường học mới xây đẹp quá",
    "hôm nay trời đẹp, đi dạo công viên",
    "dc nghỉ lễ 5 ngày vui ghê",
    "@user nói đúng, phải xử lý ngay",
    "tiền điện tháng này cao bất thường",
    "I love this city so much",
    "traffic is terrible today",
    "the new bus line is great",
    "prices keep going up, people are angry",
    "thanks to the nurses at the hospital",
    "the park was flooded after the storm",
    "not happy with the public service at all",
    "school fees are too high this year",
    "what a beautiful day in Saigon",
    "the water bill doubled, this is unfair",
    "great job fixing the road quickly",
    "nobody answers the hotline, useless",
    "festival downtown was fun with friends",
    "power outage again in district 7",
    "cảm ơn đội cứu hộ đã đến kịp thời",
]
TEXTS = ["giá xăng tăng quá", "I love this city", "đường ngập", "khong thich dich vu nay, that su rat te", "ok"]
SENTIMENT_IDS = {0: "NEG", 1: "NEU", 2: "POS"}


def _tokenizer() -> transformers.PreTrainedTokenizerFast:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)  # keep Vietnamese marks
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    # No model_max_length on purpose: truncation must then fall back to the model's position table.
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]",
    )  # fmt: skip


def _config(vocab_size: int, **extra: object) -> transformers.BertConfig:
    return transformers.BertConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=64, **extra,
    )  # fmt: skip


def _save_classifier(path: Path, tokenizer, id2label: dict[int, str], bias: list[float] | None = None) -> str:
    torch.manual_seed(1)
    label2id = {v: k for k, v in id2label.items()}
    config = _config(len(tokenizer), num_labels=len(id2label), id2label=id2label, label2id=label2id)
    model = transformers.BertForSequenceClassification(config)
    if bias is not None:  # a head that ignores the text: its output is softmax(bias), known in advance
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.tensor(bias))
    tokenizer.save_pretrained(path)
    model.save_pretrained(path)
    return str(path)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("hf-tiny")
    tokenizer = _tokenizer()
    torch.manual_seed(0)
    tokenizer.save_pretrained(root / "encoder")
    transformers.BertModel(_config(len(tokenizer))).save_pretrained(root / "encoder")
    return {
        "encoder": str(root / "encoder"),
        "classifier": _save_classifier(root / "classifier", tokenizer, SENTIMENT_IDS),
        "biased": _save_classifier(root / "biased", tokenizer, SENTIMENT_IDS, bias=[0.0, 1.0, 3.0]),
        # Same head, shuffled names: column 2 is now NEU, so the winner must be reported as neutral.
        "shuffled": _save_classifier(root / "shuffled", tokenizer, {0: "POS", 1: "NEG", 2: "NEU"}, [0.0, 1.0, 3.0]),
        "stars": _save_classifier(
            root / "stars", tokenizer, {i: f"{i + 1} star" + ("s" if i else "") for i in range(5)}, [0.0] * 5
        ),
    }


@pytest.fixture(scope="session")
def encoder(tiny: dict[str, str]) -> HFEncoder:
    return HFEncoder(tiny["encoder"], local_files_only=True)


def test_encoder_shape_dtype_and_unit_norm(encoder: HFEncoder) -> None:
    vecs = encoder.passages(TEXTS)
    assert encoder.dim == 32
    assert vecs.shape == (len(TEXTS), 32)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert encoder.passages([]).shape == (0, 32)
    # Different texts must give different vectors (a constant output would pass the checks above).
    assert np.abs(vecs[0] - vecs[1]).max() > 1e-3


def test_encoder_is_mean_pooling_over_real_tokens(tiny: dict[str, str], encoder: HFEncoder) -> None:
    # Computed independently, one text at a time (no padding), straight from the saved model.
    tok = transformers.AutoTokenizer.from_pretrained(tiny["encoder"])
    model = transformers.AutoModel.from_pretrained(tiny["encoder"]).eval()
    with torch.no_grad():
        expected = []
        for text in TEXTS:
            hidden = model(**tok(text, return_tensors="pt")).last_hidden_state[0]
            mean = hidden.mean(dim=0)
            expected.append((mean / mean.norm()).numpy())
    np.testing.assert_allclose(encoder.passages(TEXTS), np.stack(expected), atol=1e-5)


def test_encoder_deterministic_and_batching_equals_single(tiny: dict[str, str], encoder: HFEncoder) -> None:
    batched = HFEncoder(tiny["encoder"], batch_size=2, local_files_only=True).passages(TEXTS)
    singles = np.concatenate([encoder.passages([t]) for t in TEXTS])
    np.testing.assert_allclose(batched, singles, atol=1e-5)
    np.testing.assert_array_equal(encoder.passages(TEXTS), encoder.passages(TEXTS))
    reloaded = HFEncoder(tiny["encoder"], local_files_only=True)
    np.testing.assert_allclose(reloaded.passages(TEXTS), encoder.passages(TEXTS), atol=1e-6)


def test_encoder_prefixes_and_truncation(tiny: dict[str, str], encoder: HFEncoder) -> None:
    prefixed = HFEncoder(tiny["encoder"], query_prefix="query: ", passage_prefix="passage: ", local_files_only=True)
    np.testing.assert_allclose(prefixed.queries(["giá xăng"]), encoder.passages(["query: giá xăng"]), atol=1e-6)
    np.testing.assert_allclose(prefixed.passages(["giá xăng"]), encoder.passages(["passage: giá xăng"]), atol=1e-6)
    assert not np.allclose(prefixed.queries(["giá xăng"]), prefixed.passages(["giá xăng"]), atol=1e-3)
    # Past the 64 positions the model has, the tail is cut: appending text changes nothing, and nothing crashes.
    long = " ".join(CORPUS)
    assert encoder.max_length == 64
    np.testing.assert_allclose(encoder.passages([long]), encoder.passages([long + " extra words at the end"]))


def test_classifier_labels_and_probabilities(tiny: dict[str, str]) -> None:
    clf = HFClassifier(tiny["classifier"], local_files_only=True)
    assert clf.raw_labels == ["NEG", "NEU", "POS"]
    assert clf.labels == ["negative", "neutral", "positive"]
    assert clf.task == "sentiment"
    probs = clf.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs > 0).all()
    np.testing.assert_allclose(HFClassifier(tiny["classifier"], batch_size=2).predict_proba(TEXTS), probs, atol=1e-5)


def test_classifier_follows_the_head_and_id2label(tiny: dict[str, str]) -> None:
    expected = np.exp([0.0, 1.0, 3.0]) / np.exp([0.0, 1.0, 3.0]).sum()  # softmax of the bias set in the fixture
    biased = HFClassifier(tiny["biased"], local_files_only=True)
    np.testing.assert_allclose(biased.predict_proba(TEXTS), np.tile(expected, (len(TEXTS), 1)), atol=1e-5)
    assert biased.predict(TEXTS) == ["positive"] * len(TEXTS)
    # Same weights, id2label {0: POS, 1: NEG, 2: NEU}: columns are reordered to civicpulse's order.
    shuffled = HFClassifier(tiny["shuffled"], local_files_only=True)
    assert shuffled.labels == ["negative", "neutral", "positive"]
    np.testing.assert_allclose(shuffled.predict_proba(["x"])[0], [expected[1], expected[2], expected[0]], atol=1e-5)
    assert shuffled.predict(["x"]) == ["neutral"]


def test_label_map_overrides_and_star_ratings_merge(tiny: dict[str, str]) -> None:
    swapped = HFClassifier(tiny["biased"], label_map={"pos": "negative", "NEG": "positive"}, local_files_only=True)
    assert swapped.predict(["x"]) == ["negative"]
    # Five uniform star classes: 1-2 stars are negative, 3 neutral, 4-5 positive.
    stars = HFClassifier(tiny["stars"], local_files_only=True)
    assert stars.raw_labels == ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
    assert stars.labels == ["negative", "neutral", "positive"]
    np.testing.assert_allclose(stars.predict_proba(TEXTS), np.tile([0.4, 0.2, 0.4], (len(TEXTS), 1)), atol=1e-5)


@pytest.mark.parametrize(
    ("raw", "n", "expected"),
    [
        ("LABEL_0", 3, "negative"),
        ("LABEL_1", 3, "neutral"),
        ("LABEL_1", 2, "positive"),
        ("label_5", 7, "label_5"),  # no convention for 7 unnamed classes: kept as is
        ("2", 3, "positive"),
        ("Negative", 3, "negative"),
        ("POS", 3, "positive"),
        ("Tiêu cực", 3, "negative"),
        ("Enjoyment", 7, "joy"),
        ("Other", 7, "neutral"),
        ("1 star", 5, "negative"),
        ("3 stars", 5, "neutral"),
        ("4 stars", 5, "positive"),
        ("politics", 4, "politics"),
    ],
)
def test_civic_label(raw: str, n: int, expected: str) -> None:
    assert civic_label(raw, n) == expected


def test_parse_spec(tiny: dict[str, str]) -> None:
    assert parse_spec("hf-encoder:intfloat/multilingual-e5-small") == (
        "hf-encoder", "intfloat/multilingual-e5-small", None,
    )  # fmt: skip
    assert parse_spec("hf-classifier:org/model@v1.2") == ("hf-classifier", "org/model", "v1.2")
    assert parse_spec("hf-classifier:org/model@refs/pr/3") == ("hf-classifier", "org/model", "refs/pr/3")
    for bad in ["org/model", "hf-tagger:org/model", "hf-encoder:", "hf-encoder:org/model@", "hf-encoder:@main"]:
        with pytest.raises(HFBackendError, match="spec"):
            parse_spec(bad)


def test_load_backend_by_path(tiny: dict[str, str], encoder: HFEncoder) -> None:
    enc = load_backend(f"hf-encoder:{tiny['encoder']}", local_files_only=True)
    assert isinstance(enc, HFEncoder)
    np.testing.assert_allclose(enc.passages(TEXTS), encoder.passages(TEXTS), atol=1e-6)
    clf = load_backend(f"hf-classifier:{tiny['biased']}")
    assert isinstance(clf, HFClassifier)
    assert clf.predict(["giá xăng tăng"]) == ["positive"]


def test_uncached_hub_name_offline_is_a_clear_error() -> None:
    name = "civicpulse-tests/no-such-model-7f3a"
    with pytest.raises(HFBackendError, match=r"no-such-model-7f3a.*could not be downloaded or found") as info:
        HFEncoder(name, local_files_only=True)
    assert isinstance(info.value.__cause__, OSError)
    with pytest.raises(HFBackendError, match="could not be downloaded or found"):
        load_backend(f"hf-classifier:{name}@main", local_files_only=True)


def test_missing_packages_give_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` raise ImportError
    with pytest.raises(HFDependencyError, match=r"pip install -r requirements-hf\.lock") as info:
        HFEncoder("any/model")
    assert isinstance(info.value, ImportError)


def test_threads_follow_omp_num_threads(tiny: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    monkeypatch.setenv("OMP_NUM_THREADS", str(wanted))
    try:
        HFClassifier(tiny["classifier"], local_files_only=True)
        assert torch.get_num_threads() == wanted
    finally:
        torch.set_num_threads(before)


# -- wired into civicpulse: the same loading path through the CLI --------------------------------------------


def _small_training_set(folder: Path) -> Path:
    folder.mkdir()
    words = {"anger": ("bực mình", "negative"), "disgust": ("ghê tởm", "negative"), "fear": ("sợ hãi", "negative"),
             "joy": ("vui quá", "positive"), "sadness": ("buồn quá", "negative"),
             "surprise": ("bất ngờ ghê", "positive"), "neutral": ("thông báo lịch", "neutral")}
    rows = [{"text": f"{word} chuyện số {k}", "lang": "vi", "sentiment": sentiment, "emotion": emotion,
             "topics": ["traffic_transport"] if k % 2 else []}
            for emotion, (word, sentiment) in words.items() for k in range(12)]
    (folder / "small.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                                        encoding="utf-8")
    return folder


def test_cli_classifier_backend_replaces_the_sentiment_model(run_cli, tiny: dict[str, str]) -> None:
    stdin = json.dumps({"id": 1, "text": "kẹt xe quá trời"}, ensure_ascii=False).encode()
    result = run_cli("analyze-text", "--tasks", "sentiment,emotion", "--classifier",
                     f"sentiment=hf-classifier:{tiny['biased']}", stdin=stdin)
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["sentiment"] == "positive"  # the biased head always prefers POS, whatever the text
    assert out["why"]["sentiment"]["model"] == tiny["biased"]
    assert out["emotion"] in ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
    bad = run_cli("analyze-text", "--classifier", "sentiment", stdin=stdin)
    assert bad.code == 1 and "expected TASK=SPEC" in bad.stderr


def test_cli_trains_and_uses_models_for_another_encoder(run_cli, tiny: dict[str, str], tmp_path: Path) -> None:
    data = _small_training_set(tmp_path / "data")
    out_dir = tmp_path / "models"
    spec = f"hf-encoder:{tiny['encoder']}"
    trained = run_cli("train", "--encoder", spec, "--data-dir", str(data), "--out", str(out_dir))
    assert trained.code == 0, trained.stderr
    card = json.loads((out_dir / "card.json").read_text())
    assert card["encoder_spec"] == spec and card["encoder"] == tiny["encoder"]
    stdin = json.dumps({"id": 1, "text": "buồn quá chuyện số 99"}, ensure_ascii=False).encode()
    used = run_cli("analyze-text", "--models", str(out_dir), "--tasks", "sentiment,emotion", stdin=stdin)
    assert used.code == 0, used.stderr
    assert json.loads(used.stdout)["emotion"] == "sadness"
    refused = run_cli("train", "--encoder", spec, "--data-dir", str(data))
    assert refused.code == 1 and "add --out DIR" in refused.stderr
