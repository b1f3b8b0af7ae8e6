"""Ballot-box benchmark: verified, durably committed ballots per second (DESIGN.md §9).

    .venv/bin/python bench/ballotbox.py [--ballots 3000] [--db sqlite,postgresql] [--jobs 2] [--batch 500]
                                        [--preset iatse-2021] [--group Ed25519]

For each database, a small vote is set up through the services as ``strikevote demo`` does (roll, vote called,
2-of-3 key ceremony, credential letters; the preset's 13 locals), then 3 × N ballots are encrypted in advance
by a worker pool (N for each casting mode, from distinct credentials).  Then, each on a quiet machine:

* **pure verification**: ``ballotbox.verify_ballot`` (parse every point, ``BallotCheck``: signature and
  proofs) alone, on one core, over the first N ballots: the ceiling of a single-process ballot box;
* **cast**: ``ballotbox.cast`` one ballot at a time — each a transaction that checks the vote is open, verifies
  the ballot, checks the credential and revote policy, appends to the local's hash chain and commits durably
  (SQLite WAL with ``synchronous=FULL``; PostgreSQL with its ``synchronous_commit``) before the receipt;
* **cast, concurrent clients**: another N ballots through ``ballotbox.cast`` from ``--jobs`` client processes at
  once (each with its own connection pool), as a ballot-box server handling simultaneous requests would;
* **cast_batch**: the last N ballots in batches of ``--batch`` through ``ballotbox.cast_batch`` with a
  ``--jobs``-process verification pool (one durable commit per batch).

Printed: verified committed ballots/s for each mode (target ≥ 200/s on 2 cores) and its ratio to the pure
verification rate on one core.  The load other processes put on the machine during each timed step is
reported (PostgreSQL's own backends count as ours).  Figures go to ``bench/results/ballotbox-<date>.json``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, cores, machine, today, wait_quiet, write_json
from e2e import PgDatabase, pg_server_url, pg_settings
from rich.console import Console
from rich.table import Table

from strikevote.crypto.randomness import DeterministicRandomness
from strikevote.db.engine import open_db
from strikevote.demo.runner import _ballot_job, definition_for
from strikevote.demo.scenario import load_scenario
from strikevote.roll import generate_roll, load_roll, write_roll_csv
from strikevote.services import ballotbox, credentials, trustees, votes
from strikevote.services.definition import parse_definition
from strikevote.services.errors import BallotRejected

PASSPHRASE = b"bench trustee passphrase"

console = Console(width=None if sys.stdout.isatty() else 160)
log = console.print
TARGET = 200.0


# --- CPU accounting: ours (this process tree and PostgreSQL's backends) versus everybody else ----------------

_HZ = os.sysconf("SC_CLK_TCK")


def _proc_cpu() -> dict[int, tuple[str, float]]:
    out: dict[int, tuple[str, float]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1 : s.rindex(")")]
        f2 = s[s.rindex(")") + 2 :].split()
        out[int(d)] = (comm, (int(f2[11]) + int(f2[12])) / _HZ)  # utime, stime
    return out


def _tree(root: int) -> set[int]:
    seen, todo = set(), [root]
    while todo:
        pid = todo.pop()
        seen.add(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return seen


def _machine_busy() -> float:
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / _HZ


class Timed:
    """Wall time of a step and the cores that other processes kept busy meanwhile."""

    def __enter__(self) -> Timed:
        self.cpu0 = _proc_cpu()
        self.busy0 = _machine_busy()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        busy = _machine_busy() - self.busy0
        cpu1 = _proc_cpu()
        ours_pids = _tree(os.getpid())
        ours = 0.0
        for pid, (comm, c) in cpu1.items():
            if pid in ours_pids or comm == "postgres":
                ours += c - self.cpu0.get(pid, (comm, 0.0))[1]
        self.ours_cores = ours / self.wall
        self.other_load = max(0.0, busy - ours) / self.wall


# --- concurrent casting clients -----------------------------------------------------------------------------

_CLIENT_DB: Any = None


def _client_init(url: str) -> None:
    global _CLIENT_DB
    _CLIENT_DB = open_db(url)


def _client_ready(_: int) -> bool:
    time.sleep(0.05)
    return _CLIENT_DB is not None


def _client_cast(args: tuple[str, str, datetime]) -> bool:
    try:
        ballotbox.cast(_CLIENT_DB, *args)
    except BallotRejected:
        return False
    return True


# --- set-up -------------------------------------------------------------------------------------------------


def setup_vote(url: str, work: Path, members: int, args: argparse.Namespace) -> tuple[Any, str, list[Any]]:
    """Roll → vote called → key ceremony → credentials, as ``run_demo`` does; returns (db, vote id, letters)."""
    plan = load_scenario(name=args.preset).scaled(members)
    rng = DeterministicRandomness(args.seed)
    pyrng = random.Random(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    db = open_db(url)
    cutoff = (now - timedelta(days=1)).date()
    roll_members = generate_roll(
        [(x.id, x.eligible + x.no_email + x.in_arrears) for x in plan.locals],
        pyrng,
        no_email={x.id: x.no_email for x in plan.locals},
        in_arrears={x.id: x.in_arrears for x in plan.locals},
        cutoff=cutoff,
    )
    write_roll_csv(roll_members, work / "roll.csv")
    roll = load_roll(work / "roll.csv", {x.id for x in plan.locals})
    defn = parse_definition(definition_for(plan, args.group, now), "ballot-box benchmark")
    called = votes.call_vote(db, defn, roll, now)
    keys = [work / f"trustee-{i}.key" for i in (1, 2, 3)]
    for i, k in enumerate(keys, start=1):
        trustees.init_trustee(db, called.vote_id, i, k, rng, passphrase=PASSPHRASE)
    for k in keys:
        trustees.publish_polynomial(db, called.vote_id, k, rng, passphrase=PASSPHRASE)
    for k in keys:
        trustees.finish_trustee(db, called.vote_id, k, rng, passphrase=PASSPHRASE)
    trustees.setup_elections(db, called.vote_id, rng)
    letters = credentials.issue_credentials(db, called.vote_id, work / "outbox", rng, now)
    pyrng.shuffle(letters)
    return db, called.vote_id, letters


def make_ballots(db: Any, vote_id: str, letters: list[Any], pool: Any, seed: int) -> list[str]:
    with db.begin() as s:
        els = {el.local_id: el.election_json for el in votes.elections(s, vote_id)}
    r = random.Random(seed)
    jobs = [
        (els[x.local_id], x.uuid, x.credential, int(r.random() < 0.8), r.getrandbits(63)) for x in letters
    ]
    return pool.map(_ballot_job, jobs, chunksize=16)


def election_json_of(db: Any, vote_id: str) -> dict[str, str]:

    with db.begin() as s:
        return {el.uuid: el.election_json for el in votes.elections(s, vote_id)}


def largest_local(db: Any) -> int:
    from sqlalchemy import func, select

    from strikevote.db import models

    with db.begin() as s:
        q = select(func.count()).select_from(models.Ballot).group_by(models.Ballot.election_id)
        return max(s.scalars(q), default=0)


def election_uuid(raw: str) -> str:
    import json

    return json.loads(raw)["election_uuid"]


def quiet() -> float:
    return wait_quiet(max_wait=180.0, log=log)


def step(label: str, n: int, fn: Callable[[], int]) -> dict[str, Any]:
    """Run ``fn`` (returns how many ballots it accepted) on a quiet machine; its rate and the load of others."""
    quiet()
    with Timed() as t:
        ok = fn()
    rate = ok / t.wall
    flag = (
        f", [yellow]contended: others used {t.other_load:.2f} cores[/yellow]" if t.other_load > 0.25 else ""
    )
    log(
        f"  {label}: {ok:,}/{n:,} ballots in {t.wall:.2f} s = [bold]{rate:.0f}/s[/bold] "
        f"(ours {t.ours_cores:.2f} cores){flag}"
    )
    return {
        "ballots": n,
        "accepted": ok,
        "wall_s": t.wall,
        "per_s": rate,
        "ours_cores": t.ours_cores,
        "other_load": t.other_load,
    }


def bench_db(db_kind: str, args: argparse.Namespace) -> dict[str, Any]:
    n = args.ballots
    work = Path(tempfile.mkdtemp(prefix=f"ballotbox-{db_kind}-"))
    pg: PgDatabase | None = None
    try:
        if db_kind == "postgresql":
            pg = PgDatabase(pg_server_url(), f"bench_bb_{os.getpid()}").__enter__()
            url = pg.url
        else:
            url = f"sqlite:///{work / 'strikevote.db'}"
        # about 92 % of the preset's members are eligible: scale so that there are 3 N + preload credentials
        total = 3 * n + args.preload
        members = int(total / 0.9) + 50
        t0 = time.perf_counter()
        db, vote_id, letters = setup_vote(url, work, members, args)
        if len(letters) < total:
            sys.exit(f"ballotbox: only {len(letters)} credentials for {total} ballots")
        setup_s = time.perf_counter() - t0
        log(
            f"[bold]{db_kind}[/bold]: vote set up ({len(letters):,} credentials, 13 locals) in {setup_s:.1f} s"
        )
        with ballotbox.worker_pool(args.jobs) as pool:
            t0 = time.perf_counter()
            raws = make_ballots(db, vote_id, letters[:total], pool, args.seed)
            make_s = time.perf_counter() - t0
        log(
            f"  {total:,} ballots encrypted in {make_s:.1f} s ({total / make_s:.0f}/s on {args.jobs} processes)"
        )
        seq_raws, conc_raws, batch_raws = raws[:n], raws[n : 2 * n], raws[2 * n : 3 * n]
        preload_raws = raws[3 * n :]
        els = election_json_of(db, vote_id)
        pure_args = [(els[election_uuid(r)], r) for r in seq_raws]
        now = datetime.now(UTC)

        def pure() -> int:
            for a in pure_args:
                ballotbox.verify_ballot(*a)
            return len(pure_args)

        def pure_pool() -> int:
            out = pool2.map(ballotbox._verify_job, pure_args, chunksize=16)
            return sum(not isinstance(o, BallotRejected) for o in out)

        def one_by_one() -> int:
            ok = 0
            for r in seq_raws:
                ballotbox.cast(db, vote_id, r, now)
                ok += 1
            return ok

        def concurrent() -> int:
            jobs = [(vote_id, r, now) for r in conc_raws]
            return sum(clients.imap_unordered(_client_cast, jobs, chunksize=8))

        def batched() -> int:
            ok = 0
            for i in range(0, len(batch_raws), args.batch):
                outs = ballotbox.cast_batch(db, vote_id, batch_raws[i : i + args.batch], now, pool=pool2)
                ok += sum(not isinstance(o, BallotRejected) for o in outs)
            return ok

        res: dict[str, Any] = {
            "db": db_kind,
            "setup_s": setup_s,
            "encrypt_s": make_s,
            "credentials": len(letters),
            "preload": args.preload,
        }
        res["pure_1core"] = step("pure verification, 1 core", n, pure)
        with ballotbox.worker_pool(args.jobs) as pool2:
            pool2.map(ballotbox._verify_job, pure_args[: 4 * args.jobs], chunksize=1)  # start the workers
            res["pure_pool"] = step(f"pure verification, {args.jobs}-process pool", n, pure_pool)
            if preload_raws:
                t0 = time.perf_counter()
                for i in range(0, len(preload_raws), args.batch):
                    ballotbox.cast_batch(db, vote_id, preload_raws[i : i + args.batch], now, pool=pool2)
                res["preload_s"] = time.perf_counter() - t0
                res["largest_local_before"] = largest_local(db)
                log(
                    f"  board preloaded with {len(preload_raws):,} ballots in {res['preload_s']:.1f} s "
                    f"(largest local: {res['largest_local_before']:,} ballots)"
                )
            res["cast"] = step("cast, one durable transaction each", n, one_by_one)
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(args.jobs, initializer=_client_init, initargs=(url,)) as clients:
                clients.map(_client_ready, range(4 * args.jobs), chunksize=1)
                res["cast_concurrent"] = step(f"cast from {args.jobs} concurrent clients", n, concurrent)
            res["cast_batch"] = step(f"cast_batch of {args.batch}, {args.jobs}-process pool", n, batched)
        with db.begin() as s:
            from sqlalchemy import func, select

            from strikevote.db import models

            res["ballots_in_db"] = s.scalar(select(func.count()).select_from(models.Ballot))
        db.kw["bind"].dispose()
        base = res["pure_1core"]["per_s"]
        for k in ("pure_pool", "cast", "cast_concurrent", "cast_batch"):
            res[k]["ratio_to_pure_1core"] = res[k]["per_s"] / base
        return res
    finally:
        if pg is not None:
            pg.__exit__()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--ballots", type=int, default=3000, help="ballots per casting mode")
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--jobs", type=int, default=2, help="processes of the verification pool")
    ap.add_argument(
        "--preload", type=int, default=0, help="ballots cast (by cast_batch) before the timed casting steps"
    )
    ap.add_argument("--batch", type=int, default=500, help="ballots per cast_batch call (as the demo)")
    ap.add_argument("--preset", default="iatse-2021")
    ap.add_argument("--group", default="Ed25519")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--json", type=Path, default=None, help="output (default bench/results/ballotbox-<date>.json)"
    )
    args = ap.parse_args(argv)
    dbs = [x.strip() for x in args.db.split(",") if x.strip()]
    rows = [bench_db(d, args) for d in dbs]

    t = Table(
        title=f"ballot box: verified + durably committed ballots/s ({cores()} cores, {args.ballots:,} each)"
    )
    t.add_column("db")
    t.add_column("pure verify 1 core /s", justify="right")
    t.add_column(f"pure verify pool({args.jobs}) /s", justify="right")
    t.add_column("cast /s", justify="right")
    t.add_column("× pure", justify="right")
    t.add_column(f"cast × {args.jobs} clients /s", justify="right")
    t.add_column("× pure", justify="right")
    t.add_column(f"cast_batch({args.batch}, pool {args.jobs}) /s", justify="right")
    t.add_column("× pure", justify="right")
    t.add_column(f"≥ {TARGET:.0f}/s on {args.jobs} cores", justify="center")
    for r in rows:
        best = max(r["cast_concurrent"]["per_s"], r["cast_batch"]["per_s"])
        t.add_row(
            r["db"],
            f"{r['pure_1core']['per_s']:.0f}",
            f"{r['pure_pool']['per_s']:.0f}",
            f"{r['cast']['per_s']:.0f}",
            f"{r['cast']['ratio_to_pure_1core']:.2f}",
            f"{r['cast_concurrent']['per_s']:.0f}",
            f"{r['cast_concurrent']['ratio_to_pure_1core']:.2f}",
            f"{r['cast_batch']['per_s']:.0f}",
            f"{r['cast_batch']['ratio_to_pure_1core']:.2f}",
            "[green]yes[/green]" if best >= TARGET else "[red]no[/red]",
        )
    console.print(t)
    out = args.json or BENCH / "results" / f"ballotbox-{today()}.json"
    write_json(
        out,
        {
            "benchmark": "ballotbox",
            "date": today(),
            "command": " ".join([".venv/bin/python", "bench/ballotbox.py", *(argv or sys.argv[1:])]),
            "machine": machine(),
            "postgresql": pg_settings(pg_server_url()) if "postgresql" in dbs else None,
            "group": args.group,
            "target_per_s": TARGET,
            "results": rows,
        },
    )
    log(f"figures: {out}")


if __name__ == "__main__":
    main()
