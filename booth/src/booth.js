// The voting booth's page logic (src/strikevote/web/templates/booth.html.j2 holds every text and step).
// Steps: credential (typed, when the link did not carry it) → election (union, local, question, fingerprint)
// → choose → review → encrypting (in the Web Worker) → tracker → cast → done, or refused/problem with a
// plain-language message. The credential is read from the URL fragment and removed from the address bar at once;
// it is only ever given to the worker, never sent anywhere.
import { parseCredential } from "./crypto/credentials.js";
import { CredentialError, InvalidInput } from "./crypto/errors.js";
import { parseElection } from "./crypto/election.js";

// --- the fragment goes first, before anything can fail ----------------------------------------------------------
/** The URL fragment (#{election-uuid}/{credential}), removed from the address bar and the history entry. */
function takeFragment() {
  const fragment = location.hash.length > 1 ? location.hash.slice(1) : "";
  if (location.hash) history.replaceState(history.state, "", location.pathname + location.search);
  return fragment;
}
const fragment = takeFragment();

const root = /** @type {HTMLElement} */ (document.getElementById("booth"));
const voteId = root.dataset.vote || "";
const messages = /** @type {HTMLTemplateElement} */ (document.getElementById("booth-messages")).content;

/** The text of a localized message from the template. @param {string} key */
function msg(key) {
  const el = messages.querySelector(`[data-key="${CSS.escape(key)}"]`);
  return el ? (el.textContent || "").trim() : key;
}

/** @type {{uuid: string, local: string, name: string, question: string, fingerprint: string}[]} */
const locals = [...document.querySelectorAll("#local-select option")].map((o) => {
  const d = /** @type {HTMLOptionElement} */ (o).dataset;
  return { uuid: /** @type {HTMLOptionElement} */ (o).value, local: d.local || "", name: d.name || "", question: d.question || "", fingerprint: d.fingerprint || "" };
});

/** What the member is doing: filled step by step. */
const session = {
  /** @type {typeof locals[number] | null} */ local: null,
  credential: "",
  /** @type {ArrayBuffer | null} */ electionBytes: null,
  /** @type {import("./crypto/election.js").Election | null} */ election: null,
  /** @type {number | null} */ choice: null,
  /** @type {{ballot: string, tracker: string} | null} */ sealed: null,
  cast: false,
};

// --- steps ------------------------------------------------------------------------------------------------------
const STEPS = ["loading", "credential", "election", "choose", "review", "encrypting", "tracker", "done", "refused", "problem"];

/** Show one step, hide the others, move the focus to its heading. @param {string} name */
function show(name) {
  for (const s of STEPS) {
    const el = document.getElementById(`step-${s}`);
    if (el) el.hidden = s !== name;
  }
  root.dataset.step = name;
  const heading = document.getElementById(`h-${name}`);
  if (heading) heading.focus();
}

/** Fill every [data-fill=key] element. @param {string} key @param {string} text */
function fill(key, text) {
  for (const el of root.querySelectorAll(`[data-fill="${key}"]`)) el.textContent = text;
}

/** @param {string} text */
function problem(text) {
  /** @type {HTMLElement} */ (document.getElementById("problem-message")).textContent = text;
  show("problem");
}

/** @param {string} key @param {{retry?: boolean, reenter?: boolean}} [opts] */
function refused(key, opts = {}) {
  /** @type {HTMLElement} */ (document.getElementById("refusal-message")).textContent = msg(key);
  /** @type {HTMLElement} */ (document.getElementById("retry-button")).hidden = !opts.retry;
  /** @type {HTMLElement} */ (document.getElementById("reenter-button")).hidden = !opts.reenter;
  show("refused");
}

// --- worker -----------------------------------------------------------------------------------------------------
const worker = new Worker(root.dataset.worker || "/static/booth/booth-worker.js");
let requestId = 0;
/** @type {Map<number, (data: any) => void>} */
const pending = new Map();
worker.onmessage = (event) => {
  const done = pending.get(event.data.id);
  pending.delete(event.data.id);
  if (done) done(event.data);
};
worker.onerror = () => problem(msg("internal"));

/** @param {Record<string, unknown>} request @returns {Promise<any>} */
function askWorker(request) {
  const id = ++requestId;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ id, ...request });
  });
}

/** @param {ArrayBuffer} electionBytes @param {string} credential @param {number[][]} choices */
function encryptInWorker(electionBytes, credential, choices) {
  return askWorker({ electionBytes: electionBytes.slice(0), credential, choices });
}

/**
 * Whether the credential is on the local's list, asked before anything is encrypted: a credential has no check
 * character, so a mistyped letter is only caught here. Only the public credential is sent. A network failure
 * answers "unknown" and the booth goes on (the ballot box checks again at the cast).
 * @param {ArrayBuffer} electionBytes @param {string} credential @returns {Promise<"listed"|"unlisted"|"unknown"|"error">}
 */
async function credentialListed(electionBytes, credential) {
  const out = await askWorker({ op: "public-credential", electionBytes: electionBytes.slice(0), credential });
  if (out.error) return "error";
  const local = session.local ? session.local.local : "";
  const url = `/api/v1/votes/${encodeURIComponent(voteId)}/locals/${encodeURIComponent(local)}/credentials/${encodeURIComponent(out.publicCredential)}`;
  try {
    const res = await fetch(url, { headers: { accept: "application/json" }, credentials: "omit" });
    if (res.ok) return "listed";
    const body = await res.json().catch(() => ({}));
    return res.status === 404 && body.error === "unknown-credential" ? "unlisted" : "unknown";
  } catch {
    return "unknown";
  }
}

// --- credential -------------------------------------------------------------------------------------------------
const credentialInput = /** @type {HTMLInputElement} */ (document.getElementById("credential-input"));
const credentialError = /** @type {HTMLElement} */ (document.getElementById("credential-error"));

/** @param {string} text */
function credentialMistake(text) {
  credentialError.textContent = text;
  credentialInput.setAttribute("aria-invalid", "true");
  credentialInput.focus();
}

/** @param {unknown} e */
function credentialMessage(e) {
  return e instanceof CredentialError ? msg(`credential:${e.code}`) : msg("internal");
}

/** @param {typeof locals[number]} local @param {string} credential @param {boolean} typed */
async function start(local, credential, typed) {
  session.local = local;
  session.credential = credential;
  session.choice = null;
  session.sealed = null;
  session.cast = false;
  const state = root.dataset.state;
  if (state !== "open") {
    problem(msg(["closed", "tallied", "published"].includes(state || "") ? "reason:closed" : "reason:not-open-yet"));
    return;
  }
  show("loading");
  let bytes;
  try {
    const res = await fetch(`/api/v1/votes/${encodeURIComponent(voteId)}/locals/${encodeURIComponent(local.local)}/election`, {
      headers: { accept: "application/json" },
      credentials: "omit",
    });
    if (!res.ok) throw new Error(String(res.status));
    bytes = await res.arrayBuffer();
  } catch {
    refused("reason:network", { retry: true });
    retry = () => start(local, credential, typed);
    return;
  }
  let election;
  try {
    election = parseElection(new Uint8Array(bytes));
  } catch (e) {
    problem(msg(e instanceof InvalidInput ? "election:invalid" : "internal"));
    return;
  }
  // The fingerprint is computed here over the bytes received; it must be the one published for the local.
  if (election.uuid !== local.uuid || election.fingerprint !== local.fingerprint) {
    problem(msg("election:mismatch"));
    return;
  }
  const listed = await credentialListed(bytes, credential);
  if (listed === "unlisted" || listed === "error") {
    if (typed) {
      show("credential");
      credentialMistake(msg("credential:unlisted"));
    } else {
      refused("reason:unknown-credential", { reenter: true });
    }
    return;
  }
  session.electionBytes = bytes;
  session.election = election;
  fill("local-name", local.name);
  fill("question", election.questions[0].question || local.question);
  fill("fingerprint", election.fingerprint);
  renderChoices(election.questions[0].answers);
  show("election");
}

/** @param {string[]} answers */
function renderChoices(answers) {
  const box = /** @type {HTMLElement} */ (document.getElementById("choice-options"));
  box.replaceChildren();
  answers.forEach((answer, i) => {
    const id = `choice-${i}`;
    const wrap = document.createElement("div");
    wrap.className = "choice";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "choice";
    input.id = id;
    input.value = String(i);
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = answerLabel(answer);
    wrap.append(input, label);
    box.append(wrap);
  });
}

/** "Yes"/"No" in the member's language; any other answer as the election writes it. @param {string} answer */
function answerLabel(answer) {
  const key = `answer:${answer}`;
  return messages.querySelector(`[data-key="${CSS.escape(key)}"]`) ? msg(key) : answer;
}

/** @type {() => void} */
let retry = () => {};

// --- wiring -----------------------------------------------------------------------------------------------------
/** @type {HTMLFormElement} */ (document.getElementById("credential-form")).addEventListener("submit", (event) => {
  event.preventDefault();
  const select = /** @type {HTMLSelectElement} */ (document.getElementById("local-select"));
  const local = locals.find((l) => l.uuid === select.value);
  let credential;
  try {
    credential = parseCredential(credentialInput.value).credential;
  } catch (e) {
    credentialMistake(credentialMessage(e));
    return;
  }
  credentialError.textContent = "";
  credentialInput.removeAttribute("aria-invalid");
  if (local) start(local, credential, true);
});

for (const button of root.querySelectorAll("[data-go]")) {
  button.addEventListener("click", () => {
    const target = /** @type {HTMLElement} */ (button).dataset.go || "";
    if (target === "credential") {
      credentialInput.value = "";
      if (session.local) /** @type {HTMLSelectElement} */ (document.getElementById("local-select")).value = session.local.uuid;
    }
    if (target === "choose") session.sealed = null; // a changed answer is encrypted afresh
    show(target);
  });
}

/** @type {HTMLFormElement} */ (document.getElementById("choice-form")).addEventListener("submit", (event) => {
  event.preventDefault();
  const picked = /** @type {HTMLInputElement | null} */ (root.querySelector('input[name="choice"]:checked'));
  const error = /** @type {HTMLElement} */ (document.getElementById("choice-error"));
  if (!picked || !session.election) {
    error.textContent = msg("choose-one");
    /** @type {HTMLElement | null} */ (root.querySelector('input[name="choice"]'))?.focus();
    return;
  }
  error.textContent = "";
  session.choice = Number(picked.value);
  fill("choice", answerLabel(session.election.questions[0].answers[session.choice]));
  show("review");
});

/** @type {HTMLElement} */ (document.getElementById("encrypt-button")).addEventListener("click", async () => {
  const { election, electionBytes, choice } = session;
  if (!election || !electionBytes || choice === null) return;
  show("encrypting");
  const choices = election.questions.map((q, qi) => q.answers.map((_, i) => (qi === 0 && i === choice ? 1 : 0)));
  const out = await encryptInWorker(electionBytes, session.credential, choices);
  if (out.error) {
    const key = { credential: `credential:${out.error}`, election: "election:invalid" }[/** @type {string} */ (out.kind)];
    problem(msg(key || "internal"));
    return;
  }
  session.sealed = { ballot: out.ballot, tracker: out.tracker };
  root.dataset.encryptMs = String(Math.round(out.ms));
  fill("tracker", out.tracker);
  /** @type {HTMLElement} */ (document.getElementById("cast-status")).textContent = "";
  show("tracker");
});

const REFUSALS = {
  revote: {},
  duplicate: {},
  "unknown-credential": { reenter: true },
  "wrong-election": {},
  closed: {},
  "not-open-yet": { retry: true },
  busy: { retry: true },
  invalid: { retry: true },
};

async function cast() {
  const sealed = session.sealed;
  const local = session.local;
  if (!sealed || !local || session.cast) return;
  const castButton = /** @type {HTMLButtonElement} */ (document.getElementById("cast-button"));
  castButton.disabled = true;
  /** @type {HTMLElement} */ (document.getElementById("cast-status")).textContent = msg("casting");
  retry = () => {
    show("tracker");
    cast();
  };
  let res;
  let body;
  try {
    res = await fetch(`/api/v1/votes/${encodeURIComponent(voteId)}/ballots`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: sealed.ballot,
      credentials: "omit",
    });
    body = await res.json().catch(() => ({}));
  } catch {
    castButton.disabled = false;
    refused("reason:network", { retry: true });
    return;
  }
  castButton.disabled = false;
  if (res.status === 201) {
    session.cast = true;
    session.credential = ""; // not needed any more
    if (body.tracker !== sealed.tracker) {
      problem(msg("tracker:mismatch"));
      return;
    }
    fill("height", String(body.height));
    const link = /** @type {HTMLAnchorElement} */ (document.getElementById("board-link"));
    link.href = `/votes/${encodeURIComponent(voteId)}?tracker=${encodeURIComponent(sealed.tracker)}`;
    show("done");
    return;
  }
  const reason = typeof body.error === "string" ? body.error : "";
  if (Object.hasOwn(REFUSALS, reason)) {
    refused(`reason:${reason}`, /** @type {any} */ (REFUSALS)[reason]);
  } else {
    refused("reason:other");
  }
}

/** @type {HTMLElement} */ (document.getElementById("cast-button")).addEventListener("click", cast);
/** @type {HTMLElement} */ (document.getElementById("retry-button")).addEventListener("click", () => retry());

// Switching language reloads the page: carry the credential over in the fragment (never sent to the server).
for (const a of document.querySelectorAll(".lang-switch a")) {
  a.addEventListener("click", () => {
    if (session.local && session.credential && !session.cast) {
      /** @type {HTMLAnchorElement} */ (a).hash = `${session.local.uuid}/${session.credential}`;
    }
  });
}

// --- entry ------------------------------------------------------------------------------------------------------
/** @param {string} fragment */
function enter(fragment) {
  if (!fragment) {
    show("credential");
    return;
  }
  let decoded;
  try {
    decoded = decodeURIComponent(fragment);
  } catch {
    decoded = "";
  }
  const slash = decoded.indexOf("/");
  if (slash < 0) {
    problem(msg("link:garbled"));
    return;
  }
  const uuid = decoded.slice(0, slash);
  const local = locals.find((l) => l.uuid === uuid);
  if (!local) {
    problem(msg("link:unknown"));
    return;
  }
  let credential;
  try {
    credential = parseCredential(decoded.slice(slash + 1)).credential;
  } catch (e) {
    problem(credentialMessage(e));
    return;
  }
  start(local, credential, false);
}

enter(fragment);
// The letter's link opened in a tab already showing the booth changes only the fragment: no new page load.
window.addEventListener("hashchange", () => {
  const again = takeFragment();
  if (again) enter(again);
});
