"""strikevote.report: the HTML results certificate of a result record, and result.json written with it."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from records_kit import result_of

from strikevote.records.result import ResultRecord
from strikevote.report import render_report_html, write_report
from strikevote.rules import LocalCount

# IATSE Basic Agreement 2021 shape: 8 locals in favor (75%), 5 against; delegates 256 to 188.
IATSE = [LocalCount(f"F{i}", f"Local F{i}", 32, 1000, 600, 200) for i in range(8)] + [
    LocalCount(f"A{i}", f"Local A{i}", d, 6000, y, 4000 - y)
    for i, (y, d) in enumerate(zip([1659, 1659, 1659, 1659, 1658], [40, 40, 36, 36, 36], strict=True))
]
WGA = [LocalCount("W", "WGA West", 0, 6700, 4500, 150), LocalCount("E", "WGA East", 0, 2648, 1577, 83)]

CHECKS = [
    ("archive W: event chain", True, "1,234 events"),
    ("result.json equals tallies", True, "2 locals"),
    ("rule <re-evaluated>", False, "expected passed & got failed"),
]


def iatse() -> ResultRecord:
    return result_of(
        IATSE, "iatse-constitution", union="IATSE", kind="ratification", title="2021 ratification"
    )


# --------------------------------------------------------------------------------------------------- HTML


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_html_certificate_contents() -> None:
    result = iatse()
    trace = (*result.rule.trace, "outcome <computed>")
    result = replace(result, rule=replace(result.rule, trace=trace))
    html = render_report_html(result, verification=CHECKS)

    assert html.startswith("<!DOCTYPE html>")
    assert "<title>2021 ratification — IATSE: results certificate</title>" in html
    assert result.announcement.replace("'", "&#39;") in html
    assert "Agreement ratified" in html
    # Per-local rows and totals.
    row = re.search(r"<tr>\s*<td>A0</td>\s*<td>Local A0</td>(.*?)</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells == ["6,000", "4,000", "1,659", "2,341", "41.5%", "66.7%", "no", "0 of 40"]
    assert "<td>F7</td>" in html
    assert html.count("<td>Local ") == 13
    assert "26,400" in html and "49.6%" in html and "256 of 444" in html
    # Rule and its trace (escaped).
    assert "iatse-constitution" in html
    assert "<li>outcome &lt;computed&gt;</li>" in html
    assert "Yes share required: 75%." in html
    # Two embedded PNG charts.
    images = _images(html)
    assert len(images) == 2
    assert all(img.startswith(b"\x89PNG\r\n\x1a\n") for img in images)
    # Verification checks, elections, how to verify.
    assert "archive W: event chain" in html
    assert "rule &lt;re-evaluated&gt;" in html
    assert "expected passed &amp; got failed" in html
    assert "1 of 3 checks failed." in html
    assert "✗ FAILED" in html and "✓ passed" in html
    for x in result.locals:
        assert x.election_uuid in html and x.election_fingerprint in html
    assert "strikevote verify DIR" in html
    assert "belenios-tool election verify --dir check/A0" in html
    assert "cp DIR/locals/A0.bel check/A0/uuid-A0.bel" in html
    assert "Result format strikevote-result/2" in html


def test_html_escapes_union_and_names() -> None:
    counts = [LocalCount("W", "<img src=x onerror=alert(1)>", 0, 10, 6, 1), *WGA[1:]]
    result = result_of(counts, union="<script>alert('union')</script> Guild")
    html = render_report_html(result, verification=[("<b>check</b>", True, "<i>fine</i>")])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;union&#39;)&lt;/script&gt; Guild" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;check&lt;/b&gt;" in html and "&lt;i&gt;fine&lt;/i&gt;" in html
    assert "All 1 checks passed." in html


def test_html_without_checks_says_so() -> None:
    html = render_report_html(result_of(WGA), verification=[])
    assert "No verification checks were recorded" in html
    assert len(_images(html)) == 2


def test_html_without_the_vote_states_when_the_result_closed() -> None:
    html = render_report_html(result_of(WGA), verification=[])
    assert "voting closed 2021-10-03T20:00:00+00:00" in html


def test_html_is_reproducible() -> None:
    assert render_report_html(iatse(), verification=CHECKS) == render_report_html(
        iatse(), verification=CHECKS
    )


def test_html_chart_labels_with_dollar_signs_render() -> None:
    counts = [LocalCount("$1$", "a", 0, 10, 5, 1), LocalCount("$$", "b", 0, 10, 1, 5)]
    html = render_report_html(result_of(counts), verification=[])
    assert len(_images(html)) == 2


# -------------------------------------------------------------------------------------------------- files


def test_write_report(tmp_path: Path) -> None:
    result = result_of(WGA, union="Sindicato Único de Guionistas")
    out = tmp_path / "bundle" / "nested"
    write_report(out, result, CHECKS)

    text = (out / "result.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text == json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    assert "Sindicato Único" in text  # not \u00da
    assert text.startswith(
        '{\n  "format": "strikevote-result/2",\n  "simulation": false,'
    )  # insertion order, not sorted
    assert ResultRecord.from_text(text) == result
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Sindicato Único de Guionistas" in html
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "result.json"]


def test_write_report_reads_the_bundles_vote_json(tmp_path: Path) -> None:
    from records_kit import vote_record

    (tmp_path / "vote.json").write_text(vote_record(WGA).to_text(), encoding="utf-8")
    write_report(tmp_path, result_of(WGA), [])
    assert 'id="the-vote"' in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_write_report_writes_nothing_when_the_bundles_vote_json_is_bad(tmp_path: Path) -> None:
    from strikevote.records.errors import RecordError

    (tmp_path / "vote.json").write_text('{"format": "strikevote-vote/1"}', encoding="utf-8")
    with pytest.raises(RecordError, match=r"^vote\.json\.id: missing"):
        write_report(tmp_path, result_of(WGA), [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vote.json"]


def test_import_does_not_load_matplotlib_or_jinja2() -> None:
    code = "import sys, strikevote.report; print('matplotlib' in sys.modules, 'jinja2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --------------------------------------------------------------------- threshold from the rule, real path

_IATSE_LOCALS = [
    LocalCount("600", "Local 600", 27, 100, 80, 10),
    LocalCount("700", "Local 700", 27, 100, 60, 30),
    LocalCount("44", "Local 44", 20, 50, 30, 10),
]


def test_iatse_constitution_chart_draws_the_75_percent_per_local_threshold() -> None:
    result = result_of(_IATSE_LOCALS, "iatse-constitution", union="IATSE")
    assert result.rule.threshold == 0.75
    html = render_report_html(result, verification=[])
    caption = re.search(r'<figcaption id="yes-share-caption">(.*?)</figcaption>', html, re.S)
    assert caption is not None
    assert " ".join(caption.group(1).split()).endswith("Dashed line: 75% threshold.")
    assert "dashed line at the rule's threshold of 75%" in html
    assert "50% threshold" not in html
    # 600 (88.9%) meets 75%, 700 (66.7%) and 44 (75%) too: the colours and the line agree
    assert [x.in_favor for x in result.locals] == [True, False, True]


@pytest.mark.parametrize(
    ("rule", "expected"), [("sag-aftra", 0.75), ("uaw", 2 / 3), ("iatse-ratification", 0.5)]
)
def test_chart_threshold_follows_the_rule(rule: str, expected: float) -> None:
    assert result_of(_IATSE_LOCALS, rule).rule.threshold == expected


def test_rule_without_a_single_threshold_says_so_instead_of_drawing_50_percent() -> None:
    result = result_of(_IATSE_LOCALS, "teamsters-pre-2021")
    assert result.rule.threshold is None
    html = render_report_html(result, verification=[])
    assert "Dashed line" not in html and "Yes share required" not in html
    assert "this rule has no single yes-share threshold" in " ".join(html.split())
    assert len(_images(html)) == 2
