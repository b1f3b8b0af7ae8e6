"""The public pages and the committee console, served by a real ``strikevote serve``: languages, the
friendly 404, board search, turnout, login, CSRF, closing the vote; counts only, never who voted."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from server_kit import Server, Vote, add_official, csrf_of, login, make_vote, post_ballot, start_server

from strikevote.db.engine import open_db
from strikevote.services.votes import load_vote

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Vote]]:
    work = tmp_path_factory.mktemp("pages")
    url = f"sqlite:///{work / 'server.sqlite3'}"
    db = open_db(url)
    vote = make_vote(db, work, "pages-vote")
    add_official(url, "chair", PASSWORD)
    server = start_server(url, work)
    try:
        yield server, vote
    finally:
        server.stop()
        db.kw["bind"].dispose()


def _no_member_named(text: str, vote: Vote) -> None:
    for letter in vote.live.letters:
        assert letter.member_id not in text and letter.email not in text and letter.credential not in text


def test_booth_page_and_friendly_404_in_both_languages(site: tuple[Server, Vote]) -> None:
    server, vote = site
    with server.client() as c:
        r = c.get(f"/vote/{vote.id}")
        assert r.status_code == 200 and '<html lang="en">' in r.text
        assert "Strike authorization vote" in r.text and 'href="#main"' in r.text
        missing = c.get("/vote/no-such-vote", headers={"accept-language": "es-MX,es;q=0.9"})
        assert missing.status_code == 404 and '<html lang="es">' in missing.text
        assert "Página no encontrada" in missing.text
        assert "Page not found" in c.get("/votes/no-such-vote").text
        assert c.get("/votes/no-such-vote").status_code == 404
        # the visible switch wins over Accept-Language and is remembered
        r = c.get(f"/votes/{vote.id}?lang=es", headers={"accept-language": "en"})
        assert '<html lang="es">' in r.text and "Participación por local" in r.text
        assert "lang=es" in r.headers["set-cookie"]
        assert '<html lang="es">' in c.get(f"/vote/{vote.id}", headers={"accept-language": "en"}).text
        assert '<html lang="en">' in c.get(f"/vote/{vote.id}?lang=en").text
        assert "<script>" not in r.text and "style=" not in r.text  # nothing inline for the CSP to block


def test_public_page_board_search_and_turnout(site: tuple[Server, Vote]) -> None:
    server, vote = site
    with server.client() as c:
        receipt = post_ballot(c, vote.id, vote.ballot(vote.letters_of("80")[0])).json()
        page = c.get(f"/votes/{vote.id}", params={"tracker": receipt["tracker"]}).text
        assert "Found: this ballot is on the board of Local 80" in page
        miss = c.get(f"/votes/{vote.id}", params={"tracker": "not-a-tracker"}).text
        assert "No ballot with this tracker is on the board" in miss
        row = re.search(r'<tr data-local="80">(.*?)</tr>', page, re.S)
        assert row and '<td class="ballots">1</td>' in row.group(1) and "16.7%" in row.group(1)
        assert 'data-turnout-url="/api/v1/votes/' in page and '<script src="/static/turnout.js"' in page
        assert re.search(r'<g data-local="80">.*?class="bar"[^>]*width="66.7"', page, re.S)
        assert c.get("/static/turnout.js").status_code == 200
        _no_member_named(page, vote)


def test_console_login_csrf_counts_and_close(site: tuple[Server, Vote]) -> None:
    server, vote = site
    with server.client() as c:
        first = c.get("/console")
        assert first.status_code == 200 and 'name="csrf_token"' in first.text
        token = csrf_of(first.text)
        # no token, a wrong token, a wrong password: refused
        assert c.post("/console/login", data={"username": "chair", "password": PASSWORD}).status_code == 403
        r = c.post(
            "/console/login", data={"csrf_token": "x" + token, "username": "chair", "password": PASSWORD}
        )
        assert r.status_code == 403
        r = c.post(
            "/console/login", data={"csrf_token": token, "username": "chair", "password": "wrong password!"}
        )
        assert r.status_code == 401 and "Wrong username or password" in r.text
        assert c.get(f"/console/votes/{vote.id}").status_code == 303  # not logged in
        r = login(c, "chair", PASSWORD)
        session = next(x for x in r.headers.get_list("set-cookie") if x.startswith("sv_session="))
        flags = {p.strip().lower() for p in session.split(";")[1:]}
        assert {"httponly", "samesite=strict", "path=/console"} <= flags and "secure" not in flags
        page = c.get(f"/console/votes/{vote.id}")
        assert page.status_code == 200 and "Trustees" in page.text and "Turnout over time" in page.text
        assert "Trustee A (union)" in page.text
        assert '<svg class="timeline" role="img"' in page.text  # turnout over time, drawn without script
        assert re.search(r'<polyline class="local" data-local="80" points="[0-9., ]+"', page.text)
        _no_member_named(page.text, vote)
        token = csrf_of(page.text)
        url = f"/console/votes/{vote.id}/close"
        assert c.post(url, data={"confirm": "yes", "early": "yes"}).status_code == 403
        assert _state(vote) == "open"
        r = c.post(url, data={"csrf_token": token, "confirm": "yes"})
        assert (r.status_code == 409 and "--early" in r.text) or "early" in r.text  # the window is still open
        assert _state(vote) == "open"
        r = c.post(url, data={"csrf_token": token, "confirm": "yes", "early": "yes"})
        assert r.status_code == 303, r.text
        assert _state(vote) == "closed"
        assert "The vote is closed" in c.get(r.headers["location"]).text
        # another site cannot log an official out either
        assert c.post("/console/logout", data={}).status_code == 303
        assert "Log out" in c.get("/console").text
        c.post("/console/logout", data={"csrf_token": csrf_of(c.get("/console").text)})
        assert "Log in" in c.get("/console").text


def _state(vote: Vote) -> str:
    with vote.db() as s:
        return load_vote(s, vote.id)[0].state


def test_forms_are_bounded(site: tuple[Server, Vote]) -> None:
    server, _ = site
    with server.client() as c:
        token = csrf_of(c.get("/console").text)
        r = c.post("/console/login", data={"csrf_token": token, "username": "chair", "password": "x" * 20000})
        assert r.status_code == 403  # over 8 KiB: refused before the form is parsed
