"""``strikevote demo``: a whole simulated vote through the real services (DESIGN.md §8).

Roll generated and imported → vote called (snapshot, readiness) → three trustees run the 2-of-3 key ceremony
with their own key files → the credential authority writes one letter per eligible member → simulated members
read their letters, encrypt and cast real ballots (verified and committed by the ballot box) → close and
per-local encrypted tallies → two trustees decrypt (the third is absent) → results, rule → bundle → the
independent verifier checks the bundle → report.

Two directories, never one inside the other:

* ``out``: the public bundle and nothing else (DESIGN.md §3): ``vote.json``, ``locals/<id>.bel``,
  ``result.json``, ``report.html`` — what the committee publishes;
* ``private`` (default: the sibling ``<out>.private/``, mode 0700): what must never be published — the
  trustees' key shares (``trustees/*.key``: any two decrypt every ballot), every member's credential letter
  (``outbox/*.eml``: anyone holding them can cast ballots), the roll with names and emails (``roll.csv``) and
  the default SQLite database (``strikevote.db``, which holds the roll too).
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
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
from strikevote.belenios.election import ElectionParams
from strikevote.crypto.credentials import derive_secret
from strikevote.crypto.randomness import DeterministicRandomness, SystemRandomness
from strikevote.db.engine import open_db
from strikevote.demo.scenario import Scenario
from strikevote.records.result import ResultRecord
from strikevote.report import write_report
from strikevote.roll import generate_roll, load_roll, readiness_rows, readiness_table, write_roll_csv
from strikevote.services import ballotbox, credentials, results, tally, trustees, votes
from strikevote.services.bundle_dir import BundleDirError, check_bundle_dir, clear_bundle
from strikevote.services.definition import parse_definition
from strikevote.services.errors import BallotRejected

BATCH = 500
PRIVATE_README = "PRIVATE-README.txt"
PRIVATE_ITEMS = ("trustees", "outbox", "roll.csv")
DB_FILES = ("strikevote.db", "strikevote.db-wal", "strikevote.db-shm", "strikevote.db-journal")
_PRIVATE_TEXT = """\
PRIVATE - DO NOT PUBLISH OR SHARE THIS DIRECTORY.

Written by `strikevote demo` next to the public bundle {out}
(which holds only vote.json, locals/, result.json and report.html: publish that one).

  trustees/*.key  the trustees' decryption key shares (encrypted): any two of them decrypt every ballot
  trustees/*.passphrase  the passphrase of each key file (a real trustee never writes it down beside it)
  outbox/*.eml    every member's credential letter: whoever holds one can cast that member's ballot
  roll.csv        the roll: members' names and emails
  strikevote.db   the demo's database (when no --db was given): the roll and the vote's state

In a real vote each trustee keeps their own key file on their own machine and the credential authority
mails the letters and deletes them; nothing here would ever sit in one place.
"""


class DemoDirError(BundleDirError):
    """The bundle or private directory cannot be used (not empty, or one inside the other)."""


@dataclass
class DemoOutcome:
    out: Path
    private: Path
    result: ResultRecord
    valid: bool
    failures: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    rejected: int = 0


def _ballot_job(args: tuple[str, str, str, int, int | None]) -> str:
    """One member's ballot; its randomness is the OS CSPRNG unless the demo was given --seed."""
    election_json, uuid, credential, yes, seed = args
    election = _election(election_json)
    secret = derive_secret(election.group, uuid, credential)
    rng = DeterministicRandomness(seed) if seed is not None else SystemRandomness()
    return create_ballot(election, secret, [[1, 0] if yes else [0, 1]], rng).raw


_ELECTIONS: dict[str, ElectionParams] = {}


def _election(raw: str) -> ElectionParams:
    e = _ELECTIONS.get(raw)
    if e is None:
        e = _ELECTIONS[raw] = ElectionParams.parse(raw)
    return e


def demo_passphrase(path: Path) -> bytes:
    """A random passphrase for a simulated trustee's key file, kept next to it (mode 0600): a real trustee
    keeps theirs in their head, never beside the key."""
    phrase = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(phrase + "\n")
    return phrase.encode()


def definition_for(s: Scenario, group: str, now: datetime) -> dict[str, Any]:
    """The vote definition of a simulated run of the scenario: marked a simulation, and titled with the year
    it is run in (the scenario's own title may name the year of the real vote it is modelled on)."""
    return {
        "simulation": True,
        "union": s.union,
        "title": f"{s.title} — simulation, {now.year}",
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


def default_private_dir(out: Path) -> Path:
    """``<out>.private``, next to the bundle (never inside it)."""
    o = out.resolve()
    return o.with_name(o.name + ".private")


def prepare_dirs(out: Path, private: Path) -> None:
    """Make ``out`` an empty bundle directory and ``private`` an empty private one (mode 0700).

    A previous demo's bundle or private directory is replaced; anything else that is in the way is refused,
    so no file of the user's is deleted and no stray file ends up published with the bundle.
    """
    o, p = out.resolve(), private.resolve()
    if p == o or p.is_relative_to(o) or o.is_relative_to(p):
        raise DemoDirError(
            f"the private directory {private} and the bundle {out} must be apart, neither inside the other"
        )
    try:
        check_bundle_dir(out)
    except BundleDirError as exc:
        raise DemoDirError(str(exc)) from None
    if private.exists():
        if not private.is_dir():
            raise DemoDirError(f"{private}: not a directory")
        if any(private.iterdir()) and not (private / PRIVATE_README).is_file():
            raise DemoDirError(
                f"{private}: exists and is not a demo's private directory; choose another --private"
            )
    # both checked: only now is a previous demo's output removed
    clear_bundle(out)
    for x in (private / n for n in PRIVATE_ITEMS):
        if x.is_dir() and not x.is_symlink():
            shutil.rmtree(x)
        else:
            x.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    os.chmod(private, 0o700)
    (private / PRIVATE_README).write_text(_PRIVATE_TEXT.format(out=o), encoding="utf-8")


def run_demo(
    scenario: Scenario,
    out: Path,
    *,
    private: Path | None = None,
    db_url: str | None = None,
    group: str = "Ed25519",
    seed: int | None = None,
    console: Console | None = None,
    jobs: int | None = None,
) -> DemoOutcome:
    console = console or Console()
    private = private or default_private_dir(out)
    prepare_dirs(out, private)
    if db_url is None:
        for name in DB_FILES:
            (private / name).unlink(missing_ok=True)
    rng: Any = DeterministicRandomness(seed) if seed is not None else SystemRandomness()
    # who votes what, and the roll: reproducible with --seed, else from the OS CSPRNG (never Mersenne Twister
    # seeded from 53 bits, which would make every ballot's randomness guessable)
    pyrng = random.Random(seed) if seed is not None else random.SystemRandom()
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
    db = open_db(db_url or f"sqlite:///{private / 'strikevote.db'}")
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
            write_roll_csv(members, private / "roll.csv")
            roll = load_roll(private / "roll.csv", {x.id for x in scenario.locals})
            defn = parse_definition(definition_for(scenario, group, now), "demo scenario")
            called = votes.call_vote(db, defn, roll, now)
            progress.update(t, completed=1)
        # 2. key ceremony: each trustee with their own key file
        with phase("trustees"):
            kdir = private / "trustees"
            kdir.mkdir(mode=0o700)
            keys = [kdir / f"trustee-{i}.key" for i in (1, 2, 3)]
            passphrases = {k: demo_passphrase(k.with_suffix(".passphrase")) for k in keys}
            t = progress.add_task("Trustees' key ceremony (2 of 3)", total=10)
            for i, k in enumerate(keys, start=1):
                trustees.init_trustee(db, called.vote_id, i, k, rng, passphrase=passphrases[k])
                progress.advance(t)
            for k in keys:
                trustees.publish_polynomial(db, called.vote_id, k, rng, passphrase=passphrases[k])
                progress.advance(t)
            for k in keys:
                trustees.finish_trustee(db, called.vote_id, k, rng, passphrase=passphrases[k])
                progress.advance(t)
            trustees.setup_elections(db, called.vote_id, rng)
            progress.advance(t)
        # 3. credentials
        with phase("credentials"):
            eligible = len(called.snapshot.eligible)
            t = progress.add_task("Credential authority: letters", total=eligible)
            letters = credentials.issue_credentials(
                db, called.vote_id, private / "outbox", rng, now, progress=lambda n: progress.advance(t, n)
            )
        # 4. members vote
        plan = {x.id: x for x in scenario.locals}
        with db.begin() as s:
            els = {el.local_id: el.election_json for el in votes.elections(s, called.vote_id)}
        jobs_args: list[tuple[str, str, str, int, int | None]] = []
        by_local: dict[str, list[Any]] = {}
        for letter in letters:
            by_local.setdefault(letter.local_id, []).append(letter)
        for lid, ls in by_local.items():
            pyrng.shuffle(ls)
            p = plan[lid]
            for n, letter in enumerate(ls[: p.yes + p.no]):
                jobs_args.append(
                    (
                        els[lid],
                        letter.uuid,
                        letter.credential,
                        int(n < p.yes),
                        pyrng.getrandbits(63) if seed is not None else None,
                    )
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
                trustees.partial_decrypt(db, called.vote_id, k, rng, passphrase=passphrases[k], jobs=jobs)
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
        private,
        outcome.result,
        report.valid,
        [f"{c.name}: {c.detail}" for c in report.failures],
        timings,
        rejected,
    )
