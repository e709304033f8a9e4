"""Server-rendered page shells. Each page checks access exactly like the API (same dependencies), then its
script fetches the data from the API with the same filters, so the pages and the API can never disagree."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from civicpulse import __version__
from civicpulse.accounts import Accounts, Role
from civicpulse.store.base import Store
from civicpulse.web.deps import OWNER, VIEWER, Access, Caller, caller, optional_caller, store
from civicpulse.web.i18n import LANGUAGES, messages, pick_language
from civicpulse.web.security import safe_next

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
router = APIRouter(include_in_schema=False)
LANG_COOKIE = "cp_lang"

# Workspace pages: (path, template, minimum role). The navigation shows the ones the role may open.
WORKSPACE_PAGES = (
    ("", "overview.html", Role.VIEWER),
    ("topics", "topics.html", Role.VIEWER),
    ("places", "places.html", Role.VIEWER),
    ("trends", "trends.html", Role.VIEWER),
    ("posts", "posts.html", Role.VIEWER),
    ("alerts", "alerts.html", Role.VIEWER),
    ("reports", "reports.html", Role.VIEWER),
    ("queries", "queries.html", Role.VIEWER),
    ("taxonomy", "taxonomy.html", Role.VIEWER),
    ("sources", "sources.html", Role.VIEWER),
    ("import", "import.html", Role.ANALYST),
    ("members", "members.html", Role.OWNER),
    ("audit", "audit.html", Role.OWNER),
    ("settings", "settings.html", Role.OWNER),
)


def _render(request: Request, template: str, status_code: int = 200, **context) -> Response:
    lang = pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                         request.headers.get("accept-language"))
    response = TEMPLATES.TemplateResponse(request, template, {
        "lang": lang, "languages": LANGUAGES, "t": messages(lang), "version": __version__, **context}, status_code)
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def error_page(request: Request, status: int, detail: str) -> Response:
    return _render(request, "error.html", status, status=status, detail=detail, user=None)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, c: Caller | None = Depends(optional_caller), next: str = "/") -> Response:
    target = safe_next(next)  # only a path on this site, checked here rather than trusted to the page's script
    if c is not None:
        return RedirectResponse(target, 303)
    return _render(request, "login.html", user=None, next=target)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, c: Caller = Depends(caller), db: Store = Depends(store)) -> Response:
    workspaces = Accounts(db).memberships(c.user)
    if len(workspaces) == 1 and not c.user.is_admin:
        return RedirectResponse(f"/w/{workspaces[0][0]}/", 303)
    return _render(request, "home.html", user=c.user, csrf=c.session.csrf_token if c.session else "",
                   workspaces=[{"name": w, "role": r.value} for w, r in workspaces])


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, c: Caller = Depends(caller)) -> Response:
    return _render(request, "account.html", user=c.user, csrf=c.session.csrf_token if c.session else "")


@router.get("/glossary", response_class=HTMLResponse)
def glossary_page(request: Request, c: Caller | None = Depends(optional_caller)) -> Response:
    """What the dashboards' terms mean; open to anyone (it holds no data), linked from every figure's "?"."""
    from civicpulse.web.glossary import glossary

    return _render(request, "glossary.html", user=c.user if c else None,
                   csrf=c.session.csrf_token if c and c.session else "",
                   terms={lang: glossary(lang) for lang in LANGUAGES})


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, c: Caller = Depends(caller)) -> Response:
    if not c.user.is_admin:
        return error_page(request, 403, "only an instance administrator may open this page")
    return _render(request, "admin.html", user=c.user, csrf=c.session.csrf_token if c.session else "")


def _workspace_page(template: str, minimum: Role):
    dependency = {Role.VIEWER: VIEWER, Role.OWNER: OWNER}.get(minimum)

    def page(request: Request, a: Access = Depends(dependency or VIEWER), db: Store = Depends(store)) -> Response:
        from civicpulse.analytics.localtime import timezone_for

        if not a.role.at_least(minimum):
            return error_page(request, 403, f"this page needs the {minimum.value} role")
        nav = [(path, tpl.removesuffix(".html")) for path, tpl, need in WORKSPACE_PAGES if a.role.at_least(need)]
        return _render(request, template, user=a.caller.user, ws=a.workspace, role=a.role.value, nav=nav,
                       timezone=timezone_for(db, a.workspace),
                       page=template.removesuffix(".html"),
                       csrf=a.caller.session.csrf_token if a.caller.session else "")

    return page


for _path, _template, _minimum in WORKSPACE_PAGES:
    router.add_api_route(f"/w/{{workspace}}/{_path}", _workspace_page(_template, _minimum),
                         methods=["GET"], response_class=HTMLResponse)
