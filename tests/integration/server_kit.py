"""Helpers of the server's tests: a real ``strikevote serve`` on a free port, and votes to cast into.

Imported by the test modules of this directory (pytest puts the directory of a test file on ``sys.path``).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.ballot import create_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.crypto.credentials import derive_secret, generate_credential
from strikevote.crypto.randomness import SystemRandomness
from strikevote.demo.live import LiveVote, open_vote
from strikevote.services import votes
from strikevote.services.credentials import Letter

STRIKEVOTE = Path(sys.executable).with_name("strikevote")
LOCALS = {"44": ("Local 44", 6), "80": ("Local 80", 6)}
START_TIMEOUT = 240  # s: workers start slowly on a loaded machine
POLL = 0.05  # s between two looks at a starting server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def client(self, **kw: object) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60, **kw)  # type: ignore[arg-type]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")


S = TypeVar("S", bound=Server)


def start_server(
    db_url: str,
    workdir: Path,
    *,
    workers: int = 1,
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
    kind: type[S] = Server,  # type: ignore[assignment]
    new_session: bool = False,
    preexec: Callable[[], None] | None = None,
) -> S:
    """``strikevote serve`` on a free port, once it answers (``new_session``: in a process group of its own)."""
    port = free_port()
    log = workdir / f"server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(STRIKEVOTE), "serve", "--db", db_url, "--port", str(port), "--workers", str(workers),
             *(extra or [])],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=new_session,
            preexec_fn=preexec,
        )  # fmt: skip
    server = kind(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server.stop()  # a process group: no orphaned worker left behind
            raise AssertionError(f"the server exited {proc.returncode}:\n{server.output()[-3000:]}")
        try:
            if httpx.get(f"{server.base}/api/v1/votes", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(POLL)
    server.stop(signal.SIGKILL)
    raise AssertionError(f"the server did not answer within {START_TIMEOUT} s:\n{server.output()[-3000:]}")


@dataclass
class Vote:
    """An open vote in the server's database, and what its members hold."""

    db: sessionmaker[Session]
    live: LiveVote
    elections: dict[str, ElectionParams] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.live.vote_id

    def letters_of(self, local: str) -> list[Letter]:
        return sorted((x for x in self.live.letters if x.local_id == local), key=lambda x: x.member_id)

    def ballot(self, letter: Letter, yes: bool = True) -> str:
        return self.ballot_with(self.elections[letter.local_id], letter.credential, yes)

    def ballot_with(self, election: ElectionParams, credential: str, yes: bool = True) -> str:
        secret = derive_secret(election.group, election.uuid, credential)
        return create_ballot(election, secret, [[1, 0] if yes else [0, 1]], SystemRandomness()).raw

    def stranger_ballot(self, local: str) -> str:
        return self.ballot_with(self.elections[local], generate_credential(SystemRandomness()), True)


def make_vote(
    db: sessionmaker[Session],
    work: Path,
    vote_id: str,
    *,
    revote: str = "forbidden",
    opens_in: timedelta = timedelta(hours=-1),
    group: str = "Ed25519",
    locals_: dict[str, tuple[str, int]] | None = None,
) -> Vote:
    live = open_vote(
        db,
        work / vote_id,
        vote_id=vote_id,
        locals_=locals_ or LOCALS,
        revote=revote,
        opens_in=opens_in,
        group=group,
        now=datetime.now(UTC).replace(microsecond=0),
    )
    with db() as s:
        els = {el.local_id: ElectionParams.parse(el.election_json) for el in votes.elections(s, vote_id)}
    return Vote(db, live, els)


def post_ballot(client: httpx.Client, vote_id: str, raw: str | bytes, **kw: object) -> httpx.Response:
    body = raw.encode() if isinstance(raw, str) else raw
    headers = {"content-type": "application/json", **kw.pop("headers", {})}  # type: ignore[dict-item]
    return client.post(f"/api/v1/votes/{vote_id}/ballots", content=body, headers=headers, **kw)  # type: ignore[arg-type]


def add_official(db_url: str, name: str, password: str) -> None:
    proc = subprocess.run(
        [str(STRIKEVOTE), "official", "add", name, "--db", db_url],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def csrf_of(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m, page
    return m.group(1)


def login(c: httpx.Client, name: str, password: str) -> httpx.Response:
    token = csrf_of(c.get("/console").text)
    r = c.post("/console/login", data={"csrf_token": token, "username": name, "password": password})
    assert r.status_code == 303, r.text
    return r
