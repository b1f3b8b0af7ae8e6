"""The public records of a vote, typed: the vote record (``vote.json``), the result record (``result.json``),
the announcement, the vote's commitment and the numbers they print (DESIGN.md §3).

Each record is one frozen dataclass tree with one codec (``to_json`` / ``from_json``) and a ``format`` version;
decoding validates every field once and raises :class:`RecordError` naming its JSON path. The publisher
(services), the certificate (report), the verifier and the web pages all read and write the records through
here. Pure: imports the standard library, :mod:`strikevote.crypto`, :mod:`strikevote.belenios` and
:mod:`strikevote.rules` only (tests/unit/test_layers.py).

Modules: :mod:`~strikevote.records.vote`, :mod:`~strikevote.records.result` (and its builder,
:mod:`~strikevote.records.result_build`),
:mod:`~strikevote.records.announcement`, :mod:`~strikevote.records.commitment`,
:mod:`~strikevote.records.numbers`, :mod:`~strikevote.records.errors` and the codecs' field readers,
:mod:`~strikevote.records.fields`; the verifier's check names and its one failure type,
:mod:`~strikevote.records.checks` (a leaf the protocol layer may import too).
"""

from strikevote.records.errors import RecordError

__all__ = ["RecordError"]
