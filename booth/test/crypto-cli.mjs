// Runs the booth's cryptography under Node for the Python tests (tests/interop/test_booth_crypto.py):
// reads a JSON list of operations on stdin, writes a JSON list of results on stdout. With a seed, the ballot's
// randomness is DeterministicRandomness(seed), the same stream as the Python class of that name.
import { readFileSync } from "node:fs";
import {
  CredentialError,
  DeterministicRandomness,
  InvalidInput,
  SystemRandomness,
  createBallot,
  deriveSecret,
  groupByName,
  parseCredential,
  parseElection,
} from "../src/crypto/index.js";

const te = new TextEncoder();

/** @param {any} op */
function run(op) {
  switch (op.op) {
    case "ballot": {
      const election = parseElection(te.encode(op.election));
      const secret = deriveSecret(election.group, election.uuid, op.credential);
      const rng = op.seed === undefined ? new SystemRandomness() : new DeterministicRandomness(op.seed);
      const t0 = performance.now();
      const out = createBallot(election, secret, op.choices, rng);
      return { ...out, fingerprint: election.fingerprint, ms: performance.now() - t0 };
    }
    case "secret":
      return { secret: deriveSecret(groupByName(op.group), op.uuid, op.credential).toString() };
    case "credential":
      return parseCredential(op.text);
    case "decode": {
      const g = groupByName(op.group);
      return { encoded: g.encode(g.decode(op.element, Boolean(op.identity_ok))) };
    }
    case "election":
      return { fingerprint: parseElection(te.encode(op.election)).fingerprint };
    default:
      throw new Error(`unknown op ${op.op}`);
  }
}

const results = JSON.parse(readFileSync(0, "utf8")).map((/** @type {any} */ op) => {
  try {
    return { ok: run(op) };
  } catch (e) {
    if (e instanceof CredentialError || e instanceof InvalidInput) return { error: e.code, message: e.message };
    throw e;
  }
});
process.stdout.write(JSON.stringify(results));
