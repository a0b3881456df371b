// A case as a conversation: who it is with (or the queue while waiting),
// the messages, and the composer; a closed case stays readable and, within
// four days, can be continued.

import { fill, h, paragraphs, uid } from "../dom.js";
import { formatTime } from "../i18n.js";
import { newContactRoute } from "../routes.js";
import { actions, errorLine, run, screen } from "./common.js";
import { Composer } from "./composer.js";
import { MessageLog } from "./messages.js";
import { QueuePanel } from "./queue.js";
import { RatingForm } from "./rating.js";

const REOPEN_MS = 4 * 86_400_000; // PROTOCOL.md §5.6; the server has the last word

export class ChatScreen {
  /** @param {import("../app.js").App} app @param {{case: string}} route */
  constructor(app, route) {
    this.app = app;
    this.caseId = route.case;
    const c = app.store.cases.get(route.case);
    this.roomId = c?.room ?? route.case;
    this.status = h("div", { class: "case-status" });
    this.log = new MessageLog(app, this.roomId, () => this.composer?.choosePhoto());
    this.bottom = h("div", { class: "chat-bottom" });
    this.el = screen(
      c ? app.entranceName(c.entrance) : app.t("chatTitle"),
      c && c.subject !== app.store.me?.name
        ? h("p", { class: "notice" }, app.t("caseAbout", { name: c.subject }))
        : null,
      c?.complaint
        ? h("p", { class: "errand" }, h("strong", null, app.t("errand")), " ", c.complaint)
        : null,
      this.status,
      this.log.el,
      this.log.typing,
      this.bottom,
    );
    this.el.classList.add("chat");
    this.renderState();
    this.visible = () => app.markRead(this.roomId);
    document.addEventListener("visibilitychange", this.visible);
    // Once on the page: start at the newest message, and it has been seen.
    queueMicrotask(() => {
      this.log.scrollToEnd();
      app.markRead(this.roomId);
    });
  }

  destroy() {
    this.log.destroy();
    document.removeEventListener("visibilitychange", this.visible);
  }

  update(topic, detail) {
    const mine = detail?.room === this.roomId || detail?.case === this.caseId;
    if (topic === "msg" && mine) {
      this.log.appendNew();
      this.log.renderPending();
      this.log.renderReads();
      this.log.renderTyping();
      this.app.markRead(this.roomId);
    } else if (topic === "outbox" || topic === "status") {
      this.log.renderPending();
      if (topic === "status" && detail.status === "online") this.app.markRead(this.roomId);
    } else if ((topic === "receipt" || topic === "subbed") && mine) {
      this.log.renderReads();
    } else if (topic === "typing" && mine) {
      this.log.renderTyping();
    } else if (topic === "position" && mine) {
      this.queue?.render();
    } else if (topic === "case" && detail.case.case === this.caseId) {
      this.renderState();
    }
  }

  /** The part that depends on the case's state: queue, staff, closed. */
  renderState() {
    const { app } = this;
    const { t } = app;
    const c = app.store.cases.get(this.caseId);
    const state = displayed(c?.state);
    const key = `${state}:${c?.assignee_name ?? ""}`;
    if (key === this.shown) return;
    const hadFocus = this.el.contains(
      /** @type {ShadowRoot} */ (this.el.getRootNode()).activeElement,
    );
    const stick = this.log.nearBottom();
    this.shown = key;
    this.queue = null;
    const outcome = app.store.outcomes.get(this.caseId);
    if (state === "waiting for staff") {
      this.queue = new QueuePanel(app, this.caseId);
      fill(
        this.status,
        this.queue.el,
        outcome?.advice
          ? h(
              "details",
              { class: "advice" },
              h("summary", null, t("advice")),
              paragraphs(outcome.advice),
            )
          : null,
      );
    } else if (state === "closed") {
      fill(this.status, h("p", { class: "status-line" }, t("closedTitle")));
    } else {
      fill(
        this.status,
        h(
          "p",
          { class: "status-line" },
          c?.assignee_name ? t("withStaff", { name: c.assignee_name }) : t("withStaffGeneric"),
        ),
      );
    }
    if (state === "closed") {
      this.composer = null;
      fill(this.bottom, this.closedPanel(c));
    } else if (!this.composer) {
      this.composer = new Composer(app, this.roomId);
      fill(this.bottom, this.composer.el);
      if (hadFocus) this.composer.focus();
    }
    // The panels around the log changed size: keep the newest message in view.
    if (stick) this.log.scrollToEnd();
  }

  closedPanel(c) {
    const { app } = this;
    const { t, lang } = app;
    const closed = c?.closed ?? 0;
    const parts = [
      h("p", null, t("closedAt", { time: formatTime(lang, closed || Date.now()) })),
      new RatingForm(app, this.caseId).el,
    ];
    if (Date.now() - closed < REOPEN_MS) {
      const textId = uid("more");
      const text = h("textarea", { id: textId, rows: "3", maxlength: "4000" });
      const error = errorLine();
      const button = h("button", { type: "submit", class: "primary" }, t("continueButton"));
      const titleId = uid("cont");
      parts.push(
        h(
          "form",
          {
            class: "continue",
            "aria-labelledby": titleId,
            novalidate: true,
            onsubmit: (/** @type {Event} */ e) => {
              e.preventDefault();
              run(app, button, error, () => app.continueCase(this.caseId, text.value.trim()));
            },
          },
          h("h3", { id: titleId }, t("continueTitle")),
          h("p", { class: "hint" }, t("continueIntro")),
          h("label", { for: textId }, t("continueLabel")),
          text,
          error,
          actions(button),
        ),
      );
    } else {
      parts.push(
        h(
          "button",
          {
            type: "button",
            class: "primary",
            onclick: () => app.go(newContactRoute(app.store.home)),
          },
          t("newContact"),
        ),
      );
    }
    return h("div", { class: "closed" }, parts);
  }
}

/** What the screen shows for a case state: waiting, talking, or closed. */
function displayed(state) {
  if (state === "closed") return "closed";
  if (state === "queued" || state === "triage" || state === undefined) return "waiting for staff";
  return "with staff";
}
