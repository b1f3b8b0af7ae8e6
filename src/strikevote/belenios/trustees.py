"""Trustees (specification §"Trustees", §"Threshold decryption"; Belenios ``src/lib/v1/trustees.ml``).

``trustees.json`` is a list of ``["Single", trustee_public_key]`` and ``["Pedersen", threshold_parameters]``.
The election key is the product of every Single key and of every Pedersen group's ``Π_i A_i0``.  Decryption
trustee ids are positions in the flattened list (Singles and Pedersen members in order), starting at 1.

Pedersen records come in two dialects: Belenios 2.0 (no ``context`` in certificates, no ``signatures``) and
≥2.1/3.0 (both present, plus a signature on each verification key).  We read both and check what is present;
we write the 3.0 dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from strikevote.belenios.ballot import parse_proof, proof_json
from strikevote.belenios.codec import check_object, decode_element, dumps, get_int, get_list, get_str, loads
from strikevote.belenios.errors import FormatError
from strikevote.crypto import proofs, statements, threshold
from strikevote.crypto.group import Group
from strikevote.crypto.proofs import Proof
from strikevote.crypto.randomness import Randomness
from strikevote.crypto.statements import pok_prefix, sigmsg_prefix
from strikevote.records.checks import Check, Failure

PUBLIC_KEY_FIELDS = ("pok", "public_key", "signature", "name")
THRESHOLD_FIELDS = ("threshold", "certs", "coefexps", "signatures", "verification_keys")


@dataclass(frozen=True)
class TrusteePublicKey:
    pok: Proof
    public_key: Any
    signature: Proof | None = None
    name: str | None = None

    def to_json(self, group: Group[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"pok": proof_json(self.pok), "public_key": group.encode(self.public_key)}
        if self.signature is not None:
            out["signature"] = proof_json(self.signature)
        if self.name is not None:
            out["name"] = self.name
        return out


@dataclass(frozen=True)
class SignedMessage:
    message: str
    signature: Proof

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "signature": proof_json(self.signature)}


@dataclass(frozen=True)
class CertKeys:
    verification: Any
    encryption: Any
    context: dict[str, Any] | None = None


@dataclass(frozen=True)
class Single:
    key: TrusteePublicKey


@dataclass(frozen=True)
class Pedersen:
    threshold: int
    certs: tuple[SignedMessage, ...]
    coefexps: tuple[SignedMessage, ...]
    signatures: tuple[Proof, ...] | None
    verification_keys: tuple[TrusteePublicKey, ...]
    cert_keys: tuple[CertKeys, ...] = field(default=())
    coefexp_values: tuple[tuple[Any, ...], ...] = field(default=())


TrusteeKind = Single | Pedersen


# --- the polynomial signature's message (its statement: strikevote.crypto.statements) ----------------------------


def certs_sig_message(group: Group[Any], certs: Sequence[SignedMessage], coefexps: Sequence[Any]) -> str:
    """:func:`strikevote.crypto.statements.certs_sig_message` of these certificates and group elements."""
    return statements.certs_sig_message([c.to_json() for c in certs], [group.encode(a) for a in coefexps])


# --- parsing ----------------------------------------------------------------------------------------------------


def parse_public_key(group: Group[Any], obj: Any, where: str) -> TrusteePublicKey:
    obj = check_object(obj, where, PUBLIC_KEY_FIELDS, optional=("signature", "name"))
    signature = parse_proof(group, obj["signature"], f"{where}.signature") if "signature" in obj else None
    name = get_str(obj, "name", where) if "name" in obj else None
    return TrusteePublicKey(
        parse_proof(group, obj["pok"], f"{where}.pok"),
        decode_element(group, obj["public_key"], f"{where}.public_key"),
        signature,
        name,
    )


def parse_signed(group: Group[Any], obj: Any, where: str) -> SignedMessage:
    obj = check_object(obj, where, ("message", "signature"))
    return SignedMessage(
        get_str(obj, "message", where), parse_proof(group, obj["signature"], f"{where}.signature")
    )


def parse_cert_keys(group: Group[Any], message: str, where: str) -> CertKeys:
    obj = check_object(
        loads(message, where), where, ("context", "verification", "encryption"), optional=("context",)
    )
    context = obj.get("context")
    if context is not None:
        context = check_object(context, f"{where}.context", ("group", "size", "threshold", "index"))
    return CertKeys(
        decode_element(group, obj["verification"], f"{where}.verification"),
        decode_element(group, obj["encryption"], f"{where}.encryption"),
        context,
    )


def parse_coefexps(group: Group[Any], message: str, where: str) -> tuple[Any, ...]:
    obj = check_object(loads(message, where), where, ("coefexps",))
    values = get_list(obj, "coefexps", where)
    return tuple(decode_element(group, a, f"{where}.coefexps[{i}]") for i, a in enumerate(values))


def parse_pedersen(group: Group[Any], obj: Any, where: str) -> Pedersen:
    obj = check_object(obj, where, THRESHOLD_FIELDS, optional=("signatures",))
    certs = tuple(
        parse_signed(group, c, f"{where}.certs[{i}]") for i, c in enumerate(get_list(obj, "certs", where))
    )
    coefexps = tuple(
        parse_signed(group, c, f"{where}.coefexps[{i}]")
        for i, c in enumerate(get_list(obj, "coefexps", where))
    )
    signatures = None
    if "signatures" in obj:
        signatures = tuple(
            parse_proof(group, s, f"{where}.signatures[{i}]")
            for i, s in enumerate(get_list(obj, "signatures", where))
        )
    vks = tuple(
        parse_public_key(group, v, f"{where}.verification_keys[{i}]")
        for i, v in enumerate(get_list(obj, "verification_keys", where))
    )
    n = len(certs)
    t = get_int(obj, "threshold", where, minimum=1)
    if n == 0 or len(coefexps) != n or len(vks) != n or (signatures is not None and len(signatures) != n):
        raise FormatError(
            where, "certs, coefexps, signatures and verification_keys must have one entry per trustee"
        )
    if t > n:
        raise FormatError(f"{where}.threshold", f"threshold {t} exceeds the {n} trustees")
    cert_keys = tuple(
        parse_cert_keys(group, c.message, f"{where}.certs[{i}].message") for i, c in enumerate(certs)
    )
    values = tuple(
        parse_coefexps(group, c.message, f"{where}.coefexps[{i}].message") for i, c in enumerate(coefexps)
    )
    return Pedersen(t, certs, coefexps, signatures, vks, cert_keys, values)


def parse_trustees(group: Group[Any], raw: str, where: str = "trustees.json") -> list[TrusteeKind]:
    out: list[TrusteeKind] = []
    items = get_list(loads(raw, where), None, where)
    if not items:
        raise FormatError(where, "no trustee")
    for i, item in enumerate(items):
        w = f"{where}[{i}]"
        if not isinstance(item, list) or len(item) != 2 or item[0] not in ("Single", "Pedersen"):
            raise FormatError(w, 'expected ["Single", {...}] or ["Pedersen", {...}]')
        if item[0] == "Single":
            out.append(Single(parse_public_key(group, item[1], f"{w}[1]")))
        else:
            out.append(parse_pedersen(group, item[1], f"{w}[1]"))
    return out


def trustees_json(group: Group[Any], trustees: Sequence[TrusteeKind]) -> str:
    items: list[Any] = []
    for t in trustees:
        if isinstance(t, Single):
            items.append(["Single", t.key.to_json(group)])
        else:
            obj: dict[str, Any] = {
                "threshold": t.threshold,
                "certs": [c.to_json() for c in t.certs],
                "coefexps": [c.to_json() for c in t.coefexps],
            }
            if t.signatures is not None:
                obj["signatures"] = [proof_json(s) for s in t.signatures]
            obj["verification_keys"] = [v.to_json(group) for v in t.verification_keys]
            items.append(["Pedersen", obj])
    return dumps(items)


# --- checking (Belenios ``check_single``/``check_pedersen``) -----------------------------------------------------


def check_single(group: Group[Any], key: TrusteePublicKey) -> Failure | None:
    """The key's proof of knowledge of its secret (``trustees.single-pok``); None when it verifies."""
    if proofs.verify_knowledge(group, key.public_key, key.pok, pok_prefix(group, key.public_key)):
        return None
    return Failure(Check.TRUSTEES_SINGLE_POK, "invalid proof of knowledge")


def pedersen_failures(group: Group[Any], p: Pedersen) -> list[Failure]:
    """The failed checks of a Pedersen group (empty when valid), indexed by trustee (1-based)."""
    failed: list[Failure] = []
    n = len(p.certs)
    if pedersen_dialect(p) is None:
        failed.append(Failure(Check.TRUSTEES_PEDERSEN_DIALECT))
    for i, (cert, keys) in enumerate(zip(p.certs, p.cert_keys, strict=True)):
        context_ok = keys.context is None or keys.context == {
            "group": group.name,
            "size": n,
            "threshold": p.threshold,
            "index": i + 1,
        }
        if not context_ok or not proofs.verify_knowledge(
            group, keys.verification, cert.signature, sigmsg_prefix(cert.message)
        ):
            failed.append(Failure(Check.TRUSTEES_PEDERSEN_CERT, item=i + 1))
    for i, (c, keys) in enumerate(zip(p.coefexps, p.cert_keys, strict=True)):
        if not proofs.verify_knowledge(group, keys.verification, c.signature, sigmsg_prefix(c.message)):
            failed.append(Failure(Check.TRUSTEES_PEDERSEN_COEFEXPS, item=i + 1))
    if any(len(v) != p.threshold for v in p.coefexp_values):
        failed.append(Failure(Check.TRUSTEES_PEDERSEN_THRESHOLD))
        return failed
    if p.signatures is not None:
        for i, (s, keys, values) in enumerate(zip(p.signatures, p.cert_keys, p.coefexp_values, strict=True)):
            message = certs_sig_message(group, p.certs, values)
            if not proofs.verify_knowledge(group, keys.verification, s, sigmsg_prefix(message)):
                failed.append(Failure(Check.TRUSTEES_PEDERSEN_SIGNATURE, item=i + 1))
    computed = threshold.verification_keys(group, p.coefexp_values)
    for i, (vk, expected, keys) in enumerate(zip(p.verification_keys, computed, p.cert_keys, strict=True)):
        ok = check_single(group, vk) is None and group.eq(vk.public_key, expected)
        if ok and vk.signature is not None:
            ok = proofs.verify_knowledge(
                group, keys.verification, vk.signature, sigmsg_prefix(group.encode(expected))
            )
        if not ok:
            failed.append(Failure(Check.TRUSTEES_PEDERSEN_VERIFICATION_KEY, item=i + 1))
    return failed


def pedersen_dialect(p: Pedersen) -> str | None:
    """``"2.0"`` (no certificate context, no ``signatures``, no verification-key signature), ``"3.0"`` (all of
    them) or None for a mixture: stripping the 3.0 signatures while keeping the contexts is a downgrade, which
    belenios-tool 3.0 refuses too."""
    marks = [
        *(k.context is not None for k in p.cert_keys),
        p.signatures is not None,
        *(v.signature is not None for v in p.verification_keys),
    ]
    if all(marks):
        return "3.0"
    if not any(marks):
        return "2.0"
    return None


def combined_public_key(group: Group[Any], trustees: Sequence[TrusteeKind]) -> Any:
    acc = group.one
    for t in trustees:
        if isinstance(t, Single):
            acc = group.mul(acc, t.key.public_key)
        else:
            acc = group.mul(acc, threshold.threshold_public_key(group, t.coefexp_values))
    return acc


def decryption_keys(trustees: Sequence[TrusteeKind]) -> list[tuple[int, TrusteeKind, int, Any]]:
    """Flattened (trustee id, group entry, index within the group (1-based, 0 for Single), public key)."""
    out: list[tuple[int, TrusteeKind, int, Any]] = []
    for t in trustees:
        if isinstance(t, Single):
            out.append((len(out) + 1, t, 0, t.key.public_key))
        else:
            for j, vk in enumerate(t.verification_keys):
                out.append((len(out) + 1, t, j + 1, vk.public_key))
    return out


# --- creation ---------------------------------------------------------------------------------------------------


def make_single(group: Group[Any], private_key: int, rng: Randomness) -> TrusteePublicKey:
    public = group.g_pow_secret(private_key)
    return TrusteePublicKey(
        proofs.prove_knowledge(group, private_key, pok_prefix(group, public), rng), public
    )


def sign(group: Group[Any], sk: int, message: str, rng: Randomness) -> SignedMessage:
    return SignedMessage(message, proofs.prove_knowledge(group, sk, sigmsg_prefix(message), rng))
