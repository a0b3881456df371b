// Logging in. In production the region's identity provider (BankID through
// OIDC) takes this place; with the dev provider the patient types a test
// personnummer or picks one of the test people.

import { DEV_IDENTITIES } from "../dev-identities.js";
import { h, uid } from "../dom.js";
import { formatPnr, normalizePnr } from "../personnummer.js";
import { actions, errorLine, screen } from "./common.js";

export class LoginScreen {
  /** @param {import("../app.js").App} app @param {{again?: boolean}} route */
  constructor(app, route) {
    this.app = app;
    const { t } = app;
    const inputId = uid("pnr");
    const hintId = uid("hint");
    const errorId = uid("err");
    this.error = errorLine();
    this.error.id = errorId;
    this.input = h("input", {
      id: inputId,
      name: "pnr",
      type: "text",
      inputmode: "numeric",
      autocomplete: "off",
      required: true,
      "aria-describedby": `${hintId} ${errorId}`,
    });
    this.button = h("button", { type: "submit", class: "primary" }, t("loginButton"));
    const form = h(
      "form",
      { novalidate: true, onsubmit: (e) => this.submit(e) },
      h("label", { for: inputId }, t("pnrLabel")),
      h("p", { id: hintId, class: "hint" }, t("pnrHint")),
      this.input,
      this.error,
      actions(this.button),
    );
    this.el = screen(
      t("loginTitle"),
      route.again ? h("p", { class: "notice" }, t("reloginNeeded")) : h("p", null, t("loginIntro")),
      form,
      app.devLogin ? this.devPicker() : null,
    );
  }

  devPicker() {
    const { t, lang } = this.app;
    const titleId = uid("dev");
    return h(
      "section",
      { class: "dev", "aria-labelledby": titleId },
      h("h3", { id: titleId }, t("devTitle")),
      h("p", { class: "hint" }, t("devIntro")),
      h(
        "ul",
        { class: "choices" },
        DEV_IDENTITIES.map((person) =>
          h(
            "li",
            null,
            h(
              "button",
              {
                type: "button",
                class: "choice",
                onclick: (/** @type {Event} */ e) => this.login(person.pnr, e.currentTarget),
              },
              h("span", { class: "choice-title" }, t("loginAs", { name: person.name })),
              h(
                "span",
                { class: "choice-note" },
                " ",
                formatPnr(person.pnr),
                person.note ? ` · ${person.note[lang]}` : "",
              ),
            ),
          ),
        ),
      ),
    );
  }

  submit(event) {
    event.preventDefault();
    const pnr = normalizePnr(this.input.value);
    if (!pnr) {
      this.input.setAttribute("aria-invalid", "true");
      this.error.textContent = this.app.t("pnrInvalid");
      this.input.focus();
      return;
    }
    this.input.removeAttribute("aria-invalid");
    this.login(pnr, this.button);
  }

  async login(pnr, button) {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    this.error.textContent = "";
    try {
      await this.app.login(pnr);
    } catch (error) {
      const status = /** @type {{status?: number}} */ (error).status;
      const key =
        status === 0 ? "offline" : status === 429 || status === 503 ? "errBusy" : "loginFailed";
      this.error.textContent = this.app.t(key);
      button.removeAttribute("aria-disabled");
    }
  }
}

export class LoadingScreen {
  /** @param {import("../app.js").App} app */
  constructor(app) {
    this.app = app;
    this.error = errorLine();
    this.el = screen(app.t("loading"), this.error);
    this.el.setAttribute("aria-busy", "true");
  }

  /** Loading failed for a reason other than the connection: say so, offer a retry. */
  failed(text, retry) {
    this.el.removeAttribute("aria-busy");
    this.error.textContent = text;
    const button = h("button", { type: "button", class: "primary" }, this.app.t("retry"));
    button.addEventListener("click", () => {
      button.remove();
      this.error.textContent = "";
      this.el.setAttribute("aria-busy", "true");
      retry();
    });
    this.el.append(actions(button));
    button.focus();
  }
}
