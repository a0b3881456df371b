// <vard-chat server="https://chat.region.se" lang="sv" dev-login></vard-chat>
// The widget as a custom element, drawn in its own shadow root so that the
// region's page styles and the widget's do not leak into each other.

import { App } from "./app.js";
import { LANGS } from "./i18n.js";
import { savedLang } from "./session.js";
import css from "./styles.css";

// The origin the script was loaded from: the default server, so that one
// script tag and one element are all a region's page needs.
const scriptOrigin = (() => {
  const src = /** @type {HTMLScriptElement | null} */ (document.currentScript)?.src;
  return src ? new URL(src).origin : location.origin;
})();

export class VardChat extends HTMLElement {
  connectedCallback() {
    if (this.app) return;
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = css;
    const root = document.createElement("div");
    root.className = "vard-chat";
    shadow.replaceChildren(style, root);
    const wanted = savedLang() ?? this.getAttribute("lang") ?? "sv";
    const lang = LANGS.includes(wanted) ? wanted : "sv";
    root.lang = lang;
    this.app = new App(root, {
      server: this.getAttribute("server") || scriptOrigin,
      lang,
      devLogin: this.hasAttribute("dev-login"),
    });
  }

  disconnectedCallback() {
    this.app?.destroy();
    this.app = null;
  }
}
