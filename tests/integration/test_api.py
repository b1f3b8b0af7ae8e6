"""The HTTP API of DESIGN.md §11 against a real ``strikevote serve`` (uvicorn) on a free port, with httpx:
every route, every reason code, bad input, and that a refusal changes nothing stored."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from server_kit import Server, Vote, make_vote, post_ballot, start_server
from sqlalchemy import func, select
from vote_kit import board_state

from strikevote.db import models
from strikevote.db.engine import open_db
from strikevote.services import tally
from strikevote.services.board import export_archive


@pytest.fixture(scope="module")
def env(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any, Path]]:
    work = tmp_path_factory.mktemp("api")
    db = open_db(backend)
    server = start_server(backend, work, extra=["--bundle-cache", str(work / "bundles")])
    try:
        yield server, db, work
    finally:
        server.stop()
        db.kw["bind"].dispose()


@pytest.fixture
def vote(env: tuple[Server, Any, Path], request: pytest.FixtureRequest) -> Vote:
    _, db, work = env
    return make_vote(db, work, f"v-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def server(env: tuple[Server, Any, Path]) -> Server:
    return env[0]


def _error(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]


def test_votes_and_public_definition(server: Server, vote: Vote) -> None:
    with server.client() as c:
        listed = c.get("/api/v1/votes").json()
        assert {
            "id": vote.id,
            "union": "Demo Theatre Workers Union",
            "title": "Strike authorization vote",
            "state": "open",
        } in listed
        d = c.get(f"/api/v1/votes/{vote.id}").json()
    assert d["state"] == "open" and d["id"] == vote.id and d["format"] == "strikevote-vote/1"
    by_local = {e["local"]: e for e in d["elections"]}
    assert set(by_local) == {"44", "80"}
    for local, e in by_local.items():
        assert e["uuid"] == vote.elections[local].uuid
        assert e["question"] == "Do you authorize the bargaining committee to call a strike?"
        assert len(e["fingerprint"]) > 20 and e["eligible"] == 6


def test_election_is_raw_bytes_and_unknowns_are_404(server: Server, vote: Vote) -> None:
    with server.client() as c:
        r = c.get(f"/api/v1/votes/{vote.id}/locals/44/election")
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert r.content == vote.elections["44"].raw.encode()
        _error(c.get(f"/api/v1/votes/{vote.id}/locals/99/election"), 404, "not-found")
        _error(c.get("/api/v1/votes/no-such-vote/locals/44/election"), 404, "not-found")
        _error(c.get("/api/v1/votes/no-such-vote"), 404, "not-found")
        _error(c.get("/api/v1/votes/no-such-vote/turnout"), 404, "not-found")
        _error(c.get(f"/api/v1/votes/{vote.id}/board?local=99"), 404, "not-found")
        _error(c.get(f"/api/v1/votes/{vote.id}/board"), 422, "bad-request")  # local is required
        _error(c.get(f"/api/v1/votes/{vote.id}/board?local=44&limit=0"), 422, "bad-request")
        _error(c.get("/api/v1/nothing-here"), 404, "not-found")
        _error(post_ballot(c, "no-such-vote", vote.ballot(vote.letters_of("44")[0])), 404, "not-found")


def test_public_credential_lookup(server: Server, vote: Vote) -> None:
    """The booth's check before encrypting: a listed public credential is found, any other is a 404."""
    ballot = json.loads(vote.ballot(vote.letters_of("44")[0]))
    listed = ballot["credential"]
    with server.client() as c:
        r = c.get(f"/api/v1/votes/{vote.id}/locals/44/credentials/{listed}")
        assert r.status_code == 200 and r.json() == {"local": "44", "listed": True}
        _error(c.get(f"/api/v1/votes/{vote.id}/locals/80/credentials/{listed}"), 404, "unknown-credential")
        stranger = json.loads(vote.stranger_ballot("44"))["credential"]
        _error(c.get(f"/api/v1/votes/{vote.id}/locals/44/credentials/{stranger}"), 404, "unknown-credential")
        _error(
            c.get(f"/api/v1/votes/{vote.id}/locals/44/credentials/{'9' * 5000}"), 404, "unknown-credential"
        )
        _error(c.get(f"/api/v1/votes/{vote.id}/locals/99/credentials/{listed}"), 404, "not-found")
        _error(c.get(f"/api/v1/votes/no-such-vote/locals/44/credentials/{listed}"), 404, "not-found")


def test_cast_then_board_tracker_and_turnout(server: Server, vote: Vote) -> None:
    letters = vote.letters_of("44")
    with server.client() as c:
        receipts = []
        for letter in letters[:3]:
            r = post_ballot(c, vote.id, vote.ballot(letter, yes=True))
            assert r.status_code == 201, r.text
            receipts.append(r.json())
        assert [set(x) for x in receipts] == [{"tracker", "local", "height"}] * 3
        assert all(x["local"] == "44" for x in receipts)
        page = c.get(f"/api/v1/votes/{vote.id}/board", params={"local": "44", "limit": 2}).json()
        assert [b["tracker"] for b in page["ballots"]] == [x["tracker"] for x in receipts[:2]]
        rest = c.get(
            f"/api/v1/votes/{vote.id}/board", params={"local": "44", "after": page["next_after"]}
        ).json()
        assert [b["tracker"] for b in rest["ballots"]] == [receipts[2]["tracker"]] and rest[
            "next_after"
        ] is None
        for x in receipts:
            found = c.get(f"/api/v1/votes/{vote.id}/board/{x['tracker']}")
            assert found.status_code == 200
            assert found.json()["local"] == "44" and found.json()["height"] == x["height"]
        _error(c.get(f"/api/v1/votes/{vote.id}/board/{'A' * 43}"), 404, "not-found")
        t = c.get(f"/api/v1/votes/{vote.id}/turnout").json()
    by_local = {x["local"]: x for x in t["locals"]}
    assert by_local["44"]["ballots"] == 3 and by_local["44"]["eligible"] == 6
    assert by_local["44"]["turnout"] == pytest.approx(0.5) and by_local["80"]["ballots"] == 0
    assert t["total"] == {"eligible": 12, "ballots": 3, "turnout": pytest.approx(0.25)}
    # no public route names a member
    text = json.dumps(t) + json.dumps(page)
    assert not any(letter.member_id in text or letter.email in text for letter in vote.live.letters)


def test_every_reason_code_and_nothing_changes(env: tuple[Server, Any, Path], vote: Vote) -> None:
    server, db, work = env
    first = vote.letters_of("44")[0]
    with server.client() as c:
        accepted = vote.ballot(first)
        receipt = post_ballot(c, vote.id, accepted)
        assert receipt.status_code == 201
        other = make_vote(db, work, f"o-{uuid.uuid4().hex[:8]}")
        tampered = json.loads(vote.ballot(vote.letters_of("44")[1]))
        proof = tampered["signature"]["proof"]
        proof["response"] = proof["challenge"]
        cases = [
            (json.dumps({"election_uuid": vote.elections["44"].uuid, "answers": []}), 422, "invalid"),
            (json.dumps(tampered), 422, "invalid"),
            (other.ballot(other.letters_of("44")[0]), 422, "wrong-election"),
            (vote.stranger_ballot("80"), 403, "unknown-credential"),
            (vote.ballot(first, yes=False), 409, "revote"),
        ]
        before = board_state(db)
        for raw, status, code in cases:
            _error(post_ballot(c, vote.id, raw), status, code)
        # an identical re-send (its acknowledgement lost) gets the original receipt, and appends nothing
        again = post_ballot(c, vote.id, accepted)
        assert again.status_code == 201 and again.json() == receipt.json()
        assert board_state(db) == before

        late = make_vote(db, work, f"l-{uuid.uuid4().hex[:8]}", opens_in=timedelta(days=1))
        _error(post_ballot(c, late.id, late.ballot(late.letters_of("44")[0])), 409, "not-open-yet")
        tally.close_and_tally(db, vote.id, datetime.now(UTC), early=True)
        before = board_state(db)
        _error(post_ballot(c, vote.id, vote.ballot(vote.letters_of("80")[0])), 409, "closed")
        assert board_state(db) == before


def test_bad_bodies(server: Server, vote: Vote, env: tuple[Server, Any, Path]) -> None:
    db = env[1]
    url = f"/api/v1/votes/{vote.id}/ballots"
    ok = vote.ballot(vote.letters_of("80")[0])
    before = board_state(db)
    with server.client() as c:
        _error(c.post(url, content=ok, headers={"content-type": "text/plain"}), 415, "unsupported-media-type")
        _error(c.post(url, content=ok.encode()), 415, "unsupported-media-type")
        big = b'{"pad": "' + b"x" * (64 * 1024) + b'"}'
        _error(post_ballot(c, vote.id, big), 413, "too-large")

        def chunks() -> Iterator[bytes]:  # no Content-Length: the streamed size is what counts
            yield b'{"pad": "'
            for _ in range(80):
                yield b"x" * 1024
            yield b'"}'

        r = c.post(url, content=chunks(), headers={"content-type": "application/json"})
        assert "content-length" not in r.request.headers
        _error(r, 413, "too-large")
        _error(post_ballot(c, vote.id, b"{not json"), 422, "invalid")
        _error(post_ballot(c, vote.id, b"[1, 2]"), 422, "invalid")
        _error(post_ballot(c, vote.id, b"\xff\xfe{}"), 422, "invalid")
        _error(post_ballot(c, vote.id, b"[" * 30000 + b"]" * 30000), 422, "invalid")
        _error(post_ballot(c, vote.id, b'{"election_uuid": 5}'), 422, "invalid")
        _error(post_ballot(c, vote.id, b'{"election_uuid": "no-such-election"}'), 422, "wrong-election")
        assert (
            post_ballot(
                c, vote.id, ok, headers={"content-type": "application/json; charset=utf-8"}
            ).status_code
            == 201
        )
    after = board_state(db)
    assert len(after[1]) == len(before[1]) + 1  # only the good ballot went in


def test_concurrent_casts_with_one_credential_exactly_one_wins(server: Server, vote: Vote) -> None:
    letter = vote.letters_of("80")[2]
    ballots = [vote.ballot(letter, yes=i % 2 == 0) for i in range(8)]
    with server.client() as c, ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda raw: post_ballot(c, vote.id, raw), ballots))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 7, [r.text for r in responses]
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"revote"}
    with vote.db() as s:
        n = s.scalar(
            select(func.count())
            .select_from(models.Ballot)
            .join(models.Election, models.Election.id == models.Ballot.election_id)
            .where(models.Election.vote_id == vote.id)
        )
    assert n == 1


def test_archive_streams_the_board_as_exported(server: Server, vote: Vote, tmp_path: Path) -> None:
    with server.client() as c:
        for letter in vote.letters_of("44")[:2]:
            assert post_ballot(c, vote.id, vote.ballot(letter)).status_code == 201
        r = c.get(f"/api/v1/votes/{vote.id}/locals/44/archive")
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    with vote.db() as s:
        el = s.scalar(
            select(models.Election).where(
                models.Election.vote_id == vote.id, models.Election.local_id == "44"
            )
        )
        assert el is not None
        vrow = s.get(models.Vote, vote.id)
        assert vrow is not None
        export_archive(
            s,
            el.id,
            tmp_path / "x.bel",
            int(vrow.created_at.replace(tzinfo=vrow.created_at.tzinfo or UTC).timestamp()),
        )
    assert r.content == (tmp_path / "x.bel").read_bytes()


def test_security_headers_everywhere(server: Server, vote: Vote) -> None:
    with server.client() as c:
        for path in (
            "/api/v1/votes",
            f"/votes/{vote.id}",
            f"/vote/{vote.id}",
            "/console",
            "/api/docs",
            "/openapi.json",
            "/static/site.css",
            "/nowhere",
        ):
            r = c.get(path)
            csp = r.headers["content-security-policy"]
            assert (
                "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
            ), path
            assert (
                r.headers["x-content-type-options"] == "nosniff"
                and r.headers["referrer-policy"] == "no-referrer"
            )
        docs = c.get("/api/docs").text
        assert "<script>" not in docs and "/api/docs/assets/swagger-ui-bundle.js" in docs
        assert c.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
        spec = c.get("/openapi.json").json()
        for path in (
            "/api/v1/votes",
            "/api/v1/votes/{vote}",
            "/api/v1/votes/{vote}/ballots",
            "/api/v1/votes/{vote}/board",
            "/api/v1/votes/{vote}/board/{tracker}",
            "/api/v1/votes/{vote}/turnout",
            "/api/v1/votes/{vote}/locals/{local}/election",
            "/api/v1/votes/{vote}/locals/{local}/archive",
            "/api/v1/votes/{vote}/bundle/{file}",
        ):
            assert path in spec["paths"], path
        post = spec["paths"]["/api/v1/votes/{vote}/ballots"]["post"]
        assert {"201", "403", "409", "413", "415", "422", "503"} <= set(post["responses"])


def test_request_bodies_are_never_logged(server: Server, vote: Vote) -> None:
    raw = vote.ballot(vote.letters_of("80")[3])
    signature = json.loads(raw)["signature"]["proof"]["response"]
    with server.client() as c:
        assert post_ballot(c, vote.id, raw).status_code == 201
        _error(post_ballot(c, vote.id, b'{"secret-marker-in-body": 1}'), 422, "invalid")
    log = server.output()
    assert f"/api/v1/votes/{vote.id}/ballots" in log  # the request line is logged...
    assert signature not in log and "secret-marker-in-body" not in log  # ...the body never
