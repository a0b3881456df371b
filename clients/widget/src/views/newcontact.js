// Starting a new contact, one question per screen (a phone has room for one):
// whom it is about, which entrance, then the errand in the patient's words
// (and, at a triage entrance, which complaint).

import { h, setInvalid, uid } from "../dom.js";
import { formatTime } from "../i18n.js";
import { actions, errorLine, run, screen } from "./common.js";

function backButton(app, route) {
  return h(
    "button",
    { type: "button", class: "link back", onclick: () => app.go(route) },
    app.t("back"),
  );
}

function homeRoute(app) {
  return app.store.cases.size > 0 ? { name: "home" } : null;
}

export class WhoScreen {
  /** @param {import("../app.js").App} app */
  constructor(app) {
    const { t, store } = app;
    const subjects = store.home?.subjects ?? [];
    const back = homeRoute(app);
    this.el = screen(
      t("whoTitle"),
      h("p", null, t("whoIntro")),
      h(
        "ul",
        { class: "choices" },
        subjects.map((s) => {
          const label =
            s.id === "self"
              ? `${t("me")} (${s.name})`
              : t("childAge", { name: s.name, age: s.age });
          if (!s.may_act) {
            return h(
              "li",
              { class: "choice unavailable" },
              h("span", { class: "choice-title" }, label),
              h(
                "span",
                { class: "choice-note" },
                " ",
                t(`notAllowed.${s.reason ?? "protected_identity"}`),
              ),
            );
          }
          return h(
            "li",
            null,
            h(
              "button",
              {
                type: "button",
                class: "choice",
                onclick: () => app.go({ name: "where", subject: s.id }),
              },
              h("span", { class: "choice-title" }, label),
            ),
          );
        }),
      ),
      back ? backButton(app, back) : null,
    );
  }
}

export class WhereScreen {
  /** @param {import("../app.js").App} app @param {{subject: string}} route */
  constructor(app, route) {
    const { t, store } = app;
    const entrances = store.home?.entrances ?? [];
    const subjects = store.home?.subjects ?? [];
    const back = subjects.length > 1 ? { name: "who" } : homeRoute(app);
    const about = route.subject === "self" ? null : app.subjectName(route.subject);
    this.el = screen(
      t("whereTitle"),
      about ? h("p", { class: "notice" }, t("caseAbout", { name: about })) : null,
      h("p", null, t("whereIntro")),
      h(
        "ul",
        { class: "choices" },
        entrances.map((e) =>
          h(
            "li",
            null,
            h(
              "button",
              {
                type: "button",
                class: "choice",
                onclick: () =>
                  app.go({ name: "describe", subject: route.subject, entrance: e.key }),
              },
              h("span", { class: "choice-title" }, e.name),
              h(
                "span",
                { class: "choice-note" },
                " ",
                e.open
                  ? t("openNow")
                  : t("closedNow", { time: formatTime(app.lang, e.opens_at ?? Date.now()) }),
              ),
              e.triage ? h("span", { class: "choice-note" }, " ", t("withTriage")) : null,
            ),
          ),
        ),
      ),
      h("p", { class: "hint" }, t("emergencyNote")),
      back ? backButton(app, back) : null,
    );
  }
}

export class DescribeScreen {
  /** @param {import("../app.js").App} app @param {{subject: string, entrance: string}} route */
  constructor(app, route) {
    this.app = app;
    this.route = route;
    const { t, store } = app;
    const entrance = store.home?.entrances.find((e) => e.key === route.entrance);
    this.entrance = entrance;
    this.error = errorLine();
    this.complaintError = h("p", { class: "error", id: uid("err") });
    this.textError = h("p", { class: "error", id: uid("err") });
    const textId = uid("text");
    const hintId = uid("hint");
    this.textRequired = Boolean(entrance && entrance.describe && !entrance.triage);
    this.text = h("textarea", {
      id: textId,
      name: "text",
      rows: "4",
      maxlength: "4000",
      required: this.textRequired,
      "aria-describedby": `${hintId} ${this.textError.id}`,
    });
    this.button = h("button", { type: "submit", class: "primary" }, t("start"));
    const complaints = entrance?.triage ? entrance.complaints : [];
    this.el = screen(
      entrance?.name ?? t("describeTitle"),
      route.subject === "self"
        ? null
        : h("p", { class: "notice" }, t("caseAbout", { name: app.subjectName(route.subject) })),
      h(
        "form",
        { novalidate: true, onsubmit: (e) => this.submit(e) },
        complaints.length
          ? h(
              "fieldset",
              { "aria-describedby": this.complaintError.id },
              h(
                "legend",
                null,
                t("complaintLegend"),
                " ",
                h("span", { class: "hint" }, t("required")),
              ),
              h(
                "div",
                { class: "options" },
                complaints.map((c) => {
                  const id = uid("c");
                  return h(
                    "div",
                    { class: "option" },
                    h("input", { type: "radio", name: "complaint", id, value: c.code }),
                    h("label", { for: id }, c.label),
                  );
                }),
              ),
              this.complaintError,
            )
          : null,
        h(
          "label",
          { for: textId },
          complaints.length ? t("describeLabel") : t("describeTitle"),
          " ",
          h("span", { class: "hint" }, this.textRequired ? t("required") : t("describeOptional")),
        ),
        h("p", { id: hintId, class: "hint" }, t("describeHint")),
        this.text,
        this.textError,
        h("p", { class: "hint" }, t("emergencyNote")),
        this.error,
        actions(this.button, backButton(app, { name: "where", subject: route.subject })),
      ),
    );
  }

  submit(event) {
    event.preventDefault();
    const { t } = this.app;
    const form = /** @type {HTMLFormElement} */ (event.currentTarget);
    const picked = /** @type {HTMLInputElement | null} */ (
      form.querySelector("input[name=complaint]:checked")
    );
    const needsComplaint = Boolean(form.querySelector("input[name=complaint]"));
    const text = this.text.value.trim();
    this.complaintError.textContent = needsComplaint && !picked ? t("chooseComplaint") : "";
    this.textError.textContent = this.textRequired && !text ? t("describeRequired") : "";
    setInvalid(this.text, Boolean(this.textError.textContent));
    if (this.complaintError.textContent) {
      /** @type {HTMLInputElement} */ (form.querySelector("input[name=complaint]")).focus();
      return;
    }
    if (this.textError.textContent) {
      this.text.focus();
      return;
    }
    run(this.app, this.button, this.error, async () => {
      try {
        await this.app.openCase({
          entrance: this.route.entrance,
          subject: this.route.subject,
          text,
          complaint: picked?.value,
        });
      } catch (error) {
        // A direct entrance refuses patients not listed at its health centre.
        if (error?.code === "forbidden" && !this.entrance?.triage) throw new NotListed();
        throw error;
      }
    });
  }
}

class NotListed extends Error {
  code = "not_listed";
}
