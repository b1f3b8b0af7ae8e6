"""The election archive ``UUID.bel`` (specification §"Public data"; Belenios ``src/lib/core/{tar,archive}.ml``).

An old-style tar, written record by record, never rewritten: a ``BELENIOS`` header
``{"version":1,"timestamp":"…"}`` then ``<sha256>.data.json`` and ``<sha256>.event.json`` files, each named by
the SHA-256 of its content.  Events ``{"parent"?,"height","type","payload"?}`` form a hash chain from ``Setup``.
Tar headers are byte-identical to Belenios' (which refuses any header it would not have written itself).
Reading streams: one record at a time, so memory does not grow with the number of ballots.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from strikevote.belenios.codec import check_object, dumps, get_int, loads
from strikevote.belenios.errors import ArchiveError, FormatError
from strikevote.belenios.files import open_regular

BLOCK = 512
EVENT_TYPES = (
    "Setup",
    "Ballot",
    "EndBallots",
    "EncryptedTally",
    "Shuffle",
    "EndShuffles",
    "PartialDecryption",
    "Result",
)


def tar_header(name: str, size: int, timestamp: int) -> bytes:
    """Belenios ``Tar.bytes_of_header``."""
    if len(name) >= 100:
        raise ValueError("tar name too long")
    b = bytearray(BLOCK)
    b[0 : len(name)] = name.encode("ascii")
    b[100:107] = b"0000644"
    b[108:115] = b"0000000"
    b[116:123] = b"0000000"
    b[124:135] = b"%011o" % size
    b[136:147] = b"%011o" % timestamp
    b[148:156] = b"        "
    b[156:157] = b"0"
    b[148:156] = b"%06o\x00 " % sum(b)
    return bytes(b)


def _padding(size: int) -> bytes:
    return b"\x00" * (-size % BLOCK)


def tar_entry(name: str, body: bytes, timestamp: int) -> bytes:
    """One archive member as :class:`ArchiveWriter` writes it: header, body, padding (for streamed archives)."""
    return tar_header(name, len(body), timestamp) + body + _padding(len(body))


def archive_header(timestamp: int) -> bytes:
    """The ``BELENIOS`` member that opens every archive."""
    return tar_entry("BELENIOS", dumps({"version": 1, "timestamp": str(timestamp)}).encode(), timestamp)


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One member of a Belenios ``.bel`` tar archive: the header, or a data/event file named by its hash."""

    kind: Literal["data", "event", "header"]
    name_hash: str
    content: bytes
    offset: int

    @property
    def hash_ok(self) -> bool:
        return self.kind == "header" or hashlib.sha256(self.content).hexdigest() == self.name_hash


@dataclass(frozen=True, slots=True)
class Event:
    parent: str | None
    height: int
    type: str
    payload: str | None

    def to_json(self) -> str:
        obj: dict[str, object] = {}
        if self.parent is not None:
            obj["parent"] = self.parent
        obj["height"] = self.height
        obj["type"] = self.type
        if self.payload is not None:
            obj["payload"] = self.payload
        return dumps(obj)

    @staticmethod
    def parse(raw: bytes, where: str) -> Event:
        obj = check_object(
            loads(raw, where), where, ("parent", "height", "type", "payload"), optional=("parent", "payload")
        )
        if obj["type"] not in EVENT_TYPES:
            raise FormatError(f"{where}.type", f"unknown event type {obj['type']!r}")
        for key in ("parent", "payload"):
            if key in obj and not _is_hex_hash(obj[key]):
                raise FormatError(f"{where}.{key}", "expected a SHA-256 hex hash")
        return Event(
            obj.get("parent"), get_int(obj, "height", where, minimum=0), obj["type"], obj.get("payload")
        )


def _is_hex_hash(s: object) -> bool:
    return isinstance(s, str) and len(s) == 64 and all(c in "0123456789abcdef" for c in s)


def read_entries(path: Path) -> Iterator[ArchiveEntry]:
    """Stream the tar entries (members) of an archive; raises ArchiveError if it is not a readable Belenios archive."""
    try:
        f: BinaryIO = open_regular(path)
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot open ({exc.strerror})") from None
    try:
        first = True
        while True:
            offset = f.tell()
            header = f.read(BLOCK)
            if not header or (header == b"\x00" * BLOCK and not first):
                return
            if len(header) < BLOCK:
                raise ArchiveError(f"{path}: truncated tar header at byte {offset}")
            name, size, _timestamp = _parse_header(path, header, offset)
            content = f.read(size)
            if len(content) < size:
                raise ArchiveError(f"{path}: truncated record {name} at byte {offset}")
            if len(f.read(-size % BLOCK)) < -size % BLOCK:
                raise ArchiveError(f"{path}: truncated record {name} at byte {offset} (padding cut short)")
            if first:
                if name != "BELENIOS":
                    raise ArchiveError(f"{path}: not a Belenios archive (first record is {name!r})")
                first = False
                yield ArchiveEntry("header", "", content, offset)
                continue
            parts = name.split(".")
            if (
                len(parts) != 3
                or parts[2] != "json"
                or parts[1] not in ("data", "event")
                or not _is_hex_hash(parts[0])
            ):
                raise ArchiveError(f"{path}: unexpected file {name!r} at byte {offset}")
            yield ArchiveEntry(parts[1], parts[0], content, offset)  # type: ignore[arg-type]
    finally:
        f.close()


def _parse_header(path: Path, header: bytes, offset: int) -> tuple[str, int, int]:
    try:
        name = header[:100].split(b"\x00", 1)[0].decode("ascii")
        size = int(header[124:135], 8)
        timestamp = int(header[136:147], 8)
    except (UnicodeDecodeError, ValueError):
        raise ArchiveError(f"{path}: not a tar archive (bad header at byte {offset})") from None
    if tar_header(name, size, timestamp) != header:
        raise ArchiveError(f"{path}: tar header at byte {offset} is not in Belenios' canonical form")
    return name, size, timestamp


def parse_archive_header(content: bytes, where: str) -> int:
    obj = check_object(loads(content, where), where, ("version", "timestamp"))
    if obj["version"] != 1:
        raise FormatError(f"{where}.version", f"unsupported archive version {obj['version']!r}")
    ts = obj["timestamp"]
    if not isinstance(ts, str) or not ts.isdigit():
        raise FormatError(f"{where}.timestamp", "expected a decimal string")
    return int(ts)


class ArchiveWriter:
    """Append-only writer.  ``sync=True`` makes every event durable (fsync) before it returns."""

    def __init__(self, path: Path, *, timestamp: int, sync: bool = False, _append: bool = False) -> None:
        self.path = path
        self.timestamp = timestamp
        self.sync = sync
        self.last_event: str | None = None
        self.height = -1
        self._f: BinaryIO
        if _append:
            self._f = open(path, "r+b")
            self._f.seek(0, os.SEEK_END)
        else:
            self._f = open(path, "xb")
            body = dumps({"version": 1, "timestamp": str(timestamp)}).encode()
            self._write("BELENIOS", body)

    @classmethod
    def append(cls, path: Path, *, sync: bool = False) -> ArchiveWriter:
        """Reopen an archive to add events after its last one (the chain is re-read, not trusted)."""
        timestamp = 0
        last: str | None = None
        height = -1
        end = 0
        for rec in read_entries(path):
            end = rec.offset + BLOCK + len(rec.content) + (-len(rec.content) % BLOCK)
            if rec.kind == "header":
                timestamp = parse_archive_header(rec.content, f"{path}: BELENIOS")
            elif rec.kind == "event":
                ev = Event.parse(rec.content, f"{path}: event {rec.name_hash}")
                if ev.parent != last or ev.height != height + 1:
                    raise ArchiveError(f"{path}: broken event chain at height {ev.height}")
                last, height = rec.name_hash, ev.height
        w = cls(path, timestamp=timestamp, sync=sync, _append=True)
        w._f.truncate(end)
        w._f.seek(end)
        w.last_event, w.height = last, height
        return w

    def _write(self, name: str, body: bytes) -> None:
        self._f.write(tar_entry(name, body, self.timestamp))

    def add_data(self, content: str | bytes) -> str:
        body = content.encode("utf-8") if isinstance(content, str) else content
        h = hashlib.sha256(body).hexdigest()
        self._write(f"{h}.data.json", body)
        return h

    def add_event(self, type_: str, payload: str | None = None) -> str:
        if type_ not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type_}")
        ev = Event(self.last_event, self.height + 1, type_, payload).to_json().encode()
        h = hashlib.sha256(ev).hexdigest()
        self._write(f"{h}.event.json", ev)
        self.last_event, self.height = h, self.height + 1
        if self.sync:
            self.flush(durable=True)
        return h

    def write_event_raw(self, raw: str) -> str:
        """Append an already-serialized event (exported from storage); its chain position is re-checked."""
        ev = Event.parse(raw.encode(), "event")
        if ev.parent != self.last_event or ev.height != self.height + 1:
            raise ArchiveError(f"{self.path}: event at height {ev.height} does not extend the chain")
        body = raw.encode()
        h = hashlib.sha256(body).hexdigest()
        self._write(f"{h}.event.json", body)
        self.last_event, self.height = h, ev.height
        return h

    def flush(self, *, durable: bool = False) -> None:
        self._f.flush()
        if durable:
            os.fsync(self._f.fileno())

    def close(self) -> None:
        if not self._f.closed:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
