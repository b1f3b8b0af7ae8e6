// The Ed25519 group (specification §"Ed25519"; FORMATS.md §1; src/strikevote/crypto/ed25519.py).
// Points are @noble/curves points. Belenios writes a point as the big-endian hex of its compressed form,
// i.e. the byte-reverse of RFC 8032's encoding. Every point read from outside is checked: canonical
// encoding (y < p), on the curve, in the prime-order subgroup (isTorsionFree), and not the identity.
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { InvalidInput } from "./errors.js";
import { hashToZq, mod } from "./hashing.js";

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const HEX64 = /^[0-9a-f]{64}$/;

/** @typedef {InstanceType<typeof Point>} EdPoint */

export const ED25519 = {
  name: "Ed25519",
  q: L,
  g: Point.BASE,
  one: Point.ZERO,

  /** @param {EdPoint} a @param {EdPoint} b */
  mul: (a, b) => a.add(b),
  /** @param {EdPoint} a @param {EdPoint} b */
  div: (a, b) => a.subtract(b),
  /** @param {EdPoint} a @param {bigint} k */
  pow(a, k) {
    k = mod(k, L);
    // noble's constant-time multiply refuses 0; Belenios' pure fallback gives the identity.
    return k === 0n || a.is0() ? Point.ZERO : a.multiply(k);
  },
  /** @param {bigint} k */
  gPow(k) {
    return ED25519.pow(Point.BASE, k);
  },
  /** @param {EdPoint} a @param {bigint} x @param {EdPoint} b @param {bigint} y */
  pow2(a, x, b, y) {
    return ED25519.pow(a, x).add(ED25519.pow(b, y));
  },
  /** @param {EdPoint} a @param {EdPoint} b */
  eq: (a, b) => a.equals(b),

  /** @param {EdPoint} a */
  encode(a) {
    return bytesToHex(a.toBytes().reverse());
  },

  /** @param {unknown} s @param {boolean} [identityOk] @returns {EdPoint} */
  decode(s, identityOk = false) {
    if (typeof s !== "string" || !HEX64.test(s)) {
      throw new InvalidInput("element", `not a 64-digit lower-case hex Ed25519 point: ${String(s).slice(0, 70)}`);
    }
    let p;
    try {
      p = Point.fromBytes(hexToBytes(s).reverse(), false); // zip215=false: RFC 8032 strict, y < p
    } catch {
      throw new InvalidInput("element", `not a point of Ed25519: ${s}`);
    }
    if (p.is0() ? !identityOk : !p.isTorsionFree() || p.isSmallOrder()) {
      throw new InvalidInput("element", `not a point of the prime-order subgroup of Ed25519: ${s}`);
    }
    return p;
  },

  /** @param {string} prefix @param {EdPoint[]} elements */
  hash(prefix, elements) {
    return hashToZq(prefix, elements.map(ED25519.encode), L);
  },
};
