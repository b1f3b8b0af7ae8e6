"""Every text of the booth page has a Spanish translation in the gettext catalog (the booth's JavaScript has no
texts of its own: it reads them from the page), and the page renders in both languages."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "src" / "strikevote" / "web"
BOOTH = WEB / "templates" / "booth.html.j2"
CATALOG = WEB / "locale" / "es" / "LC_MESSAGES" / "messages.po"


def booth_msgids() -> list[str]:
    found = extract_from_file("jinja2", str(BOOTH), keywords={"_": None})
    return [msg for _line, msg, _comments, _context in found if isinstance(msg, str)]


def test_every_booth_text_is_translated_to_spanish() -> None:
    ids = booth_msgids()
    assert len(ids) > 60  # the extraction found the page's texts
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    untranslated = [i for i in ids if not (catalog.get(i) and catalog.get(i).string)]
    assert not untranslated, untranslated


def test_booth_messages_the_script_reads_are_in_the_page() -> None:
    """booth.js looks its messages up by data-key; each key it names exists in the template."""
    import re

    script = (WEB.parents[2] / "booth" / "src" / "booth.js").read_text()
    page = BOOTH.read_text()
    keys = set(re.findall(r'"((?:reason|credential|election|link|tracker):[a-z-]+)"', script))
    keys |= set(re.findall(r'msg\("([a-z-]+)"\)', script))
    keys |= {f"reason:{r}" for r in re.findall(r'^  "?([a-z-]+)"?: \{', script, re.M)}  # the REFUSALS table
    keys |= {f"credential:{c}" for c in ("empty", "length", "characters", "shape", "checksum")}
    missing = sorted(k for k in keys if f'data-key="{k}"' not in page)
    assert len(keys) > 20 and not missing, missing
