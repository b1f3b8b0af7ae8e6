"""Result record (``result.json``), press announcement and HTML results certificate of a union vote.

Input is plain data: the per-local counts and the rules engine's evaluation as a JSON dict
(``strikevote.rules.Evaluation.to_json()``); this package imports nothing else from strikevote's layers.
matplotlib is only imported when a chart is drawn.
"""

from strikevote.report.certificate import render_report_html, write_report
from strikevote.report.errors import ReportError
from strikevote.report.formatting import KINDS
from strikevote.report.result import FORMAT, announcement, build_result

__all__ = [
    "FORMAT",
    "KINDS",
    "ReportError",
    "announcement",
    "build_result",
    "render_report_html",
    "write_report",
]
