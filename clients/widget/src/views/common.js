// Pieces every screen uses: the screen's section and heading (focused when
// the screen opens, so keyboard and screen-reader users start at the top),
// an error line, and running a request from a button.

import { h } from "../dom.js";

/** @param {string} title @param {...any} children */
export function screen(title, ...children) {
  return h("section", { class: "page" }, h("h2", { tabindex: "-1" }, title), ...children);
}

/** An error line that screen readers announce when it gets a text. */
export function errorLine() {
  return h("p", { class: "error", role: "alert" });
}

/**
 * Run an action from a button: the button is busy meanwhile (a second press
 * does nothing), and a failure is shown in `error` in words.
 * @param {import("../app.js").App} app
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} error
 * @param {() => Promise<unknown>} action
 */
export async function run(app, button, error, action) {
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  error.textContent = "";
  try {
    await action();
  } catch (e) {
    error.textContent = app.errorText(e);
  } finally {
    button.removeAttribute("aria-disabled");
  }
}

/** A row of buttons at the end of a form. */
export function actions(...buttons) {
  return h("div", { class: "actions" }, ...buttons);
}
