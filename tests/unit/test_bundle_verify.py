"""``verify_bundle`` checks every field of result.json, and report.html, against the verified archives.

One real bundle is built per session by the demo (IATSE 2021 scenario, ~300 members, iatse-constitution rule).
Each tampering test copies it, changes result.json (or report.html) in one way that is otherwise consistent
(e.g. a local marked not in favor *and* the locals-in-favor count lowered to match), and expects the named
check to fail, naming the JSON path.  The archives are never changed here (tests/unit/test_verify_tamper.py
covers them), so their verification is memoised by content to keep the tests quick.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import markupsafe
import pytest
from rich.console import Console
from typer.testing import CliRunner

from strikevote.cli.main import app
from strikevote.demo.runner import run_demo
from strikevote.demo.scenario import load_scenario
from strikevote.records.result import ResultRecord
from strikevote.verify import bundle as bundle_mod
from strikevote.verify.bundle import verify_bundle
from strikevote.verify.checks import Report
from strikevote.verify.result import diff_documents

Doc = dict[str, Any]


@pytest.fixture(scope="session")
def demo_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bundle-verify")
    scenario = load_scenario(name="iatse-2021").scaled(300)
    outcome = run_demo(scenario, root / "bundle", seed=7, console=Console(file=io.StringIO()), jobs=1)
    assert outcome.valid, outcome.failures
    return outcome.out


@pytest.fixture
def fast_archives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memoise archive verification by archive content (the archives are not tampered with here)."""
    real = bundle_mod.verify_archive
    cache: dict[str, Any] = _ARCHIVE_CACHE

    def cached(path: Path, **kwargs: Any) -> Any:
        key = hashlib.sha256(path.read_bytes()).hexdigest() + repr(sorted(kwargs.items()))
        if key not in cache:
            cache[key] = real(path, **kwargs)
        report, facts = cache[key]
        return copy.deepcopy(report), facts

    monkeypatch.setattr(bundle_mod, "verify_archive", cached)


_ARCHIVE_CACHE: dict[str, Any] = {}


def copy_bundle(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in ("vote.json", "result.json", "report.html"):
        shutil.copy2(src / name, dst / name)
    shutil.copytree(src / "locals", dst / "locals")
    return dst


def load(path: Path) -> Doc:
    doc: Doc = json.loads((path / "result.json").read_text(encoding="utf-8"))
    return doc


def save(path: Path, doc: Doc) -> None:
    (path / "result.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def failures(report: Report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c in report.failures:
        out.setdefault(c.name, []).append(c.detail)
    return out


@pytest.fixture
def tampered(demo_bundle: Path, tmp_path: Path, fast_archives: None) -> Iterator[Callable[..., Report]]:
    """``tampered(edit)``: a copy of the bundle with ``edit(result.json's document)`` applied, verified."""

    copies = iter(range(1_000_000))

    def run(edit: Callable[[Doc], None]) -> Report:
        path = copy_bundle(demo_bundle, tmp_path / f"b{next(copies)}")
        doc = load(path)
        edit(doc)
        save(path, doc)
        return verify_bundle(path, jobs=1)

    yield run


# --- the honest bundle ----------------------------------------------------------------------------------------------


def test_honest_bundle_is_valid_and_result_checked_whole(demo_bundle: Path) -> None:
    report = verify_bundle(demo_bundle, jobs=1)
    assert report.valid, [f"{c.name}: {c.detail}" for c in report.failures]
    names = {c.name for c in report.checks}
    assert {"result.field", "bundle.report", "bundle.definition"} <= names


def test_demo_report_draws_the_rules_75_percent_threshold(demo_bundle: Path) -> None:
    """iatse-constitution asks 75% of a local: the demo's chart and caption say so, not 50%."""
    doc = load(demo_bundle)
    assert doc["rule"]["name"] == "iatse-constitution"
    assert doc["rule"]["threshold"] == 0.75
    assert ResultRecord.from_json(doc).rule.threshold == 0.75
    html = (demo_bundle / "report.html").read_text(encoding="utf-8")
    assert "Dashed line:\n    75% threshold." in html
    assert "50% threshold" not in html


# --- every field of result.json -------------------------------------------------------------------------------------


def _flip_local_in_favor(doc: Doc) -> None:
    local = next(x for x in doc["locals"] if x["in_favor"])
    local["in_favor"] = False
    doc["locals_in_favor"] -= 1


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value

    return edit


def _shift(path: str, delta: float) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = round(node[last] + delta, 6)

    return edit


def _more_delegates(doc: Doc) -> None:
    """Local 0 given 3 more delegates, all voting yes, with the delegate totals raised to match."""
    local = doc["locals"][0]
    assert local["in_favor"]
    local["delegates"] += 3
    local["delegates_yes"] += 3
    doc["delegates"]["yes"] += 3
    doc["delegates"]["total"] += 3


def _swap_locals(doc: Doc) -> None:
    doc["locals"][0], doc["locals"][1] = doc["locals"][1], doc["locals"][0]


def _trace_line(doc: Doc) -> None:
    doc["rule"]["trace"][2] = doc["rule"]["trace"][2].replace("in favor", "in favor (checked)")


def _delete(path: str) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return edit


TAMPERS: list[tuple[str, Callable[[Doc], None], str]] = [
    ("local-in-favor", _flip_local_in_favor, ".in_favor: expected true, found false"),
    ("locals-in-favor", _shift("locals_in_favor", -1), "locals_in_favor: expected"),
    ("local-yes-share", _shift("locals.0.yes_share", -0.1), "locals[0].yes_share"),
    ("local-delegates", _more_delegates, "locals[0].delegates"),
    ("local-name", _set("locals.2.name", "Local 44 (dissolved)"), "locals[2].name"),
    ("local-election-uuid", _set("locals.1.election_uuid", "AAAAAAAAAAAAAA"), "locals[1].election_uuid"),
    ("locals-order", _swap_locals, "locals[0].id"),
    ("popular-yes-share", _set("popular.yes_share", 0.99), "popular.yes_share"),
    ("popular-turnout", _shift("popular.turnout", 0.05), "popular.turnout"),
    ("popular-eligible", _shift("popular.eligible", 40), "popular.eligible"),
    ("popular-passed", _set("popular.passed", False), "popular.passed"),
    ("delegates-passed", _set("delegates.passed", False), "delegates.passed"),
    ("rule-name", _set("rule.name", "simple-majority"), "rule.name"),
    ("rule-description", _set("rule.description", "a majority decides"), "rule.description"),
    ("rule-trace", _trace_line, "rule.trace[2]"),
    ("rule-trace-dropped", lambda d: d["rule"]["trace"].pop(), "rule.trace: "),
    ("rule-threshold", _set("rule.threshold", 0.5), "rule.threshold: expected 0.75, found 0.5"),
    ("rule-spec", _set("rule.spec", "simple-majority"), "rule.spec"),
    ("rule-counts-locals", _set("rule.counts_locals", True), "rule.counts_locals"),
    ("announcement", _set("announcement", "Strike authorized by 99%"), "announcement: expected"),
    ("union", _set("union", "IATSE West"), "union"),
    ("title", _set("title", "2022 strike authorization"), "title"),
    ("kind", _set("kind", "ratification"), "kind"),
    ("group", _set("group", "BELENIOS-2048"), "group"),
    ("format", _set("format", "strikevote-result/1"), "format"),
    ("simulation-dropped", _set("simulation", False), "simulation: expected true, found false"),
    ("rule-decided-by", _set("rule.decided_by", ["members"]), "rule.decided_by[0]"),
    ("passed-as-number", _set("passed", 1), "passed: expected true, found 1"),
    ("count-as-float", _shift("locals.0.eligible", 0.0), "locals[0].eligible: expected"),
    ("extra-top-level-field", _set("certified_by", "the union president"), "certified_by: unexpected field"),
    ("extra-local-field", _set("locals.0.note", "recount"), "locals[0].note: unexpected field"),
    ("extra-popular-field", _set("popular.abstain", 0), "popular.abstain: unexpected field"),
    ("missing-field", _delete("popular.passed"), "popular.passed: missing"),
    ("missing-announcement", _delete("announcement"), "announcement: missing"),
    ("closed-at-garbage", _set("closed_at", "yesterday"), "closed_at"),
    ("closed-at-before-opening", _set("closed_at", "2001-01-01T00:00:00+00:00"), "closed_at"),
]


@pytest.mark.parametrize(("edit", "expected"), [(e, x) for _, e, x in TAMPERS], ids=[t[0] for t in TAMPERS])
def test_tampered_result_field_fails_naming_the_path(
    tampered: Callable[..., Report], edit: Callable[[Doc], None], expected: str
) -> None:
    report = tampered(edit)
    found = failures(report)
    assert "result.field" in found, found
    details = found["result.field"]
    assert any(expected in d for d in details), details


def test_every_field_is_covered(demo_bundle: Path, tampered: Callable[..., Report]) -> None:
    """Changing any one scalar of result.json, anywhere, fails result.field naming that path."""
    doc = load(demo_bundle)
    paths: list[tuple[str, Any]] = []

    def scalars(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                scalars(v, f"{where}.{k}" if where else k)
        elif isinstance(node, list):
            for i, v in enumerate(node[:2]):  # the first two locals / trace lines stand for the rest
                scalars(v, f"{where}[{i}]")
        else:
            paths.append((where, node))

    scalars(doc, "")
    assert len(paths) > 40
    for where, value in paths:
        if where == "closed_at":  # cannot be recomputed: only its form is checked (see TAMPERS)
            continue
        changed: Any
        if isinstance(value, bool):
            changed = not value
        elif isinstance(value, int):
            changed = value + 1
        elif isinstance(value, float):
            changed = round(value + 0.001, 6)
        else:
            changed = f"{value} " if value else "x"

        def edit(d: Doc, where: str = where, changed: Any = changed) -> None:
            node: Any = d
            parts = where.replace("]", "").replace("[", ".").split(".")
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node[part]
            last = parts[-1]
            node[int(last) if isinstance(node, list) else last] = changed

        details = failures(tampered(edit)).get("result.field", [])
        assert any(d.startswith(f"result.json {where}: ") for d in details), (where, details)


def test_cli_exits_1_naming_result_field(demo_bundle: Path, tmp_path: Path) -> None:
    path = copy_bundle(demo_bundle, tmp_path / "b")
    doc = load(path)
    doc["announcement"] = "Strike authorized by 99%"
    save(path, doc)
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["verify", "--jobs", "1", "--quiet", str(path)])
    assert result.exit_code == 1, result.output
    assert "result.field" in result.stdout
    assert "announcement" in result.stdout
    assert "INVALID" in result.stdout


# --- report.html ----------------------------------------------------------------------------------------------------


def test_missing_report_html_fails_bundle_report(
    demo_bundle: Path, tmp_path: Path, fast_archives: None
) -> None:
    path = copy_bundle(demo_bundle, tmp_path / "b")
    (path / "report.html").unlink()
    found = failures(verify_bundle(path, jobs=1))
    assert set(found) == {"bundle.report"}
    assert "report.html is missing" in found["bundle.report"]


def test_report_html_announcing_something_else_fails_bundle_report(
    demo_bundle: Path, tmp_path: Path, fast_archives: None
) -> None:
    path = copy_bundle(demo_bundle, tmp_path / "b")
    page = path / "report.html"
    text = page.read_text(encoding="utf-8")
    announced = str(markupsafe.escape(load(path)["announcement"]))  # as the page shows it ("union&#39;s")
    assert announced in text
    page.write_text(text.replace(announced, "Strike authorized by 99%."), encoding="utf-8")
    found = failures(verify_bundle(path, jobs=1))
    assert set(found) == {"bundle.report"}
    assert "Strike authorized by 99%." in found["bundle.report"][0]


def test_report_html_without_announcement_fails_bundle_report(
    demo_bundle: Path, tmp_path: Path, fast_archives: None
) -> None:
    path = copy_bundle(demo_bundle, tmp_path / "b")
    (path / "report.html").write_text("<!DOCTYPE html><p>All good.</p>", encoding="utf-8")
    assert set(failures(verify_bundle(path, jobs=1))) == {"bundle.report"}


# --- vote.json against the elections ---------------------------------------------------------------------------------


def test_vote_json_union_changed_fails_definition(
    demo_bundle: Path, tmp_path: Path, fast_archives: None
) -> None:
    """The union, renamed in vote.json and result.json alike, no longer matches the archives' elections."""
    path = copy_bundle(demo_bundle, tmp_path / "b")
    vote = json.loads((path / "vote.json").read_text(encoding="utf-8"))
    vote["union"] = "Another Union"
    (path / "vote.json").write_text(json.dumps(vote), encoding="utf-8")
    found = failures(verify_bundle(path, jobs=1))
    assert "bundle.definition" in found


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda v: v["locals"][0].update(delegates=v["locals"][0]["delegates"] + 50), id="delegates"
        ),
        pytest.param(lambda v: v.update(rule="simple-majority"), id="rule"),
        pytest.param(lambda v: v.update(roll_digest="0" * 64), id="roll"),
    ],
)
def test_vote_json_rewritten_with_a_consistent_result_fails_definition(
    demo_bundle: Path, tmp_path: Path, fast_archives: None, edit: Callable[[Doc], None]
) -> None:
    """vote.json and result.json rewritten together after the vote (more delegates for one local, another rule,
    another roll): every election's description commits to the vote.json it was set up with."""
    path = copy_bundle(demo_bundle, tmp_path / "b")
    vote = json.loads((path / "vote.json").read_text(encoding="utf-8"))
    edit(vote)
    (path / "vote.json").write_text(json.dumps(vote), encoding="utf-8")
    found = failures(verify_bundle(path, jobs=1))
    assert "bundle.definition" in found


def test_a_bad_field_of_vote_json_fails_definition_naming_its_path(
    demo_bundle: Path, tmp_path: Path, fast_archives: None
) -> None:
    path = copy_bundle(demo_bundle, tmp_path / "b")
    vote = json.loads((path / "vote.json").read_text(encoding="utf-8"))
    vote["locals"][0]["delegates"] = -1
    (path / "vote.json").write_text(json.dumps(vote), encoding="utf-8")
    found = failures(verify_bundle(path, jobs=1))
    assert list(found) == ["bundle.definition"]
    assert found["bundle.definition"][0].startswith("vote.json.locals[0].delegates: must not be negative")
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["verify", "--jobs", "1", "--quiet", str(path)])
    assert result.exit_code == 1 and "vote.json.locals[0].delegates" in result.stdout, result.output


# --- the document diff -----------------------------------------------------------------------------------------------


def test_diff_documents_names_paths_strictly() -> None:
    expected = {"a": 1, "b": [True, {"c": 0.5}], "d": "x"}
    assert diff_documents(expected, copy.deepcopy(expected)) == []
    actual = {"a": 1.0, "b": [1, {"c": 0.5, "e": None}, 3], "z": 0}
    assert diff_documents(expected, actual) == [
        "a: expected 1, found 1.0",
        "b: 3 entries, expected 2",
        "b[0]: expected true, found 1",
        "b[1].e: unexpected field (value null)",
        'd: missing (expected "x")',
        "z: unexpected field (value 0)",
    ]
    assert diff_documents(expected, []) == ["(document): expected an object, found []"]
