"""Soak: many clients casting (and reading) against a real ``strikevote serve`` for a long time.

    .venv/bin/python bench/soak.py [--clients 50] [--seconds 120] [--members 3000] [--db sqlite|postgresql]
                                   [--workers 2] [--json OUT]

Sets a vote up through the services (``--members`` split between two locals, forbidden revoting), encrypts one
ballot per member in a process pool, starts the server, then ``--clients`` threads each loop: cast the next
fresh ballot (or, once all are cast, re-send an earlier one: the idempotent path), look the receipt up on the
board, and every tenth time read the turnout.  Reports throughput per 10-second window, p50/p99 latency of
casts, the server's memory (summed RSS of the supervisor and its workers, sampled each second) over time, and
every error.  A run of the issue's size: ``--members 60000 --seconds 1800 --db postgresql`` (PostgreSQL needs
``STRIKEVOTE_TEST_PG_URL``, as under ``scripts/with-postgres.sh``; a database is created and dropped).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

WINDOW = 10.0


@dataclass
class SoakResult:
    clients: int
    seconds: float
    casts: int = 0
    resends: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)
    cast_p50_ms: float = 0.0
    cast_p99_ms: float = 0.0
    per_window: list[int] = field(default_factory=list)  # casts acknowledged per WINDOW seconds
    rss_mib: list[float] = field(default_factory=list)  # the server's memory, one sample a second

    def memory_growth(self) -> float:
        """Median memory of the last quarter of the run over that of the second quarter (after warm-up)."""
        n = len(self.rss_mib)
        if n < 8:
            return 1.0
        early = statistics.median(self.rss_mib[n // 4 : n // 2])
        late = statistics.median(self.rss_mib[3 * n // 4 :])
        return late / early


def _ballot(args: tuple[str, str]) -> str:
    from strikevote.belenios.ballot import create_ballot
    from strikevote.belenios.election import ElectionParams
    from strikevote.crypto.credentials import derive_secret
    from strikevote.crypto.randomness import SystemRandomness

    election_json, credential = args
    e = ElectionParams.parse(election_json)
    secret = derive_secret(e.group, e.uuid, credential)
    return create_ballot(e, secret, [[1, 0] if random.random() < 0.7 else [0, 1]], SystemRandomness()).raw


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def soak(
    db_url: str, work: Path, *, clients: int, seconds: float, members: int, workers: int = 2
) -> SoakResult:
    from rel_kit import start_group_server
    from server_kit import post_ballot

    from strikevote.db.engine import open_db
    from strikevote.demo.live import open_vote
    from strikevote.services import votes

    db = open_db(db_url)
    half = max(1, members // 2)
    live = open_vote(
        db,
        work / "vote",
        vote_id=f"soak-{uuid.uuid4().hex[:6]}",
        locals_={"44": ("A", half), "80": ("B", half)},
    )
    with db() as s:
        ej = {el.local_id: el.election_json for el in votes.elections(s, live.vote_id)}
    db.kw["bind"].dispose()
    jobs = [(ej[x.local_id], x.credential) for x in live.letters]
    with multiprocessing.get_context("fork").Pool() as pool:
        fresh = pool.map(_ballot, jobs, chunksize=32)
    server = start_group_server(db_url, work, workers=workers)
    result = SoakResult(clients, seconds)
    lock = threading.Lock()
    cast_times: list[tuple[float, float]] = []  # (when, latency)
    sent: list[str] = []
    stop = time.monotonic() + seconds
    t0 = time.monotonic()

    def client(i: int) -> None:
        rnd = random.Random(i)
        with server.client() as c:
            n = 0
            while time.monotonic() < stop:
                with lock:
                    resend = not fresh
                    raw = fresh.pop() if fresh else (rnd.choice(sent) if sent else None)
                if raw is None:
                    return
                start = time.monotonic()
                try:
                    r = post_ballot(c, live.vote_id, raw)
                except Exception as exc:  # a transport error is an error of the soak
                    with lock:
                        result.errors.append(f"cast: {type(exc).__name__}: {exc}")
                    continue
                took = time.monotonic() - start
                if r.status_code != 201:
                    with lock:
                        result.errors.append(f"cast: {r.status_code} {r.text[:200]}")
                    continue
                tracker = r.json()["tracker"]
                with lock:
                    cast_times.append((start - t0, took))
                    if resend:
                        result.resends += 1
                    else:
                        result.casts += 1
                        sent.append(raw)
                n += 1
                paths = [f"/api/v1/votes/{live.vote_id}/board/{tracker}"]
                if n % 10 == 0:
                    paths.append(f"/api/v1/votes/{live.vote_id}/turnout")
                for path in paths:
                    try:
                        code = c.get(path).status_code
                    except Exception as exc:  # counted, not fatal: a dead client thread would hide it
                        with lock:
                            result.errors.append(f"read: {type(exc).__name__}: {exc} ({path})")
                        continue
                    with lock:
                        result.reads += 1
                        if code != 200:
                            result.errors.append(f"read: {code} {path}")

    sampler_stop = threading.Event()

    def sample() -> None:
        while not sampler_stop.wait(1.0):
            result.rss_mib.append(_rss_mib(server.pids()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sampler_stop.set()
        sampler.join()
        server.stop()
    lat = sorted(x[1] for x in cast_times)
    if lat:
        result.cast_p50_ms = 1000 * lat[len(lat) // 2]
        result.cast_p99_ms = 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    windows = int(seconds // WINDOW) + 1
    result.per_window = [sum(1 for when, _ in cast_times if int(when // WINDOW) == w) for w in range(windows)]
    return result


def _pg_database() -> tuple[str, Any]:
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(os.environ["STRIKEVOTE_TEST_PG_URL"])
    name = f"strikevote_soak_{uuid.uuid4().hex[:8]}"

    def admin() -> Any:
        return psycopg.connect(host=server.host, port=server.port, user=server.username, password=server.password,
                               dbname=server.database or "postgres", autocommit=True)  # fmt: skip

    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return server.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--members", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--json", type=Path)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sv-soak-") as tmp:
        work = Path(tmp)
        drop = None
        url = f"sqlite:///{work / 'soak.sqlite3'}"
        if opts.db == "postgresql":
            url, drop = _pg_database()
        try:
            r = soak(url, work, clients=opts.clients, seconds=opts.seconds, members=opts.members,
                     workers=opts.workers)  # fmt: skip
        finally:
            if drop:
                drop()
    print(f"soak: {opts.clients} clients, {opts.seconds:.0f} s, {opts.db}, {opts.workers} workers")
    print(f"  casts acknowledged {r.casts} (+{r.resends} re-sends), reads {r.reads}, errors {len(r.errors)}")
    print(f"  cast latency p50 {r.cast_p50_ms:.0f} ms, p99 {r.cast_p99_ms:.0f} ms")
    print(f"  casts per {WINDOW:.0f} s: {r.per_window}")
    if r.rss_mib:
        print(f"  server memory MiB: start {r.rss_mib[0]:.0f}, max {max(r.rss_mib):.0f}, end {r.rss_mib[-1]:.0f} "
              f"(late/early {r.memory_growth():.2f})")  # fmt: skip
    for e in r.errors[:10]:
        print(f"  error: {e}")
    if opts.json:
        opts.json.write_text(
            json.dumps({"options": vars(opts) | {"json": str(opts.json)}, **asdict(r)}, indent=1)
        )


if __name__ == "__main__":
    main()
