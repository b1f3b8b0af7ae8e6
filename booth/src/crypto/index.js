// The booth's cryptography: everything a Web Worker needs to turn (election.json, credential, choice) into a
// Belenios ballot.
export { createBallot } from "./ballot.js";
export { deriveSecret, parseCredential } from "./credentials.js";
export { parseElection } from "./election.js";
export { CredentialError, InvalidInput } from "./errors.js";
export { groupByName } from "./groups.js";
export { sha256B64 } from "./hashing.js";
export { DeterministicRandomness, SystemRandomness } from "./randomness.js";
