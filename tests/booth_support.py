"""Helpers of the booth tests: run the booth's JavaScript cryptography under Node.

``booth/test/crypto-cli.mjs`` reads a JSON list of operations on stdin and answers a JSON list of results
(``{"ok": …}`` or ``{"error": code, "message": …}``), so one Node process serves a whole test.
Importable from any test module (pytest puts ``tests/``, the directory of the root conftest, on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOTH = ROOT / "booth"
BOOTH_STATIC = ROOT / "src" / "strikevote" / "web" / "static" / "booth"
CLI = BOOTH / "test" / "crypto-cli.mjs"
AXE = BOOTH / "node_modules" / "axe-core" / "axe.min.js"


def missing(reason: str) -> None:
    """Fail under ``STRIKEVOTE_REQUIRE_INTEROP=1`` (``make test``), skip on a machine without Node."""
    if os.environ.get("STRIKEVOTE_REQUIRE_INTEROP", "") == "1":
        pytest.fail(f"{reason} (STRIKEVOTE_REQUIRE_INTEROP=1)", pytrace=False)
    pytest.skip(reason)


def node_path() -> str:
    node = shutil.which("node")
    if node is None or not (BOOTH / "node_modules" / "@noble" / "curves").is_dir():
        missing("node or booth/node_modules missing (run scripts/bootstrap.sh)")
    assert node is not None
    return node


def booth_crypto(ops: list[dict[str, Any]], timeout: float = 300) -> list[dict[str, Any]]:
    """Run ``ops`` through the booth's cryptography under Node; one result per operation."""
    proc = subprocess.run(
        [node_path(), str(CLI)],
        input=json.dumps(ops),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"node {CLI.name} exited {proc.returncode}: {proc.stderr[-3000:]}")
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    assert len(results) == len(ops)
    return results


def ok(result: dict[str, Any]) -> Any:
    assert "ok" in result, result
    return result["ok"]
