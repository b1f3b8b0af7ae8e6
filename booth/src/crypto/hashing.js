// Belenios hashing conventions (specification §"Conventions"; FORMATS.md §0 and §10), as
// src/strikevote/crypto/hashing.py: SHA-256 in hex, Base64Compact (base64 without "=" padding) and the
// Fiat–Shamir oracle H(prefix, xs) = int(SHA256(prefix ‖ x1 "," … "," xn), big-endian) mod q.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/** @param {Uint8Array|string} data */
function asBytes(data) {
  return typeof data === "string" ? utf8ToBytes(data) : data;
}

/** @param {Uint8Array|string} data @returns {string} */
export function sha256Hex(data) {
  return bytesToHex(sha256(asBytes(data)));
}

/** @param {Uint8Array} bytes */
function base64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Base64Compact(SHA-256(data)): election fingerprints and smart ballot trackers. */
export function sha256B64(/** @type {Uint8Array|string} */ data) {
  return base64(sha256(asBytes(data))).replace(/=+$/, "");
}

/** @param {Uint8Array} bytes @returns {bigint} */
export function bytesToBigInt(bytes) {
  return bytes.length ? BigInt("0x" + bytesToHex(bytes)) : 0n;
}

/** The oracle on already-encoded elements. @param {string} prefix @param {string[]} encoded @param {bigint} q */
export function hashToZq(prefix, encoded, q) {
  return bytesToBigInt(sha256(utf8ToBytes(prefix + encoded.join(",")))) % q;
}

/** A non-negative remainder (BigInt `%` keeps the sign of the dividend). @param {bigint} a @param {bigint} q */
export function mod(a, q) {
  const r = a % q;
  return r < 0n ? r + q : r;
}
