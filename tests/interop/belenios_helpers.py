"""Helpers for the interoperability tests: run belenios-tool on an archive, cut an archive before an event.

Imported by the test modules of this directory (pytest puts the directory of a test file on ``sys.path``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from strikevote.belenios.archive import BLOCK, Event, read_entries

TOOL_TIMEOUT = 300


def record_end(offset: int, content: bytes) -> int:
    """Byte offset just past a tar record (header block, content, padding to a block)."""
    return offset + BLOCK + len(content) + (-len(content) % BLOCK)


def truncate_before(src: Path, dst: Path, event_type: str) -> Path:
    """Copy ``src`` to ``dst`` up to, excluding, the first event of type ``event_type``.

    The cut falls right after the last event that precedes it, so the data objects written for the excluded
    event (e.g. the result before the ``Result`` event, the first ballot before the first ``Ballot``) go too.
    The kept bytes are copied verbatim: belenios-tool writes no end-of-archive blocks, so neither do we.
    """
    cut: int | None = None
    for rec in read_entries(src):
        if rec.kind == "header":
            cut = record_end(rec.offset, rec.content)
        elif rec.kind == "event":
            if Event.parse(rec.content, str(src)).type == event_type:
                break
            cut = record_end(rec.offset, rec.content)
    else:
        raise ValueError(f"{src} has no {event_type} event")
    assert cut is not None
    with open(src, "rb") as f:
        data = f.read(cut)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data)
    return dst


def event_payloads(path: Path, event_type: str) -> Iterator[bytes]:
    """The payload data object of every event of ``event_type``, in archive order."""
    data: dict[str, bytes] = {}
    for rec in read_entries(path):
        if rec.kind == "data":
            data[rec.name_hash] = rec.content
        elif rec.kind == "event":
            ev = Event.parse(rec.content, str(path))
            if ev.type == event_type:
                assert ev.payload is not None
                yield data[ev.payload]


def setup_object(path: Path, which: str) -> bytes:
    """The ``election``, ``trustees`` or ``credentials`` object the archive's Setup event points to."""
    data: dict[str, bytes] = {}
    for rec in read_entries(path):
        if rec.kind == "data":
            data[rec.name_hash] = rec.content
        elif rec.kind == "event":
            ev = Event.parse(rec.content, str(path))
            assert ev.type == "Setup" and ev.payload is not None
            return data[json.loads(data[ev.payload])[which]]
    raise ValueError(f"{path} has no Setup event")


def archive_result(path: Path) -> Any:
    """The ``{"result": ...}`` object published in the archive's Result event."""
    (payload,) = list(event_payloads(path, "Result"))
    return json.loads(payload)


def alone_in(directory: Path, archive: Path, name: str | None = None) -> Path:
    """Copy ``archive`` as the only ``*.bel`` of a fresh ``directory`` (belenios-tool reads the single one)."""
    directory.mkdir(parents=True, exist_ok=True)
    assert not list(directory.glob("*.bel")), f"{directory} already has an archive"
    target = directory / (name or archive.name)
    shutil.copyfile(archive, target)
    return target


def run_tool(
    tool: str, args: list[str], cwd: Path, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run belenios-tool in ``cwd``; with ``check``, fail the test (showing its output) unless it exits 0."""
    proc = subprocess.run(
        [tool, *args], cwd=cwd, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"belenios-tool {' '.join(args)} exited {proc.returncode} in {cwd}\n"
            f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
        )
    return proc


def tool_verify(tool: str, archive: Path, workdir: Path) -> str:
    """``belenios-tool election verify`` on a copy of ``archive``; asserts it passes; returns its output."""
    d = workdir / "verify"
    alone_in(d, archive)
    proc = run_tool(tool, ["election", "verify"], d)
    out = proc.stdout + proc.stderr
    assert "all checks passed" in out, out
    return out


def tool_compute_result(tool: str, archive: Path, workdir: Path) -> Any:
    """The result belenios-tool computes from ``archive`` cut before its Result event (partial decryptions kept)."""
    d = workdir / "compute-result"
    truncate_before(archive, d / archive.name, "Result")
    proc = run_tool(tool, ["election", "compute-result"], d)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def tool_verify_ballots(tool: str, archive: Path, workdir: Path) -> int:
    """belenios-tool (>= 2.1) ``election verify-ballot`` on every ballot of ``archive``, against its setup only.

    The archive is cut right after the Setup event (else the tool answers DuplicateBallot).  Returns the number
    of ballots checked.
    """
    d = workdir / "verify-ballot"
    truncate_before(archive, d / archive.name, "Ballot")
    count = 0
    for i, raw in enumerate(event_payloads(archive, "Ballot")):
        ballot = workdir / f"ballot-{i}.json"
        ballot.write_bytes(raw)
        proc = run_tool(tool, ["election", "verify-ballot", "--ballot", str(ballot)], d, check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0 and "ballot is valid" in out, f"ballot {i} rejected: {out}"
        count += 1
    return count
