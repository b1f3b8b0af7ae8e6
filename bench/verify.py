"""Verification benchmark: ``strikevote verify`` against belenios-tool on the same archives (DESIGN.md §9).

    .venv/bin/python bench/verify.py [--ballots 10000] [--small 1000] [--groups Ed25519,BELENIOS-2048]
                                     [--cache bench/cache] [--repeat 3] [--sample 50] [--no-single-core]

For each group it builds (or takes from the cache, keyed by group, N and seed) an archive of N yes/no ballots
made by our own code (80 % yes), then times, in the same run:

* ``strikevote verify ARCHIVE -q`` (every core), and with ``--jobs 1``;
* the peer: belenios-tool 3.0 ``election verify`` on Ed25519, 2.0 on BELENIOS-2048 (3.0 too, for information),
  each with the archive's directory (holding only that ``.bel``) as working directory;
* 3.0's ``election verify --skip-ballot-check``, and ``election verify-ballot`` on a sample of ballots against
  the archive cut right after its Setup event.  3.0's ``election verify`` starts the ballot checks but never
  awaits their outcome (peers/belenios/NOTES.md item 9), so an *extrapolated* per-ballot cost is printed too;
* the same verifier on a ``--small`` archive, for the flatness of memory in the number of ballots;
* the group operations one ballot needs (counted by instrumenting our checker on a real ballot), each timed
  as a raw libsodium (Ed25519) or GMP (BELENIOS-2048) call: the physical floor of the per-ballot cost.

Wall times are medians of ``--repeat`` runs; "peak RSS" is ``/usr/bin/time %M`` (the largest single process
of the tree); "tree PSS" adds up every process of the tree (sampled every 0.1 s).  Figures go to a rich table
and to ``bench/results/verify-<date>.json``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH,
    STRIKEVOTE,
    TOOL_2,
    TOOL_3,
    Series,
    cores,
    ensure_gnu_time,
    machine,
    measure,
    median_time,
    run_measured,
    today,
    wait_quiet,
    write_json,
)

from strikevote.belenios.archive import ArchiveWriter, Event, parse_archive_header, read_entries
from strikevote.belenios.ballot import BallotCheck
from strikevote.belenios.codec import dumps
from strikevote.belenios.election import ElectionParams
from strikevote.crypto.groups import group_by_name
from strikevote.verify.ballots import check_one

console = Console(width=None if sys.stdout.isatty() else 150)
log = console.print


# --- archives -----------------------------------------------------------------------------------------------


def votes_for(n: int) -> list[int]:
    """Voter i votes No iff i % 5 == 0: 80 % Yes (as peers/belenios/run_election.sh)."""
    return [0 if i % 5 == 0 else 1 for i in range(n)]


@dataclass
class Archive:
    group: str
    n: int
    seed: int
    dir: Path  # holds only the .bel (working directory of belenios-tool)
    path: Path
    meta: dict[str, Any]


def ensure_archive(cache: Path, group: str, n: int, seed: int, jobs: int) -> Archive:
    key = cache / f"{group}-n{n}-s{seed}"
    meta_path = key / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        path = key / "archive" / meta["file"]
        if path.exists():
            log(f"[dim]cached[/dim] {group}, {n} ballots: {path}")
            return Archive(group, n, seed, path.parent, path, meta)
    from strikevote.simulation.election import simulate

    shutil.rmtree(key, ignore_errors=True)
    (key / "build").mkdir(parents=True)
    tmp = key / "build" / "archive.bel"
    t0 = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"building {group} archive, {n} ballots (jobs={jobs})", total=n)
        sim = simulate(
            tmp,
            group_by_name(group),
            votes_for(n),
            seed=seed,
            trustee_mode="both",
            jobs=jobs,
            progress=lambda i: bar.update(task, completed=i),
        )
    build_s = time.perf_counter() - t0
    (key / "archive").mkdir()
    path = key / "archive" / f"{sim.election.uuid}.bel"
    tmp.rename(path)
    shutil.rmtree(key / "build")
    meta = {
        "group": group,
        "n": n,
        "seed": seed,
        "file": path.name,
        "uuid": sim.election.uuid,
        "result": sim.result,
        "bytes": path.stat().st_size,
        "build_s": build_s,
        "build_jobs": jobs,
        "trustee_mode": "both",
        "votes": "voter i votes No iff i % 5 == 0",
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"built {group}, {n} ballots in {build_s:.1f} s ({n / build_s:.0f} ballots/s, jobs={jobs}): {path}")
    return Archive(group, n, seed, path.parent, path, meta)


@dataclass
class Sample:
    election_raw: str
    trustees_raw: bytes
    credentials: list[str]  # every public credential of the archive ("cred" or "cred,weight")
    timestamp: int
    ballots: list[bytes]  # the first k ballots


def sample_archive(path: Path, k: int) -> Sample:
    data: dict[str, bytes] = {}
    sample = Sample("", b"", [], 0, [])
    for rec in read_entries(path):
        if rec.kind == "header":
            sample.timestamp = parse_archive_header(rec.content, "BELENIOS")
        elif rec.kind == "data":
            data[rec.name_hash] = rec.content
        elif rec.kind == "event":
            ev = Event.parse(rec.content, rec.name_hash)
            if ev.type == "Setup" and ev.payload is not None:
                setup = json.loads(data.pop(ev.payload))
                sample.election_raw = data[setup["election"]].decode()
                sample.trustees_raw = data[setup["trustees"]]
                sample.credentials = json.loads(data[setup["credentials"]])
                data.clear()
            elif ev.type == "Ballot" and ev.payload is not None:
                sample.ballots.append(data.pop(ev.payload))
                if len(sample.ballots) >= k:
                    break
            else:
                break
    return sample


def setup_sample(archive: Archive, sample: Sample) -> Path:
    """A Setup-only archive: same election.json and trustees, and only the sampled ballots' credentials.

    election.json does not commit to the credential list, so the sampled ballots stay valid against it, and
    what belenios-tool loads before checking a ballot no longer grows with N.
    """
    d = archive.dir.parent / f"setup-sample-{len(sample.ballots)}"
    target = d / archive.path.name
    if not target.exists():
        d.mkdir(exist_ok=True)
        used = {json.loads(b)["credential"] for b in sample.ballots}
        creds = [c for c in sample.credentials if c.partition(",")[0] in used]
        with ArchiveWriter(target, timestamp=sample.timestamp) as w:
            e = w.add_data(sample.election_raw)
            t = w.add_data(sample.trustees_raw)
            c = w.add_data(dumps(creds))
            w.add_event("Setup", w.add_data(dumps({"election": e, "trustees": t, "credentials": c})))
    return d


# --- belenios-tool 3.0 verify-ballot: an extrapolation ------------------------------------------------------


def verify_ballot_sample(tool: Path, archive: Archive, sample: Sample) -> dict[str, Any]:
    """Per-ballot cost of 3.0 ``verify-ballot`` = median(valid ballot) − median(malformed ballot ``{}``).

    Both calls start the tool and read the same small Setup-only archive (:func:`setup_sample`); only the
    first parses and checks a ballot.  Calls alternate so that drifts hit both alike.
    """
    d = setup_sample(archive, sample)
    work = archive.dir.parent / "sample"
    work.mkdir(exist_ok=True)
    paths = []
    for i, b in enumerate(sample.ballots):
        p = work / f"ballot-{i:03d}.json"
        p.write_bytes(b)
        paths.append(p)
    bad = work / "malformed.json"
    bad.write_text("{}")
    valid_s, base_s = [], []
    wait_quiet(log=log)
    for p in paths:
        r = run_measured([str(tool), "election", "verify-ballot", f"--ballot={p}"], cwd=d)
        if r.returncode != 0:
            raise SystemExit(f"verify-ballot rejected {p}: {r.stderr_tail}")
        valid_s.append(r.wall_s)
        r = run_measured([str(tool), "election", "verify-ballot", f"--ballot={bad}"], cwd=d)
        base_s.append(r.wall_s)
    # The same valid ballot against the full archive: verify-ballot re-reads all N ballots each time.
    full = [
        run_measured([str(tool), "election", "verify-ballot", f"--ballot={paths[0]}"], cwd=archive.dir).wall_s
        for _ in range(3)
    ]
    per_ballot = max(0.0, statistics.median(valid_s) - statistics.median(base_s))
    return {
        "sample": len(paths),
        "call_valid_s_median": statistics.median(valid_s),
        "call_malformed_s_median": statistics.median(base_s),
        "per_ballot_s": per_ballot,
        "call_on_full_archive_s_median": statistics.median(full),
    }


# --- the physical floor: group operations per ballot --------------------------------------------------------


@contextmanager
def _count_ed25519(counter: collections.Counter[str]) -> Iterator[None]:
    import strikevote.crypto.ed25519 as ed

    names = {
        "_smul_base": "base mult",
        "_smul": "variable mult",
        "_is_valid": "point validity",
        "_add": "add",
        "_sub": "add",
    }
    saved = {n: getattr(ed, n) for n in names}

    def wrap(n: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def w(*a: Any) -> Any:
            counter[names[n]] += 1
            return f(*a)

        return w

    for n, f in saved.items():
        setattr(ed, n, wrap(n, f))
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(ed, n, f)


@contextmanager
def _count_ff(counter: collections.Counter[str], group: Any) -> Iterator[None]:
    import strikevote.crypto.ff as ff

    real = ff.gmpy2

    class Proxy:
        def __getattr__(self, name: str) -> Any:
            f = getattr(real, name)
            if name != "powmod":
                return f

            def powmod(a: Any, x: Any, m: Any) -> Any:
                counter["membership powmod (x^q)" if x == group.q else "variable powmod"] += 1
                return f(a, x, m)

            return powmod

    g_pow = group.g_pow

    def counted_g_pow(k: int) -> Any:
        counter["fixed-base g^x"] += 1
        return g_pow(k)

    ff.gmpy2 = Proxy()
    group.g_pow = counted_g_pow
    try:
        yield
    finally:
        ff.gmpy2 = real
        del group.g_pow


def count_ops(sample: Sample) -> dict[str, int]:
    election = ElectionParams.parse(sample.election_raw)
    checker = BallotCheck(election)
    counter: collections.Counter[str] = collections.Counter()
    raw = sample.ballots[0]  # the archive's bytes, as the verifier gets them
    ctx = _count_ed25519(counter) if election.group.name == "Ed25519" else _count_ff(counter, election.group)
    with ctx:
        checked = check_one(checker, 1, raw)
    if checked.failed is not None:
        raise SystemExit(f"sample ballot does not verify: {checked.failed}")
    return dict(counter)


def time_ops(group: str) -> dict[str, float]:
    """Seconds per raw call, median of batches, one core."""
    if group == "Ed25519":
        from nacl import bindings as s

        L = 2**252 + 27742317777372353535851937790883648493
        k = [(secrets.randbelow(L - 1) + 1).to_bytes(32, "little") for _ in range(64)]
        pts = [s.crypto_scalarmult_ed25519_base_noclamp(x) for x in k]
        it = iter(range(10**12))

        def nxt() -> int:
            return next(it) & 63

        return {
            "base mult": median_time(
                lambda: s.crypto_scalarmult_ed25519_base_noclamp(k[nxt()]), number=400, repeat=15
            ),
            "variable mult": median_time(
                lambda: s.crypto_scalarmult_ed25519_noclamp(k[nxt()], pts[nxt()]), number=200, repeat=15
            ),
            "point validity": median_time(
                lambda: s.crypto_core_ed25519_is_valid_point(pts[nxt()]), number=400, repeat=15
            ),
            "add": median_time(
                lambda: s.crypto_core_ed25519_add(pts[nxt()], pts[nxt()]), number=2000, repeat=15
            ),
        }
    import gmpy2

    from strikevote.crypto.ff import BELENIOS_2048 as G

    p, q = G.p, G._q
    xs = [gmpy2.mpz(secrets.randbelow(int(q))) for _ in range(64)]
    els = [gmpy2.powmod(G.g, x, p) for x in xs]
    j = iter(range(10**12))

    def n() -> int:
        return next(j) & 63

    return {
        "variable powmod": median_time(lambda: gmpy2.powmod(els[n()], xs[n()], p), number=100, repeat=15),
        "membership powmod (x^q)": median_time(lambda: gmpy2.powmod(els[n()], q, p), number=100, repeat=15),
        # g^x as gmpy2.powmod; our fixed-base table is faster, so the floor uses the smaller of the two.
        "fixed-base g^x": min(
            median_time(lambda: gmpy2.powmod(G.g, xs[n()], p), number=100, repeat=15),
            median_time(lambda: G.g_pow(int(xs[n()])), number=100, repeat=15),
        ),
    }


# --- the run ------------------------------------------------------------------------------------------------


def ours(path: Path, jobs: int | None = None) -> list[str]:
    return [str(STRIKEVOTE), "verify", str(path), "-q", *(["--jobs", str(jobs)] if jobs else [])]


def peers_for(group: str) -> list[tuple[str, Path, list[str], bool]]:
    """(label, tool, extra args, primary?)."""
    if group == "Ed25519":
        return [
            ("belenios-tool 3.0", TOOL_3, [], True),
            ("belenios-tool 3.0 --skip-ballot-check", TOOL_3, ["--skip-ballot-check"], False),
        ]
    return [("belenios-tool 2.0", TOOL_2, [], True), ("belenios-tool 3.0", TOOL_3, [], False)]


def bench_group(args: argparse.Namespace, group: str) -> dict[str, Any]:
    log(f"\n[bold]{group}[/bold]")
    big = ensure_archive(args.cache, group, args.ballots, args.seed, args.build_jobs)
    small = ensure_archive(args.cache, group, args.small, args.seed, args.build_jobs)
    n = args.ballots
    series: dict[str, Series] = {}
    series["ours"] = measure(f"strikevote verify ({cores()} jobs)", ours(big.path), args.repeat, log=log)
    if not args.no_single_core:
        series["ours_j1"] = measure("strikevote verify --jobs 1", ours(big.path, 1), args.repeat, log=log)
    series["ours_small"] = measure(
        f"strikevote verify, {args.small} ballots", ours(small.path), args.repeat, log=log
    )
    primary = None
    for label, tool, extra, is_primary in [] if args.no_peers else peers_for(group):
        if not tool.exists():
            log(f"  [yellow]{label}: {tool} not found, skipped[/yellow]")
            continue
        s = measure(label, [str(tool), "election", "verify", *extra], args.repeat, cwd=big.dir, log=log)
        series[label] = s
        if is_primary:
            primary = label
    out: dict[str, Any] = {
        "archive": big.meta,
        "small_archive": small.meta,
        "primary_peer": primary,
        "series": {k: v.summary() for k, v in series.items()},
    }

    sample = sample_archive(big.path, args.sample)
    if TOOL_3.exists() and args.sample > 0 and not args.no_peers:
        log(f"  belenios-tool 3.0 verify-ballot on {len(sample.ballots)} ballots (Setup-only archive)…")
        vb = verify_ballot_sample(TOOL_3, big, sample)
        skip = series.get("belenios-tool 3.0 --skip-ballot-check")
        vb["extrapolated_verify_all_s"] = skip.wall_s + n * vb["per_ballot_s"] if skip and skip.ok else None
        vb["extrapolated_verify_ballot_loop_s"] = n * vb["call_on_full_archive_s_median"]
        full = series.get("belenios-tool 3.0")
        if skip and skip.ok and full and full.ok:
            vb["per_ballot_from_verify_minus_skip_s"] = (full.wall_s - skip.wall_s) / n
        out["verify_ballot_3"] = vb

    ops = count_ops(sample)
    op_s = time_ops(group)
    floor = sum(op_s[k] * c for k, c in ops.items() if k in op_s and k != "add")
    floor_adds = sum(op_s[k] * c for k, c in ops.items() if k in op_s)
    o = series["ours"]
    j1 = series.get("ours_j1")
    out["physical"] = {
        "ops_per_ballot": ops,
        "op_seconds": op_s,
        "floor_s_per_ballot": floor,
        "floor_with_adds_s_per_ballot": floor_adds,
        "ours_wall_x_cores_s_per_ballot": o.wall_s * cores() / n,
        "ours_wall_x_cores_ratio": o.wall_s * cores() / n / floor,
        "ours_cpu_s_per_ballot": o.cpu_s / n,
        "ours_cpu_ratio": o.cpu_s / n / floor,
        "ours_j1_s_per_ballot": j1.wall_s / n if j1 else None,
        "ours_j1_ratio": j1.wall_s / n / floor if j1 else None,
    }
    out["memory"] = {
        "small_max_rss_kib": series["ours_small"].max_rss_kib,
        "big_max_rss_kib": o.max_rss_kib,
        "max_rss_ratio": o.max_rss_kib / series["ours_small"].max_rss_kib,
        "small_tree_pss_kib": series["ours_small"].tree_pss_kib,
        "big_tree_pss_kib": o.tree_pss_kib,
        "tree_pss_ratio": o.tree_pss_kib / max(1, series["ours_small"].tree_pss_kib),
        # what grows with N: KiB per extra ballot, and the peak RSS this slope predicts at 1,000,000 ballots
        "max_rss_kib_per_ballot": (o.max_rss_kib - series["ours_small"].max_rss_kib) / (n - args.small),
    }
    m = out["memory"]
    m["max_rss_kib_at_1m_linear"] = m["small_max_rss_kib"] + m["max_rss_kib_per_ballot"] * (
        10**6 - args.small
    )
    return out


# --- report -------------------------------------------------------------------------------------------------


def _mib(kib: int | None) -> str:
    return "–" if not kib else f"{kib / 1024:.0f} MiB"


def report(results: dict[str, Any], n: int, small: int) -> None:
    for group, r in results["groups"].items():
        t = Table(
            title=f"{group}: verifying {n} ballots (median of {results['params']['repeat']}, "
            f"{results['machine']['cores']} cores)"
        )
        cols = ("verifier", "wall", "ballots/s", "CPU", "peak RSS", "tree PSS", "wall ÷ ours", "RSS ÷ ours")
        for col in cols:
            t.add_column(col, justify="left" if col == "verifier" else "right")
        ours_s = r["series"]["ours"]
        any_unstable = False
        for key, s in r["series"].items():
            if key == "ours_small" or s["wall_s_median"] is None:
                continue
            w = s["wall_s_median"]
            walls = [run["wall_s"] for run in s["runs"]]
            unstable = max(walls) > 1.5 * min(walls)
            label = s["label"] + (" [red](FAILED)[/red]" if not s["ok"] else "")
            if key == r["primary_peer"]:
                label = f"[bold]{label}[/bold]"
            if "skip-ballot-check" in key:
                label += " ²"
            elif key != "ours" and key != "ours_j1" and "3.0" in key:
                label += " ¹"
            if not s["uncontended_runs"]:
                label += " [yellow](contended)[/yellow]"
            if unstable:
                label += " ³"
                any_unstable = True
            t.add_row(
                label,
                f"{min(walls):.1f}–{max(walls):.1f} s" if unstable else f"{w:.2f} s",
                "–" if unstable else f"{n / w:,.0f}",
                f"{s['cpu_s_median']:.1f} s",
                _mib(s["max_rss_kib"]),
                _mib(s["tree_pss_kib"]),
                "–" if unstable else f"{w / ours_s['wall_s_median']:.2f}×",
                f"{s['max_rss_kib'] / ours_s['max_rss_kib']:.2f}×",
            )
        console.print(t)
        if any(k.startswith("belenios-tool 3.0") and "skip" not in k for k in r["series"]):
            console.print(
                "  ¹ 3.0 starts the ballot checks but never awaits them: an invalid ballot still passes, and "
                "the process may exit before the checks end (NOTES.md item 9)"
            )
        if any("skip-ballot-check" in k for k in r["series"]):
            console.print("  ² ballots parsed and tallied, not checked")
        if any_unstable:
            console.print(
                "  ³ unstable: the slowest run took over 1.5× the fastest, all exiting 0 ('all checks passed'); "
                "range of all runs shown, no rate or ratio"
            )
        vb = r.get("verify_ballot_3")
        if vb:
            console.print(
                f"  [bold yellow]EXTRAPOLATION[/bold yellow] (belenios-tool 3.0, {vb['sample']} ballots): "
                f"verify-ballot costs {vb['per_ballot_s'] * 1e3:.2f} ms per ballot beyond process start "
                f"and loading the Setup ({vb['call_valid_s_median'] * 1e3:.0f} ms vs "
                f"{vb['call_malformed_s_median'] * 1e3:.0f} ms per call)."
            )
            if vb.get("per_ballot_from_verify_minus_skip_s"):
                console.print(
                    f"    cross-check: (verify − verify --skip-ballot-check) ÷ N = "
                    f"{vb['per_ballot_from_verify_minus_skip_s'] * 1e3:.2f} ms per ballot (3.0 does the work, "
                    "then drops the outcome)"
                )
            if vb.get("extrapolated_verify_all_s"):
                console.print(
                    f"    ⇒ checking all {n} ballots: ≈ {vb['extrapolated_verify_all_s']:.1f} s "
                    "(verify --skip-ballot-check + N × per-ballot), extrapolated, not measured."
                )
            console.print(
                f"    ⇒ the usable workaround, verify-ballot once per ballot on the full archive: "
                f"{vb['call_on_full_archive_s_median']:.2f} s per call × {n} ≈ "
                f"{vb['extrapolated_verify_ballot_loop_s'] / 60:.0f} min, extrapolated."
            )
        m, ph = r["memory"], r["physical"]
        ncores = results["machine"]["cores"]
        console.print(
            f"  memory flatness (ours): peak RSS {_mib(m['small_max_rss_kib'])} at {small} ballots, "
            f"{_mib(m['big_max_rss_kib'])} at {n}: ×{m['max_rss_ratio']:.2f} (target ≤ 2); "
            f"tree PSS {_mib(m['small_tree_pss_kib'])} → {_mib(m['big_tree_pss_kib'])}: "
            f"×{m['tree_pss_ratio']:.2f}; slope {m['max_rss_kib_per_ballot']:.2f} KiB/ballot, i.e. "
            f"≈ {m['max_rss_kib_at_1m_linear'] / 2**20:.1f} GiB at 1,000,000 ballots if linear"
        )
        ops = ", ".join(f"{c} {k}" for k, c in ph["ops_per_ballot"].items())
        lib = "libsodium" if group == "Ed25519" else "GMP"
        costs = ", ".join(f"{k} {v * 1e6:.1f} µs" for k, v in ph["op_seconds"].items())
        console.print(f"  per ballot: {ops}; raw {lib} calls: {costs}")
        adds = ph["floor_with_adds_s_per_ballot"]
        line = (
            f"  physical floor (mults + validity) {ph['floor_s_per_ballot'] * 1e3:.3f} ms/ballot on one core "
            f"({adds * 1e3:.3f} with the adds); ours: wall × {ncores} cores ÷ N = "
            f"{ph['ours_wall_x_cores_s_per_ballot'] * 1e3:.3f} ms (×{ph['ours_wall_x_cores_ratio']:.2f}), "
            f"CPU ÷ N = {ph['ours_cpu_s_per_ballot'] * 1e3:.3f} ms (×{ph['ours_cpu_ratio']:.2f})"
        )
        if ph["ours_j1_s_per_ballot"]:
            line += f", --jobs 1 wall ÷ N = {ph['ours_j1_s_per_ballot'] * 1e3:.3f} ms (×{ph['ours_j1_ratio']:.2f})"
        line += "; target ≤ 3"
        console.print(line)


def bench_bundle(args: argparse.Namespace, group: str) -> dict[str, Any]:
    """``verify_bundle`` on a demo bundle with and without the strong decryption proofs (issue 7's target:
    at most 1.1x).  "without" is the bundle check as it was before them: the same code with
    ``check_strong_proofs`` a no-op.  The two are timed alternately, in this process, medians of --repeat."""
    import io

    from strikevote.demo.runner import run_demo
    from strikevote.demo.scenario import load_scenario
    from strikevote.verify import bundle as bundle_mod

    out = args.cache / f"bundle-{group}-{args.bundle_members}-{args.seed}"
    if not (out / "result.json").exists():
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(out.with_name(out.name + ".private"), ignore_errors=True)
        scenario = load_scenario(name="iatse-2021").scaled(args.bundle_members)
        log(f"{group}: building a {args.bundle_members}-member demo bundle")
        run_demo(scenario, out, group=group, seed=args.seed, console=Console(file=io.StringIO()))
    real = bundle_mod.check_strong_proofs

    def skip(*_a: Any, **_k: Any) -> None:
        return None

    times: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(args.repeat):
        for label, fn in (("without", skip), ("with", real)):
            bundle_mod.check_strong_proofs = fn  # type: ignore[assignment]
            try:
                t0 = time.perf_counter()
                report = bundle_mod.verify_bundle(out, jobs=cores())
                times[label].append(time.perf_counter() - t0)
            finally:
                bundle_mod.check_strong_proofs = real
            assert report.valid, [c.name for c in report.failures]
    med = {k: statistics.median(v) for k, v in times.items()}
    figures = {
        "members": args.bundle_members,
        "bundle": str(out),
        "without_strong_proofs_s": med["without"],
        "with_strong_proofs_s": med["with"],
        "ratio": med["with"] / med["without"],
        "runs": times,
    }
    log(
        f"{group}: bundle verification {med['without']:.2f} s without the strong proofs, {med['with']:.2f} s "
        f"with them: {figures['ratio']:.3f}x"
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--ballots", type=int, default=10_000)
    ap.add_argument(
        "--small",
        type=int,
        default=None,
        help="ballots of the archive for memory flatness, fewer than --ballots (default 1000, or a tenth of "
        "--ballots when that is fewer)",
    )
    ap.add_argument("--groups", default="Ed25519,BELENIOS-2048")
    ap.add_argument("--cache", type=Path, default=BENCH / "cache")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sample", type=int, default=50, help="ballots for 3.0 verify-ballot (0: skip)")
    ap.add_argument("--build-jobs", type=int, default=2)
    ap.add_argument("--no-single-core", action="store_true", help="skip the --jobs 1 runs")
    ap.add_argument(
        "--no-peers", action="store_true", help="time strikevote only (e.g. for memory at large N)"
    )
    ap.add_argument(
        "--out", type=Path, default=None, help="JSON output (default bench/results/verify-DATE.json)"
    )
    ap.add_argument(
        "--report-only", type=Path, default=None, help="print the tables of a saved JSON and exit"
    )
    ap.add_argument(
        "--bundle-members",
        type=int,
        default=0,
        help="time only bundle verification with/without the strong decryption proofs, on a demo bundle of "
        "this many members (issue 7)",
    )
    args = ap.parse_args(argv)
    if args.small is None:
        args.small = min(1_000, max(1, args.ballots // 10))
    if not args.report_only and not args.bundle_members and not 0 < args.small < args.ballots:
        # the memory slope is taken between the two archives: (RSS_N - RSS_small) / (N - small)
        ap.error(f"--small ({args.small}) must be at least 1 and fewer than --ballots ({args.ballots})")
    if args.report_only:
        saved = json.loads(args.report_only.read_text())
        report(saved, int(saved["params"]["ballots"]), int(saved["params"]["small"]))
        return
    ensure_gnu_time()
    if not STRIKEVOTE.exists():
        sys.exit(f"bench: {STRIKEVOTE} not found (pip install -e . in the venv)")
    args.cache.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": today(),
        "command": " ".join(
            [".venv/bin/python", "bench/verify.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "machine": machine(),
        "params": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "groups": {},
    }
    log(
        f"machine: {results['machine']['cores']} cores, {results['machine']['cpu']}; "
        f"2.0: {results['machine']['belenios_tool_2']}, 3.0: {results['machine']['belenios_tool_3']}"
    )
    if args.bundle_members:
        results["bundle"] = {}
        for group in [g.strip() for g in args.groups.split(",") if g.strip()]:
            group_by_name(group)
            results["bundle"][group] = bench_bundle(args, group)
        out = args.out or BENCH / "results" / f"verify-bundle-{today()}.json"
        write_json(out, results)
        table = Table(title="strikevote verify DIR: the strong decryption proofs' cost")
        for col in ("group", "members", "without", "with", "ratio"):
            table.add_column(col, justify="right")
        for group, f in results["bundle"].items():
            table.add_row(
                group,
                str(f["members"]),
                f"{f['without_strong_proofs_s']:.2f} s",
                f"{f['with_strong_proofs_s']:.2f} s",
                f"{f['ratio']:.3f}x",
            )
        console.print(table)
        console.print(f"figures written to {os.path.relpath(out)}")
        return
    for group in [g.strip() for g in args.groups.split(",") if g.strip()]:
        group_by_name(group)
        results["groups"][group] = bench_group(args, group)
    out = args.out or BENCH / "results" / f"verify-{today()}.json"
    write_json(out, results)
    console.print()
    report(results, args.ballots, args.small)
    console.print(f"\nfigures written to {os.path.relpath(out)}")


if __name__ == "__main__":
    main()
