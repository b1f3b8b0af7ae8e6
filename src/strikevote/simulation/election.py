"""A whole yes/no election produced by our code alone, for interoperability tests, benchmarks and the demo.

Everything a real vote does happens here (trustee keys, credentials, encrypted and proven ballots, tally,
partial decryptions, result), in one process, with injected randomness.  No database: see
:mod:`strikevote.services` for the real lifecycle.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from strikevote.belenios.ballot import create_ballot
from strikevote.belenios.election import ElectionParams, Question
from strikevote.belenios.setup import (
    generate_credentials,
    make_single,
    new_uuid,
    public_credentials_json,
    run_pedersen_ceremony,
)
from strikevote.belenios.tally import (
    add_to_tally,
    combine_decryptions,
    compute_factor,
    decrypt_result,
    empty_tally,
)
from strikevote.belenios.trustees import Single, TrusteeKind, combined_public_key, decryption_keys
from strikevote.crypto.credentials import derive_secret
from strikevote.crypto.group import Group
from strikevote.crypto.randomness import DeterministicRandomness, Randomness
from strikevote.simulation.archive import ElectionArchive

YES_NO = Question(("Yes", "No"), 1, 1, "Do you authorize strike action?")
TrusteeMode = Literal["single", "threshold", "both"]


@dataclass
class SimulatedElection:
    path: Path
    election: ElectionParams
    trustees: list[TrusteeKind]
    result: list[list[int]]
    trackers: list[str] = field(default_factory=list)


def _ballot_job(args: tuple[str, str, str, int, int]) -> str:
    election_raw, uuid, credential, vote, seed = args
    election = ElectionParams.parse(election_raw)
    secret = derive_secret(election.group, uuid, credential)
    plaintext = [[1, 0] if vote == 1 else [0, 1]]
    return create_ballot(election, secret, plaintext, DeterministicRandomness(f"ballot|{seed}")).raw


def make_trustees(
    group: Group[Any], mode: TrusteeMode, k: int, n: int, rng: Randomness
) -> tuple[list[TrusteeKind], dict[int, int]]:
    """Trustee records and every private decryption key, by trustee id."""
    trustees: list[TrusteeKind] = []
    secrets: list[int] = []
    if mode in ("single", "both"):
        for _ in range(2 if mode == "single" else 1):
            x = group.random_scalar(rng)
            trustees.append(Single(make_single(group, x, rng)))
            secrets.append(x)
    if mode in ("threshold", "both"):
        pedersen, shares = run_pedersen_ceremony(group, k, n, rng)
        trustees.append(pedersen)
        secrets.extend(shares)
    return trustees, dict(enumerate(secrets, start=1))


def simulate(
    path: Path,
    group: Group[Any],
    votes: Sequence[int],
    *,
    seed: int = 1,
    trustee_mode: TrusteeMode = "both",
    k: int = 2,
    n: int = 3,
    absent: Sequence[int] = (),
    jobs: int = 1,
    timestamp: int = 1_800_000_000,
    progress: Callable[[int], None] | None = None,
) -> SimulatedElection:
    """Write a complete archive to ``path``: votes are 1 (yes) or 0 (no), one per voter."""
    rng = DeterministicRandomness(seed)
    uuid = new_uuid(rng)
    trustees, secrets = make_trustees(group, trustee_mode, k, n, rng)
    election = ElectionParams.make(
        group=group,
        public_key=combined_public_key(group, trustees),
        uuid=uuid,
        name="Strike authorization",
        description="Strike authorization vote",
        questions=(YES_NO,),
    )
    creds = generate_credentials(group, uuid, len(votes), rng)
    archive = ElectionArchive.create(
        path,
        election,
        trustees,
        public_credentials_json(group, [c.public for c in creds]),
        timestamp=timestamp,
    )
    jobs_args = [
        (election.raw, uuid, c.private, v, seed * 1_000_003 + i)
        for i, (c, v) in enumerate(zip(creds, votes, strict=True))
    ]
    tally = empty_tally(election)
    sim = SimulatedElection(path, election, trustees, [])
    if jobs > 1:
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ctx.Pool(jobs) as pool:
            raws = pool.imap(_ballot_job, jobs_args, chunksize=32)
            for i, raw in enumerate(raws, start=1):
                _cast(archive, election, tally, raw, sim)
                if progress:
                    progress(i)
    else:
        for i, a in enumerate(jobs_args, start=1):
            _cast(archive, election, tally, _ballot_job(a), sim)
            if progress:
                progress(i)
    archive.end_ballots()
    archive.add_encrypted_tally(tally, len(votes), len(votes))
    partials = {}
    for tid, _t, _idx, _pk in decryption_keys(trustees):
        if tid in absent:
            continue
        partials[tid] = compute_factor(election, tally, secrets[tid], rng)
        archive.add_partial_decryption(tid, partials[tid])
    factors = combine_decryptions(election, trustees, partials)
    sim.result = decrypt_result(election, tally, factors, len(votes))
    archive.add_result(sim.result)
    archive.close()
    return sim


def _cast(
    archive: ElectionArchive, election: ElectionParams, tally: list[Any], raw: str, sim: SimulatedElection
) -> None:
    from strikevote.belenios.ballot import parse_ballot

    ballot = parse_ballot(election.group, raw)
    add_to_tally(election.group, tally, ballot.answers)
    archive.add_ballot(raw)
    sim.trackers.append(ballot.tracker)
