"""Booth benchmark: the time to encrypt one yes/no ballot in the browser (DESIGN.md §9, issue 8 targets).

    .venv/bin/python bench/booth.py [--n 30] [--groups Ed25519,BELENIOS-2048] [--json FILE]

For each group, an election like a local's (yes/no question, a trustees' key) and a credential are made; headless
Debian Chromium (``/usr/bin/chromium``, never a downloaded browser) loads the booth's real Web Worker
(``src/strikevote/web/static/booth/booth-worker.js``, built by ``scripts/bootstrap.sh``) from a local static server
and is asked for N ballots, alternately yes and no, after 3 warm-up ballots. Each request does what the booth
does after "Encrypt my ballot": parse election.json from its bytes, derive the credential's secret, encrypt,
prove and sign. Two figures per ballot:

* **worker**: the time inside the worker (``performance.now()`` around the work);
* **round trip**: from ``postMessage`` on the page to the answer, as the member waits for it.

In the same run the Python core (``ElectionParams.parse`` + ``derive_secret`` + ``create_ballot``, gmpy2/libsodium) does
the same N ballots; printed: medians, p90, the targets (≤ 300 ms Ed25519, ≤ 1.5 s BELENIOS-2048) and the ratio
booth / Python core. Figures go to ``bench/results/booth-<date>.json``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, ROOT, machine, today, wait_quiet, write_json

from strikevote.belenios.ballot import create_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.crypto.credentials import derive_secret, generate_credential
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.randomness import SystemRandomness
from strikevote.simulation.election import YES_NO

STATIC = ROOT / "src" / "strikevote" / "web" / "static"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_MS = {"Ed25519": 300.0, "BELENIOS-2048": 1500.0}
WARMUP = 3
INDEX = b"<!doctype html><html lang=en><head><meta charset=utf-8><title>booth bench</title></head><body></body></html>"

# Runs in the page: N ballots through the booth's worker, one at a time, as the booth asks for them.
ENCRYPT_N = """
async ([election, credential, n, warmup]) => {
  const bytes = new TextEncoder().encode(election).buffer;
  const worker = new Worker("/static/booth/booth-worker.js");
  const ask = (id, choices) => new Promise((resolve) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.postMessage({ id, electionBytes: bytes.slice(0), credential, choices });
  });
  const out = [];
  for (let i = 0; i < warmup + n; i++) {
    const t0 = performance.now();
    const r = await ask(i, [i % 2 ? [0, 1] : [1, 0]]);
    const roundTrip = performance.now() - t0;
    if (r.error) throw new Error(r.error + ": " + r.message);
    if (i >= warmup) out.push({ worker: r.ms, roundTrip, bytes: r.ballot.length });
  }
  worker.terminate();
  return out;
}
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path in ("/", "/index.html"):
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(INDEX)
            return
        super().do_GET()


def static_server() -> http.server.ThreadingHTTPServer:
    handler = functools.partial(_Quiet, directory=str(STATIC.parent))  # serves /static/… from web/
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def election_for(group_name: str) -> tuple[ElectionParams, str]:
    g = group_by_name(group_name)
    rng = SystemRandomness()
    election = ElectionParams.make(
        group=g,
        public_key=g.g_pow(g.random_nonzero_scalar(rng)),
        uuid="BenchBooth" + "".join("123456789abcdefgh"[rng.below(17)] for _ in range(6)),
        name="Strike authorization",
        description="Booth benchmark",
        questions=(YES_NO,),
    )
    return election, generate_credential(rng)


def python_core_ms(election: ElectionParams, credential: str, n: int) -> list[float]:
    rng = SystemRandomness()
    times = []
    for i in range(WARMUP + n):
        t0 = time.perf_counter()
        e = ElectionParams.parse(election.raw)
        secret = derive_secret(e.group, e.uuid, credential)
        create_ballot(e, secret, [[0, 1] if i % 2 else [1, 0]], rng)
        if i >= WARMUP:
            times.append((time.perf_counter() - t0) * 1000)
    return times


def p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10)[-1] if len(xs) >= 2 else xs[0]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=30, help="ballots per group (after 3 warm-up ballots)")
    parser.add_argument("--groups", default="Ed25519,BELENIOS-2048")
    parser.add_argument("--json", type=Path, default=None, help=f"default {BENCH}/results/booth-<date>.json")
    args = parser.parse_args()
    if not (STATIC / "booth" / "booth-worker.js").is_file():
        sys.exit("bench: the booth is not built (run scripts/bootstrap.sh)")
    if not Path(CHROMIUM).exists():
        sys.exit("bench: /usr/bin/chromium is missing (scripts/bootstrap.sh --with-browser)")

    from playwright.sync_api import sync_playwright

    server = static_server()
    base = f"http://127.0.0.1:{server.server_port}/"
    results: dict[str, Any] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            chromium_version = browser.version
            for group_name in [g.strip() for g in args.groups.split(",") if g.strip()]:
                election, credential = election_for(group_name)
                load = wait_quiet(log=print)
                page = browser.new_page()
                page.goto(base)
                runs = page.evaluate(ENCRYPT_N, [election.raw, credential, args.n, WARMUP])
                page.close()
                py = python_core_ms(election, credential, args.n)
                worker = [r["worker"] for r in runs]
                trip = [r["roundTrip"] for r in runs]
                results[group_name] = {
                    "n": args.n,
                    "other_load_before": load,
                    "booth_worker_ms_median": statistics.median(worker),
                    "booth_worker_ms_p90": p90(worker),
                    "booth_round_trip_ms_median": statistics.median(trip),
                    "booth_round_trip_ms_p90": p90(trip),
                    "python_core_ms_median": statistics.median(py),
                    "ratio_booth_to_python": statistics.median(trip) / statistics.median(py),
                    "target_ms": TARGET_MS.get(group_name),
                    "meets_target": statistics.median(trip) <= TARGET_MS.get(group_name, float("inf")),
                    "ballot_bytes": runs[0]["bytes"],
                    "booth_worker_ms": worker,
                    "booth_round_trip_ms": trip,
                    "python_core_ms": py,
                }
            browser.close()
    finally:
        server.shutdown()

    print(f"\nBooth encryption of one yes/no ballot, headless Chromium {chromium_version} (median of N)")
    print(
        f"{'group':15} {'N':>4} {'worker ms':>10} {'round trip':>11} {'p90':>8} {'target':>8} {'Python ms':>10} {'ratio':>6}"
    )
    for name, r in results.items():
        verdict = "ok" if r["meets_target"] else "MISSED"
        print(
            f"{name:15} {r['n']:>4} {r['booth_worker_ms_median']:>10.1f} {r['booth_round_trip_ms_median']:>11.1f}"
            f" {r['booth_round_trip_ms_p90']:>8.1f} {r['target_ms']:>7.0f} {r['python_core_ms_median']:>10.1f}"
            f" {r['ratio_booth_to_python']:>5.1f}x  {verdict}"
        )
    out = args.json or BENCH / "results" / f"booth-{today()}.json"
    write_json(out, {"date": today(), "machine": machine(), "chromium": chromium_version, "groups": results})
    print(f"figures: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
