"""The results certificate (``report.html``) of a union vote, written with its ``result.json``.

Input is the typed result record and, optionally, the vote record (:mod:`strikevote.records`), whose codecs
validated them; this package checks nothing again. matplotlib and Jinja2 are only imported when a certificate
is rendered.
"""

from strikevote.report.certificate import render_report_html, write_report

__all__ = ["render_report_html", "write_report"]
