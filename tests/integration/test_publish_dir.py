"""``result publish --out DIR`` writes the public bundle only into a new or empty directory or over the same
vote's bundle; ``strikevote verify DIR`` fails a bundle directory holding anything more (``bundle.extra-files``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner
from vote_kit import NOW, open_vote

from strikevote.cli.main import app
from strikevote.crypto.randomness import SystemRandomness
from strikevote.db.engine import open_db
from strikevote.services import ballotbox, results, tally, trustees

runner = CliRunner()


def test_publish_refuses_a_foreign_directory_and_verify_names_extra_files(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, sizes={"44": 2, "80": 2})
    for letter in kit.letters[:3]:
        ballotbox.cast(db, kit.vote_id, kit.ballot(letter, True), NOW)
    tally.close_and_tally(db, kit.vote_id)
    for key in kit.keys[:2]:
        trustees.partial_decrypt(db, kit.vote_id, key, SystemRandomness())
    results.decrypt_results(db, kit.vote_id)

    # the trustee's working folder: keys next to where the bundle would go
    work = tmp_path / "trustee-folder"
    work.mkdir()
    shutil.copy(kit.keys[0], work / "t1.key")
    r = runner.invoke(app, ["result", "publish", kit.vote_id, "--out", str(work), "--db", db_url])
    assert r.exit_code == 2, r.output
    assert "holds t1.key" in r.stderr and "never publish them" in r.stderr
    assert sorted(x.name for x in work.iterdir()) == ["t1.key"]  # nothing written

    out = tmp_path / "bundle"
    r = runner.invoke(app, ["result", "publish", kit.vote_id, "--out", str(out), "--db", db_url, "-j", "1"])
    assert r.exit_code == 0, r.output
    # publishing again over the same vote's bundle is fine
    r = runner.invoke(app, ["result", "publish", kit.vote_id, "--out", str(out), "--db", db_url, "-j", "1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["verify", str(out), "-j", "1"])
    assert r.exit_code == 0 and "bundle.extra-files" in r.stdout, r.output

    # a file slipped into the bundle (or its locals/) afterwards: verify names it and fails
    (out / "t1.key").write_bytes(kit.keys[0].read_bytes())
    (out / "locals" / "notes.txt").write_text("x")
    r = runner.invoke(app, ["verify", str(out), "-j", "1"])
    assert r.exit_code == 1, r.output
    assert "FAIL bundle.extra-files" in r.stdout and "locals/notes.txt, t1.key" in r.stdout
    assert "INVALID" in r.stdout

    # another vote's bundle is never overwritten by this one
    other = tmp_path / "other"
    shutil.copytree(out, other)
    (other / "t1.key").unlink()
    (other / "locals" / "notes.txt").unlink()
    text = (other / "vote.json").read_text().replace(f'"id": "{kit.vote_id}"', '"id": "another-vote"')
    (other / "vote.json").write_text(text)
    r = runner.invoke(app, ["result", "publish", kit.vote_id, "--out", str(other), "--db", db_url])
    assert r.exit_code == 2 and "the bundle of vote 'another-vote'" in r.stderr, r.output
