// The patient's cases: open ones and those closed in the last four days
// (which can be continued), with unread counts; and "new contact".

import { fill, h } from "../dom.js";
import { formatTime } from "../i18n.js";
import { caseRoute, newContactRoute } from "../routes.js";
import { screen } from "./common.js";

export class HomeScreen {
  /** @param {import("../app.js").App} app */
  constructor(app) {
    this.app = app;
    const { t } = app;
    this.list = h("ul", { class: "cards" });
    this.el = screen(
      t("homeTitle"),
      h("p", null, t("homeIntro")),
      h(
        "button",
        {
          type: "button",
          class: "primary",
          onclick: () => app.go(newContactRoute(app.store.home)),
        },
        t("newContact"),
      ),
      this.list,
    );
    this.render();
  }

  update(topic) {
    if (["case", "case_list", "msg", "home"].includes(topic)) this.render();
  }

  render() {
    const { app } = this;
    const { t, store } = app;
    const cases = store.caseList();
    if (cases.length === 0) {
      fill(this.list, h("li", { class: "empty" }, t("noCases")));
      return;
    }
    fill(
      this.list,
      cases.map((c) => {
        const unread = store.unread(c.room);
        const title = app.entranceName(c.entrance);
        const self = c.subject === store.me?.name;
        return h(
          "li",
          { class: `card state-${c.state}` },
          h("h3", null, title),
          self ? null : h("p", null, t("caseAbout", { name: c.subject })),
          h("p", { class: "status-line" }, t(`state.${c.state}`)),
          h("p", { class: "hint" }, t("started", { time: formatTime(app.lang, c.created) })),
          unread
            ? h("p", { class: "badge" }, unread === 1 ? t("unreadOne") : t("unread", { n: unread }))
            : null,
          h(
            "button",
            {
              type: "button",
              class: "secondary",
              "aria-label": `${t("openCase")}: ${title}, ${t(`state.${c.state}`)}`,
              onclick: () => app.go(caseRoute(c)),
            },
            t("openCase"),
          ),
        );
      }),
    );
  }
}
