// The Web Worker that encrypts: the main thread posts {electionBytes, credential, choices}; the worker parses
// election.json from those exact bytes, derives the credential's secret, builds the ballot and posts back
// {ballot, tracker, ms} or {error: code}. The credential never leaves the browser.
import { GROUPS } from "./crypto/groups.js";
import { CredentialError, InvalidInput, SystemRandomness, createBallot, deriveSecret, parseElection } from "./crypto/index.js";

// Warm both groups' tables while the member reads the question, so the encryption itself is quick.
setTimeout(() => {
  for (const g of Object.values(GROUPS)) g.gPow(7n);
}, 0);

self.onmessage = (/** @type {MessageEvent} */ event) => {
  const { id, electionBytes, credential, choices } = event.data;
  try {
    const t0 = performance.now();
    const election = parseElection(new Uint8Array(electionBytes));
    const secret = deriveSecret(election.group, election.uuid, credential);
    const out = createBallot(election, secret, choices, new SystemRandomness());
    self.postMessage({ id, ...out, ms: performance.now() - t0 });
  } catch (e) {
    if (e instanceof CredentialError || e instanceof InvalidInput) {
      self.postMessage({ id, error: e.code, message: e.message });
    } else {
      self.postMessage({ id, error: "internal", message: String(e) });
    }
  }
};
