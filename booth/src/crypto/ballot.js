// Ballots (specification §"Ballots", §"Encrypted answers", §"Signatures"; Belenios `create_ballot`;
// src/strikevote/belenios/ballot.py). The JSON is built with the fields in the specification's order and
// written compact, exactly as belenios-tool writes it; the tracker is Base64Compact(SHA-256(ballot)).
import { sha256B64 } from "./hashing.js";
import { intervalShifts, proveDisjunction, proveKnowledge } from "./proofs.js";

/** @typedef {import("./election.js").Election} Election */
/** @typedef {import("./proofs.js").Proof} Proof */

/** @param {Proof} p */
const proofJson = (p) => ({ challenge: p.challenge.toString(), response: p.response.toString() });

/**
 * Encrypt a plaintext (one 0/1 list per question), prove it and sign it with the credential secret.
 * @param {Election} election @param {bigint} secret @param {number[][]} choices
 * @param {import("./randomness.js").Randomness} rng
 * @returns {{ballot: string, tracker: string, credential: string}}
 */
export function createBallot(election, secret, choices, rng) {
  const g = election.group;
  const y = election.publicKey;
  if (choices.length !== election.questions.length) throw new RangeError("one choice list per question");
  const credential = g.encode(g.gPow(secret));
  const statement = `${election.fingerprint}|${credential}`;
  const zeroOne = intervalShifts(g, 0, 1);
  const answers = election.questions.map((q, qi) => {
    const m = choices[qi];
    const sum = m.reduce((a, b) => a + b, 0);
    if (m.length !== q.answers.length || m.some((x) => x !== 0 && x !== 1) || sum < q.min || sum > q.max) {
      throw new RangeError(`invalid plaintext ${JSON.stringify(m)} for question ${JSON.stringify(q.question)}`);
    }
    const rs = m.map(() => rng.below(g.q));
    const cts = m.map((x, i) => ({ alpha: g.gPow(rs[i]), beta: g.mul(g.pow(y, rs[i]), g.gPow(BigInt(x))) }));
    const individual = m.map((x, i) => proveDisjunction(g, y, zeroOne, statement, x, rs[i], cts[i], rng));
    const overallStatement = `${statement}|${cts.map((c) => `${g.encode(c.alpha)},${g.encode(c.beta)}`).join(",")}`;
    const total = cts.reduce((acc, c) => ({ alpha: g.mul(acc.alpha, c.alpha), beta: g.mul(acc.beta, c.beta) }), {
      alpha: g.one,
      beta: g.one,
    });
    const rSum = rs.reduce((a, b) => a + b, 0n) % g.q;
    const overall = proveDisjunction(g, y, intervalShifts(g, q.min, q.max), overallStatement, sum - q.min, rSum, total, rng);
    return {
      choices: cts.map((c) => ({ alpha: g.encode(c.alpha), beta: g.encode(c.beta) })),
      individual_proofs: individual.map((ps) => ps.map(proofJson)),
      overall_proof: overall.map(proofJson),
    };
  });
  /** @type {Record<string, unknown>} */
  const ballot = {
    election_uuid: election.uuid,
    election_hash: election.fingerprint,
    credential,
    answers,
  };
  const hash = sha256B64(JSON.stringify(ballot));
  const signature = proveKnowledge(g, secret, `sig|${hash}|`, rng);
  ballot.signature = { hash, proof: proofJson(signature) };
  const raw = JSON.stringify(ballot);
  return { ballot: raw, tracker: sha256B64(raw), credential };
}
