"""Helpers of the reliability suite: a server in its own process group (so that SIGKILL takes its workers too),
bursts of concurrent clients, and what the board says."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from server_kit import Server, free_port, start_server
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models

JSON = {"content-type": "application/json"}


@dataclass
class GroupServer(Server):
    """A server whose whole process tree (uvicorn's supervisor and its workers) is one process group."""

    def kill(self) -> None:
        """A crash: SIGKILL to every process of the server at once."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # no orphaned worker keeps the database open
        except ProcessLookupError:
            pass
        return self.proc.returncode

    def pids(self) -> list[int]:
        """The supervisor and its workers."""
        out = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True, check=False)
        return [int(x) for x in out.stdout.split()]


def start_group_server(
    db_url: str,
    workdir: Path,
    *,
    workers: int = 2,
    env: dict[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
) -> GroupServer:
    return start_server(
        db_url, workdir, workers=workers, env=env, kind=GroupServer, new_session=True, preexec=preexec
    )


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read whole."""

    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def burst(server: Server, vote_id: str, raws: Sequence[str]) -> list[Answer]:
    """Every ballot posted at the same moment, each from its own connection, opened before the start.

    ``http.client`` rather than one ``httpx.Client`` per ballot: a burst of 50 then costs the test process a few
    milliseconds of CPU instead of half a second, so the trials measure the server, not the test."""
    where = urlsplit(server.base)
    start = threading.Barrier(len(raws), timeout=60)  # a client that cannot connect breaks it: no hang

    def one(raw: str) -> Answer:
        conn = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
        try:
            conn.connect()
            start.wait()
            conn.request("POST", f"/api/v1/votes/{vote_id}/ballots", raw.encode(), JSON)
            reply = conn.getresponse()
            return Answer(reply.status, reply.read().decode())
        finally:
            conn.close()

    with ThreadPoolExecutor(len(raws)) as pool:
        return list(pool.map(one, raws))


def ballot_rows(db: sessionmaker[Session], election_id: int | None = None) -> list[Any]:
    with db() as s:
        q = select(models.Ballot.election_id, models.Ballot.credential, models.Ballot.seq, models.Ballot.tracker,
                   models.Ballot.height)  # fmt: skip
        if election_id is not None:
            q = q.where(models.Ballot.election_id == election_id)
        return list(s.execute(q))


def election_ids(db: sessionmaker[Session], vote_id: str) -> dict[str, int]:
    with db() as s:
        return {
            el.local_id: el.id
            for el in s.scalars(select(models.Election).where(models.Election.vote_id == vote_id))
        }


def end_heights(db: sessionmaker[Session], vote_id: str) -> dict[int, int]:
    """Each election's EndBallots height."""
    with db() as s:
        rows = s.execute(
            select(models.Event.election_id, models.Event.height)
            .join(models.Election, models.Election.id == models.Event.election_id)
            .where(models.Election.vote_id == vote_id, models.Event.type == "EndBallots")
        )
        return {eid: h for eid, h in rows}


def decrypt_publish_verify(db: sessionmaker[Session], vote_id: str, live: Any, out: Path) -> Any:
    """After the close: two trustees decrypt, the result is published, and the bundle verifies whole (the hash
    chains, every ballot, ``tally.num-tallied``, the result).  Returns the decrypted counts."""
    from strikevote.crypto.randomness import SystemRandomness
    from strikevote.report import write_report
    from strikevote.services import results, trustees
    from strikevote.verify.bundle import verify_bundle

    rng = SystemRandomness()
    for key in live.keys[:2]:
        trustees.partial_decrypt(db, vote_id, key, rng, passphrase=live.passphrases[key])
    counts = results.decrypt_results(db, vote_id)
    outcome = results.publish(db, vote_id, out)
    report = verify_bundle(out, jobs=1)
    assert report.valid, [f"{c.name}: {c.detail}" for c in report.failures]
    write_report(out, outcome.result, [(c.name, c.passed, c.detail) for c in report.checks])
    return counts


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb, pg_ctl, a free port), so that it can be restarted without
    touching any other server.  Run as the ``postgres`` system user when the tests run as root."""

    def __init__(self, root: Path) -> None:
        import glob
        import pwd
        import shutil

        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
        self.bindir = next((Path(b) for b in bins if Path(b, "pg_ctl").exists()), None)
        if self.bindir is None and shutil.which("pg_ctl"):
            self.bindir = Path(shutil.which("pg_ctl") or "").parent
        if self.bindir is None:
            raise AssertionError("no initdb/pg_ctl (scripts/bootstrap.sh --with-postgres)")
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.as_pg: list[str] = []
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")  # with-postgres.sh / bootstrap create it
            os.chown(root, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        root.chmod(0o700)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "-N"
        )

    def _run(self, tool: str, *args: str) -> None:
        assert self.bindir is not None
        proc = subprocess.run([*self.as_pg, str(self.bindir / tool), *args], capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"{tool} failed: {proc.stdout}{proc.stderr}")

    def _ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "120",
                  "-o", opts, *extra, action)  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """Stop (fast: connections are cut, as in a failover) and start again."""
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        try:
            self._ctl("stop", "-m", "immediate")
        except AssertionError:
            pass

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self) -> Any:
        """A psycopg connection (autocommit) to the cluster's ``postgres`` database."""
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                               autocommit=True)  # fmt: skip

    def create_database(self, name: str, *, tablespace: str | None = None) -> str:
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TABLESPACE "{tablespace}"' if tablespace else ""))
        return self.url(name)
