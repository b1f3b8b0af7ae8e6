"""The bundle directory holds the bundle's items and nothing else (DESIGN.md §3): what the verifier names as
extra, and what the publishers refuse to write into."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strikevote.services.bundle_dir import BundleDirError, check_bundle_dir, clear_bundle
from strikevote.verify.layout import extra_files, is_local_item


def bundle(path: Path, vote_id: str = "v1") -> Path:
    (path / "locals").mkdir(parents=True)
    (path / "vote.json").write_text(json.dumps({"id": vote_id}))
    (path / "result.json").write_text("{}")
    (path / "report.html").write_text("<html></html>")
    (path / "locals" / "44.bel").write_bytes(b"tar")
    (path / "locals" / "44.proofs.json").write_text("{}")  # strong decryption proofs: a bundle item
    return path


def test_a_bare_bundle_has_no_extra_files(tmp_path: Path) -> None:
    assert extra_files(bundle(tmp_path / "b")) == []
    assert extra_files(tmp_path / "absent") == []


def test_every_file_beyond_the_items_is_named(tmp_path: Path) -> None:
    b = bundle(tmp_path / "b")
    (b / "trustees").mkdir()
    (b / "trustees" / "t1.key").write_text("secret")
    (b / "notes.txt").write_text("x")
    (b / "locals" / "t2.key").write_text("secret")
    (b / "locals" / "sub").mkdir()
    (b / "locals" / "44.bel.bak").write_bytes(b"old")
    assert extra_files(b) == ["locals/44.bel.bak", "locals/sub/", "locals/t2.key", "notes.txt", "trustees/"]


def test_an_item_of_the_wrong_kind_is_extra(tmp_path: Path) -> None:
    b = bundle(tmp_path / "b")
    (b / "result.json").unlink()
    (b / "result.json").mkdir()
    assert extra_files(b) == ["result.json/"]
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "locals").write_text("not a directory")
    assert extra_files(tmp_path / "c") == ["locals"]


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("44.bel", True),
        ("local_1-a.proofs.json", True),
        ("44.json", False),
        (".44.bel", False),
        ("a b.bel", False),
    ],
)
def test_local_items(name: str, ok: bool) -> None:
    assert is_local_item(name) is ok


def test_publish_dir_accepts_new_empty_and_same_vote(tmp_path: Path) -> None:
    check_bundle_dir(tmp_path / "new", "v1")
    (tmp_path / "empty").mkdir()
    check_bundle_dir(tmp_path / "empty", "v1")
    check_bundle_dir(bundle(tmp_path / "b"), "v1")
    check_bundle_dir(tmp_path / "b")  # the demo: any previous bundle


def test_publish_dir_refuses_other_vote_and_foreign_files(tmp_path: Path) -> None:
    b = bundle(tmp_path / "b", "v1")
    with pytest.raises(BundleDirError, match="the bundle of vote 'v1', not of 'v2'"):
        check_bundle_dir(b, "v2")
    (b / "trustee-1.key").write_text("secret")
    with pytest.raises(BundleDirError, match=r"holds trustee-1.key \(trustee keys.*never publish them"):
        check_bundle_dir(b, "v1")
    assert (b / "trustee-1.key").read_text() == "secret" and (b / "vote.json").is_file()  # nothing removed
    (tmp_path / "file").write_text("x")
    with pytest.raises(BundleDirError, match="not a directory"):
        check_bundle_dir(tmp_path / "file", "v1")


def test_clear_bundle_removes_only_bundle_items(tmp_path: Path) -> None:
    b = bundle(tmp_path / "b")
    clear_bundle(b)
    assert list(b.iterdir()) == []
