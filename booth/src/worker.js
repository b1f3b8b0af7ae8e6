// The Web Worker that encrypts: the main thread posts {electionBytes, credential, choices}; the worker parses
// election.json from those exact bytes, derives the credential's secret, builds the ballot and posts back
// {ballot, tracker, ms} or {kind: credential|election|internal, error: code, message}. With op
// "public-credential" it posts back {publicCredential} only (the booth checks it is listed before encrypting). The credential never leaves the browser.
import { GROUPS } from "./crypto/groups.js";
import { CredentialError, InvalidInput, SystemRandomness, createBallot, deriveSecret, parseElection } from "./crypto/index.js";

// Warm both groups' tables while the member reads the question, so the encryption itself is quick.
setTimeout(() => {
  for (const g of Object.values(GROUPS)) g.gPow(7n);
}, 0);

self.onmessage = (/** @type {MessageEvent} */ event) => {
  const { id, op, electionBytes, credential, choices } = event.data;
  try {
    const t0 = performance.now();
    const election = parseElection(new Uint8Array(electionBytes));
    const secret = deriveSecret(election.group, election.uuid, credential);
    if (op === "public-credential") {
      // Only the public credential g^s leaves the worker: the booth looks it up on the local's list.
      self.postMessage({ id, publicCredential: election.group.encode(election.group.gPow(secret)) });
      return;
    }
    const out = createBallot(election, secret, choices, new SystemRandomness());
    self.postMessage({ id, ...out, ms: performance.now() - t0 });
  } catch (e) {
    const kind = e instanceof CredentialError ? "credential" : e instanceof InvalidInput ? "election" : "internal";
    self.postMessage({ id, kind, error: kind === "internal" ? "internal" : e.code, message: String(e) });
  }
};
