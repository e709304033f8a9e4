"""The pages' number, date and message helpers (static/js/common.js), run in Node with the real messages."""

from __future__ import annotations

import json
import shutil
import string
import subprocess
from pathlib import Path

import pytest

from civicpulse.web.i18n_messages import MESSAGES

COMMON = Path(__file__).resolve().parents[2] / "src" / "civicpulse" / "web" / "static" / "js" / "common.js"

HARNESS = """
const vm = require("vm"), fs = require("fs");
const [script, lang, messages, calls, timezone] = process.argv.slice(1);
const page = { textContent: JSON.stringify({ lang, t: JSON.parse(messages), timezone }) };
const document = { readyState: "complete", getElementById: (id) => (id === "page-data" ? page : null) };
const window = {};
vm.runInNewContext(fs.readFileSync(script, "utf8"), { window, document, URLSearchParams });
const CP = window.CP;
const out = JSON.parse(calls).map(([fn, ...args]) => fn === "t" ? CP.t(...args) : CP.fmt[fn](...args));
process.stdout.write(JSON.stringify(out));
"""
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the page script")


def run(lang: str, calls: list[list], timezone: str = "UTC") -> list[str]:
    out = subprocess.run(["node", "-e", HARNESS, str(COMMON), lang, json.dumps(MESSAGES[lang]), json.dumps(calls),
                          timezone], capture_output=True, text=True, timeout=30, check=True).stdout
    return json.loads(out)


@needs_node
def test_values_that_round_to_zero_show_no_minus_sign() -> None:
    got = run("en", [["signed", -0.001, 2], ["signed", -0.0004, 1, "%"], ["num", -0.2], ["signed", -0.006, 2],
                     ["signed", 0.25, 2], ["num", -3]])
    assert got == ["0", "0%", "0", "-0.01", "+0.25", "-3"]


@needs_node
def test_a_count_of_one_is_singular_in_english_and_unchanged_in_vietnamese() -> None:
    calls = [["t", "suppressed_buckets", {"n": 1, "k": 10}], ["t", "suppressed_buckets", {"n": 2, "k": 10}],
             ["t", "correction_saved", {"n": 1}], ["t", "correction_saved", {"n": 3}], ["t", "n_posts", {"n": "1"}]]
    en = run("en", calls)
    assert en == ["1 period suppressed (< 10 authors) is shown as a gap.",
                  "2 periods suppressed (< 10 authors) are shown as gaps.",
                  "Correction saved (1 correction of this type so far).",
                  "Correction saved (3 corrections of this type so far).", "1 post"]
    vi = run("vi", calls[:2])
    assert vi == [MESSAGES["vi"]["suppressed_buckets"].format(n=n, k=10) for n in (1, 2)]


def test_every_singular_message_has_a_plural_one_with_the_same_placeholders() -> None:
    for lang, messages in MESSAGES.items():
        for key in (k for k in messages if k.endswith("_one")):
            plural = messages[key.removesuffix("_one")]
            assert sorted(set(_placeholders(messages[key]))) == sorted(set(_placeholders(plural))), (lang, key)


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@needs_node
def test_a_period_title_ends_on_its_last_day_not_on_the_exclusive_end() -> None:
    # The API's period end is exclusive: a period ending at midnight on the 8th covers the 7th last.
    for lang in ("en", "vi"):
        last, last_post, day_before, same_day = run(lang, [
            ["lastDay", "2026-09-08T00:00:00"], ["lastDay", "2026-10-25T02:58:31"],
            ["day", "2026-09-07T12:00:00"], ["day", "2026-10-25T00:00:00"]])
        assert (last, last_post) == (day_before, same_day) and last != run(lang, [["day", "2026-09-08T00:00:00"]])[0]


@needs_node
def test_instants_show_in_the_workspace_s_zone_and_local_times_as_they_are() -> None:
    # 17:30 UTC on 20 September is 00:30 on the 21st in Vietnam; a bucket key is already local.
    instant, bucket = run("en", [["when", "2026-09-20T17:30:00"], ["local", "2026-09-21T00:00:00"]],
                          timezone="Asia/Ho_Chi_Minh")
    assert "21" in instant and "00:30" in instant and instant.endswith("(GMT+7)"), instant
    assert bucket == run("en", [["day", "2026-09-21T12:00:00"]])[0]
    (utc,) = run("en", [["when", "2026-09-20T17:30:00"]])
    assert "20" in utc and "17:30" in utc and utc.endswith("(UTC)"), utc
