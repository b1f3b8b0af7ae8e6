// Election parameters (specification §"Elections"; src/strikevote/belenios/election.py). The fingerprint φ is
// Base64Compact(SHA-256) of the exact bytes served, so the caller hands over bytes, never a re-serialization.
import { InvalidInput } from "./errors.js";
import { groupByName } from "./groups.js";
import { sha256B64 } from "./hashing.js";

const FIELDS = ["version", "description", "name", "group", "public_key", "questions", "uuid"];
const OPTIONAL = ["administrator", "credential_authority"];
const QUESTION_FIELDS = ["answers", "min", "max", "question"];

/** @typedef {{answers: string[], min: number, max: number, question: string}} Question */
/** @typedef {{raw: string, fingerprint: string, group: import("./groups.js").Group, publicKey: any,
 *   name: string, description: string, questions: Question[], uuid: string}} Election */

/** @param {unknown} obj @param {string} where @param {string[]} required @param {string[]} optional */
function checkObject(obj, where, required, optional) {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new InvalidInput("election", `${where}: expected an object`);
  for (const k of required) if (!Object.hasOwn(obj, k)) throw new InvalidInput("election", `${where}.${k}: missing`);
  for (const k of Object.keys(obj)) {
    if (!required.includes(k) && !optional.includes(k)) throw new InvalidInput("election", `${where}.${k}: unexpected field`);
  }
  return /** @type {Record<string, any>} */ (obj);
}

/** @param {unknown} v @param {string} where */
function int(v, where) {
  if (!Number.isSafeInteger(v) || /** @type {number} */ (v) < 0) throw new InvalidInput("election", `${where}: expected a non-negative integer`);
  return /** @type {number} */ (v);
}

/** @param {Uint8Array} bytes the election.json exactly as served @returns {Election} */
export function parseElection(bytes) {
  let raw;
  let obj;
  try {
    raw = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    obj = JSON.parse(raw);
  } catch {
    throw new InvalidInput("election", "election.json: not UTF-8 JSON");
  }
  obj = checkObject(obj, "election.json", FIELDS, OPTIONAL);
  if (obj.version !== 1) throw new InvalidInput("election", `election.json.version: unsupported ${JSON.stringify(obj.version)}`);
  const group = groupByName(obj.group);
  const publicKey = group.decode(obj.public_key);
  if (!Array.isArray(obj.questions) || !obj.questions.length) throw new InvalidInput("election", "election.json.questions: no question");
  const questions = obj.questions.map((/** @type {unknown} */ q, /** @type {number} */ i) => {
    const where = `election.json.questions[${i}]`;
    const o = checkObject(q, where, QUESTION_FIELDS, ["blank"]);
    if (o.blank === true) throw new InvalidInput("election", `${where}.blank: questions with a blank choice are not supported`);
    if (o.blank !== undefined && typeof o.blank !== "boolean") throw new InvalidInput("election", `${where}.blank: expected a boolean`);
    if (!Array.isArray(o.answers) || !o.answers.length || !o.answers.every((a) => typeof a === "string")) {
      throw new InvalidInput("election", `${where}.answers: expected a non-empty list of strings`);
    }
    const min = int(o.min, `${where}.min`);
    const max = int(o.max, `${where}.max`);
    if (max < min || max > o.answers.length) throw new InvalidInput("election", `${where}.max: out of range`);
    if (typeof o.question !== "string") throw new InvalidInput("election", `${where}.question: expected a string`);
    return { answers: o.answers, min, max, question: o.question };
  });
  if (typeof obj.uuid !== "string" || obj.uuid.length < 14 || !/^[0-9A-Za-z]+$/.test(obj.uuid)) {
    throw new InvalidInput("election", "election.json.uuid: a UUID is a base58 token of at least 14 characters");
  }
  for (const k of ["name", "description"]) {
    if (typeof obj[k] !== "string") throw new InvalidInput("election", `election.json.${k}: expected a string`);
  }
  return {
    raw,
    fingerprint: sha256B64(bytes),
    group,
    publicKey,
    name: obj.name,
    description: obj.description,
    questions,
    uuid: obj.uuid,
  };
}
