"""Election setup on the Belenios protocol: uuids, trustee keys (Single and the Pedersen ceremony), credentials.

The Pedersen ceremony follows Belenios' ``MakePedersen`` steps (``src/lib/v1/trustees.ml``):

* step 1, each trustee: a secret seed; ``sk = H("sk|"+seed)``, ``dk = H("dk|"+seed)``; a certificate
  ``{context, verification: g^sk, encryption: g^dk}`` signed with sk;
* step 2, each trustee: a random polynomial of degree k−1, its signed coefficient exponentials, the
  ``certs_sig`` signature binding them to all certificates, and one sealed share per trustee;
* step 3, each trustee: checks every received share against its sender's coefexps, sums them, and publishes its
  verification key with a proof of knowledge and a signature;
* assembly: ``threshold_parameters`` for ``trustees.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strikevote.belenios.codec import dumps
from strikevote.belenios.trustees import (
    CertKeys,
    Pedersen,
    SignedMessage,
    TrusteePublicKey,
    certs_sig_message,
    make_single,
    parse_cert_keys,
    parse_coefexps,
    pedersen_failures,
    sign,
)
from strikevote.crypto import channel, proofs, threshold
from strikevote.crypto.credentials import derive_secret, generate_credential, generate_token
from strikevote.crypto.errors import ThresholdError
from strikevote.crypto.group import Group
from strikevote.crypto.hashing import reduce_hex, sha256_hex
from strikevote.crypto.randomness import Randomness
from strikevote.crypto.statements import sigmsg_prefix

__all__ = ["make_single"]


def new_uuid(rng: Randomness) -> str:
    return generate_token(rng, 14)


# --- credentials -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialPair:
    private: str
    public: str  # encoded g^s


def generate_credentials(group: Group[Any], uuid: str, count: int, rng: Randomness) -> list[CredentialPair]:
    out = []
    for _ in range(count):
        private = generate_credential(rng)
        out.append(
            CredentialPair(private, group.encode(group.g_pow_secret(derive_secret(group, uuid, private))))
        )
    return out


def public_credentials_json(
    group: Group[Any], publics: Sequence[str], weights: Sequence[int] | None = None
) -> str:
    """The archive's credential list, ordered as Belenios' ``GMap`` orders group elements."""
    entries = list(zip(publics, weights or [1] * len(publics), strict=True))
    explicit = any(w != 1 for _, w in entries)
    entries.sort(key=lambda e: group.compare_key(group.decode(e[0])))
    return dumps([f"{p},{w}" if explicit else p for p, w in entries])


# --- Pedersen ceremony ---------------------------------------------------------------------------------------------


def _derive(group: Group[Any], seed: str, purpose: str) -> int:
    return reduce_hex(sha256_hex(f"{purpose}|{seed}"), group.q)


@dataclass(frozen=True)
class PolynomialMessage:
    """What trustee i publishes at step 2: signed coefexps, certs signature, and one sealed share per trustee."""

    index: int
    coefexps: SignedMessage
    signature: proofs.Proof
    shares: dict[int, tuple[str, bytes]]


def step1_certificate(
    group: Group[Any], index: int, k: int, n: int, rng: Randomness
) -> tuple[str, SignedMessage]:
    seed = generate_token(rng, 22)
    sk, dk = _derive(group, seed, "sk"), _derive(group, seed, "dk")
    keys = {
        "context": {"group": group.name, "size": n, "threshold": k, "index": index},
        "verification": group.encode(group.g_pow_secret(sk)),
        "encryption": group.encode(group.g_pow_secret(dk)),
    }
    return seed, sign(group, sk, dumps(keys), rng)


def check_certificates(group: Group[Any], certs: Sequence[SignedMessage]) -> list[CertKeys]:
    keys = [parse_cert_keys(group, c.message, f"certificate {i + 1}") for i, c in enumerate(certs)]
    n = len(certs)
    k = keys[0].context["threshold"] if keys[0].context else 0
    for i, (cert, ck) in enumerate(zip(certs, keys, strict=True)):
        expected = {"group": group.name, "size": n, "threshold": k, "index": i + 1}
        if ck.context != expected or not proofs.verify_knowledge(
            group, ck.verification, cert.signature, sigmsg_prefix(cert.message)
        ):
            raise ThresholdError(f"certificate {i + 1} does not validate")
    return keys


def step2_polynomial(
    group: Group[Any], certs: Sequence[SignedMessage], seed: str, rng: Randomness
) -> tuple[PolynomialMessage, list[int]]:
    keys = check_certificates(group, certs)
    sk, dk = _derive(group, seed, "sk"), _derive(group, seed, "dk")
    index = _my_index(group, keys, sk, dk)
    k = keys[0].context["threshold"] if keys[0].context else 1
    poly = threshold.random_polynomial(group, k - 1, rng)
    exps = threshold.coefficient_exponentials(group, poly)
    coefexps = sign(group, sk, dumps({"coefexps": [group.encode(a) for a in exps]}), rng)
    signature = proofs.prove_knowledge(group, sk, sigmsg_prefix(certs_sig_message(group, certs, exps)), rng)
    shares = {
        j: channel.seal(group, ck.encryption, str(threshold.eval_polynomial(group, poly, j)).encode(), rng)
        for j, ck in enumerate(keys, start=1)
    }
    return PolynomialMessage(index, coefexps, signature, shares), poly


def _my_index(group: Group[Any], keys: Sequence[CertKeys], sk: int, dk: int) -> int:
    vk, ek = group.g_pow_secret(sk), group.g_pow_secret(dk)
    for i, ck in enumerate(keys, start=1):
        if group.eq(ck.verification, vk) and group.eq(ck.encryption, ek):
            return i
    raise ThresholdError("this seed matches none of the certificates")


def step3_verification_key(
    group: Group[Any],
    certs: Sequence[SignedMessage],
    polynomials: Sequence[PolynomialMessage],
    seed: str,
    rng: Randomness,
) -> tuple[TrusteePublicKey, int]:
    """Returns the public verification key and the private share S_j (the trustee's decryption key)."""
    keys = check_certificates(group, certs)
    sk, dk = _derive(group, seed, "sk"), _derive(group, seed, "dk")
    j = _my_index(group, keys, sk, dk)
    if sorted(p.index for p in polynomials) != list(range(1, len(keys) + 1)):
        raise ThresholdError("one polynomial message per trustee is needed")
    share = 0
    for p in sorted(polynomials, key=lambda p: p.index):
        ck = keys[p.index - 1]
        if not proofs.verify_knowledge(
            group, ck.verification, p.coefexps.signature, sigmsg_prefix(p.coefexps.message)
        ):
            raise ThresholdError(f"trustee {p.index}'s coefficients are not signed by its certificate")
        exps = parse_coefexps(group, p.coefexps.message, f"coefexps of trustee {p.index}")
        ephemeral, box = p.shares[j]
        s = int(channel.open_sealed(group, dk, ephemeral, box).decode())
        if not threshold.check_share(group, exps, j, s):
            raise ThresholdError(f"the share sent by trustee {p.index} does not match its coefficients")
        share = (share + s) % group.q
    key = make_single(group, share, rng)
    vk_signature = sign(group, sk, group.encode(key.public_key), rng).signature
    return TrusteePublicKey(key.pok, key.public_key, vk_signature), share


def assemble_pedersen(
    group: Group[Any],
    k: int,
    certs: Sequence[SignedMessage],
    polynomials: Sequence[PolynomialMessage],
    vks: Sequence[TrusteePublicKey],
) -> Pedersen:
    polys = sorted(polynomials, key=lambda p: p.index)
    keys = tuple(parse_cert_keys(group, c.message, "certificate") for c in certs)
    values = tuple(parse_coefexps(group, p.coefexps.message, "coefexps") for p in polys)
    pedersen = Pedersen(
        k,
        tuple(certs),
        tuple(p.coefexps for p in polys),
        tuple(p.signature for p in polys),
        tuple(vks),
        keys,
        values,
    )
    failures = pedersen_failures(group, pedersen)
    if failures:
        raise ThresholdError(f"the threshold key does not verify: {', '.join(f.name for f in failures)}")
    return pedersen


def run_pedersen_ceremony(group: Group[Any], k: int, n: int, rng: Randomness) -> tuple[Pedersen, list[int]]:
    """All steps in one process (simulations and tests); returns the record and each trustee's private share."""
    seeds_certs = [step1_certificate(group, i, k, n, rng) for i in range(1, n + 1)]
    certs = [c for _, c in seeds_certs]
    polys = [step2_polynomial(group, certs, seed, rng)[0] for seed, _ in seeds_certs]
    outs = [step3_verification_key(group, certs, polys, seed, rng) for seed, _ in seeds_certs]
    return assemble_pedersen(group, k, certs, polys, [vk for vk, _ in outs]), [s for _, s in outs]
