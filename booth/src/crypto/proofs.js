// Fiat–Shamir Σ-protocol proofs of Belenios (specification §"Zero-knowledge proofs", §"Proofs of interval
// membership", §"Signatures"; src/strikevote/crypto/proofs.py). Every proof is {challenge c, response r} with
// r = w − x·c mod q. The randomness is drawn in the same order as the Python core, so that a fixed seed
// gives the same proof.
import { mod } from "./hashing.js";

/** @typedef {import("./groups.js").Group} Group */
/** @typedef {import("./randomness.js").Randomness} Randomness */
/** @typedef {{challenge: bigint, response: bigint}} Proof */
/** @typedef {{alpha: any, beta: any}} Ciphertext */

/** Schnorr proof of knowledge of x = log_g X over `prefix`. @param {Group} g @param {bigint} x @param {string} prefix @param {Randomness} rng @returns {Proof} */
export function proveKnowledge(g, x, prefix, rng) {
  const w = rng.below(g.q);
  const challenge = g.hash(prefix, [g.gPow(w)]);
  return { challenge, response: mod(w - x * challenge, g.q) };
}

/** d_i = g^{-(lo+i)} for i = 0..hi-lo (Belenios `make_d`). @param {Group} g @param {number} lo @param {number} hi */
export function intervalShifts(g, lo, hi) {
  const out = [];
  for (let i = 0; i <= hi - lo; i++) out.push(g.gPow(mod(-BigInt(lo + i), g.q)));
  return out;
}

/** @param {string} statement @param {Group} g @param {Ciphertext} ct */
export function disjunctionPrefix(statement, g, ct) {
  return `prove|${statement}|${g.encode(ct.alpha)},${g.encode(ct.beta)}|`;
}

/**
 * Prove that ct encrypts M_{trueIndex} under y with randomness r (Belenios `eg_disj_prove`).
 * @param {Group} g @param {any} y @param {any[]} shifts @param {string} statement @param {number} trueIndex
 * @param {bigint} r @param {Ciphertext} ct @param {Randomness} rng @returns {Proof[]}
 */
export function proveDisjunction(g, y, shifts, statement, trueIndex, r, ct, rng) {
  const n = shifts.length;
  if (!(trueIndex >= 0 && trueIndex < n)) throw new RangeError("trueIndex out of range");
  const q = g.q;
  /** @type {Proof[]} */
  const proofs = new Array(n);
  const commitments = new Array(2 * n);
  let total = 0n;
  for (let i = 0; i < n; i++) {
    if (i === trueIndex) continue;
    const c = rng.below(q);
    const s = rng.below(q);
    proofs[i] = { challenge: c, response: s };
    commitments[2 * i] = g.gPow(mod(s + r * c, q));
    commitments[2 * i + 1] = g.pow2(y, s, g.mul(ct.beta, shifts[i]), c);
    total += c;
  }
  const w = rng.below(q);
  commitments[2 * trueIndex] = g.gPow(w);
  commitments[2 * trueIndex + 1] = g.pow(y, w);
  const c = mod(g.hash(disjunctionPrefix(statement, g, ct), commitments) - total, q);
  proofs[trueIndex] = { challenge: c, response: mod(w - r * c, q) };
  return proofs;
}
