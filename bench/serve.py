"""HTTP casting benchmark: ``strikevote serve`` against the in-process ballot box, on the same ballots
(DESIGN.md §9, issue 8: HTTP ≥ 70 % of the in-process rate with PostgreSQL and 2 workers, p99 ≤ 500 ms).

    .venv/bin/python bench/serve.py [--ballots 2000] [--db sqlite,postgresql] [--workers 1,2] [--clients 50]
                                    [--client threads|httpx] [--jobs 2] [--preset iatse-2021] [--group Ed25519]

For each database a vote is set up once through the services (as ``bench/ballotbox.py`` does: the preset's 13
locals, 2-of-3 key ceremony, credentials) and N ballots for distinct members are encrypted in advance.  The
database is then copied (SQLite: the file; PostgreSQL: ``CREATE DATABASE … TEMPLATE``) so that every mode
casts exactly the same ballots into exactly the same vote:

* **in-process**: ``ballotbox.cast`` from ``--jobs`` client processes at once (each with its own connection
  pool): the ballot box without HTTP, as ``bench/ballotbox.py``'s "cast from N concurrent clients";
* **HTTP, W workers**: ``strikevote serve --workers W`` and ``--clients`` concurrent HTTP clients (threads,
  each with one keep-alive ``http.client`` connection; ``--client httpx`` for one asyncio httpx process) POSTing the raw ballots to ``/api/v1/votes/{vote}/ballots``; a ballot counts when the answer
  is 201 (verified and committed).  Latency is per request, from send to the complete answer.

Printed: ballots/s of each mode, p50/p95/p99 latency, the HTTP/in-process ratio and the load other processes
put on the machine meanwhile.  Figures go to ``bench/results/serve-<date>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import multiprocessing
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from ballotbox import Timed, _client_cast, _client_init, _client_ready, make_ballots, quiet, setup_vote
from common import BENCH, STRIKEVOTE, cores, machine, today, write_json
from e2e import pg_server_url, pg_settings
from rich.console import Console
from rich.table import Table

from strikevote.services import ballotbox

console = Console(width=None if sys.stdout.isatty() else 160)
log = console.print
TARGET_RATIO, TARGET_P99_MS = 0.70, 500.0


# --- databases: one set-up, identical copies ------------------------------------------------------------


class Databases:
    """The base database of one kind and its copies, removed at the end."""

    def __init__(self, kind: str, work: Path) -> None:
        self.kind, self.work = kind, work
        self.pg_names: list[str] = []
        if kind == "postgresql":
            from sqlalchemy.engine import make_url

            self.server = make_url(pg_server_url())
            self.base = self._pg_create(f"bench_serve_{os.getpid()}_base")
        else:
            self.base = f"sqlite:///{work / 'base.sqlite3'}"

    def _admin(self) -> Any:
        import psycopg

        s = self.server
        return psycopg.connect(
            host=s.host, port=s.port, user=s.username, password=s.password, dbname=s.database or "postgres",
            autocommit=True,
        )  # fmt: skip

    def _pg_create(self, name: str, template: str | None = None) -> str:
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if template is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            else:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )
        self.pg_names.append(name)
        return str(self.server.set(database=name).render_as_string(hide_password=False))

    def copy(self, label: str) -> str:
        """A copy of the base as it stands (every connection to the base must be closed)."""
        if self.kind == "postgresql":
            return self._pg_create(f"bench_serve_{os.getpid()}_{label}", template=self.pg_names[0])
        src = self.work / "base.sqlite3"
        dst = self.work / f"{label}.sqlite3"
        import sqlite3

        with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
            a.backup(b)  # consistent even with the WAL not yet checkpointed
        return f"sqlite:///{dst}"

    def drop_all(self) -> None:
        if self.kind != "postgresql":
            return
        from psycopg import sql

        with self._admin() as conn:
            for name in self.pg_names:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- the two casting modes ------------------------------------------------------------------------------


def in_process(url: str, vote_id: str, raws: list[str], jobs: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=_client_init, initargs=(url,)) as clients:
        clients.map(_client_ready, range(4 * jobs), chunksize=1)
        quiet()
        with Timed() as t:
            ok = sum(clients.imap_unordered(_client_cast, [(vote_id, r, now) for r in raws], chunksize=8))
    return _figures(len(raws), ok, t, [])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, workers: int, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    logf = (work / f"serve-{port}.log").open("wb")
    proc = subprocess.Popen(
        [
            str(STRIKEVOTE),
            "serve",
            "--db",
            url,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
        ],
        stdout=logf,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"serve exited {proc.returncode}: {(work / f'serve-{port}.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/api/v1/votes", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    sys.exit("serve did not start within 120 s")


def _post_all_threads(
    base: str, vote_id: str, raws: list[str], clients: int, keep_alive: bool
) -> tuple[int, list[float], dict[int, int], list[int]]:
    """``clients`` threads with ``http.client``: the client costs well under a millisecond of CPU per request,
    so what is measured is the server (httpx's asyncio client spent 7–8 ms of CPU per request and was itself
    the bottleneck on 2 cores).  Each ballot on a connection of its own, as distinct members' browsers would
    send them (the connection is part of the latency), unless ``keep_alive``: then each thread keeps one
    connection for all its ballots, and a worker that happens to hold more of the 50 connections keeps them
    to the end (see bench/README.md)."""
    work: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    for r in raws:
        work.put(r.encode())
    host, port = base.removeprefix("http://").split(":")
    path = f"/api/v1/votes/{vote_id}/ballots"
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    finished: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter()

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        mine: list[float] = []
        ends: list[float] = []
        codes: dict[int, int] = {}
        try:
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                t0 = time.perf_counter()
                code = 0
                for _attempt in range(3):
                    try:
                        conn.request("POST", path, body, {"content-type": "application/json"})
                        resp = conn.getresponse()
                        resp.read()
                    except (OSError, http.client.HTTPException):
                        # a keep-alive connection closed under us: send again (an identical re-send of a
                        # ballot already committed is answered with its receipt, so nothing is cast twice)
                        codes[-1] = codes.get(-1, 0) + 1
                        conn.close()
                        conn = http.client.HTTPConnection(host, int(port), timeout=120)
                        continue
                    code = resp.status
                    break
                if not keep_alive:
                    conn.close()  # the next ballot is another member's: a new connection
                done = time.perf_counter()
                mine.append(done - t0)
                ends.append(done)
                codes[code] = codes.get(code, 0) + 1
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                finished.extend(ends)
                for k, v in codes.items():
                    statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return statuses.get(201, 0), latencies, statuses, _per_second(start, finished)


def _per_second(start: float, finished: list[float]) -> list[int]:
    """Answers completed in each second of the run: whether the rate is sustained or sags."""
    counts = [0] * (int(max(finished, default=start) - start) + 1)
    for t in finished:
        counts[int(t - start)] += 1
    return counts


async def _post_all_httpx(
    base: str, vote_id: str, raws: list[str], clients: int
) -> tuple[int, list[float], dict[int, int], list[int]]:
    """The same load from one asyncio process with httpx (``--client httpx``), kept for comparison."""
    pending: asyncio.Queue[bytes] = asyncio.Queue()
    for r in raws:
        pending.put_nowait(r.encode())
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    finished: list[float] = []
    start = time.perf_counter()
    url = f"/api/v1/votes/{vote_id}/ballots"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as c:

        async def client() -> None:
            while True:
                try:
                    body = pending.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                code = 0
                for _attempt in range(3):
                    try:
                        r = await c.post(url, content=body, headers={"content-type": "application/json"})
                    except httpx.TransportError:
                        statuses[-1] = statuses.get(-1, 0) + 1
                        continue
                    code = r.status_code
                    break
                finished.append(time.perf_counter())
                latencies.append(finished[-1] - t0)
                statuses[code] = statuses.get(code, 0) + 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return statuses.get(201, 0), latencies, statuses, _per_second(start, finished)


def over_http(
    url: str,
    vote_id: str,
    raws: list[str],
    workers: int,
    clients: int,
    work: Path,
    client: str,
    keep_alive: bool,
) -> dict[str, Any]:
    proc, base = _start(url, workers, work)
    try:
        # warm every worker (imports, election parsing) with reads that change nothing
        asyncio.run(_warm(base, vote_id, 8 * workers))
        quiet()
        with Timed() as t:
            if client == "httpx":
                ok, latencies, statuses, per_second = asyncio.run(
                    _post_all_httpx(base, vote_id, raws, clients)
                )
            else:
                ok, latencies, statuses, per_second = _post_all_threads(
                    base, vote_id, raws, clients, keep_alive
                )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    res = _figures(len(raws), ok, t, latencies)
    res["statuses"] = {str(k): v for k, v in sorted(statuses.items())}
    res["per_second"] = per_second
    return res


async def _warm(base: str, vote_id: str, n: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        await asyncio.gather(*(c.get(f"/api/v1/votes/{vote_id}") for _ in range(n)))


def _figures(n: int, ok: int, t: Timed, latencies: list[float]) -> dict[str, Any]:
    res: dict[str, Any] = {
        "ballots": n,
        "accepted": ok,
        "wall_s": t.wall,
        "per_s": ok / t.wall,  # statuses (HTTP): -1 counts transport errors retried, 0 ballots given up
        "ours_cores": t.ours_cores,
        "other_load": t.other_load,
    }
    if latencies:
        q = statistics.quantiles(latencies, n=100, method="inclusive")
        res.update(p50_ms=1000 * statistics.median(latencies), p95_ms=1000 * q[94], p99_ms=1000 * q[98])
    return res


def _line(label: str, r: dict[str, Any]) -> None:
    lat = (
        f", p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms"
        if "p99_ms" in r
        else ""
    )
    flag = (
        f", [yellow]contended: others used {r['other_load']:.2f} cores[/yellow]"
        if r["other_load"] > 0.25
        else ""
    )
    log(
        f"  {label}: {r['accepted']:,}/{r['ballots']:,} in {r['wall_s']:.2f} s = [bold]{r['per_s']:.0f}/s[/bold]{lat}{flag}"
    )


def bench_db(kind: str, args: argparse.Namespace, workers: list[int]) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"bench-serve-{kind}-"))
    dbs = Databases(kind, work)
    try:
        t0 = time.perf_counter()
        db, vote_id, letters = setup_vote(dbs.base, work, int(args.ballots / 0.9) + 50, args)
        letters = letters[: args.ballots]
        if len(letters) < args.ballots:
            sys.exit(f"serve bench: only {len(letters)} credentials for {args.ballots} ballots")
        with ballotbox.worker_pool(args.jobs) as pool:
            raws = make_ballots(db, vote_id, letters, pool, args.seed)
        db.kw["bind"].dispose()
        log(
            f"[bold]{kind}[/bold]: vote set up and {len(raws):,} ballots encrypted in {time.perf_counter() - t0:.1f} s"
        )
        res: dict[str, Any] = {"db": kind, "ballots": len(raws)}
        res["in_process"] = in_process(dbs.copy("inproc"), vote_id, raws, args.jobs)
        _line(f"in-process ballot box, {args.jobs} processes", res["in_process"])
        for w in workers:
            r = over_http(
                dbs.copy(f"http{w}"), vote_id, raws, w, args.clients, work, args.client, args.keep_alive
            )
            r["ratio_to_in_process"] = r["per_s"] / res["in_process"]["per_s"]
            res[f"http_{w}"] = r
            _line(f"HTTP, {w} worker(s), {args.clients} clients", r)
        return res
    finally:
        dbs.drop_all()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--ballots", type=int, default=2000)
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--workers", default="1,2", help="server worker counts to run")
    ap.add_argument("--clients", type=int, default=50, help="concurrent HTTP clients")
    ap.add_argument(
        "--client", choices=("threads", "httpx"), default="threads", help="the HTTP load generator"
    )
    ap.add_argument(
        "--keep-alive",
        action="store_true",
        help="threads client: each client keeps one connection for all its ballots (default: one per ballot)",
    )
    ap.add_argument("--jobs", type=int, default=2, help="in-process casting processes (and encryption pool)")
    ap.add_argument("--preset", default="iatse-2021")
    ap.add_argument("--group", default="Ed25519")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--json", type=Path, default=None, help="output (default bench/results/serve-<date>.json)"
    )
    args = ap.parse_args(argv)
    kinds = [x.strip() for x in args.db.split(",") if x.strip()]
    workers = [int(x) for x in args.workers.split(",") if x.strip()]
    rows = [bench_db(k, args, workers) for k in kinds]

    t = Table(
        title=f"HTTP casting vs the in-process ballot box ({cores()} cores, {args.ballots:,} ballots, {args.clients} clients)"
    )
    for col in ("db", "mode", "ballots/s", "× in-process", "p50 ms", "p95 ms", "p99 ms", "target"):
        t.add_column(col, justify="left" if col in ("db", "mode") else "right")
    for r in rows:
        ip = r["in_process"]
        t.add_row(r["db"], f"in-process, {args.jobs} processes", f"{ip['per_s']:.0f}", "1.00", "", "", "", "")
        for w in workers:
            h = r[f"http_{w}"]
            ok = h["ratio_to_in_process"] >= TARGET_RATIO and h["p99_ms"] <= TARGET_P99_MS
            t.add_row(
                r["db"],
                f"HTTP, {w} worker(s)",
                f"{h['per_s']:.0f}",
                f"{h['ratio_to_in_process']:.2f}",
                f"{h['p50_ms']:.0f}",
                f"{h['p95_ms']:.0f}",
                f"{h['p99_ms']:.0f}",
                ("[green]met[/green]" if ok else "[red]missed[/red]")
                if r["db"] == "postgresql" and w == 2
                else "",
            )
    console.print(t)
    out = args.json or BENCH / "results" / f"serve-{today()}.json"
    write_json(
        out,
        {
            "benchmark": "serve",
            "date": today(),
            "command": " ".join([".venv/bin/python", "bench/serve.py", *(argv or sys.argv[1:])]),
            "machine": machine(),
            "postgresql": pg_settings(pg_server_url()) if "postgresql" in kinds else None,
            "group": args.group,
            "clients": args.clients,
            "client": args.client,
            "connections": "keep-alive" if args.keep_alive else "one per ballot",
            "targets": {"ratio_pg_2_workers": TARGET_RATIO, "p99_ms": TARGET_P99_MS},
            "results": rows,
        },
    )
    log(f"figures: {out}")


if __name__ == "__main__":
    main()
