"""Listening configuration: saved queries, the taxonomy, alert rules and scheduled digests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from civicpulse.notify.targets import TargetRefused
from civicpulse.store.base import Store
from civicpulse.web.context import AppContext
from civicpulse.web.deps import ANALYST, OWNER, VIEWER, Access, app_context, store

router = APIRouter(prefix="/api/w/{workspace}", tags=["configuration"])


@contextmanager
def _http_errors(not_found: int = 404) -> Iterator[None]:
    """Service errors as HTTP answers: an unknown id is `not_found` (404, or 400 when it came in a body), a value
    the service refuses is 400, with the service's message."""
    try:
        yield
    except LookupError as exc:
        raise HTTPException(not_found, str(exc)) from None
    except TargetRefused as exc:  # a well-formed request naming a target this server will not call
        raise HTTPException(422, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _plain(obj: Any) -> dict[str, Any]:
    out = dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else dict(obj)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in out.items()}


# saved queries ---------------------------------------------------------------------------------------------
class QueryBody(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    query: str = Field(min_length=1, max_length=2000)
    description: str = Field(default="", max_length=1000)


@router.get("/queries", summary="Saved queries of the workspace")
def list_queries(a: Access = Depends(VIEWER), db: Store = Depends(store)) -> list[dict]:
    from civicpulse.analytics.saved_queries import SavedQueries

    return [_plain(q) for q in SavedQueries(db).list(a.workspace)]


@router.get("/queries/check", summary="Check a query's syntax (position of the first error, if any)")
def check_query(q: str = Query(..., max_length=2000), a: Access = Depends(VIEWER)) -> dict:
    from civicpulse.analytics.query import QuerySyntaxError, validate

    try:
        validate(q)
    except QuerySyntaxError as exc:
        return {"ok": False, "message": str(exc), "position": exc.position}
    return {"ok": True}


@router.post("/queries", status_code=201, summary="Save a query (analysts)")
def create_query(body: QueryBody, a: Access = Depends(ANALYST), db: Store = Depends(store)) -> dict:
    from civicpulse.analytics.saved_queries import SavedQueries

    with _http_errors():
        saved = SavedQueries(db).create(a.workspace, body.name, body.query, body.description, a.username)
    db.audit(a.username, a.workspace, "queries.create", f"{saved.query_id}: {body.query}")
    return _plain(saved)


@router.put("/queries/{query_id}", summary="Edit a saved query (analysts)")
def update_query(query_id: str, body: QueryBody, a: Access = Depends(ANALYST),
                 db: Store = Depends(store)) -> dict:
    from civicpulse.analytics.saved_queries import SavedQueries

    with _http_errors():
        saved = SavedQueries(db).update(a.workspace, query_id, name=body.name, query=body.query,
                                        description=body.description)
    db.audit(a.username, a.workspace, "queries.update", f"{query_id}: {body.query}")
    return _plain(saved)


@router.delete("/queries/{query_id}", summary="Delete a saved query (analysts)")
def delete_query(query_id: str, a: Access = Depends(ANALYST), db: Store = Depends(store)) -> dict:
    from civicpulse.analytics.saved_queries import SavedQueries

    with _http_errors():
        SavedQueries(db).delete(a.workspace, query_id)
    db.audit(a.username, a.workspace, "queries.delete", query_id)
    return {"deleted": query_id}


# taxonomy --------------------------------------------------------------------------------------------------
# Limits of an edited taxonomy: retraining grows with topics x phrases, and the request body is read whole.
MAX_TAXONOMY_BYTES = 256 * 1024
MAX_TOPICS = 100
MAX_PHRASES = 200  # per topic
MAX_PHRASE_LENGTH = 200  # characters


class TopicBody(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    label_en: str = Field(min_length=1, max_length=120)
    label_vi: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=1000)
    examples: list[Annotated[str, Field(max_length=MAX_PHRASE_LENGTH)]] = Field(default_factory=list,
                                                                               max_length=MAX_PHRASES)


_TOPICS = TypeAdapter(Annotated[list[TopicBody], Field(min_length=1, max_length=MAX_TOPICS)])


async def _taxonomy_body(request: Request) -> list[TopicBody]:
    """The request's topics, read up to MAX_TAXONOMY_BYTES (413 past it, even without a Content-Length)."""
    too_large = HTTPException(413, f"the taxonomy is larger than {MAX_TAXONOMY_BYTES // 1024} KiB; "
                                   f"at most {MAX_TOPICS} topics of {MAX_PHRASES} phrases each")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_TAXONOMY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_TAXONOMY_BYTES:
            raise too_large
    try:
        return _TOPICS.validate_json(bytes(body))
    except ValidationError as exc:  # answered like every other invalid body (app.py's 422 handler)
        raise RequestValidationError([{**e, "loc": ("body", *_where(e["loc"]))} for e in exc.errors()]) from None


def _where(loc: tuple) -> tuple:
    """("topics",) or ("topics[2]", "examples", 5): what app.py's 422 handler names (loc[0] is dropped there)."""
    return (f"topics[{loc[0]}]", *loc[1:]) if loc and isinstance(loc[0], int) else ("topics", *loc)


@router.get("/taxonomy", summary="The workspace's topics: labels, descriptions and example phrases")
def get_taxonomy(a: Access = Depends(VIEWER), db: Store = Depends(store)) -> list[dict]:
    from civicpulse.analysis.workspace import get_taxonomy as load

    return [_plain(t) for t in load(db, a.workspace).topics]


@router.put("/taxonomy", status_code=202,
            summary="Replace the taxonomy (analysts); a background job stores it and retrains the topic classifier",
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "array", "minItems": 1, "maxItems": MAX_TOPICS,
                           "items": TopicBody.model_json_schema()}}}}})
def put_taxonomy(a: Access = Depends(ANALYST), topics: list[TopicBody] = Depends(_taxonomy_body),
                 ctx: AppContext = Depends(app_context)) -> dict:  # access is checked before the body is read
    from civicpulse.analysis.taxonomy import Taxonomy, TaxonomyError

    records = [t.model_dump() for t in topics]
    try:
        Taxonomy.from_records(records, source="taxonomy editor")  # refuse now what the job would refuse later
    except TaxonomyError as exc:
        raise HTTPException(400, str(exc)) from None
    from civicpulse.runtime.job_handlers import TaxonomyOptions, submit_job

    return submit_job(ctx.jobs, "taxonomy", a.workspace, a.username, TaxonomyOptions(tuple(records))).to_dict()


# alerts ----------------------------------------------------------------------------------------------------
class RuleBody(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    metric: Literal["volume", "negative_share", "spike"]
    threshold: float
    window: Literal["hour", "day"] = "day"
    query_id: str | None = None
    topic: str | None = None
    place: str | None = None
    email_to: list[str] = Field(default_factory=list, max_length=20)
    webhook_url: str | None = None


def _alerts(db: Store = Depends(store), ctx: AppContext = Depends(app_context)):
    """The request's alert service: its deliveries go to the server's queue, its webhook keys to the keys dir."""
    from civicpulse.alerts import AlertService
    from civicpulse.notify.email import SmtpSettings

    return AlertService(db, SmtpSettings.from_env(), keys_dir=ctx.keys_dir, deliveries=ctx.deliveries)


@router.get("/alerts/rules", summary="Alert rules")
def list_rules(a: Access = Depends(VIEWER), service=Depends(_alerts)) -> list[dict]:
    return [{k: v for k, v in _plain(r).items() if k != "webhook_secret"} for r in service.list_rules(a.workspace)]


@router.post("/alerts/rules", status_code=201,
             summary="Create an alert rule (analysts); the webhook signing secret is returned only here. A "
                     "webhook URL whose host is not public (loopback, private, link-local, metadata) is refused "
                     "with 422 unless the instance allow-lists it (CIVICPULSE_WEBHOOK_ALLOW)")
def create_rule(body: RuleBody, a: Access = Depends(ANALYST), service=Depends(_alerts)) -> dict:
    with _http_errors(not_found=400):
        rule = service.create_rule(a.workspace, user=a.username, **body.model_dump())
    service.store.audit(a.username, a.workspace, "alerts.create", f"{rule.rule_id} {body.metric}>{body.threshold}")
    return _plain(rule)


class RuleChanges(BaseModel):
    """Only the fields sent change; `enabled: false` pauses the rule, `true` resumes it."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    metric: Literal["volume", "negative_share", "spike"] | None = None
    threshold: float | None = None
    window: Literal["hour", "day"] | None = None
    query_id: str | None = None
    topic: str | None = None
    place: str | None = None
    email_to: list[str] | None = Field(default=None, max_length=20)
    webhook_url: str | None = None
    enabled: bool | None = None


class PreviewBody(RuleBody):
    name: str = Field(default="preview", min_length=1, max_length=120)
    days: int = Field(default=30, ge=1, le=366)


@router.patch("/alerts/rules/{rule_id}",
              summary="Edit an alert rule, pause it (enabled: false) or resume it (analysts); a new webhook URL "
                      "gets a new signing secret, returned only here")
def update_rule(rule_id: str, body: RuleChanges, a: Access = Depends(ANALYST), service=Depends(_alerts)) -> dict:
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "metric", "threshold", "window", "enabled"):
        if required in changes and changes[required] is None:
            raise HTTPException(400, f"{required} cannot be empty")
    if changes.get("email_to") is None and "email_to" in changes:
        changes["email_to"] = []
    with _http_errors():
        rule = service.update_rule(a.workspace, rule_id, changes, user=a.username)
    out = _plain(rule)
    if not rule.webhook_secret:
        out.pop("webhook_secret")
    return out


@router.get("/alerts/rules/{rule_id}/preview",
            summary="When a stored rule would have fired over the last `days` of stored data (nothing is stored "
                    "or sent); each window links to its posts")
def preview_rule(rule_id: str, a: Access = Depends(VIEWER), service=Depends(_alerts),
                 days: int = Query(30, ge=1, le=366)) -> dict:
    with _http_errors():
        rule = service.get_rule(a.workspace, rule_id)
        return service.preview(rule, days).to_dict(rule)


@router.post("/alerts/preview",
             summary="When a rule not yet saved would have fired over the last `days` of stored data (analysts)")
def preview_draft(body: PreviewBody, a: Access = Depends(ANALYST), service=Depends(_alerts)) -> dict:
    fields = body.model_dump(exclude={"days", "email_to", "webhook_url"})  # channels play no part in a preview
    with _http_errors():
        rule = service.draft(a.workspace, user=a.username, **fields)
        return service.preview(rule, body.days).to_dict(rule)


@router.get("/alerts/channels",
            summary="Which delivery channels this server can use (email needs CIVICPULSE_SMTP_HOST)")
def alert_channels(a: Access = Depends(VIEWER)) -> dict:
    from civicpulse.notify.email import SmtpSettings

    try:
        email = SmtpSettings.from_env() is not None
    except ValueError:  # a malformed port: email cannot be sent either
        email = False
    return {"email": {"configured": email, "setting": "CIVICPULSE_SMTP_HOST"}, "webhook": {"configured": True}}


@router.delete("/alerts/rules/{rule_id}", summary="Delete an alert rule (analysts)")
def delete_rule(rule_id: str, a: Access = Depends(ANALYST), service=Depends(_alerts)) -> dict:
    with _http_errors():
        service.delete_rule(a.workspace, rule_id)
    service.store.audit(a.username, a.workspace, "alerts.delete", rule_id)
    return {"deleted": rule_id}


@router.post("/alerts/evaluate", summary="Evaluate the rules now (analysts); returns the new alerts, their "
                                         "deliveries pending (they are sent in the background)")
def evaluate(a: Access = Depends(ANALYST), service=Depends(_alerts)) -> list[dict]:
    events = service.evaluate(a.workspace)
    service.store.audit(a.username, a.workspace, "alerts.evaluate", f"{len(events)} new")
    return [_plain(e) for e in events]


@router.get("/alerts", summary="In-app alerts, newest first; each channel's delivery is pending, delivered or "
                               "failed with a coarse reason (the network's answer goes to the server log only)")
def list_events(a: Access = Depends(VIEWER), service=Depends(_alerts), unseen: bool = False,
                limit: int = Query(50, ge=1, le=500)) -> dict:
    return {"unseen": service.unseen_count(a.workspace),
            "events": [_plain(e) for e in service.events(a.workspace, limit=limit, unseen_only=unseen)]}


@router.post("/alerts/seen", summary="Mark alerts as seen")
def mark_seen(event_ids: list[str], a: Access = Depends(VIEWER), service=Depends(_alerts)) -> dict:
    service.mark_seen(a.workspace, event_ids)
    return {"ok": True}


# digests ---------------------------------------------------------------------------------------------------
class DigestBody(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    frequency: Literal["daily", "weekly"]
    recipients: list[str] = Field(min_length=1, max_length=50)
    format: Literal["pdf", "xlsx", "csv"] = "pdf"
    language: Literal["en", "vi"] = "en"
    query_id: str | None = None


def _digests(db: Store):
    from civicpulse.notify.email import SmtpSettings
    from civicpulse.reports.digests import DigestService

    return DigestService(db, SmtpSettings.from_env())


@router.get("/digests", summary="Scheduled email digests")
def list_digests(a: Access = Depends(VIEWER), db: Store = Depends(store)) -> list[dict]:
    return [_plain(d) for d in _digests(db).list(a.workspace)]


@router.post("/digests", status_code=201, summary="Schedule a digest (owners)")
def create_digest(body: DigestBody, a: Access = Depends(OWNER), db: Store = Depends(store)) -> dict:
    with _http_errors(not_found=400):
        digest = _digests(db).create(a.workspace, body.name, body.frequency, body.recipients, fmt=body.format,
                                     lang=body.language, query_id=body.query_id, user=a.username)
    db.audit(a.username, a.workspace, "digests.create", f"{body.name} {body.frequency} to {len(body.recipients)}")
    return _plain(digest)


@router.delete("/digests/{digest_id}", summary="Cancel a digest (owners)")
def delete_digest(digest_id: str, a: Access = Depends(OWNER), db: Store = Depends(store)) -> dict:
    with _http_errors():
        _digests(db).delete(a.workspace, digest_id)
    db.audit(a.username, a.workspace, "digests.delete", digest_id)
    return {"deleted": digest_id}
