"""Conformance: every real recorded payload in ../shared/fixtures ingests, and nothing identifying is stored.

These are third-party files that live beside the repository, never in it; on a fresh clone without them the
suite skips with a message.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from civicpulse.ingest.pipeline import Ingestor
from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
from civicpulse.ingest.reader import INPUT_SUFFIXES, base_name
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.sources.redact import fold, name_tokens
from civicpulse.store import open_store
from conftest import SHARED_FIXTURES

pytestmark = pytest.mark.skipif(not SHARED_FIXTURES.is_dir(),
                                reason=f"shared fixtures not found at {SHARED_FIXTURES} (conformance suite skipped)")

# Files that are meant to be refused, with the reason each must give. Everything else must land whole.
EXPECTED_REJECTS = {
    "facebook/errors/error.json": ["API error body"],
    "youtube/errors/error_response.json": ["API error body"],
    "mastodon/error_404.json": ["API error body: Not Found"],
    "mastodon/status_edit_history.json": ["edit history"],
    "x_twitter/v2_twarc2/streaming_output_with_error.jsonl": ["invalid JSON"],
    "telegram/desktop_export_2021/error.json": ["invalid JSON"],  # a comma is missing on line 4
}
HANDLE_KEYS = {"username", "screen_name", "acct", "handle", "authorDisplayName", "display_name", "displayName",
               "channelTitle"}


def fixture_files() -> list[Path]:
    if not SHARED_FIXTURES.is_dir():
        return []
    return sorted(p for p in SHARED_FIXTURES.rglob("*") if p.is_file()
                  and base_name(p.name).lower().endswith(INPUT_SUFFIXES))


def ingest(path: Path, tmp_path: Path):
    store = open_store(str(tmp_path / "c.duckdb"))
    store.ensure_workspace("conf", keep_raw=True)
    rejects = RejectWriter(tmp_path / "rejects.jsonl")
    key = KeyStore(tmp_path / "keys").load("conf")
    summary = Ingestor(store, "conf", Pseudonymizer(key), rejects).ingest(str(path))
    rejects.close()
    logged = [orjson.loads(line) for line in (tmp_path / "rejects.jsonl").read_bytes().splitlines()] \
        if (tmp_path / "rejects.jsonl").exists() else []
    return store, summary, logged


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(SHARED_FIXTURES)))
def test_fixture_ingests(path: Path, tmp_path: Path):
    rel = str(path.relative_to(SHARED_FIXTURES))
    store, summary, logged = ingest(path, tmp_path)
    errors = [r for r in logged if r["severity"] == "error"]
    expected = EXPECTED_REJECTS.get(rel)
    if expected:
        assert errors, f"{rel}: expected a reject"
        for needle in expected:
            assert any(needle in r["reason"] for r in errors), (needle, [r["reason"] for r in errors])
    else:
        assert not errors, [f"{r['path']}: {r['reason']}" for r in errors]
        assert summary.stored + summary.deleted + summary.skipped > 0, f"{rel}: nothing read"
    rows = [r for b in store.iter_posts("conf", ["post_id", "text", "url", "raw", "created_at", "author_key"],
                                         include_deleted=True) for r in b]
    for post_id, text, _url, _raw, created_at, _author in rows:
        if text is not None:
            assert created_at is not None, f"{rel}: {post_id} has no time"
    assert_no_handles_stored(path, rows)
    store.close()


def handles_in(value, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in HANDLE_KEYS and isinstance(v, str) and len(v) >= 4 and v not in ("[deleted]", "anonymous"):
                found.add(v.split("@")[0] if k == "acct" else v)
            handles_in(v, found)
    elif isinstance(value, list):
        for v in value:
            handles_in(v, found)
    return found


def assert_no_handles_stored(path: Path, rows: list[tuple]) -> None:
    found: set[str] = set()
    for line in path.read_bytes().splitlines() if path.suffix == ".jsonl" else [path.read_bytes()]:
        try:
            handles_in(orjson.loads(line), found)
        except orjson.JSONDecodeError:
            continue
    for handle in found:
        for post_id, _text, url, raw, _created, author_key in rows:
            for field, value in (("post_id", post_id), ("url", url), ("raw", raw), ("author_key", author_key)):
                assert value is None or handle not in value, f"{handle!r} stored in {field} of {post_id}"
    assert_no_people_in_text(path, rows)


# Profile links of every platform, written independently of the rules in sources/redact.py: any match is a leak.
PROFILE_LINK = re.compile(
    r"(?:twitter|x)\.com/(?!i/|search|hashtag|intent/tweet|explore|home\b)\w+"
    r"|instagram\.com/(?!p/|reels?/|tv/|explore/)[\w.]+"
    r"|facebook\.com/(?!groups/[^/\s]+/?(?:\s|$|posts|permalink)|events/|hashtag/|watch|\d+/(?:posts|videos)/|share)"
    r"[\w.]+|reddit\.com/(?:u|user)/\w|t\.me/(?!s/|joinchat|\+|\w+/\d)\w+|bsky\.app/profile/"
    r"|youtube\.com/(?:@|c/|user/|channel/)|tiktok\.com/@\w|threads\.(?:net|com)/@"
    r"|https?://[\w.-]+/@\w", re.IGNORECASE)


# Objects whose `name` is a person's (a place's or a chat's name is not); nested threads are other posts.
PERSON_OBJECTS = {"user", "users", "author", "account", "from", "mentions", "user_mentions", "actor"}
OTHER_POSTS = {"replies", "comments", "children", "descendants", "ancestors"}
PERSON_KEYS = HANDLE_KEYS | {"from", "forwarded_from", "author"}


def people_in(value, names: set[str], inside: bool = False) -> set[str]:
    """The handles and display names a record gives for anyone: its author, people it mentions or shares."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and (k in PERSON_KEYS or (inside and k == "name")):
                names.add(v.split("@")[0] if k == "acct" else v)
            elif k not in OTHER_POSTS:
                people_in(v, names, inside or k in PERSON_OBJECTS)
    elif isinstance(value, list):
        for v in value:
            people_in(v, names, inside)
    return names


def index_records(value, records: dict[str, dict], users: dict[str, set[str]]) -> None:
    """Every object of a payload by its id (and a URI's last segment), and the names of each user id."""
    if isinstance(value, dict):
        for key in ("id", "id_str", "video_id", "name", "uri", "rkey"):
            ident = value.get(key)
            if isinstance(ident, (str, int)) and not isinstance(ident, bool):
                records.setdefault(str(ident).rsplit("/", 1)[-1], value)
        link = value.get("permalink_url")
        if isinstance(link, str) and (own := re.findall(r"comment_id=(\d+)", link)):
            records.setdefault(own[-1], value)  # a Facebook comment without an id is known by its permalink
        if isinstance(value.get("id"), str) and isinstance(value.get("username"), str):
            users.setdefault(value["id"], set()).update(
                v for v in (value["username"], value.get("name")) if isinstance(v, str))
        for v in value.values():
            index_records(v, records, users)
    elif isinstance(value, list):
        for v in value:
            index_records(v, records, users)


def people_of(record: dict, users: dict[str, set[str]]) -> set[str]:
    """A record's people, with X v2's ids resolved through the page's `includes.users`."""
    names = people_in(record, set())
    ids = [record.get("author_id")]
    entities = record.get("entities") if isinstance(record.get("entities"), dict) else {}
    ids += [m.get("id") for m in entities.get("mentions") or [] if isinstance(m, dict)]
    for ident in ids:
        names |= users.get(ident, set()) if isinstance(ident, str) else set()
    return names


def assert_no_people_in_text(path: Path, rows: list[tuple]) -> None:
    """No profile link in any stored text, and no name a post's own record gives for a person in its text.

    Names are looked for as whole words, with or without diacritics; a name that redaction deliberately leaves
    (under three characters, or one common word: docs/privacy.md) is skipped by the same rule (`name_tokens`).
    """
    records: dict[str, dict] = {}
    users: dict[str, set[str]] = {}
    for line in path.read_bytes().splitlines() if path.suffix == ".jsonl" else [path.read_bytes()]:
        try:
            index_records(orjson.loads(line), records, users)
        except orjson.JSONDecodeError:
            continue
    checked = 0
    for post_id, text, *_ in rows:
        if text is None:
            continue
        link = PROFILE_LINK.search(text)
        assert link is None, f"profile link {link.group(0)!r} stored in text of {post_id}"
        record = next((records[k] for k in (post_id, post_id.rsplit(":", 1)[-1].rsplit("/", 1)[-1],
                                            post_id.rsplit("_", 1)[-1]) if k in records), None)
        if record is None:
            continue
        checked += 1
        folded = fold(text)
        for name in people_of(record, users) - {"[deleted]", "anonymous"}:
            if (tokens := name_tokens(name)) is not None:
                written = r"[\W_]{0,3}".join(re.escape(t) for t in tokens)
                found = re.search(rf"(?<![^\W_]){written}(?![^\W_])", folded, re.IGNORECASE)
                assert found is None, f"{name!r} stored in text of {post_id}: {text[:200]!r}"
    assert checked or not any(text for _, text, *_ in rows), "no stored post could be matched to its record"
