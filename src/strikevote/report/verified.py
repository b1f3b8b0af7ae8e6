""" "What was verified", in short: the checks the verifier ran on the bundle, grouped into the three things a
reader cares about (each local's archive, the bundle as a whole, the result), each with its count and failures.
The certificate shows this summary and folds the full list of checks under it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["CheckFamily", "summarize"]

# (key, heading, what it covers): the verifier's check names, grouped (strikevote.verify).
_FAMILIES: Final = (
    (
        "archives",
        "Each local's Belenios archive",
        "the event chain and file hashes, the election and the trustees' keys, every ballot and its proofs, "
        "the voters' credentials, the encrypted tally, each trustee's partial decryption and the result",
    ),
    (
        "bundle",
        "The bundle",
        "vote.json against each local's election, the trustees shared by every local, one credential per "
        "eligible member, no file beyond the bundle's, and this certificate's announcement",
    ),
    (
        "result",
        "The result",
        "result.json rebuilt, field by field, from the verified counts and the rule applied again",
    ),
)


@dataclass(frozen=True)
class CheckFamily:
    key: str
    heading: str
    covers: str
    passed: int
    failed: int
    locals: int  # how many locals' archives (for the archives family)
    failures: list[str]  # "name: detail" of each failed check


def _family(name: str) -> str:
    if "/" in name:  # "<local>/<check>": a check of that local's archive (verify.bundle)
        return "archives"
    return "result" if name.startswith("result.") else "bundle"


def summarize(checks: Sequence[Mapping[str, Any]]) -> list[CheckFamily]:
    """One entry per family that has checks, in a fixed order; ``checks``: ``{"name", "ok", "detail"}``."""
    out = []
    for key, heading, covers in _FAMILIES:
        mine = [c for c in checks if _family(str(c["name"])) == key]
        if not mine:
            continue
        failed = [c for c in mine if not c["ok"]]
        out.append(
            CheckFamily(
                key=key,
                heading=heading,
                covers=covers,
                passed=len(mine) - len(failed),
                failed=len(failed),
                locals=len({str(c["name"]).split("/", 1)[0] for c in mine}) if key == "archives" else 0,
                failures=[f"{c['name']}: {c['detail']}" for c in failed],
            )
        )
    return out
