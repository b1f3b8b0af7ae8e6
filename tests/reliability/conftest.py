"""The reliability suite (issue 11): the real server over HTTP on SQLite and PostgreSQL, under races, crashes,
database restarts, a locked file, a full disk, fuzzing and a soak.  Each experiment is repeated and counted.

``STRIKEVOTE_RELIABILITY_SCALE`` (default 1) multiplies the number of trials and the soak's length (the
2-minute soak of the issue is ``bench/soak.py``).  The helpers of the server tests are shared:
``tests/integration`` is put on ``sys.path``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))

SCALE = float(os.environ.get("STRIKEVOTE_RELIABILITY_SCALE", "1"))


def trials(n: int) -> int:
    return max(1, round(n * SCALE))
