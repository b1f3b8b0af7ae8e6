"""The benchmarks still run against the current code (tiny sizes; figures are not checked, only that each
script completes and writes its JSON).  Timings belong in bench/, never in tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_bench(script: str, *args: str | Path, tmp_path: Path, code: int = 0) -> str:
    env = {**os.environ, "STRIKEVOTE_BENCH_NO_WAIT": "1"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *map(str, args)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == code, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stderr


@pytest.mark.slow
def test_verify_bench_runs(tmp_path: Path) -> None:
    out = tmp_path / "verify.json"
    run_bench(
        "verify.py",
        *("--ballots", "12", "--groups", "Ed25519", "--repeat", "1", "--sample", "0"),  # default --small: 1
        *("--no-peers", "--no-single-core", "--cache", tmp_path / "cache", "--out", out),
        tmp_path=tmp_path,
    )
    results = json.loads(out.read_text())
    assert results["params"]["small"] == 1 and results["groups"]["Ed25519"]["small_archive"]["n"] == 1


def test_verify_bench_refuses_a_small_archive_as_big_as_the_big_one(tmp_path: Path) -> None:
    """The memory slope divides by N - small: --small must be fewer than --ballots (it divided by zero)."""
    for small in ("1000", "2000", "0"):
        err = run_bench("verify.py", "--ballots", "1000", "--small", small, tmp_path=tmp_path, code=2)
        assert f"--small ({small}) must be at least 1 and fewer than --ballots (1000)" in err
    assert not (tmp_path / "cache").exists() and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_e2e_bench_runs(tmp_path: Path) -> None:
    out = tmp_path / "e2e.json"
    run_bench(
        "e2e.py",
        *("--members", "150", "--db", "sqlite", "--no-wait", "--tmp", tmp_path, "--json", out),
        tmp_path=tmp_path,
    )
    results = json.loads(out.read_text())["results"]
    assert results and all(r["valid"] for r in results)


@pytest.mark.slow
def test_ballotbox_bench_runs(tmp_path: Path) -> None:
    out = tmp_path / "ballotbox.json"
    run_bench("ballotbox.py", "--ballots", "10", "--db", "sqlite", "--json", out, tmp_path=tmp_path)
    assert json.loads(out.read_text())["results"][0]["cast"]["accepted"] == 10


@pytest.mark.slow
def test_booth_bench_runs(tmp_path: Path) -> None:
    out = tmp_path / "booth.json"
    run_bench("booth.py", "--n", "2", "--json", out, tmp_path=tmp_path)
    groups = json.loads(out.read_text())["groups"]
    assert set(groups) == {"Ed25519", "BELENIOS-2048"}
    assert all(
        g["booth_round_trip_ms_median"] > 0 and len(g["booth_worker_ms"]) == 2 for g in groups.values()
    )


@pytest.mark.slow
def test_mail_bench_runs(tmp_path: Path) -> None:
    out = tmp_path / "mail.json"
    run_bench(
        "mail.py",
        *("--letters", "40", "--small", "20", "--trials", "1", "--trial-letters", "30", "--tmp", tmp_path),
        *("--json", out),
        tmp_path=tmp_path,
    )
    results = json.loads(out.read_text())
    assert [e["received"] for e in results["send"]] == [20, 40]
    trial = results["kill_trials"][0]
    assert trial["lost"] == 0 and trial["duplicated"] <= 8  # at most the group a kill caught in its dot span
    assert results["dot_span"]["sent"] == 20 and 0 < results["dot_span"]["share"] < 1


def test_serve_bench_runs(tmp_path: Path) -> None:
    out = tmp_path / "serve.json"
    run_bench(
        "serve.py",
        *("--ballots", "12", "--clients", "4", "--db", "sqlite", "--workers", "1", "--json", out),
        tmp_path=tmp_path,
    )
    row = json.loads(out.read_text())["results"][0]
    assert row["in_process"]["accepted"] == 12 and row["http_1"]["accepted"] == 12
    assert row["http_1"]["statuses"] == {"201": 12}
