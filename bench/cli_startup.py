"""Per-call cost of a short CLI command: what each `strikevote ...` pays before doing its work.

    .venv/bin/python bench/cli_startup.py [--calls 15] [--pythonpath OTHER/src] [--json OUT]

Runs ``strikevote vote list`` on an existing SQLite database ``--calls`` times, one process each, and reports the
median wall time and the median CPU time (user + system of the child, less sensitive to a loaded machine).
``--pythonpath`` measures another checkout's ``src`` with the same interpreter, e.g. the commit before issue 11
(``git archive c4dd3bc src | tar -x -C /tmp/before``), which ran Alembic's upgrade and imported every command on
every call.  The database is created by the measured code itself (its own schema), before the timed calls.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = "import sys; from strikevote.cli.main import app; sys.argv[0] = 'strikevote'; app()"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CLI, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"bench: strikevote {' '.join(args)} failed: {proc.stderr.strip()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=15)
    ap.add_argument("--pythonpath", help="measure the strikevote package under this directory instead")
    ap.add_argument("--json", type=Path)
    opts = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "STRIKEVOTE_DB"}
    if opts.pythonpath:
        env["PYTHONPATH"] = str(Path(opts.pythonpath).resolve())
    with tempfile.TemporaryDirectory(prefix="sv-cli-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'sv.db'}"
        subprocess.run(
            [sys.executable, "-c", f"from strikevote.db.engine import open_db; open_db({db!r})"],
            env=env,
            check=True,
        )
        _run(["vote", "list", "--db", db], env)  # warm the page cache and the bytecode
        runs = [_run(["vote", "list", "--db", db], env) for _ in range(opts.calls)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    code = opts.pythonpath or "this checkout"
    print(
        f"strikevote vote list ({code}): median wall {wall:.3f} s, median CPU {cpu:.3f} s over {opts.calls} calls"
    )
    if opts.json:
        opts.json.write_text(
            json.dumps({"code": code, "calls": opts.calls, "wall_s": wall, "cpu_s": cpu}) + "\n"
        )


if __name__ == "__main__":
    main()
