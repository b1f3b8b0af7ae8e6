"""Shared helpers for the benchmarks in ``bench/``: timing child processes, peak memory, cached archives.

Each command runs as a child process under ``/usr/bin/time -f %M``, giving its peak resident set size (that of
the largest single process of its tree), while a sampler thread adds up the proportional set size (PSS) of the
whole process tree, so that a multi-process verifier is not flattered by the per-process figure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = ROOT / ".venv" / "bin"
STRIKEVOTE = VENV_BIN / "strikevote"
TIME = "/usr/bin/time"
TOOL_3 = Path(os.environ.get("BELENIOS_TOOL_3", str(Path.home() / ".cache/belenios-tool-3/belenios-tool-3")))
TOOL_2 = Path(os.environ.get("BELENIOS_TOOL_2", "/usr/bin/belenios-tool"))


# --- measuring child processes ------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    user_s: float  # CPU time of the whole tree (children reaped by their parents included)
    sys_s: float
    max_rss_kib: int  # /usr/bin/time %M: the largest single process of the tree
    tree_pss_kib: int  # sampled peak of the summed PSS of the whole tree (0 if never sampled)
    other_load: float  # cores kept busy by *other* processes during the run, on average
    returncode: int
    stderr_tail: str = ""

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


QUIET = 0.25  # a run during which other processes used more than this many cores on average is "contended"


@dataclass
class Series:
    """Repeated runs of one command; the figures use the uncontended runs when there are any."""

    label: str
    command: list[str]
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.returncode == 0 for r in self.runs)

    @property
    def quiet_runs(self) -> list[Run]:
        return [r for r in self.runs if r.other_load <= QUIET] or self.runs

    @property
    def contended(self) -> bool:
        return all(r.other_load > QUIET for r in self.runs)

    @property
    def wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.quiet_runs)

    @property
    def cpu_s(self) -> float:
        return statistics.median(r.cpu_s for r in self.quiet_runs)

    @property
    def max_rss_kib(self) -> int:
        return max(r.max_rss_kib for r in self.runs)

    @property
    def tree_pss_kib(self) -> int:
        return max(r.tree_pss_kib for r in self.runs)

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "command": self.command,
            "ok": self.ok,
            "wall_s_median": self.wall_s if self.runs else None,
            "wall_s_min": min(r.wall_s for r in self.runs) if self.runs else None,
            "cpu_s_median": self.cpu_s if self.runs else None,
            "max_rss_kib": self.max_rss_kib if self.runs else None,
            "tree_pss_kib": self.tree_pss_kib if self.runs else None,
            "uncontended_runs": sum(r.other_load <= QUIET for r in self.runs),
            "runs": [asdict(r) for r in self.runs],
        }


def ensure_gnu_time() -> None:
    """``/usr/bin/time`` (Debian package ``time``) reports the peak RSS of a child; install it if missing."""
    if Path(TIME).exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "time"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    if not Path(TIME).exists():
        sys.exit("bench: /usr/bin/time is missing (apt-get install time)")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(x) for x in f.read().split())
    except OSError:
        pass
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree_pss_kib(root: int) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss_kib(pid)
        todo.extend(_children(pid))
    return total


_HZ = os.sysconf("SC_CLK_TCK")


def _busy_s() -> float:
    """CPU seconds spent by the whole machine so far (all cores, idle and iowait excluded)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / _HZ  # user nice system idle iowait irq softirq steal


def wait_quiet(max_wait: float = 120.0, log: Callable[[str], None] | None = None) -> float:
    """Wait (at most ``max_wait`` s) until other processes use under QUIET cores; returns their load.

    ``STRIKEVOTE_BENCH_NO_WAIT=1`` (the benchmarks' smoke test, on a busy test machine) measures the load once
    and does not wait."""
    if os.environ.get("STRIKEVOTE_BENCH_NO_WAIT") == "1":
        max_wait = 0.0
    t_end = time.monotonic() + max_wait
    warned = False
    while True:
        b0, t0 = _busy_s(), time.monotonic()
        time.sleep(1.0)
        load = (_busy_s() - b0) / (time.monotonic() - t0)
        if load <= QUIET or time.monotonic() > t_end:
            return load
        if log and not warned:
            log(
                f"  [dim]machine busy ({load:.1f} cores used by others), waiting up to {max_wait:.0f} s…[/dim]"
            )
            warned = True


def run_measured(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    sample_every: float = 0.25,
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``cmd`` once under /usr/bin/time; wall time from fork to exit."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = [TIME, "-f", "%M %U %S", "-o", tf.name, *cmd]
        peak = 0
        done = threading.Event()
        b0 = _busy_s()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            full,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "LC_ALL": "C", **(env or {})},
        )

        def sample() -> None:
            nonlocal peak
            while not done.wait(sample_every):
                peak = max(peak, _tree_pss_kib(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, err = proc.communicate()
        wall = time.perf_counter() - t0
        busy = _busy_s() - b0
        done.set()
        sampler.join()
        lines = [x for x in tf.read().split("\n") if x.strip()]
    fields = lines[-1].split() if lines else []
    try:
        rss, user, sys_ = int(fields[0]), float(fields[1]), float(fields[2])
    except (IndexError, ValueError):
        rss, user, sys_ = 0, 0.0, 0.0
    other = max(0.0, busy - user - sys_) / wall if wall > 0 else 0.0
    tail = err.decode("utf-8", "replace")[-400:]
    return Run(wall, user, sys_, rss, peak, other, proc.returncode, tail)


def measure(
    label: str,
    cmd: Sequence[str],
    repeat: int,
    *,
    cwd: Path | None = None,
    log: Callable[[str], None] = print,
    max_attempts: int | None = None,
) -> Series:
    """``repeat`` runs, each started on a quiet machine; contended runs are redone (up to 3 × repeat runs)."""
    s = Series(label, list(cmd))
    attempts = max_attempts or 3 * repeat
    while len(s.runs) < attempts and sum(r.other_load <= QUIET for r in s.runs) < repeat:
        wait_quiet(log=log)
        r = run_measured(cmd, cwd=cwd)
        s.runs.append(r)
        status = "ok" if r.returncode == 0 else f"EXIT {r.returncode}: {r.stderr_tail.strip()[-200:]}"
        flag = (
            f", [yellow]contended: others used {r.other_load:.2f} cores[/yellow]"
            if r.other_load > QUIET
            else ""
        )
        log(
            f"  {label} [{len(s.runs)}]: {r.wall_s:.2f} s wall, {r.cpu_s:.2f} s CPU, "
            f"{r.max_rss_kib / 1024:.0f} MiB, {status}{flag}"
        )
        if r.returncode != 0:
            break
    return s


# --- the machine --------------------------------------------------------------------------------------------


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def tool_version(tool: Path) -> str | None:
    if not tool.exists():
        return None
    try:
        out = subprocess.run(
            [str(tool), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(next(ln.split()[1] for ln in f if ln.startswith("MemTotal")))
    except (OSError, StopIteration, ValueError):
        pass
    import gmpy2
    import nacl

    return {
        "cores": cores(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pynacl": nacl.__version__,
        "gmpy2": gmpy2.version(),
        "gmp": gmpy2.mp_version(),
        "belenios_tool_2": tool_version(TOOL_2),
        "belenios_tool_3": tool_version(TOOL_3),
    }


def today() -> str:
    return dt.date.today().isoformat()


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, default=_default) + "\n")


def _default(o: Any) -> Any:
    if hasattr(o, "__dataclass_fields__"):
        return asdict(o)
    raise TypeError(type(o).__name__)


def median_time(fn: Callable[[], object], *, number: int, repeat: int) -> float:
    """Median over ``repeat`` batches of the mean time of one call (seconds)."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)
