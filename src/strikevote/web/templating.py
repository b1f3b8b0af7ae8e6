"""Jinja2 pages in the member's language.  Templates get ``_`` (gettext of the request's language), ``lang``,
``languages`` (for the switch), ``num`` and ``pct`` (numbers formatted for the language) and ``path``."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from strikevote.web import i18n

TEMPLATES: Final = Path(__file__).parent / "templates"


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def request_lang(request: Request) -> str:
    return i18n.choose(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = request_lang(request)
    gettext = i18n.gettext_for(lang)
    page = (
        environment()
        .get_template(template)
        .render(
            {
                "_": gettext,
                "lang": lang,
                "languages": [(code, i18n.LANGUAGE_NAMES[code]) for code in i18n.LANGUAGES],
                "num": lambda n: i18n.format_number(n, lang),
                "pct": lambda x: i18n.format_percent(x, lang),
                "path": request.url.path,
                **context,
            }
        )
    )
    response = HTMLResponse(
        page, status_code=status, headers={"content-language": lang, "vary": "Accept-Language, Cookie"}
    )
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES and request.cookies.get(i18n.COOKIE) != chosen:
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="lax", path="/")
    return response
