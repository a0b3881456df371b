// While the case waits for staff: the place in the queue and the estimated
// wait (updated live by `position` pushes), and consent to an SMS when it
// is the patient's turn (PROTOCOL.md §5.4, §5.7).

import { fill, h, setInvalid, uid } from "../dom.js";
import { formatTime, formatWait } from "../i18n.js";
import { actions, errorLine, run } from "./common.js";

export class QueuePanel {
  /** @param {import("../app.js").App} app @param {string} caseId */
  constructor(app, caseId) {
    this.app = app;
    this.caseId = caseId;
    const { t } = app;
    this.position = h("p", { class: "position" });
    this.wait = h("p", { class: "wait" });
    const titleId = uid("queue");
    this.el = h(
      "section",
      { class: "queue", "aria-labelledby": titleId },
      h("h3", { id: titleId }, t("queueTitle")),
      this.position,
      this.wait,
      h("p", { class: "hint" }, t("queueHelp")),
      // Folded: on a phone the chat should stay in view while waiting.
      h("details", { class: "sms-box" }, h("summary", null, t("smsLegend")), new SmsForm(app).el),
    );
    this.render();
  }

  render() {
    const { t, store, lang } = this.app;
    const p = store.positions.get(this.caseId);
    if (!p) {
      this.position.textContent = t("queueJoining");
      this.wait.textContent = "";
      return;
    }
    this.position.textContent =
      p.position === 1 ? t("queueFirst") : t("queuePosition", { n: p.position });
    const parts = [t("queueWait", { wait: formatWait(t, p.wait_s) })];
    if (!p.open) {
      const entrance = store.home?.entrances.find(
        (e) => e.key === store.cases.get(this.caseId)?.entrance,
      );
      parts.unshift(
        entrance?.opens_at
          ? t("closedNow", { time: formatTime(lang, entrance.opens_at) })
          : t("queueClosed"),
      );
    }
    this.wait.textContent = parts.join(" ");
  }
}

class SmsForm {
  /** @param {import("../app.js").App} app */
  constructor(app) {
    this.app = app;
    const { t } = app;
    const phoneId = uid("phone");
    const hintId = uid("hint");
    const consentId = uid("sms");
    this.error = errorLine();
    this.error.id = uid("err");
    this.saved = h("p", { class: "hint", role: "status" });
    this.consent = h("input", {
      type: "checkbox",
      id: consentId,
      checked: Boolean(app.store.home?.sms),
    });
    this.phone = h("input", {
      id: phoneId,
      type: "tel",
      autocomplete: "tel",
      inputmode: "tel",
      "aria-describedby": `${hintId} ${this.error.id}`,
    });
    this.button = h("button", { type: "submit", class: "secondary" }, t("smsSave"));
    this.el = h(
      "form",
      { class: "sms", novalidate: true, onsubmit: (e) => this.submit(e) },
      h(
        "fieldset",
        null,
        h("legend", { class: "visually-hidden" }, t("smsLegend")),
        h(
          "div",
          { class: "option" },
          this.consent,
          h("label", { for: consentId }, t("smsConsent")),
        ),
        h("label", { for: phoneId }, t("smsLabel")),
        h("p", { id: hintId, class: "hint" }, t("smsHint")),
        this.phone,
        this.error,
        actions(this.button),
        this.saved,
      ),
    );
  }

  submit(event) {
    event.preventDefault();
    const { t } = this.app;
    const sms = this.consent.checked;
    const phone = this.phone.value.replace(/[\s-]/g, "");
    const valid = /^(\+46|0)7\d{8}$/.test(phone);
    setInvalid(this.phone, sms && !valid);
    if (sms && !valid) {
      this.error.textContent = t("smsInvalid");
      this.phone.focus();
      return;
    }
    fill(this.saved);
    run(this.app, this.button, this.error, async () => {
      await this.app.contact(sms, sms ? phone : null);
      this.saved.textContent = sms ? t("smsSaved") : t("smsOff");
    });
  }
}
