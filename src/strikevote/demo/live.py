"""A small vote set up and left open, through the real services: what ``strikevote serve --demo`` serves,
and what the server's tests and ``bench/serve.py`` cast ballots into.

Roll generated and imported → vote called → the trustees' 2-of-3 key ceremony (each with their own key file
in ``work/trustees``) → one Belenios election per local → the credential authority's letters
(``work/outbox``).  The vote is then open: members cast ballots over HTTP.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from strikevote.crypto.randomness import Randomness, SystemRandomness
from strikevote.demo.runner import demo_passphrase
from strikevote.roll import generate_roll, load_roll, write_roll_csv
from strikevote.services import credentials, trustees, votes
from strikevote.services.credentials import Letter
from strikevote.services.definition import parse_definition

DEMO_LOCALS: dict[str, tuple[str, int]] = {
    "101": ("Stagehands Local 101", 12),
    "202": ("Wardrobe Local 202", 12),
}


@dataclass(frozen=True)
class LiveVote:
    vote_id: str
    letters: list[Letter]
    keys: list[Path]
    work: Path
    passphrases: dict[Path, bytes]  # each simulated trustee's key file passphrase (kept beside it, mode 0600)


def definition(
    vote_id: str,
    locals_: dict[str, tuple[str, int]],
    now: datetime,
    *,
    group: str = "Ed25519",
    revote: str = "forbidden",
    opens_in: timedelta = timedelta(hours=-1),
    closes_in: timedelta = timedelta(days=3),
) -> dict[str, Any]:
    return {
        "id": vote_id,
        "union": "Demo Theatre Workers Union",
        "title": "Strike authorization vote",
        "kind": "strike-authorization",
        "question": "Do you authorize the bargaining committee to call a strike?",
        "group": group,
        "revote": revote,
        "rule": "articles-iatse",
        "notice": (now - timedelta(days=21)).date(),
        "window": {"opens": now + opens_in, "closes": now + closes_in, "timezone": "UTC"},
        "trustees": {
            "n": 3,
            "k": 2,
            "names": ["Trustee A (union)", "Trustee B (neutral)", "Trustee C (members)"],
        },
        "eligibility": {"cutoff": (now - timedelta(days=1)).date(), "grace_days": 0, "require_email": True},
        "locals": [
            {"id": lid, "name": name, "delegates": 1 + i}
            for i, (lid, (name, _)) in enumerate(locals_.items())
        ],
    }


def open_vote(
    db: sessionmaker[Session],
    work: Path,
    *,
    vote_id: str = "demo-strike-vote",
    locals_: dict[str, tuple[str, int]] | None = None,
    group: str = "Ed25519",
    revote: str = "forbidden",
    rng: Randomness | None = None,
    seed: int = 1,
    now: datetime | None = None,
    opens_in: timedelta = timedelta(hours=-1),
    closes_in: timedelta = timedelta(days=3),
) -> LiveVote:
    locals_ = locals_ or DEMO_LOCALS
    rng = rng or SystemRandomness()
    now = now or datetime.now(UTC).replace(microsecond=0)
    work.mkdir(parents=True, exist_ok=True)
    cutoff = (now - timedelta(days=1)).date()
    members = generate_roll([(lid, n) for lid, (_, n) in locals_.items()], random.Random(seed), cutoff=cutoff)
    write_roll_csv(members, work / "roll.csv")
    roll = load_roll(work / "roll.csv", set(locals_))
    defn = parse_definition(
        definition(vote_id, locals_, now, group=group, revote=revote, opens_in=opens_in, closes_in=closes_in),
        "demo vote",
    )
    called = votes.call_vote(db, defn, roll, now)
    kdir = work / "trustees"
    kdir.mkdir(mode=0o700, exist_ok=True)
    keys = [kdir / f"trustee-{i}.key" for i in (1, 2, 3)]
    phrases = {key: demo_passphrase(key.with_suffix(".passphrase")) for key in keys}
    for i, key in enumerate(keys, start=1):
        trustees.init_trustee(db, called.vote_id, i, key, rng, passphrase=phrases[key])
    for key in keys:
        trustees.publish_polynomial(db, called.vote_id, key, rng, passphrase=phrases[key])
    for key in keys:
        trustees.finish_trustee(db, called.vote_id, key, rng, passphrase=phrases[key])
    trustees.setup_elections(db, called.vote_id, rng)
    letters = credentials.issue_credentials(db, called.vote_id, work / "outbox", rng, now)
    return LiveVote(called.vote_id, letters, keys, work, phrases)


def booth_link(public_url: str, vote_id: str, letter: Letter) -> str:
    """The link a letter carries: the credential in the fragment, which browsers never send."""
    return f"{public_url.rstrip('/')}/vote/{vote_id}#{letter.uuid}/{letter.credential}"
