// The widget's controller: the session (login, connection, what is saved in
// the tab), the patient's actions as server requests, and which screen is
// shown. Screens live in views/; they read the Store and call these actions.

import { Api, HttpError } from "./api.js";
import { Connection } from "./connection.js";
import { formatWait, translator } from "./i18n.js";
import { prepareImage } from "./photo.js";
import { ConnectionLost } from "./protocol.js";
import { caseRoute, isChatState, newContactRoute, outcomeRoute } from "./routes.js";
import { SessionStore, saveLang } from "./session.js";
import { Store } from "./state.js";
import { Shell } from "./views/shell.js";
import { SCREENS } from "./views/screens.js";

/** @typedef {{name: string, [key: string]: any}} Route */

export class App {
  /**
   * @param {HTMLElement} root where the widget draws (inside the shadow root)
   * @param {{server: string, lang: string, devLogin: boolean}} options
   */
  constructor(root, { server, lang, devLogin }) {
    this.api = new Api(server);
    this.saved = new SessionStore(this.api.base);
    this.store = new Store();
    this.devLogin = devLogin;
    this.lang = lang;
    this.t = translator(lang);
    /** @type {Connection | null} */
    this.conn = null;
    /** @type {Route} */
    this.route = { name: "login" };
    /** @type {Route | null} the screen to go back to after logging in again */
    this.resumeRoute = null;
    /** @type {Map<string, Promise<string>>} attachment id -> blob URL */
    this.images = new Map();
    /** @type {Map<string, string | undefined>} case id -> assignee name last seen */
    this.lastAssignee = new Map();
    this.lastTyping = 0;
    this.root = root;
    this.shell = new Shell(this, root);
    this.unsubscribe = this.store.subscribe((topic, detail) => this.changed(topic, detail));
    const saved = this.saved.load();
    if (saved) {
      this.begin(saved);
    } else {
      this.go({ name: "login" }, { focus: false });
    }
  }

  destroy() {
    this.conn?.stop();
    this.view?.destroy?.();
    this.unsubscribe();
    for (const url of this.images.values()) url.then(URL.revokeObjectURL, () => {});
  }

  // ------------------------------------------------------------ screens

  /** @param {Route} route */
  go(route, { focus = true } = {}) {
    this.view?.destroy?.();
    this.route = route;
    const Screen = SCREENS[route.name];
    this.view = new Screen(this, route);
    this.shell.show(this.view.el, focus);
  }

  /** Every store change: the shell (banner, header) and the screen may care. */
  changed(topic, detail) {
    this.shell.update(topic, detail);
    this.view?.update?.(topic, detail);
    if (topic === "position") this.announcePosition(detail);
    if (topic === "case") this.caseChanged(detail.case);
  }

  setLang(lang) {
    this.lang = lang;
    this.t = translator(lang);
    this.root.lang = lang;
    saveLang(lang);
    this.conn?.setLang(lang);
    this.shell.relabel();
    this.go(this.route);
    if (this.conn) this.loadHome().catch(() => {});
  }

  /** Say something to screen readers (a polite live region). */
  announce(text) {
    this.shell.announce(text);
  }

  announcePosition(p) {
    if (this.route.name !== "chat" || this.route.case !== p.case) return;
    this.announce(this.t("queueAnnounce", { n: p.position, wait: formatWait(this.t, p.wait_s) }));
  }

  caseChanged(c) {
    if (this.route.name === "chat" && this.route.case === c.case && c.assignee_name) {
      const before = this.lastAssignee.get(c.case);
      if (before !== c.assignee_name)
        this.announce(this.t("assignedAnnounce", { name: c.assignee_name }));
    }
    this.lastAssignee.set(c.case, c.assignee_name);
  }

  // ------------------------------------------------------------ session

  async login(pnr) {
    const result = await this.api.loginPatient(pnr);
    const again =
      this.conn && this.store.status === "relogin" && result.user === this.store.me?.user;
    if (again && this.conn) {
      this.saveSession(result.token);
      this.conn.resume(result.token);
      this.go(this.resumeRoute ?? { name: "home" });
      this.resumeRoute = null;
      return;
    }
    this.end();
    this.begin({ token: result.token, user: result.user, name: result.name, outbox: [] }, true);
  }

  async logout() {
    const token = this.conn?.token;
    this.end();
    this.saved.clear();
    if (token) this.api.logout(token).catch(() => {});
    this.go({ name: "login" });
  }

  /**
   * Start a logged-in session: connect, then load what the patient has.
   * `focus`: the user just logged in, so focus follows to the next screen.
   */
  begin(saved, focus = false) {
    this.store.reset();
    this.store.me = { user: saved.user, name: saved.name };
    this.conn = new Connection({
      url: this.api.wsUrl,
      token: saved.token,
      lang: this.lang,
      outbox: saved.outbox,
      on: {
        frame: (frame) => this.store.apply(frame),
        status: (status, detail) => this.store.setStatus(status, detail),
        outbox: (messages) => {
          this.store.setOutbox(messages);
          this.saveSession();
        },
        sendFailed: (message, error) => this.store.sendFailed(message, error.code),
        relogin: () => this.needLogin(),
      },
    });
    this.store.setOutbox(saved.outbox);
    this.saveSession(saved.token);
    this.conn.start();
    this.go({ name: "loading" }, { focus });
    this.load(focus);
  }

  /** What the patient has (entrances, people, cases); then the first screen. */
  load(focus) {
    const conn = this.conn;
    this.loadAll().then(
      () => this.go(this.firstScreen(), { focus }),
      (error) => {
        if (this.conn === conn && this.route.name === "loading") {
          this.view.failed(this.errorText(error), () => this.load(true));
        }
      },
    );
  }

  end() {
    this.conn?.stop();
    this.conn = null;
    this.store.reset();
    this.shell.update("status", { status: "stopped" });
  }

  needLogin() {
    if (this.route.name !== "login") this.resumeRoute = this.route;
    this.go({ name: "login", again: true });
  }

  saveSession(token = this.conn?.token) {
    const me = this.store.me;
    if (!token || !me || !this.conn) return;
    this.saved.save({
      token,
      user: me.user,
      name: me.name,
      outbox: [...this.conn.outbox.values()],
    });
  }

  async loadAll() {
    await Promise.all([this.loadHome(), this.loadCases()]);
  }

  loadHome() {
    return this.retrying(() => this.conn.request({ t: "home" }));
  }

  async loadCases() {
    const list = await this.retrying(() => this.conn.request({ t: "cases", closed: true }));
    for (const c of list.cases) this.conn.follow(c.room);
  }

  /** Idempotent requests are simply asked again after a dropped connection. */
  async retrying(ask) {
    for (;;) {
      if (!this.conn) throw new ConnectionLost();
      try {
        return await ask();
      } catch (error) {
        if (!(error instanceof ConnectionLost)) throw error;
      }
    }
  }

  firstScreen() {
    const open = this.store.caseList().filter((c) => c.state !== "closed");
    if (this.store.cases.size === 0 && this.store.outbox.length === 0)
      return newContactRoute(this.store.home);
    if (open.length === 1 && isChatState(open[0].state)) return caseRoute(open[0]);
    // A reload in the middle of the questions goes back to them.
    if (open.length === 1 && open[0].state === "triage") return caseRoute(open[0]);
    return { name: "home" };
  }

  // ------------------------------------------------------------ the journey

  /** Open a case; the answer routes to the questions or the chat. */
  async openCase({ entrance, subject, text, complaint }) {
    const answer = await this.conn.request({
      t: "case_open",
      entrance,
      subject,
      text,
      ...(complaint ? { complaint } : {}),
    });
    const c = answer.case;
    this.conn.follow(c.room);
    // At a triage entrance the first questions follow as a push.
    this.go(
      c.state === "triage"
        ? { name: "questions", case: c.case, fresh: true }
        : { name: "chat", case: c.case },
    );
  }

  async answer(caseId, answers) {
    const reply = await this.conn.request({ t: "answer", case: caseId, answers });
    if (reply.t === "outcome") this.go(outcomeRoute(reply));
    return reply;
  }

  /**
   * Where a case's triage stands, after a reload or on another device: its
   * current questions reach the store (and the questions screen), or its
   * outcome does, and the outcome's screen is shown again with its advice.
   */
  async resumeTriage(caseId) {
    const reply = await this.retrying(() => this.conn.request({ t: "triage", case: caseId }));
    if (reply.t === "outcome" && this.route.case === caseId) {
      this.go(outcomeRoute(reply), { focus: this.route.name !== "outcome" });
    }
  }

  async askPerson(caseId) {
    await this.conn.request({ t: "ask_person", case: caseId });
    this.go({ name: "chat", case: caseId });
  }

  async continueCase(caseId, text) {
    await this.conn.request({ t: "case_continue", case: caseId, text });
  }

  /** Rate a closed case; a second rating is refused as `duplicate`, which is fine. */
  async rate(caseId, score) {
    try {
      await this.conn.request({ t: "rate", case: caseId, score });
    } catch (error) {
      if (error?.code !== "duplicate") throw error;
    }
    this.store.rated.add(caseId);
  }

  async contact(sms, phone) {
    await this.conn.request({ t: "contact", sms, ...(phone ? { phone } : {}) });
    if (this.store.home) this.store.home.sms = sms;
  }

  // ------------------------------------------------------------ chat

  sendMessage(room, text, att) {
    return this.conn.send(room, text, att);
  }

  /** Upload a photo to a room; returns the attachment id (for `send.att` or an answer). */
  async uploadPhoto(room, file) {
    const image = await prepareImage(file);
    const uploaded = await this.api.upload(this.conn.token, room, image);
    this.images.set(uploaded.id, Promise.resolve(URL.createObjectURL(image)));
    return uploaded.id;
  }

  /** A blob URL for an attachment, fetched once with the bearer header. */
  image(id) {
    let url = this.images.get(id);
    if (!url) {
      url = this.api.attachment(this.conn.token, id).then((blob) => URL.createObjectURL(blob));
      url.catch(() => this.images.delete(id));
      this.images.set(id, url);
    }
    return url;
  }

  typing(room) {
    const now = Date.now();
    if (now - this.lastTyping < 2000) return; // PROTOCOL.md §4: at most every 2 s
    this.lastTyping = now;
    this.conn?.notify({ t: "typing", room });
  }

  /** Mark a room read up to its newest message, if the user can see it. */
  markRead(roomId) {
    const room = this.store.rooms.get(roomId);
    const last = room?.messages.at(-1)?.seq ?? 0;
    if (!room || last <= room.readSent || document.visibilityState === "hidden") return;
    if (this.store.status !== "online") return;
    room.readSent = last;
    this.conn?.notify({ t: "read", room: roomId, seq: last });
  }

  /** A user-facing sentence for a failed request. */
  errorText(error) {
    if (error instanceof ConnectionLost) return this.t("errConnection");
    const code = error?.code;
    if (error instanceof HttpError && code === "unsupported_media") return this.t("errUploadType");
    if (error instanceof HttpError && code === "too_large") return this.t("errUploadSize");
    if (error instanceof HttpError) return this.t("errUpload");
    const byCode = {
      busy: "errBusy",
      rate_limited: "errBusy",
      unavailable: "errBusy",
      not_found: "errNotFound",
      forbidden: "errForbidden",
      invalid_state: "errInvalidState",
      limit_reached: "errLimit",
      not_listed: "errNotListed",
      bad_request: "errBadRequest",
    };
    return this.t(byCode[code] ?? "errGeneric");
  }

  /** The display name of a subject id as home knows it. */
  subjectName(subjectId) {
    return this.store.home?.subjects.find((s) => s.id === subjectId)?.name;
  }

  entranceName(key) {
    return this.store.home?.entrances.find((e) => e.key === key)?.name ?? key;
  }
}
