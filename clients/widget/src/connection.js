// One WebSocket to the server that survives drops without losing or
// duplicating anything (PROTOCOL.md §3-4):
// - hello first; requests are matched to answers by `id`;
// - per followed room, the highest `seq` seen; after a reconnect every room is
//   followed again from there, and a `msg` already seen is skipped;
// - every message gets a cid and stays in the outbox until acked; after a
//   reconnect it is sent again with the SAME cid, so the server stores it once;
// - reconnects with backoff and jitter; 4001/4006 asks the app for a new login;
// - a ping when idle, and a connection that stops answering is dropped.

import {
  CLIENT_KIND,
  ConnectionLost,
  PROTOCOL_VERSION,
  ServerError,
  afterClose,
  backoffMs,
  decodeFrame,
  encodeFrame,
  isRetryable,
  newCid,
} from "./protocol.js";

/**
 * @typedef {{room: string, cid: string, text: string, att?: string}} Outgoing
 * @typedef {"connecting" | "online" | "offline" | "relogin" | "fatal" | "stopped"} Status
 * @typedef {{
 *   frame: (frame: Record<string, any>) => void,
 *   status: (status: Status, detail?: {code?: number}) => void,
 *   outbox: (messages: Outgoing[]) => void,
 *   sendFailed: (message: Outgoing, error: ServerError) => void,
 *   relogin: () => void,
 * }} Listeners
 */

const RETRY_SEND_MS = 1000;
// A server that accepted the socket but sends no welcome is as good as gone
// (the server itself waits 10 s for hello).
const WELCOME_MS = 15_000;

export class Connection {
  /**
   * @param {{url: string, token: string, lang: string, outbox?: Outgoing[], on: Listeners}} options
   */
  constructor({ url, token, lang, outbox = [], on }) {
    this.url = url;
    this.token = token;
    this.lang = lang;
    this.on = on;
    /** @type {Status} */
    this.status = "offline";
    /** @type {Map<string, number>} room -> highest seq seen */
    this.rooms = new Map();
    /** @type {Map<string, Outgoing>} cid -> unacknowledged message, in order */
    this.outbox = new Map(outbox.map((m) => [m.cid, m]));
    /** @type {Map<number, {resolve: (f: any) => void, reject: (e: Error) => void} | {cid: string}>} */
    this.pending = new Map();
    /** @type {Array<{resolve: () => void, reject: (e: Error) => void}>} */
    this.onlineWaiters = [];
    /** @type {WebSocket | null} */
    this.ws = null;
    this.welcome = null;
    this.nextId = 1;
    this.attempt = 0;
    this.lastSent = 0;
    /** @type {number | null} */
    this.pingSentAt = null;
    this.timers = { retry: 0, heartbeat: 0, welcome: 0 };
    this.stopped = true;
    this.wake = () => this.reconnectNow();
    this.lost = () => this.drop();
  }

  start() {
    this.stopped = false;
    addEventListener("online", this.wake);
    addEventListener("offline", this.lost);
    document.addEventListener("visibilitychange", this.wake);
    this.open();
  }

  /** Log out or leave: close for good, nothing is retried. */
  stop() {
    this.stopped = true;
    removeEventListener("online", this.wake);
    removeEventListener("offline", this.lost);
    document.removeEventListener("visibilitychange", this.wake);
    clearTimeout(this.timers.retry);
    this.closeSocket(1000);
    this.failRequests();
    for (const waiter of this.onlineWaiters.splice(0)) waiter.reject(new ConnectionLost());
    this.setStatus("stopped");
  }

  /** A new token after the app logged in again (4001/4006). */
  resume(token) {
    this.token = token;
    if (!this.stopped) this.open();
  }

  /** Reconnect so that server texts (questions, entrances) use the new language. */
  setLang(lang) {
    this.lang = lang;
    if (this.status !== "online") return;
    this.closeSocket(1000);
    this.failRequests();
    this.open();
  }

  // ------------------------------------------------------------ commands

  /**
   * Send a request and wait for its answer. Waits for the connection if it is
   * down; rejects with ServerError for an `error` answer and ConnectionLost if
   * the connection dropped before the answer came.
   * @param {Record<string, unknown>} frame
   * @returns {Promise<Record<string, any>>}
   */
  async request(frame) {
    await this.whenOnline();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.write({ ...frame, id });
    });
  }

  /** A frame without answer (`typing`, `read`): sent now or not at all. */
  notify(frame) {
    if (this.status === "online") this.write(frame);
  }

  /** Follow a room from `after`; kept across reconnects. */
  follow(room, after = 0) {
    if (this.rooms.has(room)) return;
    this.rooms.set(room, after);
    if (this.status === "online") this.subscribe(room);
  }

  /**
   * Queue a message; it is sent now if online, else after the reconnect.
   * @returns {Outgoing}
   */
  send(room, text, att) {
    const message = { room, cid: newCid(), text, ...(att ? { att } : {}) };
    this.outbox.set(message.cid, message);
    this.on.outbox([...this.outbox.values()]);
    if (this.status === "online") this.transmit(message);
    return message;
  }

  // ------------------------------------------------------------ life cycle

  open() {
    clearTimeout(this.timers.retry);
    if (this.stopped || this.ws) return;
    this.setStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.setStatus("fatal", { code: 1008 });
      return;
    }
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      ws.send(
        encodeFrame({
          t: "hello",
          v: PROTOCOL_VERSION,
          token: this.token,
          client: CLIENT_KIND,
          lang: this.lang,
        }),
      );
    };
    ws.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) this.receive(event.data);
    };
    ws.onclose = (event) => {
      if (this.ws === ws) this.closed(event.code);
    };
    this.ws = ws;
    this.timers.welcome = setTimeout(() => {
      if (this.ws === ws && !this.welcome) this.drop();
    }, WELCOME_MS);
  }

  reconnectNow() {
    if (this.stopped || document.visibilityState === "hidden") return;
    if (this.status === "offline" && !this.ws) {
      this.attempt = 0;
      this.open();
    }
  }

  /** Treat the socket as dead now (a network change, a missed pong). */
  drop() {
    if (!this.ws) return;
    this.closeSocket(4000);
    this.closed(1006);
  }

  closeSocket(code) {
    const ws = this.ws;
    this.ws = null;
    clearInterval(this.timers.heartbeat);
    clearTimeout(this.timers.welcome);
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      try {
        ws.close(code);
      } catch {
        // already closing
      }
    }
  }

  /** @param {number} code */
  closed(code) {
    this.ws = null;
    clearInterval(this.timers.heartbeat);
    clearTimeout(this.timers.welcome);
    this.welcome = null;
    this.pingSentAt = null;
    this.failRequests();
    if (this.stopped) return;
    const next = afterClose(code);
    if (next === "fatal") {
      this.setStatus("fatal", { code });
    } else if (next === "relogin") {
      this.setStatus("relogin", { code });
      this.on.relogin();
    } else {
      this.setStatus("offline", { code });
      this.timers.retry = setTimeout(() => this.open(), backoffMs(this.attempt++));
    }
  }

  failRequests() {
    for (const [id, waiter] of this.pending) {
      // Unacknowledged sends stay in the outbox and are sent again.
      if ("reject" in waiter) waiter.reject(new ConnectionLost());
      this.pending.delete(id);
    }
  }

  setStatus(status, detail) {
    this.status = status;
    this.on.status(status, detail);
    if (status === "online") {
      for (const waiter of this.onlineWaiters.splice(0)) waiter.resolve();
    }
  }

  whenOnline() {
    if (this.status === "online") return Promise.resolve();
    if (this.stopped) return Promise.reject(new ConnectionLost());
    return new Promise((resolve, reject) => this.onlineWaiters.push({ resolve, reject }));
  }

  // ------------------------------------------------------------ frames in

  /** @param {ArrayBuffer} data */
  receive(data) {
    let frame;
    try {
      frame = decodeFrame(data);
    } catch {
      return; // not ours to crash on; the server never sends this
    }
    if (frame.t === "welcome") {
      this.welcomed(frame);
      return;
    }
    if (frame.t === "pong") {
      this.pingSentAt = null;
    }
    if (frame.t === "msg") {
      const last = this.rooms.get(frame.room) ?? 0;
      if (frame.seq <= last) return; // seen before the reconnect
      this.rooms.set(frame.room, frame.seq);
    }
    if (typeof frame.re === "number") this.answered(frame);
    this.on.frame(frame);
  }

  welcomed(frame) {
    clearTimeout(this.timers.welcome);
    this.welcome = frame;
    this.attempt = 0;
    const beat = Math.max(1, frame.heartbeat) * 1000;
    this.lastSent = Date.now();
    this.timers.heartbeat = setInterval(() => this.heartbeat(beat), beat / 4);
    // Resume: follow every room from the last number seen, then resend what
    // was never acknowledged, with the same cids (PROTOCOL.md §3).
    for (const room of this.rooms.keys()) this.subscribe(room);
    for (const message of this.outbox.values()) this.transmit(message);
    this.setStatus("online");
  }

  answered(frame) {
    const waiter = this.pending.get(frame.re);
    if (!waiter) return;
    this.pending.delete(frame.re);
    if ("cid" in waiter) {
      this.sendAnswered(waiter.cid, frame);
    } else if (frame.t === "error") {
      waiter.reject(new ServerError(frame));
    } else {
      waiter.resolve(frame);
    }
  }

  sendAnswered(cid, frame) {
    const message = this.outbox.get(cid);
    if (!message) return;
    if (frame.t === "error" && isRetryable(frame.code)) {
      setTimeout(() => {
        if (this.status === "online" && this.outbox.has(cid)) this.transmit(message);
      }, RETRY_SEND_MS);
      return;
    }
    this.outbox.delete(cid);
    this.on.outbox([...this.outbox.values()]);
    if (frame.t === "error") this.on.sendFailed(message, new ServerError(frame));
  }

  // ------------------------------------------------------------ frames out

  subscribe(room) {
    const id = this.nextId++;
    this.pending.set(id, {
      resolve: () => {},
      reject: (error) => {
        if (error instanceof ServerError && isRetryable(error.code)) {
          setTimeout(() => {
            if (this.status === "online") this.subscribe(room);
          }, RETRY_SEND_MS);
        }
      },
    });
    this.write({ t: "sub", id, room, after: this.rooms.get(room) ?? 0 });
  }

  /** @param {Outgoing} message */
  transmit(message) {
    const id = this.nextId++;
    this.pending.set(id, { cid: message.cid });
    this.write({ t: "send", id, ...message });
  }

  write(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(encodeFrame(frame));
    this.lastSent = Date.now();
  }

  /** Ping when idle; a ping unanswered for a whole heartbeat means the link is dead. */
  heartbeat(beat) {
    const now = Date.now();
    if (this.pingSentAt !== null && now - this.pingSentAt > beat) {
      this.drop();
      return;
    }
    if (this.pingSentAt === null && now - this.lastSent >= beat) {
      this.pingSentAt = now;
      this.write({ t: "ping", id: this.nextId++ });
    }
  }
}
