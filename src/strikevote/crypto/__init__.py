"""Pure cryptographic core: groups, hashing, ElGamal, Σ-proofs, threshold keys, credentials.

No I/O, no database, no web: everything here is a function of its inputs and an injected
:class:`~strikevote.crypto.randomness.Randomness`.
"""
