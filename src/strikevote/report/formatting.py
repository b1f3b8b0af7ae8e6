"""Numbers as the press prints them: the one implementation is :mod:`strikevote.rules.result_doc`, shared with
the verifier (which recomputes every figure of ``result.json``)."""

from __future__ import annotations

from strikevote.rules.result_doc import KINDS, count, percent, share, union_phrase

__all__ = ["KINDS", "count", "percent", "share", "union_phrase"]
