"""Mail benchmark: credential letters delivered per second to a local SMTP sink, the sender's peak memory, and
kill-and-restart trials (DESIGN.md §9: ≥ 200 messages/s; issue 9: memory flat in the number of messages, 0 lost
and 0 sent twice over 10 kill-and-restart trials).

    .venv/bin/python bench/mail.py [--letters 60000] [--small 6000] [--trials 10] [--trial-letters 2000]
                                   [--connections 8] [--json PATH]

Setup (not timed), through the services: a vote with a ``[mail]`` block pointing at the sink, 13 locals, a 1-of-1
trustee, every credential issued into the credential authority's store and its letter queued in the outbox
(SQLite, WAL, ``synchronous=FULL``).  The sink is aiosmtpd in its own process (``tests/integration/smtp_sink.py``),
recording each accepted message's Message-ID.  Then, each on a quiet machine:

* **send**: ``strikevote mail send VOTE --store S`` as a child process under ``/usr/bin/time``: messages/s from
  the sink's first to its last arrival (and, separately, over the command's whole wall time, which adds the
  CLI's start and the Argon2id opening of the store), peak RSS — for ``--small`` and ``--letters`` letters, so
  the two peaks show whether memory is flat in the number of messages;
  the sender's CPU time per message gives a figure that does not depend on the other processes' load;
* **dot span**: the ``--small`` letters again (fresh copies), sent in this process, for the sender's own
  measure of the span between a group's first held dot and the commit that marks the group sent — the only
  moment a kill can send messages twice without the finisher (``strikevote.mail.sender``'s docstring): µs per
  group and the share of the run's time, i.e. the chance that a kill at a random moment lands in it;
* **kill trials**: ``--trials`` times, a fresh copy of every letter is queued; the sender is started, killed with
  SIGKILL once the sink has a random 10–90 % of them, and started again to the end; the sink's Message-IDs of the
  trial are counted: lost = letters never received, duplicated = Message-IDs received twice.

Figures go to ``bench/results/mail-<date>.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH,
    ROOT,
    STRIKEVOTE,
    cores,
    ensure_gnu_time,
    machine,
    run_measured,
    today,
    wait_quiet,
    write_json,
)
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from strikevote.crypto.randomness import DeterministicRandomness
from strikevote.db.engine import open_db
from strikevote.mail import sender
from strikevote.roll import generate_roll, load_roll, write_roll_csv
from strikevote.services import credentials, trustees, votes
from strikevote.services.castore import CAStore
from strikevote.services.definition import parse_definition

console = Console(width=None if sys.stdout.isatty() else 160)
log = console.print
TARGET = 200.0
PASSPHRASE = "bench passphrase, not a secret"
SINK = ROOT / "tests" / "integration" / "smtp_sink.py"


def setup_vote(work: Path, vote_id: str, members: int, port: int) -> tuple[str, Path]:
    """A vote whose every credential letter is queued; the database URL and the store."""
    work.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    locals_ = [(f"L{i:02d}", members // 13 + (1 if i < members % 13 else 0)) for i in range(13)]
    defn = parse_definition(
        {
            "id": vote_id,
            "union": "Bench Union",
            "title": "Mail benchmark",
            "question": "Do you authorize a strike?",
            "notice": (now - timedelta(days=21)).date(),
            "window": {
                "opens": now - timedelta(hours=1),
                "closes": now + timedelta(days=3),
                "timezone": "UTC",
            },
            "trustees": {"n": 1, "k": 1},
            "eligibility": {"cutoff": (now - timedelta(days=1)).date()},
            "locals": [{"id": lid, "name": f"Local {lid}"} for lid, _ in locals_],
            "mail": {
                "from": "Bench Committee <committee@bench.example>",
                "public_url": "https://vote.bench.example",
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
            },
        },
        vote_id,
    )
    rng = DeterministicRandomness(b"bench-mail-" + vote_id.encode())
    roll_path = work / "roll.csv"
    write_roll_csv(
        generate_roll(locals_, random.Random(7), cutoff=(now - timedelta(days=1)).date()), roll_path
    )
    url = f"sqlite:///{work / 'sv.db'}"
    db = open_db(url)
    votes.call_vote(db, defn, load_roll(roll_path, {lid for lid, _ in locals_}), now)
    key = work / "trustee.key"
    trustees.init_trustee(db, vote_id, 1, key, rng, passphrase=PASSPHRASE.encode())
    trustees.publish_polynomial(db, vote_id, key, rng, passphrase=PASSPHRASE.encode())
    trustees.finish_trustee(db, vote_id, key, rng, passphrase=PASSPHRASE.encode())
    trustees.setup_elections(db, vote_id, rng)
    store = CAStore.create(work / "ca.store", PASSPHRASE)
    credentials.issue_credentials(db, vote_id, None, rng, now, store=store)
    bind = db.kw.get("bind")
    if bind is not None:
        bind.dispose()
    return url, store.path


def requeue(url: str, vote_id: str, batch: str) -> int:
    """A fresh copy of every first credential letter, queued (new rows, so new Message-IDs)."""
    db = open_db(url)
    with db.begin() as s:
        n = s.execute(
            text(
                "INSERT INTO outbox (vote_id, member_id, email, local_id, status, created_at, kind, language, "
                "batch, attempts) SELECT vote_id, member_id, email, local_id, 'queued', created_at, kind, "
                "language, :batch, 0 FROM outbox WHERE vote_id = :vote AND kind = 'credential' AND batch IS NULL"
            ),
            {"vote": vote_id, "batch": batch},
        ).rowcount
    db.kw["bind"].dispose()
    return int(n or 0)


def states(url: str, vote_id: str) -> dict[str, int]:
    db = open_db(url)
    with db() as s:
        rows = s.execute(
            text("SELECT status, count(*) FROM outbox WHERE vote_id = :v GROUP BY status"), {"v": vote_id}
        ).all()
    db.kw["bind"].dispose()
    return {k: int(n) for k, n in rows}


def sink_lines(path: Path) -> list[tuple[str, float]]:
    """(Message-ID, arrival time) of every message the sink accepted."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    return [(a, float(b)) for a, b in (line.split() for line in lines if line.count(" ") == 1)]


def sink_ids(path: Path) -> list[str]:
    return [mid for mid, _ in sink_lines(path)]


class LineCounter:
    """Lines in a growing file, reading only what was added since the last call (the kill trials poll it
    every few milliseconds while it holds tens of thousands of lines)."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.lines = path, 0, 0

    def count(self) -> int:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return 0
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        self.lines += complete.count(b"\n")
        return self.lines


def steady_rate(arrivals: list[float]) -> float:
    """Messages per second between the first and the last arrival (process start and store opening excluded)."""
    if len(arrivals) < 2 or arrivals[-1] <= arrivals[0]:
        return 0.0
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def dot_span(url: str, vote_id: str, store: Path, connections: int) -> dict[str, float]:
    """Send what is queued in this process and return the sender's measure of its dot span."""
    db = open_db(url)
    ca = CAStore.open(store, PASSPHRASE)
    t0 = time.perf_counter()
    report = sender.send_pending(db, vote_id, store=ca, connections=connections)
    wall = time.perf_counter() - t0
    db.kw["bind"].dispose()
    return {
        "sent": report.sent,
        "wall_s": wall,
        "messages_per_s": report.sent / wall if wall else 0.0,
        "groups": report.groups,
        "unguarded_s": report.unguarded_s,
        "us_per_group": 1e6 * report.unguarded_s / max(1, report.groups),
        "share": report.unguarded_s / wall if wall else 0.0,
    }


def send_cmd(url: str, vote_id: str, store: Path, connections: int) -> list[str]:
    return [
        str(STRIKEVOTE),
        "mail",
        "send",
        vote_id,
        "--store",
        str(store),
        "--db",
        url,
        "--connections",
        str(connections),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, default=60_000)
    parser.add_argument("--small", type=int, default=6_000)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--trial-letters", type=int, default=2_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    ensure_gnu_time()
    env = {**os.environ, "STRIKEVOTE_CA_PASSPHRASE": PASSPHRASE}
    os.environ["STRIKEVOTE_CA_PASSPHRASE"] = PASSPHRASE  # run_measured passes the environment on
    work = Path(tempfile.mkdtemp(prefix="bench-mail-", dir=args.tmp))
    ids = work / "sink-ids.txt"
    sink = subprocess.Popen([sys.executable, str(SINK), "--ids", str(ids)], stdout=subprocess.PIPE, text=True)
    results: dict[str, Any] = {
        "date": today(),
        "machine": machine(),
        "cores": cores(),
        "target_per_s": TARGET,
    }
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline().split()[1])
        sends = []
        for n in sorted({args.small, args.letters} - {0}):
            vote_id = f"mail-{n}"
            log(f"[bold]{n} letters[/bold]: setting up (credentials issued into the store, letters queued)…")
            t0 = time.perf_counter()
            url, store = setup_vote(work / vote_id, vote_id, n, port)
            log(f"  set up in {time.perf_counter() - t0:.0f} s")
            before = len(sink_ids(ids))
            wait_quiet(log=log)
            run = run_measured(send_cmd(url, vote_id, store, args.connections))
            lines = sink_lines(ids)[before:]
            got = [mid for mid, _ in lines]
            rate = steady_rate(sorted(at for _, at in lines))
            entry = {
                "letters": n,
                "wall_s": run.wall_s,
                "cpu_s": run.cpu_s,
                "messages_per_s": rate,
                "messages_per_s_with_startup": n / run.wall_s if run.wall_s else 0.0,
                # load-independent: the sender's own CPU per message (its whole run, start-up included)
                "messages_per_sender_cpu_s": n / run.cpu_s if run.cpu_s else 0.0,
                "sender_max_rss_kib": run.max_rss_kib,
                "other_load": run.other_load,
                "returncode": run.returncode,
                "received": len(got),
                "distinct": len(set(got)),
                "states": states(url, vote_id),
            }
            sends.append(entry)
            log(
                f"  sent {len(got)} ({len(set(got))} distinct) in {run.wall_s:.1f} s (command start to exit): "
                f"[bold]{rate:.0f} messages/s[/bold] from first to last delivery, "
                f"{n / run.cpu_s if run.cpu_s else 0:.0f} per CPU-second of the sender, "
                f"sender peak RSS {run.max_rss_kib / 1024:.0f} MiB, others' load {run.other_load:.2f} cores"
                + (f", EXIT {run.returncode}: {run.stderr_tail}" if run.returncode else "")
            )
        results["send"] = sends

        if args.small:
            vote_id = f"mail-{args.small}"
            url = f"sqlite:///{work / vote_id / 'sv.db'}"
            queued = requeue(url, vote_id, "span")
            wait_quiet(log=log)
            span = dot_span(url, vote_id, work / vote_id / "ca.store", args.connections)
            results["dot_span"] = {"letters": queued, **span}
            log(
                f"  dot span ({queued} letters in this process, {span['messages_per_s']:.0f}/s): "
                f"{span['us_per_group']:.0f} µs a group of {args.connections}, "
                f"[bold]{100 * span['share']:.2f} %[/bold] of the run: the chance that a kill at a random "
                "moment lands there (the finisher settles it; without one, that group would go out twice)"
            )

        trials = []
        if args.trials:
            vote_id = "mail-trials"
            log(f"[bold]kill-and-restart trials[/bold]: {args.trials} × {args.trial_letters} letters")
            url, store = setup_vote(work / vote_id, vote_id, args.trial_letters, port)
            cmd = send_cmd(url, vote_id, store, args.connections)
            # the letters queued by the issue are sent once, outside the trials
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            pick = random.Random(2026)
            for t in range(1, args.trials + 1):
                queued = requeue(url, vote_id, f"trial-{t}")
                before = len(sink_ids(ids))
                kill_at = int(queued * pick.uniform(0.1, 0.9))
                proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + 300
                arrivals = LineCounter(ids)
                while (
                    arrivals.count() - before < kill_at
                    and proc.poll() is None
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.002)
                killed_after = arrivals.count() - before
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                done = subprocess.run(cmd, env=env, capture_output=True, text=True)
                got = sink_ids(ids)[before:]
                counts = Counter(got)
                trial = {
                    "trial": t,
                    "queued": queued,
                    "killed_after": killed_after,
                    "received": len(got),
                    "lost": queued - len(counts),
                    "duplicated": sum(c - 1 for c in counts.values()),
                    "restart_returncode": done.returncode,
                    "states": states(url, vote_id),
                }
                trials.append(trial)
                log(
                    f"  trial {t}: killed after {killed_after}/{queued} delivered; after the restart "
                    f"{len(counts)} distinct received, lost {trial['lost']}, duplicated {trial['duplicated']}"
                )
        results["kill_trials"] = trials
    finally:
        sink.terminate()
        sink.wait(10)

    table = Table(title="Mail: credential letters to a local aiosmtpd sink")
    for col in (
        "letters",
        "command wall s",
        "messages/s",
        "vs target",
        "per sender CPU s",
        "sender peak RSS",
        "received",
    ):
        table.add_column(col, justify="right")
    for e in results["send"]:
        table.add_row(
            str(e["letters"]),
            f"{e['wall_s']:.1f}",
            f"{e['messages_per_s']:.0f}",
            f"{e['messages_per_s'] / TARGET:.2f}×",
            f"{e['messages_per_sender_cpu_s']:.0f}",
            f"{e['sender_max_rss_kib'] / 1024:.0f} MiB",
            f"{e['received']} ({e['distinct']} distinct)",
        )
    console.print(table)
    if "dot_span" in results:
        span = results["dot_span"]
        log(f"Dot span: {span['us_per_group']:.0f} µs a group, {100 * span['share']:.2f} % of the run's time")
    if results["kill_trials"]:
        lost = sum(t["lost"] for t in results["kill_trials"])
        dup = sum(t["duplicated"] for t in results["kill_trials"])
        log(f"Kill-and-restart: {len(results['kill_trials'])} trials, {lost} lost, {dup} duplicated")
    out = args.json or BENCH / "results" / f"mail-{today()}.json"
    write_json(out, results)
    log(f"Figures written to {out}")
    ok = all(e["returncode"] == 0 and e["distinct"] == e["letters"] == e["received"] for e in results["send"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
