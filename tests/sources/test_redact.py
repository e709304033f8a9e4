"""Redaction of people in post text (sources/redact.py): profile links, the author's names, known names."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicpulse.sources.redact import (
    AUTHOR_PLACEHOLDER,
    POST_LINK,
    PROFILE_LINK,
    mask_links,
    names_in,
    redact_text,
    redact_url,
)

# (link as written, what it becomes). Every platform the ingest reads, and the usual variant hosts.
PERSON_LINKS = [
    ("x.com/lan_anh", PROFILE_LINK),
    ("https://twitter.com/lan_anh", PROFILE_LINK),
    ("https://mobile.twitter.com/Lan_Anh/", PROFILE_LINK),
    ("www.x.com/lan_anh/likes", PROFILE_LINK),
    ("https://vxtwitter.com/lan_anh", PROFILE_LINK),
    ("https://twitter.com/i/user/783214", PROFILE_LINK),
    ("https://twitter.com/intent/user?screen_name=lan_anh", PROFILE_LINK),
    ("https://twitter.com/lan_anh/status/1380242350186897408?s=20", "https://x.com/i/web/status/1380242350186897408"),
    ("fxtwitter.com/lan_anh/status/99/photo/1", "https://x.com/i/web/status/99"),
    ("instagram.com/lan.anh", PROFILE_LINK),
    ("https://www.instagram.com/lan.anh/", PROFILE_LINK),
    ("https://www.instagram.com/lan.anh/reel/C9xYz/", "https://www.instagram.com/reel/C9xYz/"),
    ("https://www.instagram.com/stories/lan.anh/3301/", POST_LINK),
    ("https://www.facebook.com/lan.anh.nguyen.92", PROFILE_LINK),
    ("https://m.facebook.com/profile.php?id=100012345678901", PROFILE_LINK),
    ("fb.com/lananh", PROFILE_LINK),
    ("https://web.facebook.com/lan.anh.nguyen.92/posts/pfbid02abc", POST_LINK),
    ("https://www.facebook.com/permalink.php?story_fbid=1&id=100012345678901", POST_LINK),
    ("https://www.facebook.com/groups/hanoiyeu/user/100012345678901/", PROFILE_LINK),
    ("m.me/lananh", PROFILE_LINK),
    ("https://www.reddit.com/user/spez", PROFILE_LINK),
    ("https://old.reddit.com/u/spez/", PROFILE_LINK),
    ("reddit.com/user/spez/comments/abc/title/", POST_LINK),
    ("https://www.reddit.com/r/u_spez/", PROFILE_LINK),
    ("t.me/lananh", PROFILE_LINK),
    ("https://telegram.me/lananh", PROFILE_LINK),
    ("lananh.t.me", PROFILE_LINK),
    ("https://bsky.app/profile/lananh.bsky.social", PROFILE_LINK),
    ("https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx/post/3kxyz", POST_LINK),
    ("https://www.youtube.com/@lananh", PROFILE_LINK),
    ("youtube.com/c/LanAnhVlog", PROFILE_LINK),
    ("https://www.youtube.com/user/lananh", PROFILE_LINK),
    ("https://www.youtube.com/channel/UCabcdefghijklmnop", PROFILE_LINK),
    ("https://www.tiktok.com/@lan.anh", PROFILE_LINK),
    ("https://www.tiktok.com/@lan.anh/video/7301234567890123456", "https://www.tiktok.com/@/video/7301234567890123456"),
    ("threads.net/@lananh", PROFILE_LINK),
    ("https://www.threads.net/@lananh/post/C1abc", POST_LINK),
    ("https://mastodon.social/@lan_anh", PROFILE_LINK),
    ("https://social.vn/@lan_anh/111222333", POST_LINK),
    ("https://social.vn/users/lan_anh", PROFILE_LINK),
    ("https://www.linkedin.com/in/lan-anh-nguyen", PROFILE_LINK),
    ("zalo.me/0912345678", PROFILE_LINK),
    ("wa.me/84912345678", PROFILE_LINK),
    ("https://web.archive.org/web/2024/https://twitter.com/lan_anh", f"https://web.archive.org/web/2024/{PROFILE_LINK}"),
    ("https://l.facebook.com/l.php?u=https%3A%2F%2Fx.com%2Flan_anh", PROFILE_LINK),
]

# Venues, features and everything that is not a person: kept as written.
KEPT_LINKS = [
    "https://x.com/search?q=ng%E1%BA%ADp%20l%E1%BB%A5t",
    "x.com/hashtag/HaNoi",
    "https://x.com/i/web/status/1380242350186897408",
    "https://twitter.com/intent/tweet?text=hello",
    "https://www.instagram.com/p/CP5Rq0bjBzn/",
    "https://www.instagram.com/explore/tags/hanoi/",
    "https://www.facebook.com/groups/hanoiyeu",
    "https://www.facebook.com/groups/hanoiyeu/posts/1234/",
    "https://www.facebook.com/events/987654/",
    "https://www.facebook.com/hashtag/ngaplut",
    "https://www.facebook.com/19292868552/posts/10158407654328553/",
    "https://www.facebook.com/watch/?v=123",
    "https://www.reddit.com/r/vietnam",
    "https://www.reddit.com/r/VietNam/comments/1abc/ngap_lut_o_ha_noi/",
    "redd.it/1abc",
    "t.me/s/vnexpress",
    "https://t.me/vnexpress/12345",
    "https://t.me/+AbCdEf123",
    "https://t.me/joinchat/AbCdEf",
    "https://bsky.app/search?q=hanoi",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://www.youtube.com/shorts/abc123",
    "https://vm.tiktok.com/ZSabc123/",
    "https://www.tiktok.com/tag/hanoi",
    "https://vnexpress.net/ha-noi-ngap-sau-sau-mua-lon-4712345.html",
    "https://tuoitre.vn/nguoi-dan-tp-hcm-4712.htm?utm_source=facebook",
    "zalo.me/g/abcxyz",
    "https://www.linkedin.com/company/vnexpress",
    "https://l.facebook.com/l.php?u=https%3A%2F%2Fvnexpress.net%2Fa.html",
]


@pytest.mark.parametrize(("link", "expected"), PERSON_LINKS)
def test_person_links_are_masked_in_text(link, expected):
    assert redact_text(f"xem {link} nhé") == f"xem {expected} nhé"


@pytest.mark.parametrize("link", KEPT_LINKS)
def test_venue_and_article_links_are_kept(link):
    assert redact_text(f"xem {link} nhé") == f"xem {link} nhé"


def test_punctuation_around_a_link_stays_in_the_text():
    assert redact_text("(x.com/lan_anh), t.me/lananh. Và https://www.instagram.com/lan.anh!") == \
        f"({PROFILE_LINK}), {PROFILE_LINK}. Và {PROFILE_LINK}!"


def test_dotted_words_and_emails_that_are_not_links_are_untouched():
    text = "TP.HCM, v.v. giá 3.5 triệu; email lan@gmail.com; file bao_cao.pdf; Ph.D."
    assert redact_text(text) == text


def test_reddit_user_forms_handles_and_dids_become_mentions():
    text = "cảm ơn u/spez, /u/spez và /user/spez; lananh.bsky.social; did:plc:abcdefghijklmnopqrstuvwx"
    assert redact_text(text) == "cảm ơn @user, @user và @user; @user; @user"
    assert redact_text("menu/abc thu/chi r/vietnam") == "menu/abc thu/chi r/vietnam"


def test_post_url_is_kept_rewritten_or_dropped():
    assert redact_url("https://twitter.com/lan_anh/status/12") == "https://x.com/i/web/status/12"
    assert redact_url("https://www.facebook.com/lan.anh.92/posts/pfbid0") is None
    assert redact_url("https://www.reddit.com/user/spez/comments/1/t/") is None
    for kept in ("https://www.reddit.com/r/x/comments/1/", "https://www.tiktok.com/@/video/1", None,
                 "https://www.youtube.com/watch?v=abc&lc=Ugx"):
        assert redact_url(kept) == kept


# --- names ----------------------------------------------------------------------------------------------------

def test_author_display_name_with_and_without_diacritics_any_case():
    text = "Tôi là Nguyễn Văn An. nguyen van an, NGUYỄN VĂN AN và Nguyen-Van-An đều là tôi"
    assert redact_text(text, author=["Nguyễn Văn An"]) == \
        "Tôi là [author]. [author], [author] và [author] đều là tôi"


def test_author_name_written_with_diacritics_when_the_source_gives_it_without():
    assert redact_text("Chào cả nhà, Trần Thị Hồng đây", author=["Tran Thi Hong"]) == \
        "Chào cả nhà, [author] đây"


def test_author_handle_in_its_usual_spellings():
    text = "theo dõi @lan_anh hoặc lan_anh, Lan Anh, LanAnh, lan.anh"
    assert redact_text(text, author=["lan_anh"]) == \
        "theo dõi [author] hoặc [author], [author], [author], [author]"


def test_mastodon_acct_and_bluesky_handle_local_parts():
    assert redact_text("hi @lan_anh@social.vn and lan_anh", author=["lan_anh@social.vn"]) == "hi [author] and [author]"
    assert redact_text("I am lananh99 here", author=["lananh99.bsky.social"]) == "I am [author] here"


def test_names_are_matched_on_whole_words_only():
    assert redact_text("Vananh và thanh lan_anhxyz, Lan Anhh", author=["Lan Anh"]) == \
        "Vananh và thanh lan_anhxyz, Lan Anhh"
    assert redact_text("Bob, bobby, Bobcat", author=["bob_"]) == "[author], bobby, Bobcat"


def test_short_and_common_one_word_names_leave_ordinary_words_alone():
    # A name of one syllable or common word would take the word with it in every post of its author.
    assert redact_text("Hải ăn hải sản ở Hải Phòng", author=["Hải"]) == "Hải ăn hải sản ở Hải Phòng"
    assert redact_text("Today's news: the news", author=["News"]) == "Today's news: the news"
    assert redact_text("An ăn an toàn", author=["An"]) == "An ăn an toàn"
    assert redact_text("giá 12345 đồng", author=["12345"]) == "giá 12345 đồng"
    # Two common words together are a name, and a rare single word is one.
    assert redact_text("Hà Nội mùa thu", author=["Hà Nội"]) == "[author] mùa thu"
    assert redact_text("Madonna sings, madonna", author=["Madonna"]) == "[author] sings, [author]"


def test_a_hashtag_of_a_known_name_goes_whole():
    assert redact_text("urges voters #BarackObama #vote", others=["BarackObama"]) == "urges voters @user #vote"


def test_numeric_ids_long_enough_are_masked():
    assert redact_text("my id is 100012345678901", author=["100012345678901"]) == "my id is [author]"


def test_names_in_scripts_without_spaces():
    assert redact_text("王小明说 và 김철수가 왔다", author=["王小明", "김철수"]) == "[author]说 và [author]가 왔다"


def test_mentioned_people_become_mentions_and_decorations_are_ignored():
    text = "Cảm ơn Lê Thị Hồng và le thi hong 🌸"
    assert redact_text(text, others=["🌸 Lê Thị Hồng 🌸"]) == "Cảm ơn @user và @user 🌸"


def test_names_in_reads_names_inside_person_objects_only():
    payload = {
        "user": {"name": "Nguyễn Văn An", "screen_name": "an_nguyen", "location": "Hà Nội", "description": "bio"},
        "entities": {"user_mentions": [{"screen_name": "lan_anh", "name": "Lan Anh"}]},
        "place": {"name": "Hoàn Kiếm"},
        "message_tags": [{"name": "Báo Tuổi Trẻ", "type": "page"}, {"name": "Trần Hồng", "type": "user"}],
        "name": "t3_abc",
    }
    fields = frozenset({"user", "user_mentions", "message_tags", "name"})
    assert names_in(payload, fields) == {"Nguyễn Văn An", "an_nguyen", "lan_anh", "Lan Anh", "Trần Hồng"}


# --- properties -----------------------------------------------------------------------------------------------

# Handles with a digit or an underscore: a handle that is one common word is left in text by design.
HANDLE = st.from_regex(r"[a-z]{2,8}[0-9_][a-z0-9]{2,6}", fullmatch=True)
FILLER = st.text(alphabet=st.sampled_from(list("abc xyz ăêôđ ,.!?\n")), max_size=30)
LINK_SHAPES = [
    "https://x.com/{h}", "twitter.com/{h}/status/123", "https://www.instagram.com/{h}/", "facebook.com/{h}",
    "https://m.facebook.com/{h}/posts/1", "reddit.com/user/{h}", "https://old.reddit.com/u/{h}", "u/{h}",
    "t.me/{h}", "https://bsky.app/profile/{h}.bsky.social", "youtube.com/@{h}", "https://www.tiktok.com/@{h}",
    "threads.net/@{h}", "https://mastodon.social/@{h}", "@{h}", "{h}.bsky.social",
]


@settings(max_examples=100, deadline=None)
@given(handle=HANDLE, shape=st.sampled_from(LINK_SHAPES), before=FILLER, after=FILLER)
def test_no_handle_in_a_link_survives(handle, shape, before, after):
    text = f"{before} {shape.format(h=handle)} {after}"
    assert handle not in redact_text(text).lower()


@settings(max_examples=100, deadline=None)
@given(handle=HANDLE, before=FILLER, after=FILLER, upper=st.booleans())
def test_the_authors_handle_never_survives_anywhere(handle, before, after, upper):
    written = handle.upper() if upper else handle
    redacted = redact_text(f"{before} {written} {after}", author=[handle])
    assert handle not in redacted.lower()


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=80))
def test_text_without_links_names_or_handles_is_unchanged(text):
    if not re.search(r"[./@]|did:", text):
        assert redact_text(text) == text


def test_mask_links_only_touches_links():
    assert mask_links("no links at all, just words") == "no links at all, just words"


def test_analysis_treats_every_placeholder_as_no_words():
    from civicpulse.analysis.keywords import keywords
    from civicpulse.analysis.text import REDACTION_PLACEHOLDERS, clean

    assert set(REDACTION_PLACEHOLDERS) == {AUTHOR_PLACEHOLDER, PROFILE_LINK, POST_LINK}
    redacted = redact_text("Nguyễn Văn An: kẹt xe ở x.com/an_nguyen, xem facebook.com/an.nguyen/posts/1",
                           author=["Nguyễn Văn An"])
    assert clean(redacted) == ": kẹt xe ở , xem"
    assert not {"author", "profile", "link", "post"} & set(keywords(redacted, "vi"))
