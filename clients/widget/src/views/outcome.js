// The result of triage when it is not the queue: "call 112" (nothing else
// competes for attention), self-care advice with "talk to a person anyway",
// out-of-hours redirection, and booking advice.

import { h, paragraphs } from "../dom.js";
import { actions, errorLine, run, screen } from "./common.js";

export class OutcomeScreen {
  /** @param {import("../app.js").App} app @param {{case: string}} route */
  constructor(app, route) {
    this.app = app;
    const { t, store } = app;
    const outcome = store.outcomes.get(route.case);
    const c = store.cases.get(route.case);
    // After a reload only the case's state is known: fetch the advice text,
    // and this screen is drawn again when it comes.
    if (!outcome) app.resumeTriage(route.case).catch(() => {});
    const disposition = outcome?.disposition ?? fromState(c?.state);
    const advice = outcome?.advice ? paragraphs(outcome.advice) : [];
    const home = h(
      "button",
      { type: "button", class: "secondary", onclick: () => app.go({ name: "home" }) },
      t("toStart"),
    );

    if (disposition === "call_112") {
      this.el = screen(
        t("call112Title"),
        h("p", { class: "lead" }, t("call112Intro")),
        h("a", { class: "button emergency", href: "tel:112" }, t("call112Button")),
        h("div", { class: "advice" }, advice),
        actions(home),
      );
      this.el.classList.add("page-112");
      return;
    }
    if (disposition === "self_care") {
      const error = errorLine();
      const ask = h("button", { type: "button", class: "primary" }, t("askPerson"));
      ask.addEventListener("click", () => run(app, ask, error, () => app.askPerson(route.case)));
      this.el = screen(
        t("selfCareTitle"),
        h("p", { class: "lead" }, t("selfCareIntro")),
        h("div", { class: "advice" }, advice),
        error,
        actions(ask, home),
      );
      return;
    }
    if (disposition === "redirect") {
      this.el = screen(
        t("redirectTitle"),
        h("div", { class: "advice" }, advice),
        actions(
          h("a", { class: "button primary", href: "tel:1177" }, t("call1177")),
          h("a", { class: "button emergency", href: "tel:112" }, t("call112Button")),
          home,
        ),
      );
      return;
    }
    this.el = screen(t("bookingTitle"), h("div", { class: "advice" }, advice), actions(home));
  }
}

function fromState(state) {
  if (state === "referred_112") return "call_112";
  if (state === "self_care") return "self_care";
  return "booking";
}
