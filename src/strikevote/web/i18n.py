"""Languages of the booth and the public pages: English (the source strings) and Spanish.

Catalogs are Babel/gettext ``.po`` files in ``web/locale/<lang>/LC_MESSAGES/messages.po``, read at run time
(compiled in memory by Babel on first use), so there is no build step and no compiled ``.mo`` in the tree.
Update them with::

    pybabel extract -F src/strikevote/web/babel.cfg -o /tmp/messages.pot src/strikevote/web
    pybabel update -i /tmp/messages.pot -d src/strikevote/web/locale

The language of a request is, in order: a ``lang`` query parameter (the visible switch; remembered in a
cookie), the ``lang`` cookie, the browser's ``Accept-Language``, English.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Callable
from pathlib import Path
from typing import Final

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: Final = ("en", "es")
DEFAULT: Final = "en"
LANGUAGE_NAMES: Final = {"en": "English", "es": "Español"}
LOCALE_DIR: Final = Path(__file__).parent / "locale"
COOKIE: Final = "lang"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang``; English (and any language without a catalog) is the identity."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def gettext_for(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for explicit in (query, cookie):
        if explicit in LANGUAGES:
            return explicit
    if accept_language:
        preferred = []
        for part in accept_language.split(","):
            tag = part.split(";", 1)[0].strip().replace("-", "_")
            if tag and tag != "*":
                preferred.append(tag)
        found = negotiate_locale(preferred, list(LANGUAGES), sep="_")
        if found is None:  # "es_MX" matches "es"
            found = negotiate_locale([p.split("_", 1)[0] for p in preferred], list(LANGUAGES), sep="_")
        if found in LANGUAGES:
            return found
    return DEFAULT


def format_number(n: int | float, lang: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(n, locale=Locale.parse(lang))


def format_percent(x: float, lang: str) -> str:
    from babel.numbers import format_percent as fp

    return fp(x, format="#,##0.0%", locale=Locale.parse(lang))
