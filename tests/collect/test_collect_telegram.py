"""Telegram channels through the Telethon boundary: a fake client object plays TelegramClient (get_entity,
iter_messages, FLOOD_WAIT), the real gateway converts its TL messages into Desktop-export shape, the CLI and the
`telegram` parser do the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_api import cli
from telethon.errors import FloodWaitError
from telethon.tl.types import (
    Channel,
    ChatPhotoEmpty,
    Message,
    MessageActionPinMessage,
    MessageEntityMentionName,
    MessageMediaPoll,
    MessageReactions,
    MessageReplyHeader,
    MessageService,
    PeerChannel,
    Poll,
    PollAnswer,
    PollResults,
    ReactionCount,
    ReactionEmoji,
    TextWithEntities,
    User,
)

from civicpulse.collect import get
from civicpulse.collect.base import TargetError
from civicpulse.collect.connectors.telegram import TelegramConnector, TelethonGateway
from civicpulse.store.duckdb_store import DuckDBStore

CHANNEL_ID = 1_500_000_001
START = datetime(2026, 9, 14, 1, 0, tzinfo=UTC)


def message(n: int, text: str | None = None, **extra) -> Message:
    return Message(id=n, peer_id=PeerChannel(CHANNEL_ID), date=START + timedelta(minutes=n),
                   message=text if text is not None else f"Cập nhật mực nước lần {n}", post=True, **extra)


class FakeTelethon:
    """What TelethonGateway uses of TelegramClient, over a list of TL messages."""

    def __init__(self, messages: list):
        self.messages = messages
        self.channel = Channel(id=CHANNEL_ID, title="Tin miền Tây", photo=ChatPhotoEmpty(), date=START,
                               broadcast=True, access_hash=1, username="tinmientay")
        self.flood: list[int] = []       # FLOOD_WAIT seconds raised by the next calls
        self.die_at_call: int | None = None
        self.calls: list[tuple] = []
        self.connected = False

    async def connect(self):
        self.connected = True

    async def is_user_authorized(self):
        return True

    def is_connected(self):
        return self.connected

    async def disconnect(self):
        self.connected = False

    async def get_entity(self, name):
        if name == "tinmientay":
            return self.channel
        if name == "lananh":
            return User(id=42, first_name="Lan", username="lananh")
        raise ValueError(f'No user has "{name}" as username')

    async def iter_messages(self, entity, limit=None, min_id=0, reverse=False):
        self.calls.append((min_id, limit, reverse))
        if self.die_at_call == len(self.calls):
            raise SystemExit("killed")  # the process dies while a page is being fetched
        if self.flood:
            raise FloodWaitError(request=None, capture=self.flood.pop(0))
        ordered = sorted(self.messages, key=lambda m: m.id)
        chosen = [m for m in ordered if m.id > min_id][:limit] if reverse else ordered[::-1][:limit]
        for m in chosen:
            yield m


@pytest.fixture
def fake(monkeypatch):
    client = FakeTelethon([message(n) for n in range(1, 121)])
    made = []

    def factory(creds):
        made.append(sorted(creds.values))
        return TelethonGateway(creds, client=client)

    monkeypatch.setattr(TelegramConnector, "gateway_factory", staticmethod(factory))
    client.made = made
    return client


@pytest.fixture
def run(tmp_path):
    creds = tmp_path / "telegram.json"
    creds.write_text(json.dumps({"api_id": "123456", "api_hash": "0123456789abcdef0123456789abcdef",
                                 "session": "1BVtsOKABu-secret-session-string"}))

    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    invoke.creds = creds
    return invoke


def _rows(db: Path, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def _add(run, target: str = "t.me/TinMienTay", test: bool = True):
    return run("sources", "add", "--workspace", "w", "--platform", "telegram", "--target", target, "--credentials",
               str(run.creds), *([] if test else ["--no-test"]))


def test_messages_are_read_as_desktop_exports_and_later_runs_resume_from_the_last_id(run, fake):
    text = "🌊 Anh Nguyễn Văn Bình báo: nước lên"
    offset = len("🌊 Anh ".encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units
    fake.messages += [
        message(121, text, entities=[MessageEntityMentionName(offset=offset, length=len("Nguyễn Văn Bình"),
                                                              user_id=77)],
                reactions=MessageReactions(results=[ReactionCount(reaction=ReactionEmoji("👍"), count=5)]),
                edit_date=START + timedelta(hours=5)),
        message(122, "Đúng vậy", reply_to=MessageReplyHeader(reply_to_msg_id=121)),
        MessageService(id=123, peer_id=PeerChannel(CHANNEL_ID), date=START + timedelta(hours=3),
                       action=MessageActionPinMessage())]
    added = _add(run)
    assert added.code == 0, added.stderr
    assert "public channel 'Tin miền Tây'" in added.stderr
    assert fake.made[0] == ["api_hash", "api_id", "session"]
    first = run("collect", "--workspace", "w", "--once")
    assert first.code == 0, first.stderr
    assert fake.calls[-1] == (0, 100, False)  # a new source starts with the newest 100
    poll = Poll(id=1, question=TextWithEntities("Nhà bạn có bị ngập không?", []), hash=0,
                answers=[PollAnswer(TextWithEntities(text, []), option=bytes([i]))
                         for i, text in enumerate(("Có", "Không"))])
    fake.messages += [message(n) for n in range(124, 153)]
    fake.messages.append(message(153, "", media=MessageMediaPoll(poll=poll, results=PollResults())))
    again = run("collect", "--workspace", "w", "--once", "--now")
    assert again.code == 0, again.stderr
    assert fake.calls[-1] == (123, 100, True)  # resumed after the last id, oldest first
    rows = {r[0]: r[1:] for r in _rows(run.db, "SELECT post_id, text, kind, parent_id, likes, edited, author_key "
                                               "FROM posts")}
    assert len(rows) == 97 + 2 + 30  # the newest 100: 24..120, 121, 122 and 123 (a service message); 124..153
    mention = rows[f"{CHANNEL_ID}:121"]
    assert "Bình" not in mention[0] and mention[0].startswith("🌊 Anh ") and mention[0].endswith(" báo: nước lên")
    assert mention[3:5] == (5, True)
    assert rows[f"{CHANNEL_ID}:122"][1:3] == ("reply", f"{CHANNEL_ID}:121")
    assert rows[f"{CHANNEL_ID}:153"][0] == "Nhà bạn có bị ngập không?\n\nCó\nKhông"  # as for exported polls
    assert all(r[5] and r[5].startswith("1.") for r in rows.values())
    assert b"secret-session" not in Path(run.db).read_bytes()


def test_a_short_flood_wait_is_slept_and_a_long_one_defers_the_source(run, fake):
    assert _add(run, test=False).code == 0
    fake.flood = [1]
    ok = run("collect", "--workspace", "w", "--once")
    assert ok.code == 0, ok.stderr
    assert _rows(run.db, "SELECT count(*) FROM posts")[0][0] == 100
    fake.flood = [7200]
    limited = run("collect", "--workspace", "w", "--once", "--now")
    assert limited.code == 0 and "rate-limited" in limited.stdout and "FLOOD_WAIT of 7200 s" in limited.stderr
    assert "no source is due" in run("collect", "--workspace", "w", "--once").stderr


def test_a_run_killed_mid_catch_up_resumes_without_loss_or_duplicates(run, fake, monkeypatch):
    monkeypatch.setenv("CIVICPULSE_COLLECT_FLUSH_POSTS", "1")  # each page stored (and its cursor saved) alone
    assert _add(run, test=False).code == 0
    assert run("collect", "--workspace", "w", "--once").code == 0
    fake.messages += [message(n) for n in range(121, 371)]
    fake.die_at_call = len(fake.calls) + 3  # pages 121-220 and 221-320 are stored, the third fetch dies
    died = run("collect", "--workspace", "w", "--once", "--now")
    assert died.code != 0
    assert _rows(run.db, "SELECT count(*) FROM posts")[0][0] == 100 + 200
    fake.die_at_call = None
    assert run("collect", "--workspace", "w", "--once", "--now").code == 0
    assert fake.calls[-2][0] == 320  # resumed after the last stored page
    assert _rows(run.db, "SELECT count(*), count(DISTINCT post_id) FROM posts")[0] == (350, 350)


def test_people_groups_and_invite_links_are_refused(run, fake):
    connector = get("telegram")
    assert connector.validate_target("https://t.me/TinMienTay/") == "channel:tinmientay"
    for target in ("user:lananh", "+84 912 345 678", "https://t.me/+AbCdEf123", "t.me/joinchat/AbCdEf"):
        with pytest.raises(TargetError, match=r"per-person|private"):
            connector.validate_target(target)
    person = _add(run, "channel:lananh")
    assert person.code == 1 and "not a public channel" in person.stderr and "privacy by design" in person.stderr
    unknown = _add(run, "channel:nobody_here")
    assert unknown.code == 1 and "no channel named 'nobody_here'" in unknown.stderr
