// Typed errors of the booth's cryptography: the UI maps each `code` to a plain-language message.

/** A value from outside (election.json, a group element, a scalar) that is not what Belenios allows. */
export class InvalidInput extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = "InvalidInput";
    this.code = code;
  }
}

/** A credential that cannot be right: wrong length, a character outside base58, a failed checksum. */
export class CredentialError extends Error {
  /** @param {"empty"|"length"|"characters"|"checksum"|"shape"} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = "CredentialError";
    this.code = code;
  }
}
