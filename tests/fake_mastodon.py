"""A Mastodon instance on 127.0.0.1 serving one hashtag timeline, for the sources API, page and benchmark-free
tests (the collection tests have their own richer fakes in tests/collect)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from local_server import LoopbackHttp


def status(n: int, text: str = "Ngập nước ở Thủ Đức sáng nay") -> dict:
    return {"id": str(100_000 + n), "uri": f"https://social.example/users/u{n % 7}/statuses/{n}",
            "url": f"https://social.example/@u{n % 7}/{n}", "created_at": f"2026-09-14T08:{n % 60:02d}:00.000Z",
            "in_reply_to_id": None, "language": "vi", "content": f"<p>{text} {n}</p>", "spoiler_text": "",
            "replies_count": 0, "reblogs_count": 0, "favourites_count": n, "edited_at": None, "reblog": None,
            "account": {"id": str(n % 7), "username": f"u{n % 7}", "acct": f"u{n % 7}@social.example",
                        "display_name": f"User {n % 7}", "note": ""}}


class FakeMastodon(LoopbackHttp):
    """GET /api/v1/timelines/tag/<tag>: the newest statuses (with `min_id`: only newer ones). `token`, when set,
    is required as a bearer token (401 otherwise)."""

    def __init__(self, statuses: list[dict], token: str | None = None) -> None:
        self.statuses, self.token = statuses, token
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                fake.requests.append(parts.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                if fake.token and self.headers.get("authorization") != f"Bearer {fake.token}":
                    self._send(401, {"error": "The access token is invalid"})
                elif not parts.path.startswith("/api/v1/timelines/tag/"):
                    self._send(404, {"error": "Record not found"})
                else:
                    newest = sorted(fake.statuses, key=lambda s: int(s["id"]), reverse=True)
                    if "min_id" in query:
                        newest = [s for s in newest if int(s["id"]) > int(query["min_id"])]
                    self._send(200, newest[:int(query.get("limit", 40))])

            def _send(self, code: int, body: object) -> None:
                payload = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)
