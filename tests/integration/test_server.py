"""``strikevote serve`` as a whole: draining casts on SIGTERM, several workers, ``--demo``, the ``busy``
answer, and the published bundle offered for download."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from server_kit import (
    STRIKEVOTE,
    add_official,
    csrf_of,
    free_port,
    login,
    make_vote,
    post_ballot,
    start_server,
)
from sqlalchemy import select

from strikevote.belenios.ballot import create_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.crypto.credentials import derive_secret
from strikevote.crypto.randomness import SystemRandomness
from strikevote.db import models
from strikevote.db.engine import open_db
from strikevote.services import results, tally, trustees
from strikevote.services.errors import BallotRejected
from strikevote.verify.bundle import verify_bundle
from strikevote.web.app import create_app


def _trackers(db: Any, vote_id: str) -> set[str]:
    with db() as s:
        return set(
            s.scalars(
                select(models.Ballot.tracker)
                .join(models.Election, models.Election.id == models.Ballot.election_id)
                .where(models.Election.vote_id == vote_id)
            )
        )


def test_sigterm_lets_in_flight_casts_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sv.sqlite3'}"
    db = open_db(url)
    vote = make_vote(db, tmp_path, "drain", group="BELENIOS-2048", locals_={"1": ("Local 1", 40)})
    ballots = [vote.ballot(x) for x in vote.letters_of("1")]
    server = start_server(url, tmp_path)
    sent_at: list[float] = []
    acked: list[tuple[str, float]] = []
    failed: list[str] = []

    def cast(raw: str) -> None:
        try:
            with httpx.Client(base_url=server.base, timeout=60) as c:
                r = post_ballot(c, vote.id, raw)
        except httpx.TransportError as exc:  # refused or closed before the request was read: not acknowledged
            failed.append(type(exc).__name__)
            return
        assert r.status_code == 201, r.text
        acked.append((r.json()["tracker"], time.monotonic()))

    threads = [threading.Thread(target=cast, args=(raw,)) for raw in ballots]
    for t in threads:
        t.start()
    time.sleep(0.5)
    sent_at.append(time.monotonic())
    server.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(120)
    assert server.proc.wait(60) == 0, server.output()[-2000:]
    assert any(at > sent_at[0] for _, at in acked), (
        "no cast was still in flight at SIGTERM: the test proves nothing"
    )
    # every acknowledged ballot is stored, and nothing was stored without its acknowledgement
    assert {t for t, _ in acked} == _trackers(db, vote.id)
    assert len(acked) + len(failed) == len(ballots)
    db.kw["bind"].dispose()


@pytest.mark.postgres
def test_two_workers_share_the_database_and_the_session_key(pg_database: str, tmp_path: Path) -> None:
    db = open_db(pg_database)
    vote = make_vote(db, tmp_path, "two-workers", locals_={"1": ("Local 1", 20)})
    add_official(pg_database, "chair", "a long enough password")
    server = start_server(pg_database, tmp_path, workers=2)
    try:
        ballots = [vote.ballot(x) for x in vote.letters_of("1")]
        with server.client() as c, ThreadPoolExecutor(10) as pool:
            codes = list(pool.map(lambda raw: post_ballot(c, vote.id, raw).status_code, ballots))
        assert codes == [201] * 20
        assert len(_trackers(db, vote.id)) == 20
        with server.client() as c:
            login(c, "chair", "a long enough password")
            for _ in range(8):  # whichever worker answers knows the session
                assert "Log out" in c.get("/console").text
    finally:
        assert server.stop() == 0
        db.kw["bind"].dispose()


def test_serve_demo_prints_working_links_andlogin(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [str(STRIKEVOTE), "serve", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Uvicorn running" in line or len(lines) > 200:
                break
        text = "".join(lines)
        base = f"http://127.0.0.1:{port}"
        links = re.findall(rf"{re.escape(base)}/vote/([\w-]+)#([\w]+)/([\w-]+)", text)
        assert len(links) >= 3, text
        account = re.search(r"username (\S+), password (\S+)\)", text)
        assert account and f"{base}/console" in text and f"{base}/votes/" in text, text
        vote_id, election_uuid, credential = links[0]
        with httpx.Client(base_url=base, timeout=60) as c:
            assert c.get(f"/vote/{vote_id}").status_code == 200
            d = c.get(f"/api/v1/votes/{vote_id}").json()
            local = next(e["local"] for e in d["elections"] if e["uuid"] == election_uuid)
            election = ElectionParams.parse(c.get(f"/api/v1/votes/{vote_id}/locals/{local}/election").text)
            secret = derive_secret(election.group, election.uuid, credential)
            raw = create_ballot(election, secret, [[1, 0]], SystemRandomness()).raw
            r = post_ballot(c, vote_id, raw)
            assert r.status_code == 201, r.text
            login(c, account.group(1), account.group(2))
            assert "1" in c.get(f"/console/votes/{vote_id}").text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert proc.returncode == 0


@contextmanager
def in_process(app: Any) -> Iterator[str]:
    """A real uvicorn in a thread of this process (so a test can patch what the app calls)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def test_busy_is_503_with_retry_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'sv.sqlite3'}"
    db = open_db(url)
    vote = make_vote(db, tmp_path, "busy", locals_={"1": ("Local 1", 2)})

    def busy(*args: Any, **kw: Any) -> Any:
        raise BallotRejected("busy", "the ballot box is too busy; try again")

    monkeypatch.setattr("strikevote.web.api.ballotbox.cast", busy)
    with in_process(create_app(url, None)) as base, httpx.Client(base_url=base) as c:
        r = post_ballot(c, vote.id, vote.ballot(vote.letters_of("1")[0]))
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert r.json()["error"] == "busy"
    assert _trackers(db, vote.id) == set()


def test_cookies_are_secure_under_https(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sv.sqlite3'}"
    add_official(url, "chair", "a long enough password")
    with in_process(create_app(url, "https://vote.example.org")) as base, httpx.Client(base_url=base) as c:
        first = c.get("/console")
        assert "secure" in first.headers["set-cookie"].lower()
        token = csrf_of(first.text)
        # httpx keeps Secure cookies for https only: send the token cookie back by hand
        cookie = first.headers["set-cookie"].split(";", 1)[0]
        r = c.post(
            "/console/login",
            data={"csrf_token": token, "username": "chair", "password": "a long enough password"},
            headers={"cookie": cookie},
        )
        assert r.status_code == 303
        set_cookies = r.headers.get_list("set-cookie")
        session = next(x for x in set_cookies if x.startswith("sv_session="))
        flags = {p.strip().lower() for p in session.split(";")[1:]}
        assert {"httponly", "secure", "samesite=strict"} <= flags


def test_published_bundle_is_offered_for_download(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sv.sqlite3'}"
    db = open_db(url)
    vote = make_vote(db, tmp_path, "pub", locals_={"1": ("Local 1", 4), "2": ("Local 2", 4)})
    server = start_server(url, tmp_path, extra=["--bundle-cache", str(tmp_path / "cache")])
    try:
        with server.client() as c:
            for i, letter in enumerate(vote.live.letters[:6]):
                assert post_ballot(c, vote.id, vote.ballot(letter, yes=i % 3 != 0)).status_code == 201
            tally.close_and_tally(db, vote.id, datetime.now(UTC), early=True)
            r = c.get(f"/api/v1/votes/{vote.id}/bundle/result.json")
            assert r.status_code == 409 and r.json()["error"] == "not-published"
            for key in vote.live.keys[:2]:
                trustees.partial_decrypt(
                    db, vote.id, key, SystemRandomness(), passphrase=vote.live.passphrases[key]
                )
            results.decrypt_results(db, vote.id)
            results.publish(db, vote.id, tmp_path / "published")
            page = c.get(f"/votes/{vote.id}").text
            assert "voted in favor" in page or "in favour" in page or "%" in page
            files = re.findall(rf'href="/api/v1/votes/{vote.id}/bundle/([^"]+)"', page)
            assert {"vote.json", "result.json", "report.html", "locals/1.bel", "locals/2.bel"} <= set(files)
            out = tmp_path / "downloaded"
            for f in set(files):
                r = c.get(f"/api/v1/votes/{vote.id}/bundle/{f}")
                assert r.status_code == 200, f
                (out / f).parent.mkdir(parents=True, exist_ok=True)
                (out / f).write_bytes(r.content)
            report = c.get(f"/api/v1/votes/{vote.id}/bundle/report.html")
            assert "sandbox" in report.headers["content-security-policy"]
            assert "script" not in report.headers["content-security-policy"]
            for bad in ("../sv.sqlite3", "locals/../../sv.sqlite3", "nope.json", "%2e%2e/sv.sqlite3"):
                assert c.get(f"/api/v1/votes/{vote.id}/bundle/{bad}").status_code == 404, bad
        assert json.loads((out / "result.json").read_text())["locals"][0]["ballots"] >= 1
        assert verify_bundle(out).valid
    finally:
        server.stop()
        db.kw["bind"].dispose()
