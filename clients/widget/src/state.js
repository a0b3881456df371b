// What the widget knows, built only from frames the server sent (and the
// connection's outbox). Views read it and listen for changes by topic; nothing
// here touches the DOM or the network.

export const TYPING_MS = 5000; // PROTOCOL.md §4: show typing for ~5 s

/**
 * @typedef {{
 *   messages: Array<Record<string, any>>,
 *   cids: Set<string>,
 *   reads: Map<string, number>,
 *   typing: Map<string, {name: string, until: number}>,
 *   readSent: number,
 * }} Room
 */

export class Store {
  constructor() {
    /** @type {Set<(topic: string, detail: any) => void>} */
    this.listeners = new Set();
    this.reset();
  }

  reset() {
    /** @type {{user: string, name: string} | null} */
    this.me = null;
    /** @type {{entrances: any[], subjects: any[], sms: boolean} | null} */
    this.home = null;
    /** @type {string} "idle" until a session connects, then the connection's status */
    this.status = "idle";
    /** @type {Map<string, Record<string, any>>} case id -> CaseInfo */
    this.cases = new Map();
    /** @type {Map<string, {items: any[], page: number}>} case id -> current questions */
    this.questions = new Map();
    /** @type {Map<string, Record<string, any>>} case id -> outcome frame */
    this.outcomes = new Map();
    /** @type {Map<string, Record<string, any>>} case id -> position frame */
    this.positions = new Map();
    /** @type {Map<string, Room>} */
    this.rooms = new Map();
    /** @type {Array<{room: string, cid: string, text: string, att?: string}>} */
    this.outbox = [];
    /** @type {Map<string, {room: string, text: string, code: string}>} cid -> refused message */
    this.failed = new Map();
    /** @type {Set<string>} cases rated in this session */
    this.rated = new Set();
  }

  /** @param {(topic: string, detail: any) => void} listener */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(topic, detail) {
    for (const listener of [...this.listeners]) listener(topic, detail);
  }

  /** @returns {Room} */
  room(id) {
    let room = this.rooms.get(id);
    if (!room) {
      room = { messages: [], cids: new Set(), reads: new Map(), typing: new Map(), readSent: 0 };
      this.rooms.set(id, room);
    }
    return room;
  }

  caseOfRoom(roomId) {
    for (const c of this.cases.values()) if (c.room === roomId) return c;
    return undefined;
  }

  /** Cases newest first. */
  caseList() {
    return [...this.cases.values()].sort((a, b) => b.created - a.created);
  }

  /** Messages from others the user has not marked read. */
  unread(roomId) {
    const room = this.rooms.get(roomId);
    if (!room) return 0;
    return room.messages.filter((m) => m.sender !== this.me?.user && m.seq > room.readSent).length;
  }

  /** The highest seq of my messages that someone else has read, or 0. */
  readByOthers(roomId) {
    const room = this.rooms.get(roomId);
    if (!room) return 0;
    let best = 0;
    for (const [who, seq] of room.reads) if (who !== this.me?.user) best = Math.max(best, seq);
    return best;
  }

  /** Apply one frame from the server. @param {Record<string, any>} f */
  apply(f) {
    switch (f.t) {
      case "home":
        this.home = { entrances: f.entrances, subjects: f.subjects, sms: Boolean(f.sms) };
        break;
      case "case_list":
        for (const c of f.cases) this.cases.set(c.case, c);
        break;
      case "case":
        this.cases.set(f.case.case, f.case);
        break;
      case "questions": {
        const before = this.questions.get(f.case);
        this.questions.set(f.case, { items: f.items, page: (before?.page ?? 0) + 1 });
        break;
      }
      case "outcome":
        this.outcomes.set(f.case, f);
        this.questions.delete(f.case);
        break;
      case "position":
        this.positions.set(f.case, f);
        break;
      case "subbed": {
        const room = this.room(f.room);
        for (const mark of f.reads ?? []) {
          this.markRead(room, mark.who, mark.seq);
          // What I read on another device or before a reload is not unread.
          if (mark.who === this.me?.user) room.readSent = Math.max(room.readSent, mark.seq);
        }
        break;
      }
      case "msg": {
        const room = this.room(f.room);
        room.messages.push(f);
        if (f.cid) room.cids.add(f.cid);
        room.typing.delete(f.sender);
        if (f.sender === this.me?.user) room.readSent = Math.max(room.readSent, f.seq);
        break;
      }
      case "typing":
        this.room(f.room).typing.set(f.who, { name: f.name, until: Date.now() + TYPING_MS });
        break;
      case "receipt":
        this.markRead(this.room(f.room), f.who, f.seq);
        break;
      default:
        break;
    }
    this.emit(f.t, f);
  }

  markRead(room, who, seq) {
    room.reads.set(who, Math.max(room.reads.get(who) ?? 0, seq));
  }

  setOutbox(messages) {
    this.outbox = messages;
    this.emit("outbox", messages);
  }

  sendFailed(message, code) {
    this.failed.set(message.cid, { room: message.room, text: message.text, code });
    this.emit("outbox", this.outbox);
  }

  setStatus(status, detail) {
    this.status = status;
    this.emit("status", { status, ...detail });
  }
}
