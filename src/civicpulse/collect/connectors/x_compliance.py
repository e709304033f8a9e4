"""X batch compliance: checks every X post a workspace holds and applies what X says must go.

Target `tweets`. A run creates a job (POST /2/compliance/jobs, type tweets), uploads the ids of the workspace's
X posts that are not deleted yet (one per line, PUT to the job's `upload_url`), polls GET
/2/compliance/jobs/:id until `complete`, downloads the result lines from `download_url` and hands them to the
`x-compliance` parser: every line (reasons deleted, protected, suspended, deactivated, bounced, scrub_geo) is
applied as a deletion of the post, which removes its text, author key and place and keeps a tombstone so the
post never comes back from a later page or stream.

The job is saved in the cursor as soon as its ids are uploaded: an interrupted run (a crash, or a job still in
progress after `max_poll_seconds`) polls the same job on the next run instead of starting another (X allows
one running job per type). The upload and download URLs are signed storage links: no bearer token goes to them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, ClassVar

from civicpulse.collect import register
from civicpulse.collect.base import Connector, Credentials, Cursor, Page, Session, TargetError
from civicpulse.collect.connectors.x import XConnector
from civicpulse.collect.http import CollectError, HttpClient, RateHeaders

JOBS = "/2/compliance/jobs"
LINES_PER_PAGE = 1000


@register
class XComplianceConnector(Connector):
    platform = "x-compliance"
    format_name = "x-compliance"
    default_api_base = XConnector.default_api_base
    credential_keys = ("bearer_token",)
    target_help = "use `tweets`: every X post this workspace holds is checked"
    rate_headers = RateHeaders("x-rate-limit-remaining", "x-rate-limit-reset", "epoch")
    poll_seconds: ClassVar[float] = 15.0
    max_poll_seconds: ClassVar[float] = 600.0   # then the run ends and the next one polls the same job

    def normalize_target(self, target: str) -> str:
        if target.lower() != "tweets":
            raise TargetError(f"x-compliance: unsupported target {target!r}; {self.target_help}")
        return "tweets"

    def collect(self, session: Session) -> Iterator[Page]:
        auth = {"Authorization": f"Bearer {session.creds.get('bearer_token')}"}
        client = session.client
        job = session.cursor.get("job")
        if not isinstance(job, dict):
            ids = session.stored_ids("x")
            if not ids:
                return  # nothing held, nothing to check
            job = _job(client.request("POST", JOBS, headers=auth, json={"type": "tweets", "name": "civicpulse"}))
            if not isinstance(job.get("upload_url"), str) or not isinstance(job.get("download_url"), str):
                raise CollectError("x-compliance: the new job has no upload_url or download_url")
            client.request("PUT", job["upload_url"], headers={"Content-Type": "text/plain"},
                           content="\n".join(ids).encode(), raw=True)
            job = {k: job[k] for k in ("id", "download_url")} | {"uploaded": len(ids)}
            yield Page(None, {"job": job})  # from here on a crash resumes this job
        status = self._wait(client, auth, job["id"], session)
        if status in ("failed", "expired"):
            yield Page(None, {"last_job": job["id"], "last_status": status})
            raise CollectError(f"x-compliance: job {job['id']} {status}; the next run starts a new one")
        if status != "complete":
            return  # still running: the cursor keeps the job for the next run
        body = client.request("GET", job["download_url"], raw=True).body
        lines = [_line(raw) for raw in body.splitlines() if raw.strip()]
        done: Cursor = {"last_job": job["id"], "checked": job.get("uploaded"), "actions": len(lines)}
        for start in range(0, len(lines), LINES_PER_PAGE):
            chunk = lines[start:start + LINES_PER_PAGE]
            last = start + LINES_PER_PAGE >= len(lines)
            yield Page(chunk, done if last else {"job": job}, fetched=len(chunk), lines=True)
        if not lines:
            yield Page(None, done)

    def _wait(self, client: HttpClient, auth: dict[str, str], job_id: str, session: Session) -> str:
        give_up = time.monotonic() + self.max_poll_seconds
        while True:
            status = str(_job(client.get(f"{JOBS}/{job_id}", None, auth)).get("status"))
            if status not in ("created", "in_progress") or time.monotonic() >= give_up:
                return status
            if session.stop.wait(self.poll_seconds):
                return status

    def test(self, client: HttpClient, creds: Credentials, target: str) -> str:
        jobs = client.get(JOBS, {"type": "tweets"}, {"Authorization": f"Bearer {creds.get('bearer_token')}"}).body
        count = len(jobs.get("data") or []) if isinstance(jobs, dict) else 0
        return f"ok: the app may run compliance jobs ({count} recent)"


def _job(reply: Any) -> dict:
    data = reply.body.get("data") if isinstance(reply.body, dict) else None
    if not isinstance(data, dict) or not data.get("id"):
        raise CollectError("x-compliance: the answer holds no compliance job")
    return data


def _line(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:1000]  # the parser rejects it with its line, nothing is lost silently
