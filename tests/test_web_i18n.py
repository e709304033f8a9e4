"""Every UI label exists in English and Vietnamese, and every label the templates and scripts use is defined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from civicpulse.accounts import Role
from civicpulse.alerts.models import FAILURE_REASONS
from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.web.i18n import LANGUAGES, messages, pick_language
from civicpulse.web.i18n_messages import MESSAGES
from civicpulse.web.pages import WORKSPACE_PAGES

WEB = Path(__file__).resolve().parents[1] / "src" / "civicpulse" / "web"
TEMPLATE_KEY = re.compile(r"\bt\.([a-z][a-z0-9_]*)|\bt\[['\"]([a-z][a-z0-9_]*)['\"]\]")
SCRIPT_KEY = re.compile(r"\bt\(\"([a-z][a-z0-9_]*)\"")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _used(pattern: re.Pattern[str], files: list[Path]) -> set[str]:
    return {next(g for g in m.groups() if g) for path in files
            for m in pattern.finditer(path.read_text(encoding="utf-8"))}


# Keys the pages build at run time from a prefix and a value of a known set, e.g. t("metric_" + rule.metric).
BUILT: dict[str, tuple[str, ...]] = {
    "job": ("queued", "running", "done", "failed"), "metric": ("volume", "negative_share", "spike"),
    "threshold_hint": ("volume", "negative_share", "spike"), "dimension": ("all", "topic", "place", "query"),
    "bucket": ("auto", "hour", "day", "week", "month"), "preset": ("today", "7d", "30d"),
    "sort": ("newest", "oldest", "most_negative", "most_positive", "engagement"),
    "count": ("read", "stored", "updated", "unchanged", "deleted", "skipped", "rejected", "warnings"),
    "error": ("403", "404"), "sentiment": tuple(SENTIMENTS), "emotion": tuple(EMOTIONS),
    "role": tuple(r.value for r in Role),
    "nav": tuple(template.removesuffix(".html") for _, template, _ in WORKSPACE_PAGES),
    "delivery_reason": FAILURE_REASONS}
PLAIN = {"sentiment", "emotion", "topics", "daily", "weekly"}  # label tasks and digest frequencies, used as keys


def _dynamic_keys() -> set[str]:
    return PLAIN | {f"{prefix}_{value}" for prefix, values in BUILT.items() for value in values}


def test_both_languages_have_the_same_keys_and_no_empty_label() -> None:
    assert set(MESSAGES) == set(LANGUAGES)
    assert set(MESSAGES["en"]) == set(MESSAGES["vi"]), set(MESSAGES["en"]) ^ set(MESSAGES["vi"])
    empty = [(lang, k) for lang, table in MESSAGES.items() for k, v in table.items() if not v.strip()]
    assert not empty


def test_placeholders_match_between_languages() -> None:
    for key, english in MESSAGES["en"].items():
        assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(MESSAGES["vi"][key])), key


def test_every_label_used_by_templates_and_scripts_is_defined() -> None:
    used = _used(TEMPLATE_KEY, sorted((WEB / "templates").glob("*.html")))
    used |= _used(SCRIPT_KEY, sorted((WEB / "static" / "js").rglob("*.js")))
    prefixes = {k for k in used if k.endswith("_")}  # t("metric_" + x): the set of x is listed in _dynamic_keys
    assert {p.rstrip("_") for p in prefixes} <= set(BUILT), prefixes
    used = (used - prefixes) | _dynamic_keys()
    missing = sorted(used - set(MESSAGES["en"]))
    assert not missing, f"labels used but not defined: {missing}"
    assert len(used) > 100  # the scan found the pages' labels (guards against a broken pattern)


def test_vietnamese_is_actually_translated() -> None:
    same = [k for k, v in MESSAGES["vi"].items() if v == MESSAGES["en"][k] and re.search(r"[a-z]{4,}", v)]
    # Brand names and format names may stay; real sentences may not.
    assert len(same) <= 12, same
    assert messages("vi")["sign_in"] == "Đăng nhập"


@pytest.mark.parametrize(("asked", "cookie", "accept", "expected"), [
    ("vi", None, "en-US", "vi"), (None, "vi", "en", "vi"), (None, None, "vi-VN,vi;q=0.9,en;q=0.8", "vi"),
    ("fr", None, "de", "en"), (None, None, None, "en")])
def test_language_choice(asked: str | None, cookie: str | None, accept: str | None, expected: str) -> None:
    assert pick_language(asked, cookie, accept) == expected


# Every page renders in both languages, with only external scripts (CSP) and its labels translated -----------
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    from fastapi.testclient import TestClient

    from civicpulse.accounts import Accounts
    from civicpulse.store.duckdb_store import DuckDBStore
    from civicpulse.web.app import create_app

    tmp = tmp_path_factory.mktemp("pages")
    store = DuckDBStore(str(tmp / "pages.duckdb"))
    Accounts(store).create_user("owner1", "Pages-Test-2026!", admin=True)
    store.ensure_workspace("ws1")
    store.ensure_workspace("ws2")
    Accounts(store).grant("ws1", "owner1", Role.OWNER)
    with TestClient(create_app(store, keys_dir=tmp / "keys", background=False)) as c:
        assert c.post("/api/login", json={"username": "owner1", "password": "Pages-Test-2026!"}).status_code == 200
        yield c


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_page_renders_translated_without_inline_scripts(client, lang: str) -> None:
    paths = [f"/w/ws1/{path}" for path, _, _ in WORKSPACE_PAGES] + ["/", "/account", "/admin"]
    for path in paths:
        response = client.get(path, params={"lang": lang})
        assert response.status_code == 200, path
        html = response.text
        assert f'<html lang="{lang}">' in html
        assert not INLINE_SCRIPT.search(html), f"{path} has an inline script"
        assert MESSAGES[lang]["sign_out"] in html and MESSAGES[lang]["footer_privacy"] in html
        if path.startswith("/w/"):
            for _, template, _ in WORKSPACE_PAGES:
                assert MESSAGES[lang][f"nav_{template.removesuffix('.html')}"] in html


def test_a_workspace_of_others_is_a_translated_404_page(client) -> None:
    response = client.get("/w/ws2/", params={"lang": "vi"})
    assert response.status_code == 404
    assert MESSAGES["vi"]["error_404"] in response.text and "ws2" in response.text
