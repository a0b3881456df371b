// After a case is closed the patient may rate it 1-5, once (PROTOCOL.md §6.7).

import { fill, h, uid } from "../dom.js";
import { actions, errorLine, run } from "./common.js";

export class RatingForm {
  /** @param {import("../app.js").App} app @param {string} caseId */
  constructor(app, caseId) {
    this.app = app;
    this.caseId = caseId;
    const { t } = app;
    this.error = errorLine();
    this.button = h("button", { type: "submit", class: "secondary" }, t("rateSend"));
    const name = uid("score");
    const titleId = uid("rate");
    this.el = h("div", { class: "rating" });
    if (app.store.rated.has(caseId) || app.store.cases.get(caseId)?.rated) {
      fill(this.el, this.thanks());
      return;
    }
    fill(
      this.el,
      h(
        "form",
        { novalidate: true, "aria-labelledby": titleId, onsubmit: (e) => this.submit(e) },
        h(
          "fieldset",
          null,
          h("legend", { id: titleId }, t("rateTitle")),
          h(
            "div",
            { class: "options scores" },
            [1, 2, 3, 4, 5].map((score) => {
              const id = uid("s");
              return h(
                "div",
                { class: "option" },
                h("input", { type: "radio", name, id, value: String(score) }),
                h("label", { for: id }, t(`rateScore.${score}`)),
              );
            }),
          ),
        ),
        this.error,
        actions(this.button),
      ),
    );
  }

  thanks() {
    return h("p", { class: "status-line", role: "status" }, this.app.t("rateThanks"));
  }

  submit(event) {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.currentTarget);
    const picked = /** @type {HTMLInputElement | null} */ (form.querySelector("input:checked"));
    if (!picked) {
      this.error.textContent = this.app.t("rateChoose");
      /** @type {HTMLInputElement} */ (form.querySelector("input")).focus();
      return;
    }
    run(this.app, this.button, this.error, async () => {
      await this.app.rate(this.caseId, Number(picked.value));
      fill(this.el, this.thanks());
    });
  }
}
