"""The civicpulse web app: HTTP API (OpenAPI at /openapi.json), dashboard pages and their static assets."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from civicpulse import __version__
from civicpulse.alerts.outbox import DeliveryQueue
from civicpulse.collect.service import RunSummary
from civicpulse.collect.sources import SourceRecord
from civicpulse.runtime.collection import CollectionRuntime, workers_from_env
from civicpulse.runtime.job_handlers import make_handlers
from civicpulse.runtime.job_queue import make_runner
from civicpulse.runtime.jobs import Job, without_private_paths
from civicpulse.store import is_postgres_url
from civicpulse.store.base import Store
from civicpulse.web import (
    api_admin,
    api_auth,
    api_config,
    api_dash,
    api_data,
    api_import,
    api_local,
    api_retention,
    api_sources,
    api_topics,
    pages,
)
from civicpulse.web.context import AppContext

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("civicpulse.web")

# Everything is served by the app itself: no CDN, no third-party origin. Plotly needs inline styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def create_app(store: Store, *, keys_dir: Path | None = None, secure_cookies: bool = False,
               background: bool = True) -> FastAPI:
    """An app over an open, writable store; the app owns it from now on (closed at shutdown).

    `background=False` leaves out the periodic work (digests, alert evaluation), for tests.
    """
    base = Path(store.path) if store.path != ":memory:" else Path("var/memory")
    if is_postgres_url(store.path):  # a database server has no folder: the app's own files go beside the keys
        base = keys_dir.with_suffix("") if keys_dir else Path("var/postgres")
    ctx = AppContext(store, keys_dir or Path(f"{base}.keys"), Path(f"{base}.uploads"), Path(f"{base}.rejects"),
                     secure_cookies=secure_cookies)
    ctx.deliveries = DeliveryQueue(store)

    def after_job(job: Job) -> None:
        # A retention pass (workspace "") changes the data of every workspace it expired posts in.
        for workspace in {job.workspace, *job.result.get("retention", {})} - {""}:
            ctx.cache.bump(workspace)

    def after_collecting(source: SourceRecord, summary: RunSummary) -> None:
        # Collected posts are analyzed like imported ones; one queued analysis covers every run before it.
        if (summary.stored or summary.updated) and not ctx.jobs.queued("analyze", source.workspace):
            ctx.jobs.submit("analyze", source.workspace, f"system:collect:{source.source_id}")
        ctx.cache.bump(source.workspace)

    ctx.collection = CollectionRuntime(store, ctx.keys_dir, Path(f"{base}.collect"), ctx.rejects_dir,
                                       workers=workers_from_env(), on_run=after_collecting)
    ctx.jobs = make_runner(store, make_handlers(ctx.keys_dir, ctx.rejects_dir, deliveries=ctx.deliveries,
                                                collection=ctx.collection),
                           on_finish=after_job, uploads_dir=ctx.uploads_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ctx.jobs.start()
        ctx.token_usage.start()
        scheduler = None
        if background:
            ctx.collection.start()
            from civicpulse.runtime.scheduler import Scheduler

            scheduler = Scheduler(store, keys_dir=ctx.keys_dir, deliveries=ctx.deliveries,
                                  daily=lambda: ctx.jobs.submit("maintenance", "", "system:retention"))
            scheduler.start()
        yield
        # Graceful shutdown: stop taking work, finish the job in hand, then release the database file.
        if scheduler is not None:
            scheduler.stop()
        ctx.collection.stop()  # runs in hand end within their page cap; streams close
        ctx.jobs.stop()
        ctx.token_usage.stop()  # writes the last noted token uses while the store is still open
        ctx.deliveries.stop()
        store.close()

    # No /docs or /redoc: FastAPI's pages load Swagger UI and ReDoc from a CDN, which the CSP above blocks (a blank
    # page), and no installed package ships their assets. /openapi.json stays: any OpenAPI viewer can read it.
    app = FastAPI(title="civicpulse", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Privacy-first public-opinion analytics. Every `/api/w/{workspace}` route needs a "
                              "session (browser) or `Authorization: Bearer <token>` (create one at POST "
                              "/api/tokens) and membership of the workspace; writes from a browser session need "
                              "the `X-CSRF-Token` header. Figures resting on fewer than k distinct authors are "
                              "suppressed.")
    app.state.ctx = ctx
    for router in (api_auth.router, api_admin.router, api_dash.router, api_config.router, api_data.router,
                   api_local.router, api_retention.workspace_router, api_retention.admin_router, api_import.router,
                   api_topics.router, api_topics.annotations_router, api_sources.router,
                   pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_bundle() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/api/shapes/{era}", tags=["dashboards"], summary="Province shapes (GeoJSON) shipped with civicpulse")
    def shapes(era: str) -> Response:
        from civicpulse.web.shapes import province_shapes

        if era not in ("2025", "legacy"):
            raise HTTPException(404, "era is 2025 or legacy")
        import orjson

        return Response(orjson.dumps(province_shapes(era)), media_type="application/geo+json",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict:
        return {"ok": True, "version": __version__}

    def _bump_stored_version(workspace: str) -> None:
        with ctx.forked() as handle:
            handle.bump_data_version(workspace)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.url.path.startswith("/api/w/"):
            workspace = request.url.path.split("/")[3]  # any write in a workspace may change its views
            ctx.cache.bump(workspace)
            if response.status_code < 400:  # a write that happened: the other processes' caches on the store too
                await run_in_threadpool(_bump_stored_version, workspace)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if isinstance(exc.detail, str):
            exc.detail = without_private_paths(exc.detail, [ctx.uploads_dir, ctx.keys_dir, ctx.rejects_dir])
        if request.url.path.startswith("/api/") or exc.status_code not in (401, 403, 404):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        if exc.status_code == 401:
            return RedirectResponse(f"/login?next={quote(request.url.path)}", 303)
        return pages.error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems)}, 422)

    return app
