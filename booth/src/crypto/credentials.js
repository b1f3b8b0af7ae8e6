// Voter credentials (specification §"Credentials"; Belenios src/lib/core/credential.ml;
// src/strikevote/crypto/credentials.py). Two formats are read:
//  - full style, what strikevote (and belenios-tool 3.0) issues: 22 base58 characters written
//    XXXXX-XXXXXX-XXXXX-XXXXXX, s = int(SHA256("derive_credential|U|0|c") ‖ SHA256("derive_credential|U|1|c")) mod q;
//  - old style (belenios-tool 2.0): 14 base58 characters and a checksum character, written XXX-XXX-XXX-XXX-XXX,
//    s = int(PBKDF2-HMAC-SHA256(c, salt U, 1000 iterations, 32 bytes)) mod q.
// The full style carries no checksum: only its shape and alphabet can be checked here; a well-formed typo is
// refused by the server as a credential not on the list. The old style's checksum catches any one-character typo.
import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { CredentialError } from "./errors.js";

export const B58_DIGITS = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const FULL_GROUPS = [5, 6, 5, 6];
const OLD_GROUPS = [3, 3, 3, 3, 3];

/** @param {string} raw @param {number[]} sizes */
function regroup(raw, sizes) {
  const parts = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(raw.slice(at, at + n));
    at += n;
  }
  return parts.join("-");
}

/** Belenios `check_old_raw`: (Σ digits as a base-58 number + checksum) mod 53 = 0. @param {string} raw */
function oldChecksumOk(raw) {
  let n = 0n;
  for (const ch of raw.slice(0, 14)) n = n * 58n + BigInt(B58_DIGITS.indexOf(ch));
  return (n + BigInt(B58_DIGITS.indexOf(raw[14]))) % 53n === 0n;
}

/**
 * Check what a member typed or the link carried, and return the credential in the exact form that is hashed
 * (with its dashes). Spaces are dropped and missing dashes are put back; anything else is refused.
 * @param {string} text
 * @returns {{style: "full"|"old", credential: string}}
 */
export function parseCredential(text) {
  const raw = String(text).replace(/[\s\u00a0]+/g, "");
  if (!raw) throw new CredentialError("empty", "no credential given");
  const bare = raw.replace(/-/g, "");
  const bad = [...bare].filter((ch) => !B58_DIGITS.includes(ch));
  if (bad.length) {
    throw new CredentialError("characters", `characters that never occur in a credential: ${[...new Set(bad)].join(" ")}`);
  }
  if (bare.length === 22) {
    const credential = regroup(bare, FULL_GROUPS);
    if (raw.includes("-") && raw !== credential) {
      throw new CredentialError("shape", "a credential is written XXXXX-XXXXXX-XXXXX-XXXXXX");
    }
    return { style: "full", credential };
  }
  if (bare.length === 15) {
    const credential = regroup(bare, OLD_GROUPS);
    if (raw.includes("-") && raw !== credential) {
      throw new CredentialError("shape", "a credential is written XXX-XXX-XXX-XXX-XXX");
    }
    if (!oldChecksumOk(bare)) throw new CredentialError("checksum", "the credential's check character does not match");
    return { style: "old", credential };
  }
  throw new CredentialError("length", `a credential has 22 characters (not counting dashes); this one has ${bare.length}`);
}

/** The credential's secret s in Z_q. @param {{q: bigint}} group @param {string} uuid @param {string} text */
export function deriveSecret(group, uuid, text) {
  const { style, credential } = parseCredential(text);
  if (style === "full") {
    const prefix = `derive_credential|${uuid}`;
    const digest = [0, 1].map((i) => bytesToHex(sha256(utf8ToBytes(`${prefix}|${i}|${credential}`)))).join("");
    return BigInt("0x" + digest) % group.q;
  }
  const derived = pbkdf2(sha256, utf8ToBytes(credential), utf8ToBytes(uuid), { c: 1000, dkLen: 32 });
  return BigInt("0x" + bytesToHex(derived)) % group.q;
}
