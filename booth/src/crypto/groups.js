// Group lookup by Belenios name (Belenios `Group.of_string`; src/strikevote/crypto/groups.py).
import { ED25519 } from "./ed25519.js";
import { InvalidInput } from "./errors.js";
import { BELENIOS_2048 } from "./ff.js";

/**
 * The interface both groups implement (mirrors src/strikevote/crypto/group.py).
 * @typedef {{name: string, q: bigint, g: any, one: any, mul(a: any, b: any): any, div(a: any, b: any): any,
 *   pow(a: any, k: bigint): any, gPow(k: bigint): any, pow2(a: any, x: bigint, b: any, y: bigint): any,
 *   eq(a: any, b: any): boolean, encode(a: any): string, decode(s: unknown, identityOk?: boolean): any,
 *   hash(prefix: string, elements: any[]): bigint}} Group
 */

/** @type {Record<string, Group>} */
export const GROUPS = { [ED25519.name]: ED25519, [BELENIOS_2048.name]: BELENIOS_2048 };

/** @param {unknown} name @returns {Group} */
export function groupByName(name) {
  if (typeof name === "string" && Object.hasOwn(GROUPS, name)) return GROUPS[name];
  throw new InvalidInput("group", `unknown group ${JSON.stringify(name)} (supported: ${Object.keys(GROUPS).join(", ")})`);
}
