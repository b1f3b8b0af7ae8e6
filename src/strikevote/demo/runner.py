"""``strikevote demo``: a whole simulated vote through the real services (DESIGN.md §8).

Roll generated and imported → vote called (snapshot, readiness) → three trustees run the 2-of-3 key ceremony
with their own key files → the credential authority writes one letter per eligible member → simulated members
read their letters, encrypt and cast real ballots (verified and committed by the ballot box) → close and
per-local encrypted tallies → two trustees decrypt (the third is absent) → results, rule → bundle → the
independent verifier checks the bundle → report.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from strikevote.belenios.ballot import create_ballot
from strikevote.belenios.election import Election as BelElection
from strikevote.crypto.credentials import derive_secret
from strikevote.crypto.randomness import DeterministicRandomness, SystemRandomness
from strikevote.db.engine import open_db
from strikevote.demo.scenario import Scenario
from strikevote.report import write_report
from strikevote.roll import generate_roll, load_roll, readiness_rows, readiness_table, write_roll_csv
from strikevote.services import ballotbox, credentials, results, tally, trustees, votes
from strikevote.services.definition import parse_definition
from strikevote.services.errors import BallotRejected

BATCH = 500


@dataclass
class DemoOutcome:
    out: Path
    result: dict[str, Any]
    valid: bool
    failures: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    rejected: int = 0


def _ballot_job(args: tuple[str, str, str, int, int]) -> str:
    election_json, uuid, credential, yes, seed = args
    election = _election(election_json)
    secret = derive_secret(election.group, uuid, credential)
    return create_ballot(election, secret, [[1, 0] if yes else [0, 1]], DeterministicRandomness(seed)).raw


_ELECTIONS: dict[str, BelElection] = {}


def _election(raw: str) -> BelElection:
    e = _ELECTIONS.get(raw)
    if e is None:
        e = _ELECTIONS[raw] = BelElection.parse(raw)
    return e


def definition_for(s: Scenario, group: str, now: datetime) -> dict[str, Any]:
    return {
        "union": s.union,
        "title": s.title,
        "kind": s.kind,
        "question": s.question,
        "group": group,
        "revote": "forbidden",
        "rule": s.rule,
        "notice": (now - timedelta(days=21)).date(),
        "window": {"opens": now - timedelta(hours=1), "closes": now + timedelta(days=3), "timezone": "UTC"},
        "trustees": {
            "n": 3,
            "k": 2,
            "names": ["Trustee A (union)", "Trustee B (neutral)", "Trustee C (members)"],
        },
        "eligibility": {"cutoff": (now - timedelta(days=1)).date(), "grace_days": 0, "require_email": True},
        "locals": [{"id": x.id, "name": x.name, "delegates": x.delegates} for x in s.locals],
    }


def run_demo(
    scenario: Scenario,
    out: Path,
    *,
    db_url: str | None = None,
    group: str = "Ed25519",
    seed: int | None = None,
    console: Console | None = None,
    jobs: int | None = None,
) -> DemoOutcome:
    console = console or Console()
    out.mkdir(parents=True, exist_ok=True)
    rng: Any = DeterministicRandomness(seed) if seed is not None else SystemRandomness()
    pyrng = random.Random(seed if seed is not None else random.SystemRandom().random())
    now = datetime.now(UTC).replace(microsecond=0)
    timings: dict[str, float] = {}

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - t0

    progress = Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    db = open_db(db_url or f"sqlite:///{out / 'strikevote.db'}")
    with progress:
        # 1. roll → vote called
        with phase("roll"):
            t = progress.add_task("Generating and importing the roll", total=1)
            cutoff = (now - timedelta(days=1)).date()
            members = generate_roll(
                [(x.id, x.eligible + x.no_email + x.in_arrears) for x in scenario.locals],
                pyrng,
                no_email={x.id: x.no_email for x in scenario.locals},
                in_arrears={x.id: x.in_arrears for x in scenario.locals},
                cutoff=cutoff,
            )
            write_roll_csv(members, out / "roll.csv")
            roll = load_roll(out / "roll.csv", {x.id for x in scenario.locals})
            defn = parse_definition(definition_for(scenario, group, now), "demo scenario")
            called = votes.call_vote(db, defn, roll, now)
            progress.update(t, completed=1)
        # 2. key ceremony: each trustee with their own key file
        with phase("trustees"):
            kdir = out / "trustees"
            kdir.mkdir(exist_ok=True)
            keys = [kdir / f"trustee-{i}.key" for i in (1, 2, 3)]
            for k in keys:
                k.unlink(missing_ok=True)
            t = progress.add_task("Trustees' key ceremony (2 of 3)", total=10)
            for i, k in enumerate(keys, start=1):
                trustees.init_trustee(db, called.vote_id, i, k, rng)
                progress.advance(t)
            for k in keys:
                trustees.publish_polynomial(db, called.vote_id, k, rng)
                progress.advance(t)
            for k in keys:
                trustees.finish_trustee(db, called.vote_id, k, rng)
                progress.advance(t)
            trustees.setup_elections(db, called.vote_id, rng)
            progress.advance(t)
        # 3. credentials
        with phase("credentials"):
            eligible = len(called.snapshot.eligible)
            t = progress.add_task("Credential authority: letters", total=eligible)
            letters = credentials.issue_credentials(
                db, called.vote_id, out / "outbox", rng, now, progress=lambda n: progress.advance(t, n)
            )
        # 4. members vote
        plan = {x.id: x for x in scenario.locals}
        with db.begin() as s:
            els = {el.local_id: el.election_json for el in votes.elections(s, called.vote_id)}
        jobs_args: list[tuple[str, str, str, int, int]] = []
        by_local: dict[str, list[Any]] = {}
        for letter in letters:
            by_local.setdefault(letter.local_id, []).append(letter)
        for lid, ls in by_local.items():
            pyrng.shuffle(ls)
            p = plan[lid]
            for n, letter in enumerate(ls[: p.yes + p.no]):
                jobs_args.append(
                    (els[lid], letter.uuid, letter.credential, int(n < p.yes), pyrng.getrandbits(63))
                )
        pyrng.shuffle(jobs_args)
        rejected = 0
        with phase("voting"), ballotbox.worker_pool(jobs) as pool:
            t = progress.add_task("Members encrypt and cast ballots", total=len(jobs_args))
            for start in range(0, len(jobs_args), BATCH):
                raws = pool.map(_ballot_job, jobs_args[start : start + BATCH], chunksize=16)
                outcomes = ballotbox.cast_batch(db, called.vote_id, raws, datetime.now(UTC), pool=pool)
                rejected += sum(isinstance(o, BallotRejected) for o in outcomes)
                progress.advance(t, len(raws))
        # 5. tally and threshold decryption, trustee 2 absent
        with phase("tally"):
            t = progress.add_task("Close, tally, decrypt (trustee 2 absent)", total=4)
            tally.close_and_tally(db, called.vote_id)
            progress.advance(t)
            for k in (keys[0], keys[2]):
                trustees.partial_decrypt(db, called.vote_id, k, rng)
                progress.advance(t)
            results.decrypt_results(db, called.vote_id)
            progress.advance(t)
        with phase("publish"):
            outcome = results.publish(db, called.vote_id, out)
        # 6. independent verification of the bundle
        with phase("verify"):
            from strikevote.verify.bundle import verify_bundle

            t = progress.add_task("Independent verification", total=1)
            report = verify_bundle(out)
            progress.update(t, completed=1)
            verification = [(c.name, c.passed, c.detail) for c in report.checks]
            write_report(out, outcome.result, verification)
    console.print(readiness_table(readiness_rows(called.snapshot)))
    for w in called.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    return DemoOutcome(
        out,
        outcome.result,
        report.valid,
        [f"{c.name}: {c.detail}" for c in report.failures],
        timings,
        rejected,
    )
