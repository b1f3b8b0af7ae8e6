"""The published bundle (DESIGN.md §3) as the server offers it for download.

Once a vote is ``published`` the server writes its bundle once, into its own cache directory, exactly as
``strikevote result publish`` does (the rule applied to the decrypted tallies, the archives exported, the
bundle verified independently and the verification recorded in ``report.html``), then serves those files.
The bundle is built in a temporary sibling directory and renamed into place, so several server processes
racing on the first download never serve half a bundle.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from strikevote.report import write_report
from strikevote.services import results
from strikevote.services.errors import NotFound, StateError
from strikevote.services.votes import load_vote


def bundle_dir(db: sessionmaker[Session], vote_id: str, cache: Path) -> Path:
    """The directory of the vote's published bundle, built on first use; StateError before publication."""
    with db() as s:
        vote, _ = load_vote(s, vote_id)
        if vote.state != "published":
            raise StateError(f"vote '{vote_id}' is {vote.state}: its bundle is not published yet")
        # Named after this very vote, not its id alone: a database made anew with the same vote id (a demo
        # run again) must never be served another vote's bundle.
        identity = f"{vote.id}|{vote.created_at.isoformat()}|{vote.roll_digest}|{vote.trustees_json or ''}"
    target = cache / f"{vote_id}-{hashlib.sha256(identity.encode()).hexdigest()[:16]}"
    if (target / "report.html").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{vote_id}-", dir=cache))
    try:
        out = work / "bundle"
        outcome = results.publish(db, vote_id, out)
        from strikevote.verify.bundle import verify_bundle

        report = verify_bundle(out, jobs=1)
        write_report(out, outcome.result, [(c.name, c.passed, c.detail) for c in report.checks])
        try:
            os.rename(out, target)
        except OSError:
            if not (target / "report.html").is_file():  # not another process's finished bundle
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def bundle_files(directory: Path) -> list[str]:
    """The bundle's files, relative paths with ``/``, in a stable order."""
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def bundle_file(db: sessionmaker[Session], vote_id: str, name: str, cache: Path) -> Path:
    """One file of the published bundle by its relative name (``vote.json``, ``locals/600.bel``…)."""
    directory = bundle_dir(db, vote_id, cache)
    if name not in bundle_files(directory):  # never a path built from the name alone
        raise NotFound(f"the bundle of vote '{vote_id}' has no file {name!r}")
    return directory / name
