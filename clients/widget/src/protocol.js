// The wire format and the rules of docs/PROTOCOL.md that a client must follow:
// MessagePack frames, which close codes end the session, which errors are
// worth retrying, and how long to wait before reconnecting.

import { decode, encode } from "@msgpack/msgpack";

export const PROTOCOL_VERSION = 1;
export const CLIENT_KIND = "widget";

/** @param {Record<string, unknown>} frame */
export function encodeFrame(frame) {
  // Optional fields that are undefined are left out (PROTOCOL.md §1).
  return encode(frame, { ignoreUndefined: true });
}

/** @param {ArrayBuffer} data @returns {Record<string, any>} */
export function decodeFrame(data) {
  const frame = decode(new Uint8Array(data));
  if (frame === null || typeof frame !== "object" || typeof frame.t !== "string") {
    throw new TypeError("not a frame");
  }
  return /** @type {Record<string, any>} */ (frame);
}

// PROTOCOL.md §3 "Reconnecting": these closes are client bugs, an origin the
// region does not allow, or a version to upgrade; retrying cannot help.
const FATAL_CLOSES = new Set([1003, 1008, 1009, 4002, 4005]);
// The session is gone: log in again over HTTP, then reconnect.
const RELOGIN_CLOSES = new Set([4001, 4006]);

/** @param {number} code @returns {"fatal" | "relogin" | "retry"} */
export function afterClose(code) {
  if (FATAL_CLOSES.has(code)) return "fatal";
  if (RELOGIN_CLOSES.has(code)) return "relogin";
  return "retry";
}

// Errors that mean "not now": the request was not carried out and may be
// sent again unchanged (a `send` keeps its cid).
const RETRYABLE_ERRORS = new Set(["unavailable", "busy", "rate_limited", "shutting_down"]);

/** @param {string} code */
export function isRetryable(code) {
  return RETRYABLE_ERRORS.has(code);
}

/**
 * Delay before reconnect attempt `attempt` (0, 1, 2, ...): 0.1 s doubling to
 * 5 s, times a random factor 0.5-1.5 so that thousands of phones do not all
 * come back at the same instant after a restart (PROTOCOL.md §3).
 * @param {number} attempt
 * @param {() => number} [random]
 */
export function backoffMs(attempt, random = Math.random) {
  const base = Math.min(5000, 100 * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.5 + random()));
}

/** A client-made message id (PROTOCOL.md §4), unique per sender and room. */
export function newCid() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** An `error` frame answering a request, as an exception. */
export class ServerError extends Error {
  /** @param {{code: string, message: string, field?: string}} frame */
  constructor(frame) {
    super(`${frame.code}: ${frame.message}`);
    this.name = "ServerError";
    this.code = frame.code;
    this.detail = frame.message;
    this.field = frame.field;
  }
}

/** The connection dropped while a request was in flight: its effect is unknown. */
export class ConnectionLost extends Error {
  constructor() {
    super("connection lost");
    this.name = "ConnectionLost";
    this.code = "connection_lost";
  }
}
