"""The election committee's console (``/console``): login, the vote's state, the trustees' progress, turnout
per local over time, closing the vote.  Counts only: no page says which member has or has not voted.

Officials' accounts are made with ``strikevote official add``.  Every form carries the CSRF token of the
``sv_csrf`` cookie; a session is a signed cookie (see :mod:`strikevote.web.security`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from strikevote.services import officials, public, tally
from strikevote.services.errors import ServiceError
from strikevote.services.status import turnout_over_time, vote_status
from strikevote.web.charts import turnout_chart
from strikevote.web.deps import AppState
from strikevote.web.security import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, new_token
from strikevote.web.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)
MAX_FORM_BYTES: Final = 8 * 1024


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    """Render with a CSRF token, setting the cookie when the browser has none yet."""
    state = AppState.of(request)
    token = state.signer.csrf_token(request)
    fresh = token is None
    if token is None:
        token = new_token()
    response = render(
        request,
        template,
        {
            "csrf_field": CSRF_FIELD,
            "csrf_token": token,
            "official": state.signer.official(request),
            **context,
        },
        status,
    )
    if fresh:
        state.signer.set_cookie(response, request, CSRF_COOKIE, token)
    return response


async def _form(request: Request) -> dict[str, str] | None:
    """The submitted form when its CSRF token is right; None otherwise."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
        return None
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not AppState.of(request).signer.check_csrf(request, fields.get(CSRF_FIELD)):
        return None
    return fields


def _forbidden(request: Request) -> Response:
    return _page(
        request,
        "console_login.html.j2",
        {"error": "The form expired or was not sent from this console; try again."},
        403,
    )


@router.get("", response_class=HTMLResponse)
def home(request: Request) -> Response:
    state = AppState.of(request)
    if state.signer.official(request) is None:
        return _page(request, "console_login.html.j2", {"error": None})
    return _page(request, "console_home.html.j2", {"votes": public.list_votes(state.db)})


@router.post("/login")
async def login(request: Request) -> Response:
    fields = await _form(request)
    if fields is None:
        return _forbidden(request)
    state = AppState.of(request)
    try:
        username = await run_in_threadpool(
            officials.check_login, state.db, fields.get("username", ""), fields.get("password", "")
        )
    except officials.LoginFailed:
        return _page(request, "console_login.html.j2", {"error": "Wrong username or password."}, 401)
    response = RedirectResponse("/console", status_code=303)
    state.signer.set_cookie(response, request, SESSION_COOKIE, {"u": username})
    state.signer.set_cookie(response, request, CSRF_COOKIE, new_token())  # a new token for the new session
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    fields = await _form(request)
    response = RedirectResponse("/console", status_code=303)
    if fields is not None:
        signer = AppState.of(request).signer
        signer.clear(response, SESSION_COOKIE)
        signer.clear(response, CSRF_COOKIE)
    return response


@router.get("/votes/{vote}", response_class=HTMLResponse)
def vote(vote: str, request: Request) -> Response:
    state = AppState.of(request)
    if state.signer.official(request) is None:
        return RedirectResponse("/console", status_code=303)
    return _vote_page(request, vote, request.query_params.get("done"), None)


def _vote_page(
    request: Request, vote: str, notice: str | None, error: str | None, status: int = 200
) -> Response:
    state = AppState.of(request)
    st = vote_status(state.db, vote)
    series = turnout_over_time(state.db, vote)
    names = {x.local: x.name for x in st.locals}
    now = datetime.now(UTC)
    return _page(
        request,
        "console_vote.html.j2",
        {
            "st": st,
            "series": series,
            "chart": turnout_chart(series, {x.local: x.eligible for x in st.locals}),
            "names": names,
            "turnout": public.turnout(state.db, vote),
            "window_over": now >= st.definition.closes,
            "notice": notice,
            "error": error,
            "header_union": st.definition.union,
            "header_title": st.definition.title,
        },
        status,
    )


@router.post("/votes/{vote}/close")
async def close(vote: str, request: Request) -> Response:
    state = AppState.of(request)
    if state.signer.official(request) is None:
        return RedirectResponse("/console", status_code=303)
    fields = await _form(request)
    if fields is None:
        return _forbidden(request)
    if fields.get("confirm") != "yes":
        return _vote_page(request, vote, None, "Tick the box to confirm that you are closing the vote.", 400)
    early = fields.get("early") == "yes"
    try:
        await run_in_threadpool(tally.close_and_tally, state.db, vote, datetime.now(UTC), early=early)
    except ServiceError as exc:
        return _vote_page(request, vote, None, str(exc), 409)
    return RedirectResponse(f"/console/votes/{vote}?done=closed", status_code=303)
