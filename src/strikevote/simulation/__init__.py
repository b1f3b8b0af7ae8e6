"""Fixtures that are not the protocol: whole elections made by our code alone, in one process, for the interop
tests, the property and unit tests and the benchmarks.  They sit on the protocol layer (crypto, belenios) and
nothing above it; nothing in the pure layers imports them (``tests/unit/test_layers.py``).

- :mod:`strikevote.simulation.archive`: write a Belenios archive event by event, in belenios-tool's order.
- :mod:`strikevote.simulation.election`: a whole yes/no election (trustees, credentials, ballots, tally,
  decryptions, result) in one archive.
"""
