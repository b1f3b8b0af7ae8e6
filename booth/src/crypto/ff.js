// Finite-field Schnorr groups (specification §"Finite field groups"; src/strikevote/crypto/ff.py):
// BELENIOS-2048, a 2048-bit p with a 256-bit prime-order subgroup, with native BigInt. Elements are
// written in decimal; one read from outside must be canonical, in [1, p) and satisfy x^q = 1 (mod p).
import { InvalidInput } from "./errors.js";
import { hashToZq, mod } from "./hashing.js";

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const WINDOW = 4; // g^k by a fixed-base table: one multiplication per 4-bit digit of k

/** Left-to-right fixed-window exponentiation, base^k mod p for 0 <= k. */
function modPow(/** @type {bigint} */ base, /** @type {bigint} */ k, /** @type {bigint} */ p) {
  if (k === 0n) return 1n;
  const table = [1n, base];
  for (let i = 2; i < 16; i++) table.push((table[i - 1] * base) % p);
  const hex = k.toString(16);
  let acc = 1n;
  for (let i = 0; i < hex.length; i++) {
    if (i > 0) {
      acc = (acc * acc) % p;
      acc = (acc * acc) % p;
      acc = (acc * acc) % p;
      acc = (acc * acc) % p;
    }
    const d = parseInt(hex[i], 16);
    if (d) acc = (acc * table[d]) % p;
  }
  return acc;
}

/** @param {string} name @param {bigint} p @param {bigint} q @param {bigint} g */
export function finiteFieldGroup(name, p, q, g) {
  const digits = p.toString().length;
  /** @type {bigint[][]} */
  let gTable = [];
  function fixedBaseTable() {
    // table[i][d] = g^(d * 16^i), built on first use
    if (gTable.length) return gTable;
    let b = g;
    for (let i = 0; i < Math.ceil(q.toString(2).length / WINDOW); i++) {
      const row = [1n];
      for (let d = 1; d < 1 << WINDOW; d++) row.push((row[d - 1] * b) % p);
      gTable.push(row);
      b = (row[row.length - 1] * b) % p;
    }
    return gTable;
  }
  const group = {
    name,
    p,
    q,
    g,
    one: 1n,
    /** @param {bigint} a @param {bigint} b */
    mul: (a, b) => (a * b) % p,
    /** @param {bigint} a @param {bigint} b */
    div: (a, b) => (a * modPow(b, p - 2n, p)) % p,
    /** @param {bigint} a @param {bigint} k */
    pow: (a, k) => modPow(a, mod(k, q), p),
    /** @param {bigint} k */
    gPow(k) {
      k = mod(k, q);
      const table = fixedBaseTable();
      let acc = 1n;
      for (let i = 0; k > 0n; i++, k >>= BigInt(WINDOW)) {
        const d = Number(k & 15n);
        if (d) acc = (acc * table[i][d]) % p;
      }
      return acc;
    },
    /** @param {bigint} a @param {bigint} x @param {bigint} b @param {bigint} y */
    pow2: (a, x, b, y) => (modPow(a, mod(x, q), p) * modPow(b, mod(y, q), p)) % p,
    /** @param {bigint} a @param {bigint} b */
    eq: (a, b) => a === b,
    /** @param {bigint} a */
    encode: (a) => a.toString(),
    /** @param {unknown} s @param {boolean} [identityOk] @returns {bigint} */
    decode(s, identityOk = false) {
      if (typeof s !== "string" || s.length > digits || !DECIMAL.test(s)) {
        throw new InvalidInput("element", `not a canonical decimal ${name} element: ${String(s).slice(0, 40)}`);
      }
      const a = BigInt(s);
      if (!(a > 0n && a < p) || modPow(a, q, p) !== 1n || (a === 1n && !identityOk)) {
        throw new InvalidInput("element", `not an element of the order-q subgroup of ${name}: ${s.slice(0, 20)}…`);
      }
      return a;
    },
    /** @param {string} prefix @param {bigint[]} elements */
    hash: (prefix, elements) => hashToZq(prefix, elements.map((e) => e.toString()), q),
  };
  return group;
}

export const BELENIOS_2048 = finiteFieldGroup(
  "BELENIOS-2048",
  20694785691422546401013643657505008064922989295751104097100884787057374219242717401922237254497684338129066633138078958404960054389636289796393038773905722803605973749427671376777618898589872735865049081167099310535867780980030790491654063777173764198678527273474476341835600035698305193144284561701911000786737307333564123971732897913240474578834468260652327974647951137672658693582180046317922073668860052627186363386088796882120769432366149491002923444346373222145884100586421050242120365433561201320481118852408731077014151666200162313177169372189248078507711827842317498073276598828825169183103125680162072880719n,
  78571733251071885079927659812671450121821421258408794611510081919805623223441n,
  2402352677501852209227687703532399932712287657378364916510075318787663274146353219320285676155269678799694668298749389095083896573425601900601068477164491735474137283104610458681314511781646755400527402889846139864532661215055797097162016168270312886432456663834863635782106154918419982534315189740658186868651151358576410138882215396016043228843603930989333662772848406593138406010231675095763777982665103606822406635076697764025346253773085133173495194248967754052573659049492477631475991575198775177711481490920456600205478127054728238140972518639858334115700568353695553423781475582491896050296680037745308460627n,
);
