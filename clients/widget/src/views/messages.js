// The conversation: stored messages in `seq` order (appended, never
// redrawn, so a screen reader's place is kept), then the patient's messages
// not yet stored (sending, waiting for the connection, refused), whether
// staff have read them, and who is typing.

import { fill, h, paragraphs } from "../dom.js";
import { formatClock } from "../i18n.js";

export class MessageLog {
  /**
   * @param {import("../app.js").App} app
   * @param {string} roomId
   * @param {() => void} choosePhoto what "send a photo" under a staff request does
   */
  constructor(app, roomId, choosePhoto) {
    this.app = app;
    this.roomId = roomId;
    this.choosePhoto = choosePhoto;
    /** @type {Map<number, HTMLElement>} seq -> the status line of my stored message */
    this.mine = new Map();
    this.shown = 0;
    this.stored = h("ol", { class: "messages" });
    this.pending = h("ol", { class: "messages pending" });
    this.empty = h("p", { class: "hint empty" }, app.t("emptyChat"));
    this.typing = h("p", { class: "typing", role: "status" });
    // A log is a live region by nature; announcements are made separately
    // (only messages from others), so this one stays quiet.
    this.el = h(
      "div",
      {
        class: "log",
        role: "log",
        "aria-live": "off",
        "aria-label": app.t("messagesLabel"),
        tabindex: "0",
      },
      this.empty,
      this.stored,
      this.pending,
    );
    this.typingTimer = 0;
    this.appendNew(false);
    this.renderPending();
    this.renderReads();
  }

  destroy() {
    clearTimeout(this.typingTimer);
  }

  /** Append stored messages not shown yet; announce those from others. */
  appendNew(announce = true) {
    const room = this.app.store.rooms.get(this.roomId);
    if (!room) return;
    const stick = this.nearBottom();
    for (const m of room.messages) {
      if (m.seq <= this.shown) continue;
      this.shown = m.seq;
      this.stored.append(this.message(m));
      if (announce && m.sender !== this.app.store.me?.user) {
        this.app.announce(
          this.app.t("newMessage", {
            name: m.name,
            text: m.text || this.app.t("photo", { name: m.name }),
          }),
        );
      }
    }
    this.empty.hidden =
      room.messages.length > 0 || this.app.store.outbox.some((o) => o.room === this.roomId);
    if (stick) this.scrollToEnd();
  }

  /** @param {Record<string, any>} m */
  message(m) {
    const { t, store, lang } = this.app;
    const mine = m.sender === store.me?.user;
    const kind = m.role === "system" ? "system" : mine ? "mine" : "theirs";
    const status = h("span", { class: "status" });
    if (mine) this.mine.set(m.seq, status);
    return h(
      "li",
      { class: `msg ${kind}`, "data-seq": m.seq },
      h("p", { class: "who" }, kind === "system" ? t("system") : mine ? t("you") : m.name),
      m.text ? h("div", { class: "text" }, paragraphs(m.text)) : null,
      m.att ? this.photo(m.att, m.name) : null,
      m.kind === "photo_request" && !mine
        ? h(
            "button",
            { type: "button", class: "primary photo-request", onclick: () => this.choosePhoto() },
            t("sendAPhoto"),
          )
        : null,
      h(
        "p",
        { class: "meta" },
        h("time", { datetime: new Date(m.ts).toISOString() }, formatClock(lang, m.ts)),
        " ",
        status,
      ),
    );
  }

  photo(att, name) {
    const { t } = this.app;
    const holder = h("div", { class: "photo" }, h("p", { class: "hint" }, t("photoLoading")));
    this.app.image(att).then(
      (url) => fill(holder, h("img", { src: url, alt: t("photo", { name }) })),
      () => fill(holder, h("p", { class: "hint" }, t("photoFailed"))),
    );
    return holder;
  }

  /** My messages the server has not stored yet, after the stored ones. */
  renderPending() {
    const { t, store } = this.app;
    const room = store.rooms.get(this.roomId);
    const stored = room?.cids ?? new Set();
    const online = store.status === "online";
    const waiting = store.outbox.filter((o) => o.room === this.roomId && !stored.has(o.cid));
    const failed = [...store.failed.entries()].filter(([, f]) => f.room === this.roomId);
    const stick = this.nearBottom();
    fill(
      this.pending,
      waiting.map((o) =>
        h(
          "li",
          { class: "msg mine unsent", "data-cid": o.cid },
          h("p", { class: "who" }, t("you")),
          o.text ? h("div", { class: "text" }, paragraphs(o.text)) : null,
          o.att ? this.photo(o.att, t("you")) : null,
          h(
            "p",
            { class: "meta" },
            h("span", { class: "status" }, online ? t("sending") : t("queued")),
          ),
        ),
      ),
      failed.map(([cid, f]) =>
        h(
          "li",
          { class: "msg mine failed", "data-cid": cid },
          h("p", { class: "who" }, t("you")),
          h("div", { class: "text" }, paragraphs(f.text)),
          h("p", { class: "meta" }, h("span", { class: "status" }, t("failed"))),
        ),
      ),
    );
    this.empty.hidden = (room?.messages.length ?? 0) > 0 || waiting.length > 0 || failed.length > 0;
    if (stick) this.scrollToEnd();
  }

  /** "Sent" under my stored messages, "Read" under the last one staff have read. */
  renderReads() {
    const { t, store } = this.app;
    const read = store.readByOthers(this.roomId);
    let lastRead = 0;
    for (const seq of this.mine.keys()) if (seq <= read) lastRead = Math.max(lastRead, seq);
    for (const [seq, status] of this.mine) {
      status.textContent = seq === lastRead ? t("read") : seq > read ? t("sent") : "";
    }
  }

  renderTyping() {
    const room = this.app.store.rooms.get(this.roomId);
    const now = Date.now();
    const active = [...(room?.typing.values() ?? [])].filter((x) => x.until > now);
    this.typing.textContent = active.map((x) => this.app.t("typing", { name: x.name })).join(" ");
    clearTimeout(this.typingTimer);
    if (active.length) {
      const next = Math.min(...active.map((x) => x.until)) - now;
      this.typingTimer = setTimeout(() => this.renderTyping(), next + 50);
    }
  }

  nearBottom() {
    return this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < 80;
  }

  scrollToEnd() {
    this.el.scrollTop = this.el.scrollHeight;
  }
}
