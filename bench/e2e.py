"""End-to-end benchmark: a whole ``strikevote demo`` vote through the real services (DESIGN.md §9).

    .venv/bin/python bench/e2e.py [--members 10000,60000] [--db sqlite,postgresql] [--repeat 1]
                                  [--preset iatse-2021] [--group Ed25519] [--jobs N] [--profile]

For each database and size, ``run_demo`` runs in a fresh child process (``bench/e2e.py --child ...``) under
``/usr/bin/time``, so that its peak memory is its own: roll generated and imported, 2-of-3 key ceremony,
credential letters, every member's ballot encrypted, verified and committed by the ballot box, close, tally,
threshold decryption, bundle, independent verification.  The child writes its phase timings as JSON.

SQLite: a fresh file in the run's temporary output directory.  PostgreSQL: a fresh database ``bench_<pid>_<i>``
on the server of ``$STRIKEVOTE_TEST_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``),
dropped afterwards.

Printed and written to ``bench/results/e2e-<date>.json``: wall time per phase, the total, ballots cast, the
ballot rate of the voting phase (which includes the simulated members *encrypting* their ballots, on the same
cores as the ballot box verifying and committing them), peak RSS (``/usr/bin/time %M``: the largest single
process) and the sampled peak PSS of the whole process tree (the child and its worker pool).  The target is a
60,000-member, 13-local vote in under 5 minutes on 2 cores.  ``--profile`` runs the child under cProfile
(main process only; the worker pool is not profiled) and writes ``bench/results/profiles/e2e-<db>-<n>.prof``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, QUIET, cores, ensure_gnu_time, machine, run_measured, today, wait_quiet, write_json

PHASES = ("roll", "trustees", "credentials", "voting", "tally", "publish", "verify")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_60K_S = 300.0


# --- the child: one demo run ----------------------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    import io

    from rich.console import Console

    from strikevote.demo.runner import run_demo
    from strikevote.demo.scenario import load_scenario

    plan = load_scenario(name=args.preset).scaled(args.members)
    console = Console(file=io.StringIO(), width=120)
    prof = None
    if args.profile_out:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    outcome = run_demo(
        plan, args.out, db_url=args.db_url, group=args.group, seed=args.seed, console=console, jobs=args.jobs
    )
    demo_s = time.perf_counter() - t0
    if prof is not None:
        prof.disable()
        prof.dump_stats(args.profile_out)
    cast = sum(x.ballots for x in outcome.result.locals)
    figures = {
        "members": plan.members,
        "locals": len(plan.locals),
        "eligible": sum(x.eligible for x in plan.locals),
        "planned_ballots": sum(x.yes + x.no for x in plan.locals),
        "ballots_cast": cast,
        "rejected": outcome.rejected,
        "valid": outcome.valid,
        "failures": outcome.failures,
        "passed": outcome.result.passed,
        "timings": outcome.timings,
        "demo_s": demo_s,
    }
    args.json_out.write_text(json.dumps(figures, indent=2) + "\n")


# --- the parent -----------------------------------------------------------------------------------------------


class PgDatabase:
    """A fresh database on the benchmark's PostgreSQL server, dropped on exit."""

    def __init__(self, server_url: str, name: str) -> None:
        from sqlalchemy.engine import make_url

        self.server = make_url(server_url)
        self.name = name
        self.url = self.server.set(database=name).render_as_string(hide_password=False)

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(
            host=self.server.host,
            port=self.server.port,
            user=self.server.username,
            password=self.server.password,
            dbname=self.server.database or "postgres",
            autocommit=True,
            connect_timeout=10,
        )

    def __enter__(self) -> PgDatabase:
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        return self

    def __exit__(self, *exc: object) -> None:
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def pg_server_url() -> str:
    return os.environ.get("STRIKEVOTE_TEST_PG_URL") or DEFAULT_PG


def pg_settings(url: str) -> dict[str, str]:
    """The server settings that decide the cost of a durable commit."""
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(url)
        with psycopg.connect(
            host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database or "postgres"
        ) as conn:
            out = {"version": conn.execute("SHOW server_version").fetchone()[0]}  # type: ignore[index]
            for k in ("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers"):
                out[k] = conn.execute(f"SHOW {k}").fetchone()[0]  # type: ignore[index]
            return out
    except Exception as exc:  # informational only
        return {"error": str(exc)}


def one_run(
    args: argparse.Namespace, db: str, members: int, index: int, seed: int, log: Any
) -> tuple[dict[str, Any], Any]:
    work = Path(tempfile.mkdtemp(prefix=f"e2e-{db}-{members}-", dir=args.tmp))
    json_out = work / "figures.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--members",
        str(members),
        "--preset",
        args.preset,
        "--group",
        args.group,
        "--seed",
        str(seed),
        "--out",
        str(work / "bundle"),
        "--json-out",
        str(json_out),
    ]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    if args.profile:
        prof = BENCH / "results" / "profiles" / f"e2e-{db}-{members}.prof"
        prof.parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--profile-out", str(prof)]
    pg: PgDatabase | None = None
    try:
        if db == "postgresql":
            pg = PgDatabase(pg_server_url(), f"bench_{os.getpid()}_{index}").__enter__()
            cmd += ["--db-url", pg.url]
        if not args.no_wait:
            wait_quiet(max_wait=args.max_wait, log=log)
        run = run_measured(cmd)
        figures: dict[str, Any] = json.loads(json_out.read_text()) if json_out.exists() else {}
    finally:
        if pg is not None:
            pg.__exit__()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return figures, run


def summarise(db: str, members: int, runs: list[tuple[dict[str, Any], Any]]) -> dict[str, Any]:
    done = [(f, r) for f, r in runs if r.returncode == 0 and f]
    ok = [(f, r) for f, r in done if r.other_load <= QUIET] or done  # uncontended runs when there are any
    med = statistics.median
    out: dict[str, Any] = {"db": db, "members": members, "ok": len(done) == len(runs) and bool(done)}
    if ok:
        f0 = ok[0][0]
        out |= {
            "locals": f0["locals"],
            "eligible": f0["eligible"],
            "ballots_cast": f0["ballots_cast"],
            "planned_ballots": f0["planned_ballots"],
            "rejected": max(f["rejected"] for f, _ in ok),
            "valid": all(f["valid"] for f, _ in ok),
            "phases_s": {p: med(f["timings"].get(p, 0.0) for f, _ in ok) for p in PHASES},
            "demo_s": med(f["demo_s"] for f, _ in ok),
            "wall_s": med(r.wall_s for _, r in ok),
            "cpu_s": med(r.cpu_s for _, r in ok),
            "voting_ballots_per_s": med(f["ballots_cast"] / f["timings"]["voting"] for f, _ in ok),
            "max_rss_kib": max(r.max_rss_kib for _, r in ok),
            "tree_pss_kib": max(r.tree_pss_kib for _, r in ok),
            "other_load_max": max(r.other_load for _, r in ok),
            "contended": all(r.other_load > QUIET for _, r in ok),
            "runs_used": len(ok),
        }
    out["runs"] = [{"figures": f, "run": {k: getattr(r, k) for k in r.__dataclass_fields__}} for f, r in runs]
    return out


def table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    t = Table(title=f"strikevote demo end to end ({cores()} cores; medians)")
    t.add_column("db")
    t.add_column("members", justify="right")
    t.add_column("cast", justify="right")
    for p in PHASES:
        t.add_column(p, justify="right")
    t.add_column("total s", justify="right")
    t.add_column("ballots/s (voting)", justify="right")
    t.add_column("peak RSS MiB", justify="right")
    t.add_column("tree PSS MiB", justify="right")
    t.add_column("ok", justify="center")
    for r in rows:
        if "phases_s" not in r:
            t.add_row(r["db"], f"{r['members']:,}", *["-"] * (len(PHASES) + 5), "[red]FAILED[/red]")
            continue
        total = r["wall_s"]
        flag = ""
        if r["members"] >= 60_000:
            flag = " [green]✓[/green]" if total < TARGET_60K_S else " [red]✗ >5 min[/red]"
        t.add_row(
            r["db"],
            f"{r['members']:,}",
            f"{r['ballots_cast']:,}",
            *[f"{r['phases_s'][p]:.1f}" for p in PHASES],
            f"{total:.1f}{flag}",
            f"{r['voting_ballots_per_s']:.0f}",
            f"{r['max_rss_kib'] / 1024:.0f}",
            f"{r['tree_pss_kib'] / 1024:.0f}",
            ("[green]valid[/green]" if r["valid"] and r["ok"] else "[red]NO[/red]")
            + (" [yellow]contended[/yellow]" if r["contended"] else ""),
        )
    return t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--members", default="10000,60000", help="comma-separated sizes")
    ap.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    ap.add_argument("--repeat", type=int, default=1, help="uncontended runs wanted per size and database")
    ap.add_argument("--attempts", type=int, default=0, help="runs at most per size (default 2 × repeat)")
    ap.add_argument("--preset", default="iatse-2021")
    ap.add_argument("--group", default="Ed25519")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: every core)")
    ap.add_argument("--profile", action="store_true", help="cProfile the child's main process")
    ap.add_argument("--keep", action="store_true", help="keep each run's bundle directory")
    ap.add_argument("--max-wait", type=float, default=300.0, help="seconds to wait for a quiet machine")
    ap.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine")
    ap.add_argument("--tmp", type=Path, default=None, help="parent directory of the runs' bundles")
    ap.add_argument("--json", type=Path, default=None, help="output (default bench/results/e2e-<date>.json)")
    # the child
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--db-url", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        args.members = int(args.members)
        child(args)
        return

    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 180)
    log = console.print
    ensure_gnu_time()
    sizes = [int(x.replace("_", "")) for x in args.members.split(",") if x.strip()]
    dbs = [x.strip() for x in args.db.split(",") if x.strip()]
    for d in dbs:
        if d not in ("sqlite", "postgresql"):
            sys.exit(f"e2e: unknown database {d!r} (sqlite, postgresql)")
    rows: list[dict[str, Any]] = []
    index = 0
    for db in dbs:
        for n in sizes:
            runs: list[tuple[dict[str, Any], Any]] = []
            attempts = args.attempts or 2 * args.repeat
            i = -1
            while len(runs) < attempts and sum(r.other_load <= QUIET for _, r in runs) < args.repeat:
                i += 1
                index += 1
                figures, run = one_run(args, db, n, index, args.seed + i, log)
                runs.append((figures, run))
                if run.returncode != 0 or not figures:
                    log(f"[red]{db} {n:,} [{i + 1}]: exit {run.returncode}[/red]\n{run.stderr_tail}")
                    break
                ph = ", ".join(f"{p} {figures['timings'].get(p, 0):.1f}" for p in PHASES)
                contended = (
                    f", [yellow]contended: others used {run.other_load:.2f} cores[/yellow]"
                    if run.other_load > QUIET
                    else ""
                )
                log(
                    f"{db} {n:,} members [{i + 1}/{args.repeat}]: {run.wall_s:.1f} s wall "
                    f"({ph}); {figures['ballots_cast']:,} ballots, "
                    f"{figures['ballots_cast'] / figures['timings']['voting']:.0f}/s voting; "
                    f"peak RSS {run.max_rss_kib / 1024:.0f} MiB, tree PSS {run.tree_pss_kib / 1024:.0f} MiB; "
                    f"{'valid' if figures['valid'] else 'INVALID'}{contended}"
                )
            rows.append(summarise(db, n, runs))
    console.print(table(rows))
    out = args.json or BENCH / "results" / f"e2e-{today()}.json"
    write_json(
        out,
        {
            "benchmark": "e2e",
            "date": today(),
            "command": " ".join([".venv/bin/python", "bench/e2e.py", *(argv or sys.argv[1:])]),
            "machine": machine(),
            "postgresql": pg_settings(pg_server_url()) if "postgresql" in dbs else None,
            "preset": args.preset,
            "group": args.group,
            "target_60000_s": TARGET_60K_S,
            "results": rows,
        },
    )
    log(f"figures: {out}")
    if not all(r["ok"] and r.get("valid") for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
