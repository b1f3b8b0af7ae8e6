"""The vote's commitment: what binds vote.json to its elections (DESIGN.md §3).

Each local's Belenios election carries, in its description, the commitment of the vote's header (vote.json
without its ``elections``), so the rule, the locals and their delegates, the window, the roll digest and the
trustees are fixed when the elections are set up, under the election fingerprints members see: a vote.json
rewritten afterwards no longer matches its archives (``bundle.definition`` in :mod:`strikevote.verify.bundle`).
"""

from __future__ import annotations

import json

from strikevote.crypto.hashing import sha256_b64
from strikevote.records.vote import VoteRecord

__all__ = ["election_description", "vote_commitment"]


def vote_commitment(vote: VoteRecord) -> str:
    """Base64Compact(SHA-256) of the canonical JSON (sorted keys, no spaces, UTF-8 as is) of the vote's header."""
    header = vote.header().to_json()
    return sha256_b64(json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def election_description(union: str, title: str, local_id: str, commitment: str) -> str:
    """The description of one local's Belenios election: the union, the vote's title, the local and the
    commitment of the vote (:func:`vote_commitment`)."""
    return f"{union}: {title} (local {local_id}); vote {commitment}"
