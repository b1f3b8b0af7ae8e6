"""Public pages: the list of votes, the booth (``/vote/{vote}``) and each vote's public page
(``/votes/{vote}``: board search, turnout, result and downloads once published)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from strikevote.records.result import ResultRecord
from strikevote.services import public
from strikevote.services.bundle import bundle_dir, bundle_files
from strikevote.services.errors import NotFound
from strikevote.web import i18n
from strikevote.web.deps import AppState
from strikevote.web.templating import render, request_lang

router = APIRouter(include_in_schema=False)


def state_names(_: Callable[[str], str]) -> dict[str, str]:
    return {
        "keys": _("trustees are making the keys"),
        "credentials": _("credentials are being issued"),
        "open": _("open"),
        "closed": _("closed, being counted"),
        "tallied": _("counted"),
        "published": _("result published"),
    }


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    _ = i18n.gettext_for(request_lang(request))
    votes = public.list_votes(AppState.of(request).db)
    return render(request, "index.html.j2", {"votes": votes, "states": state_names(_)})


@router.get("/vote/{vote}", response_class=HTMLResponse)
def booth(vote: str, request: Request) -> HTMLResponse:
    definition = public.public_definition(AppState.of(request).db, vote)
    return render(request, "booth.html.j2", _vote_context(definition))


@router.get("/votes/{vote}", response_class=HTMLResponse)
def vote_page(
    vote: str, request: Request, tracker: Annotated[str | None, Query(max_length=200)] = None
) -> HTMLResponse:
    state = AppState.of(request)
    lang = request_lang(request)
    _ = i18n.gettext_for(lang)
    definition = public.public_definition(state.db, vote)
    context: dict[str, Any] = {
        **_vote_context(definition),
        "states": state_names(_),
        "opens": _when(definition["window"]["opens"]),
        "closes": _when(definition["window"]["closes"]),
        "turnout": public.turnout(state.db, vote),
        "tracker": (tracker or "").strip(),
        "found": None,
        "result": None,
        "files": [],
    }
    if context["tracker"]:
        try:
            found = public.find_tracker(state.db, vote, context["tracker"])
        except NotFound:
            found = None
        if found is not None:
            names = {el["local"]: el["name"] for el in definition["elections"]}
            context.update(
                found=found,
                found_local_name=names.get(found.local, found.local),
                found_when=found.cast_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            )
    if definition["state"] == "published":
        directory = bundle_dir(state.db, vote, state.bundle_cache)
        context["result"] = ResultRecord.from_text((directory / "result.json").read_text(encoding="utf-8"))
        context["files"] = bundle_files(directory)
    return render(request, "vote.html.j2", context)


def _vote_context(definition: dict[str, Any]) -> dict[str, Any]:
    return {"vote": definition, "header_union": definition["union"], "header_title": definition["title"]}


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def error_page(request: Request, status: int, detail: str = "") -> HTMLResponse:
    _ = i18n.gettext_for(request_lang(request))
    texts = {
        400: (_("Bad request"), _("This address or form is not valid.")),
        404: (
            _("Page not found"),
            _("There is no vote or page at this address. Check the link in your letter."),
        ),
        409: (_("Not possible now"), _("This step is not possible in the vote's current state.")),
        500: (_("Something went wrong"), _("The server could not answer. Please try again in a moment.")),
        503: (_("Something went wrong"), _("The server could not answer. Please try again in a moment.")),
    }
    heading, message = texts.get(status, texts[500])
    return render(
        request, "error.html.j2", {"heading": heading, "message": message, "detail": detail}, status
    )
