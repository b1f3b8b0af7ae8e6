// Injected randomness, as src/strikevote/crypto/randomness.py: the crypto never draws numbers itself.
// The booth passes SystemRandomness (the browser's CSPRNG); tests pass DeterministicRandomness, which is
// byte for byte the Python class of the same name, so a fixed seed gives the Python core's ballot.
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { bytesToBigInt } from "./hashing.js";

/** @typedef {{tokenBytes(n: number): Uint8Array, below(n: bigint): bigint}} Randomness */

/** A uniform integer in [0, n) from (bytes of n) + 8 random bytes: the modulo bias is below 2^-64. */
function below(/** @type {{tokenBytes(n: number): Uint8Array}} */ rng, /** @type {bigint} */ n) {
  if (n <= 0n) throw new RangeError("below() needs a positive bound");
  const nbytes = Math.ceil(n.toString(2).length / 8) + 8;
  return bytesToBigInt(rng.tokenBytes(nbytes)) % n;
}

export class SystemRandomness {
  /** @param {number} n */
  tokenBytes(n) {
    const out = new Uint8Array(n);
    globalThis.crypto.getRandomValues(out);
    return out;
  }

  /** @param {bigint} n */
  below(n) {
    return below(this, n);
  }
}

export class DeterministicRandomness {
  /** For tests only: SHA-256 in counter mode over a seed. @param {string} seed */
  constructor(seed) {
    this.seed = sha256(concatBytes(utf8ToBytes("strikevote-deterministic|"), utf8ToBytes(seed)));
    this.counter = 0n;
    this.buffer = new Uint8Array(0);
  }

  /** @param {number} n */
  tokenBytes(n) {
    while (this.buffer.length < n) {
      const ctr = new Uint8Array(8);
      new DataView(ctr.buffer).setBigUint64(0, this.counter);
      this.counter += 1n;
      this.buffer = concatBytes(this.buffer, sha256(concatBytes(this.seed, ctr)));
    }
    const out = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(n);
    return out;
  }

  /** @param {bigint} n */
  below(n) {
    return below(this, n);
  }
}
