// The frame around every screen: the header (name, language, log out), the
// connection banner, the screen itself, and a live region that reads out
// news (new messages, queue position, connection changes) to screen readers.

import { fill, h } from "../dom.js";

export class Shell {
  /** @param {import("../app.js").App} app @param {HTMLElement} root */
  constructor(app, root) {
    this.app = app;
    this.everOnline = false;
    this.brand = h("p", { class: "brand" });
    this.langButton = h("button", {
      type: "button",
      class: "link",
      onclick: () => this.toggleLang(),
    });
    this.casesButton = h("button", {
      type: "button",
      class: "link",
      hidden: true,
      onclick: () => app.go({ name: "home" }),
    });
    this.logoutButton = h("button", {
      type: "button",
      class: "link",
      hidden: true,
      onclick: () => app.logout(),
    });
    this.banner = h("div", { class: "banner", role: "status", "aria-live": "polite" });
    this.main = h("div", { class: "screen" });
    this.announcer = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    this.nav = h(
      "nav",
      { class: "bar-actions" },
      this.casesButton,
      this.langButton,
      this.logoutButton,
    );
    fill(
      root,
      h("div", { class: "bar" }, this.brand, this.nav),
      this.banner,
      this.main,
      this.announcer,
    );
    this.relabel();
  }

  relabel() {
    const { t, lang } = this.app;
    this.brand.textContent = t("appTitle");
    const other = lang === "sv" ? "en" : "sv";
    this.langButton.textContent = t("switchLang");
    this.langButton.setAttribute("lang", other);
    this.langButton.setAttribute("aria-label", t("switchLangLabel"));
    this.logoutButton.textContent = t("logout");
    this.casesButton.textContent = t("cases");
    this.nav.setAttribute("aria-label", t("menu"));
    this.showStatus(this.app.store.status);
  }

  toggleLang() {
    this.app.setLang(this.app.lang === "sv" ? "en" : "sv");
    this.langButton.focus();
  }

  /** @param {HTMLElement} el @param {boolean} focus */
  show(el, focus) {
    fill(this.main, el);
    this.logoutButton.hidden = !this.app.conn;
    const inside =
      Boolean(this.app.conn) && !["home", "loading", "login"].includes(this.app.route.name);
    this.casesButton.hidden = !inside;
    if (focus) (el.querySelector("[data-autofocus]") ?? el.querySelector("h2"))?.focus();
  }

  update(topic, detail) {
    if (topic !== "status") return;
    const was = this.shown;
    this.showStatus(detail.status);
    if (detail.status === "online" && was === "offline") this.announce(this.app.t("online"));
  }

  showStatus(status) {
    const { t } = this.app;
    if (status === "online") this.everOnline = true;
    let text = "";
    let kind = "";
    if (status === "connecting" && !this.everOnline) {
      text = t("connecting");
    } else if (status === "offline" || status === "connecting") {
      text = t("offline");
      kind = "offline";
      status = "offline";
    } else if (status === "relogin") {
      text = t("reloginNeeded");
      kind = "offline";
    } else if (status === "fatal") {
      text = t("fatal");
      kind = "error";
    }
    if (status === "stopped") this.everOnline = false;
    this.shown = status;
    this.banner.textContent = text;
    // Always in the document (an empty live region takes no space), so that
    // screen readers notice when a text appears.
    this.banner.className = `banner ${kind}`;
  }

  /** Politely read out a sentence; the same sentence twice is read twice. */
  announce(text) {
    this.announcer.textContent = "";
    requestAnimationFrame(() => {
      this.announcer.textContent = text;
    });
  }
}
