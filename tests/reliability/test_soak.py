"""Soak: 50 clients casting and reading for 2 minutes (longer runs: ``bench/soak.py``): no error, and the
server's memory flat.  3,000 members: fresh ballots for the first 15 s or so, identical re-sends after
(24,264 of them against 3,000 casts on 2026-12-02)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import SCALE

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "bench"))

from soak import soak


def test_soak_fifty_clients(tmp_path: Path) -> None:
    seconds = 120 * SCALE
    r = soak(f"sqlite:///{tmp_path / 'soak.sqlite3'}", tmp_path, clients=50, seconds=seconds, members=3000)
    assert r.errors == [], r.errors[:10]
    assert r.casts > 0 and r.reads > r.casts
    assert r.memory_growth() < 1.3, r.rss_mib
    print(
        f"soak {seconds:.0f} s: {r.casts} casts + {r.resends} re-sends, {r.reads} reads, p99 {r.cast_p99_ms:.0f} ms, "
        f"memory {r.rss_mib[0]:.0f} → {r.rss_mib[-1]:.0f} MiB (late/early quarter {r.memory_growth():.2f})"
    )
