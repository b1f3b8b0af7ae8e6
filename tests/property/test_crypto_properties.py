"""Property tests of the crypto core and the record codecs (hypothesis; BELENIOS-2048 with fewer examples).

* Σ-proofs: completeness (prove then verify) and soundness against a wrong statement, public key, challenge or
  response — Schnorr, Chaum–Pedersen, disjunctive 0/1, overall interval proofs and whole ballots.
* ElGamal: the product of encryptions decrypts (bounded discrete log) to the sum; scaling multiplies.
* Threshold: any k of n shares give the key (in Z_q and in the exponent), fewer do not; Pedersen dealers.
* Codecs: ballot, election, trustees, partial decryption: parse then serialize is byte-identical.
* Decoding: Ed25519 small-order points (the 8 torsion points and anything with a torsion component),
  non-canonical encodings (y ≥ p, upper case, wrong length), points off the curve — checked against an
  independent pure-Python Edwards implementation; BELENIOS-2048 0, 1, p−1, p, leading zeros, non-members.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strikevote.belenios.ballot import BallotCheck, ballot_json, create_ballot, parse_ballot
from strikevote.belenios.election import ElectionParams, Question
from strikevote.belenios.tally import PartialDecryption, compute_factor, parse_partial_decryption
from strikevote.belenios.trustees import parse_trustees, pedersen_failures, trustees_json
from strikevote.crypto import elgamal, proofs, threshold
from strikevote.crypto.dlog import discrete_log
from strikevote.crypto.ed25519 import ED25519, L
from strikevote.crypto.elgamal import Ciphertext
from strikevote.crypto.errors import CryptoError, InvalidScalar
from strikevote.crypto.ff import BELENIOS_2048
from strikevote.crypto.group import Group
from strikevote.crypto.randomness import DeterministicRandomness
from strikevote.simulation.election import make_trustees

GROUPS = [ED25519, BELENIOS_2048]
IDS = ["Ed25519", "BELENIOS-2048"]


def examples(group: Group[Any], ed: int = 25, ff: int = 6) -> Callable[[Any], Any]:
    return settings(
        max_examples=ed if group is ED25519 else ff,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def scalars(group: Group[Any], lo: int = 1) -> st.SearchStrategy[int]:
    return st.integers(min_value=lo, max_value=group.q - 1)


seeds = st.integers(min_value=0, max_value=2**64)
prefixes = st.text(alphabet="abcdefxyz|0123456789", min_size=1, max_size=20)


# --- Schnorr ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_schnorr(group: Group[Any]) -> None:
    @examples(group)
    @given(x=scalars(group), prefix=prefixes, seed=seeds)
    def prop(x: int, prefix: str, seed: int) -> None:
        g = group
        X = g.g_pow(x)
        p = proofs.prove_knowledge(g, x, prefix, DeterministicRandomness(seed))
        assert proofs.verify_knowledge(g, X, p, prefix)
        assert not proofs.verify_knowledge(g, g.mul(X, g.g), p, prefix)  # wrong public key
        assert not proofs.verify_knowledge(g, X, p, prefix + "|")  # wrong statement
        assert not proofs.verify_knowledge(g, X, proofs.Proof((p.challenge + 1) % g.q, p.response), prefix)
        assert not proofs.verify_knowledge(g, X, proofs.Proof(p.challenge, (p.response + 1) % g.q), prefix)
        wrong = proofs.prove_knowledge(g, (x + 1) % g.q, prefix, DeterministicRandomness(seed))
        assert not proofs.verify_knowledge(g, X, wrong, prefix)  # a proof for another secret

    prop()


# --- Chaum–Pedersen --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_chaum_pedersen(group: Group[Any]) -> None:
    @examples(group)
    @given(x=scalars(group), b=scalars(group), prefix=prefixes, seed=seeds)
    def prop(x: int, b: int, prefix: str, seed: int) -> None:
        g = group
        X, base = g.g_pow(x), g.g_pow(b)
        image = g.pow(base, x)
        p = proofs.prove_equal_logs(g, x, base, prefix, DeterministicRandomness(seed))
        assert proofs.verify_equal_logs(g, X, base, image, p, prefix)
        assert not proofs.verify_equal_logs(g, X, base, g.mul(image, g.g), p, prefix)  # wrong factor
        assert not proofs.verify_equal_logs(g, g.mul(X, g.g), base, image, p, prefix)  # wrong public key
        assert not proofs.verify_equal_logs(g, X, g.mul(base, g.g), image, p, prefix)  # wrong base
        assert not proofs.verify_equal_logs(g, X, base, image, p, "x" + prefix)  # wrong statement
        bad = proofs.Proof((p.challenge + 1) % g.q, p.response)
        assert not proofs.verify_equal_logs(g, X, base, image, bad, prefix)
        # a factor for another exponent cannot be proven with x
        other = g.pow(base, x + 1)
        assert not proofs.verify_equal_logs(g, X, base, other, p, prefix)

    prop()


# --- disjunctive proofs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_zero_one_proof(group: Group[Any]) -> None:
    @examples(group)
    @given(sk=scalars(group), m=st.sampled_from([0, 1]), r=scalars(group), seed=seeds)
    def prop(sk: int, m: int, r: int, seed: int) -> None:
        g = group
        y = g.g_pow(sk)
        shifts = proofs.interval_shifts(g, 0, 1)
        ct = elgamal.encrypt(g, y, m, r)
        rng = DeterministicRandomness(seed)
        ps = proofs.prove_disjunction(g, y, shifts, "S", m, r, ct, rng)
        assert len(ps) == 2
        assert proofs.verify_disjunction(g, y, shifts, "S", ps, ct)
        assert not proofs.verify_disjunction(g, y, shifts, "T", ps, ct)  # statement (φ|credential) bound
        assert not proofs.verify_disjunction(g, g.mul(y, g.g), shifts, "S", ps, ct)  # another election key
        other = elgamal.encrypt(g, y, 1 - m, r)
        assert not proofs.verify_disjunction(g, y, shifts, "S", ps, other)  # another ciphertext
        assert not proofs.verify_disjunction(g, y, shifts, "S", ps[::-1], ct)
        assert not proofs.verify_disjunction(g, y, shifts, "S", ps[:1], ct)
        bumped = [ps[0], proofs.Proof(ps[1].challenge, (ps[1].response + 1) % g.q)]
        assert not proofs.verify_disjunction(g, y, shifts, "S", bumped, ct)
        # an encryption of 2 cannot be proven to be 0 or 1, whichever branch the prover fakes
        two = elgamal.encrypt(g, y, 2, r)
        for branch in (0, 1):
            forged = proofs.prove_disjunction(g, y, shifts, "S", branch, r, two, rng)
            assert not proofs.verify_disjunction(g, y, shifts, "S", forged, two)

    prop()


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_interval_proof(group: Group[Any]) -> None:
    @examples(group, ed=20, ff=5)
    @given(
        bounds=st.tuples(st.integers(0, 3), st.integers(0, 3)).map(sorted),
        data=st.data(),
        sk=scalars(group),
        r=scalars(group),
        seed=seeds,
    )
    def prop(bounds: list[int], data: st.DataObject, sk: int, r: int, seed: int) -> None:
        g = group
        lo, hi = bounds
        m = data.draw(st.integers(lo, hi), label="m")
        y = g.g_pow(sk)
        shifts = proofs.interval_shifts(g, lo, hi)
        assert len(shifts) == hi - lo + 1
        ct = elgamal.encrypt(g, y, m, r)
        rng = DeterministicRandomness(seed)
        ps = proofs.prove_disjunction(g, y, shifts, "S|a,b", m - lo, r, ct, rng)
        assert proofs.verify_disjunction(g, y, shifts, "S|a,b", ps, ct)
        assert not proofs.verify_disjunction(g, y, shifts, "S|a,c", ps, ct)
        outside = elgamal.encrypt(g, y, hi + 1, r)
        forged = proofs.prove_disjunction(g, y, shifts, "S|a,b", 0, r, outside, rng)
        assert not proofs.verify_disjunction(g, y, shifts, "S|a,b", forged, outside)
        if lo < hi:  # the wrong branch claimed as the true one
            wrong = proofs.prove_disjunction(g, y, shifts, "S|a,b", (m - lo + 1) % (hi - lo + 1), r, ct, rng)
            assert not proofs.verify_disjunction(g, y, shifts, "S|a,b", wrong, ct)

    prop()


QUESTIONS = [
    Question(("Yes", "No"), 1, 1, "Do you authorize strike action?"),
    Question(("A", "B", "C"), 0, 2, "Pick up to two"),
    Question(("Only",), 0, 1, "Tick or not"),
]


def _election(group: Group[Any], sk: int, questions: tuple[Question, ...]) -> ElectionParams:
    return ElectionParams.make(
        group=group,
        public_key=group.g_pow(sk),
        uuid="fRCgzzthi5qpmp",
        name="N",
        description="D",
        questions=questions,
    )


def _plaintexts(questions: tuple[Question, ...]) -> st.SearchStrategy[list[list[int]]]:
    def one(q: Question) -> st.SearchStrategy[list[int]]:
        return st.lists(st.sampled_from([0, 1]), min_size=len(q.answers), max_size=len(q.answers)).filter(
            lambda m: q.min <= sum(m) <= q.max
        )

    return st.tuples(*(one(q) for q in questions)).map(list)


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_ballot_complete_sound_and_canonical(group: Group[Any]) -> None:
    questions = tuple(QUESTIONS)

    @examples(group, ed=15, ff=3)
    @given(sk=scalars(group), cred=scalars(group), plain=_plaintexts(questions), seed=seeds)
    def prop(sk: int, cred: int, plain: list[list[int]], seed: int) -> None:
        e = _election(group, sk, questions)
        b = create_ballot(e, cred, plain, DeterministicRandomness(seed))
        check = BallotCheck(e)
        assert check.failed_check(b) is None
        parsed = parse_ballot(group, b.raw)
        assert ballot_json(group, parsed) == b.raw  # codec round trip, byte for byte
        assert check.failed_check(parsed) is None
        assert group.eq(parsed.credential, group.g_pow(cred))
        # the ballot is bound to its election: another key or fingerprint fails
        other = _election(group, (sk + 1) % group.q or 1, questions)
        assert BallotCheck(other).failed_check(parsed) is not None
        # decrypting with the election key gives the plaintext back
        for row, answer in zip(plain, parsed.answers, strict=True):
            for m, ct in zip(row, answer.choices, strict=True):
                assert group.eq(group.div(ct.beta, group.pow(ct.alpha, sk)), group.g_pow(m))

    prop()


# --- ElGamal homomorphism -------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_elgamal_homomorphism(group: Group[Any]) -> None:
    @examples(group, ed=25, ff=5)
    @given(
        sk=scalars(group),
        messages=st.lists(st.integers(0, 5), min_size=1, max_size=8),
        weight=st.integers(1, 4),
        seed=seeds,
    )
    def prop(sk: int, messages: list[int], weight: int, seed: int) -> None:
        g = group
        rng = DeterministicRandomness(seed)
        y = g.g_pow(sk)
        cts = [elgamal.encrypt(g, y, m, g.random_scalar(rng)) for m in messages]
        total = elgamal.product(g, cts)

        def decrypt(ct: Ciphertext[Any], bound: int) -> int:
            return discrete_log(g, g.div(ct.beta, g.pow(ct.alpha, sk)), bound)

        assert decrypt(total, 5 * len(messages)) == sum(messages)
        assert decrypt(elgamal.scale(g, total, weight), 5 * len(messages) * weight) == weight * sum(messages)
        assert elgamal.product(g, []) == elgamal.neutral(g)
        assert elgamal.add_ciphertexts(g, elgamal.neutral(g), cts[0]) == cts[0]

    prop()


def test_discrete_log_bounds() -> None:
    g = ED25519
    for bound in (0, 1, 2, 10, 99):
        for m in range(bound + 1):
            assert discrete_log(g, g.g_pow(m), bound) == m
        with pytest.raises(CryptoError):
            discrete_log(g, g.g_pow(bound + 1), bound)


# --- threshold -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_threshold_any_k_of_n(group: Group[Any]) -> None:
    @examples(group, ed=20, ff=4)
    @given(nk=st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))), seed=seeds)
    def prop(nk: tuple[int, int], seed: int) -> None:
        g = group
        n, k = nk
        rng = DeterministicRandomness(seed)
        poly = threshold.random_polynomial(g, k - 1, rng)
        exps = threshold.coefficient_exponentials(g, poly)
        key = g.g_pow(poly[0])
        shares = {j: threshold.eval_polynomial(g, poly, j) for j in range(1, n + 1)}
        for j, s in shares.items():
            assert threshold.check_share(g, exps, j, s)
            assert not threshold.check_share(g, exps, j, (s + 1) % g.q)
        for subset in itertools.combinations(range(1, n + 1), k):
            lam = {j: threshold.lagrange_coefficient(g, subset, j) for j in subset}
            assert sum(lam[j] * shares[j] for j in subset) % g.q == poly[0]
            assert g.eq(threshold.combine_factors(g, {j: g.g_pow(shares[j]) for j in subset}), key)
        if k > 1:  # k-1 shares interpolate a different polynomial: not the key (overwhelmingly)
            for subset in itertools.combinations(range(1, n + 1), k - 1):
                assert not g.eq(threshold.combine_factors(g, {j: g.g_pow(shares[j]) for j in subset}), key)

    prop()


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_pedersen_dealers_decrypt_with_any_k(group: Group[Any]) -> None:
    """n dealers each share a polynomial; S_j = Σ_i P_i(j); any k factors α^{S_j} decrypt, k-1 do not."""

    @examples(group, ed=10, ff=3)
    @given(k=st.integers(1, 3), m=st.integers(0, 20), seed=seeds)
    def prop(k: int, m: int, seed: int) -> None:
        g, n = group, 3
        rng = DeterministicRandomness(seed)
        polys = [threshold.random_polynomial(g, k - 1, rng) for _ in range(n)]
        all_exps = [threshold.coefficient_exponentials(g, p) for p in polys]
        y = threshold.threshold_public_key(g, all_exps)
        assert g.eq(y, g.g_pow(sum(p[0] for p in polys)))
        shares = {j: sum(threshold.eval_polynomial(g, p, j) for p in polys) % g.q for j in range(1, n + 1)}
        vks = threshold.verification_keys(g, all_exps)
        assert all(g.eq(vk, g.g_pow(shares[j])) for j, vk in zip(range(1, n + 1), vks, strict=True))
        ct = elgamal.encrypt(g, y, m, g.random_scalar(rng))
        for subset in itertools.combinations(range(1, n + 1), k):
            f = threshold.combine_factors(g, {j: g.pow(ct.alpha, shares[j]) for j in subset})
            assert discrete_log(g, g.div(ct.beta, f), 20) == m
        if k > 1:
            f = threshold.combine_factors(g, {j: g.pow(ct.alpha, shares[j]) for j in range(1, k)})
            assert not g.eq(g.div(ct.beta, f), g.g_pow(m))

    prop()


def test_lagrange_rejects_bad_indexes() -> None:
    with pytest.raises(CryptoError):
        threshold.lagrange_coefficient(ED25519, [1, 1, 2], 1)
    with pytest.raises(CryptoError):
        threshold.lagrange_coefficient(ED25519, [1, 2], 3)


# --- codec round trips ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
@pytest.mark.parametrize("mode", ["single", "threshold", "both"])
def test_trustees_and_partial_decryption_round_trip(group: Group[Any], mode: str) -> None:
    rng = DeterministicRandomness(f"trustees|{mode}")
    trustees, secrets = make_trustees(group, mode, 2, 3, rng)  # type: ignore[arg-type]
    raw = trustees_json(group, trustees)
    parsed = parse_trustees(group, raw)
    assert trustees_json(group, parsed) == raw
    for t in parsed:
        if type(t).__name__ == "Pedersen":
            assert pedersen_failures(group, t) == []  # type: ignore[arg-type]
    e = _election(group, 5, (QUESTIONS[0],))
    tally = [[elgamal.encrypt(group, e.public_key, 1, 7), elgamal.encrypt(group, e.public_key, 0, 8)]]
    for x in list(secrets.values())[:2]:
        pd = compute_factor(e, tally, x, rng)
        raw_pd = pd.to_json(group)
        back: PartialDecryption = parse_partial_decryption(e, raw_pd)
        assert back.to_json(group) == raw_pd


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_election_round_trip(group: Group[Any]) -> None:
    @examples(group, ed=20, ff=5)
    @given(
        sk=scalars(group),
        name=st.text(max_size=30),
        description=st.text(max_size=30),
        questions=st.lists(st.sampled_from(QUESTIONS), min_size=1, max_size=3),
        uuid=st.text(
            alphabet="123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", min_size=14, max_size=22
        ),
    )
    def prop(sk: int, name: str, description: str, questions: list[Question], uuid: str) -> None:
        e = ElectionParams.make(
            group=group,
            public_key=group.g_pow(sk),
            uuid=uuid,
            name=name,
            description=description,
            questions=tuple(questions),
        )
        back = ElectionParams.parse(e.raw)
        assert back.raw == e.raw and back.fingerprint == e.fingerprint
        assert (back.name, back.description, back.uuid, back.questions) == (
            name,
            description,
            uuid,
            tuple(questions),
        )
        assert group.eq(back.public_key, e.public_key) and back.group is group

    prop()


# --- an independent Ed25519 (pure Python, extended coordinates) -------------------------------------------------

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int, int, int]
REF_IDENTITY: Point = (0, 1, 1, 0)


def ref_add(a: Point, b: Point) -> Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa, bb = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    cc, dd = 2 * D * t1 * t2 % P, 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def ref_mul(k: int, a: Point) -> Point:
    acc = REF_IDENTITY
    while k:
        if k & 1:
            acc = ref_add(acc, a)
        a = ref_add(a, a)
        k >>= 1
    return acc


def ref_decode(hex_be: str) -> Point | None:
    """Belenios hex (big-endian) → point, or None when not a canonical encoding of a curve point."""
    z = int(hex_be, 16)
    y, sign = z & ((1 << 255) - 1), z >> 255
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x2 = u * pow(v, -1, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def ref_encode(a: Point) -> str:
    x, y, z, _ = a
    zi = pow(z, -1, P)
    x, y = x * zi % P, y * zi % P
    return f"{y | ((x & 1) << 255):064x}"


def ref_is_identity(a: Point) -> bool:
    x, y, z, _ = a
    return x % P == 0 and (y - z) % P == 0


REF_BASE = ref_decode("6666666666666666666666666666666666666666666666666666666666666658")
assert REF_BASE is not None

# The 8 torsion points in Belenios' big-endian hex (libsodium's small-order blocklist, byte-reversed).
TORSION = [
    "0000000000000000000000000000000000000000000000000000000000000001",  # identity (order 1)
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffec",  # order 2 (y = -1)
    "0000000000000000000000000000000000000000000000000000000000000000",  # order 4 (y = 0)
    "8000000000000000000000000000000000000000000000000000000000000000",  # order 4
    "05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826",  # order 8
    "85fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826",  # order 8
    "7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7",  # order 8
    "fa03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7",  # order 8
]


def _order(a: Point) -> int:
    acc = a
    for k in range(1, 9):
        if ref_is_identity(acc):
            return k
        acc = ref_add(acc, a)
    return 0


def test_torsion_points_are_the_small_order_subgroup() -> None:
    points = [ref_decode(h) for h in TORSION]
    assert all(p is not None for p in points)
    orders = sorted(_order(p) for p in points if p is not None)
    assert orders == [1, 2, 4, 4, 8, 8, 8, 8]
    assert len({ref_encode(p) for p in points if p is not None}) == 8


@pytest.mark.parametrize("hex_point", TORSION)
def test_ed25519_rejects_small_order_points(hex_point: str) -> None:
    with pytest.raises(CryptoError):
        ED25519.decode(hex_point)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(k=scalars(ED25519), t=st.integers(1, 7))
def test_ed25519_rejects_points_with_a_torsion_component(k: int, t: int) -> None:
    """g^k + T (T of order 2, 4 or 8) is on the curve but outside the prime-order subgroup."""
    torsion = ref_decode(TORSION[t])
    assert torsion is not None
    mixed = ref_encode(ref_add(ref_mul(k, REF_BASE), torsion))
    with pytest.raises(CryptoError):
        ED25519.decode(mixed)
    assert ED25519.decode(ref_encode(ref_mul(k, REF_BASE))) == ED25519.g_pow(k)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(k=scalars(ED25519), j=scalars(ED25519))
def test_ed25519_agrees_with_reference_arithmetic(k: int, j: int) -> None:
    g = ED25519
    a, b = ref_mul(k, REF_BASE), ref_mul(j, REF_BASE)
    assert g.encode(g.g_pow(k)) == ref_encode(a)
    assert g.encode(g.mul(g.g_pow(k), g.g_pow(j))) == ref_encode(ref_add(a, b))
    assert g.encode(g.pow(g.g_pow(k), j)) == ref_encode(ref_mul(k * j % L, REF_BASE))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(z=st.integers(0, 2**256 - 1))
def test_ed25519_decode_accepts_exactly_the_prime_order_subgroup(z: int) -> None:
    """Any 256-bit string: accepted iff canonical, on the curve, of order L (reference implementation)."""
    hex_point = f"{z:064x}"
    point = ref_decode(hex_point)
    valid = point is not None and not ref_is_identity(point) and ref_is_identity(ref_mul(L, point))
    if valid:
        assert ED25519.encode(ED25519.decode(hex_point)) == hex_point
    else:
        with pytest.raises(CryptoError):
            ED25519.decode(hex_point)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(y=st.integers(P, 2**255 - 1), sign=st.integers(0, 1))
def test_ed25519_rejects_non_canonical_y(y: int, sign: int) -> None:
    with pytest.raises(CryptoError):
        ED25519.decode(f"{y | (sign << 255):064x}")


@settings(max_examples=20, deadline=None, derandomize=True)
@given(k=scalars(ED25519))
def test_ed25519_rejects_malformed_strings(k: int) -> None:
    s = ED25519.encode(ED25519.g_pow(k))
    bad = [
        s[:-1],
        s + "0",
        s[1:],
        "0" + s,
        s[:-2],
        "",
        " " + s[1:],
        "0x" + s[2:],
        s.replace(s[5], "g"),
        s + "\n",
    ]
    if any(c in "abcdef" for c in s):
        bad.append(s.upper())
    for b in bad:
        with pytest.raises(CryptoError):
            ED25519.decode(b)
    assert ED25519.decode(s) == ED25519.g_pow(k)


# --- BELENIOS-2048 membership ----------------------------------------------------------------------------------

FF = BELENIOS_2048
FF_P = int(FF.p)


def test_belenios_2048_rejects_special_values() -> None:
    g_dec = FF.encode(FF.g)
    bad = [
        "0",
        "1",
        str(FF_P - 1),
        str(FF_P),
        str(FF_P + 1),
        str(FF_P + int(FF.g)),
        "0" + g_dec,
        "00",
        "-" + g_dec,
        "+" + g_dec,
        " " + g_dec,
        g_dec + " ",
        "",
        "1e5",
        "0x10",
        "٣",
    ]
    if pow(2, FF.q, FF_P) != 1:  # 2 generates (a large part of) Z_p^*, not the order-q subgroup
        bad.append("2")
    for b in bad:
        with pytest.raises(CryptoError):
            FF.decode(b)
    assert FF.decode(g_dec) == FF.g


@settings(max_examples=10, deadline=None, derandomize=True)
@given(k=scalars(FF), x=st.integers(2, FF_P - 2))
def test_belenios_2048_membership(k: int, x: int) -> None:
    member = int(FF.g_pow(k))
    assert FF.decode(str(member)) == member
    with pytest.raises(CryptoError):  # -g^k has a component of order 2
        FF.decode(str(FF_P - member))
    with pytest.raises(CryptoError):
        FF.decode("0" + str(member))
    if pow(x, FF.q, FF_P) != 1:
        with pytest.raises(CryptoError):
            FF.decode(str(x))
    else:  # pragma: no cover - probability ~2^-1792
        assert FF.decode(str(x)) == x


# --- scalars ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_scalar_decoding(group: Group[Any]) -> None:
    q = group.q
    for ok in (0, 1, q - 1):
        assert group.decode_scalar(str(ok)) == ok
    for bad in (str(q), str(q + 1), "-1", "01", "+1", "", " 1", "1 ", "1.0", "0x1", str(2**256)):
        with pytest.raises(InvalidScalar):
            group.decode_scalar(bad)

    @examples(group, ed=30, ff=30)
    @given(k=st.integers(0, q - 1))
    def prop(k: int) -> None:
        assert group.decode_scalar(group.encode_scalar(k)) == k
        with pytest.raises(InvalidScalar):
            group.decode_scalar("0" + str(k))

    prop()


@pytest.mark.parametrize("group", GROUPS, ids=IDS)
def test_encode_decode_round_trip(group: Group[Any]) -> None:
    @examples(group, ed=30, ff=8)
    @given(k=scalars(group))
    def prop(k: int) -> None:
        e = group.g_pow(k)
        s = group.encode(e)
        assert group.decode(s) == e and group.encode(group.decode(s)) == s
        assert group.check(e)

    prop()
