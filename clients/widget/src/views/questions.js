// The automated questions, one page at a time as the server sends them
// (PROTOCOL.md §5). Each question type gets the control that fits it, with
// its label, and errors are said next to the question and read out.

import { fill, h, setInvalid, uid } from "../dom.js";
import { newContactRoute } from "../routes.js";
import { actions, errorLine, run, screen } from "./common.js";
import { PhotoPicker } from "./photopicker.js";

export class QuestionsScreen {
  /** @param {import("../app.js").App} app @param {{case: string, fresh?: boolean}} route */
  constructor(app, route) {
    this.app = app;
    this.caseId = route.case;
    this.fresh = Boolean(route.fresh);
    this.body = h("div");
    this.pageLine = h("p", { class: "hint" });
    this.el = screen(app.t("questionsTitle"), this.pageLine, this.body);
    // After a reload the questions are not known here yet: ask where we were.
    this.resuming = !this.fresh && !app.store.questions.has(this.caseId);
    if (this.resuming) {
      app.resumeTriage(this.caseId).then(
        () => (this.resuming = false),
        () => {
          this.resuming = false;
          this.render();
        },
      );
    }
    this.render();
  }

  update(topic, detail) {
    if (topic === "questions" && detail.case === this.caseId) {
      this.render();
      /** @type {HTMLElement} */ (this.el.querySelector("h2")).focus();
    }
  }

  render() {
    const { app } = this;
    const { t } = app;
    const current = app.store.questions.get(this.caseId);
    if (!current) {
      this.pageLine.textContent = "";
      fill(
        this.body,
        this.fresh || this.resuming
          ? h("p", { "aria-busy": "true" }, t("questionsWait"))
          : [
              h("p", null, t("questionsLost")),
              h(
                "button",
                {
                  type: "button",
                  class: "primary",
                  onclick: () => app.go(newContactRoute(app.store.home)),
                },
                t("newContact"),
              ),
            ],
      );
      return;
    }
    this.pageLine.textContent = t("questionsPage", { n: current.page });
    this.fields = current.items.map((q) => new Field(app, q, this.room()));
    this.error = errorLine();
    this.button = h("button", { type: "submit", class: "primary" }, t("continue"));
    fill(
      this.body,
      current.page === 1 ? h("p", null, t("questionsIntro")) : null,
      h(
        "form",
        { novalidate: true, onsubmit: (e) => this.submit(e) },
        this.fields.map((f) => f.el),
        this.error,
        actions(this.button),
      ),
    );
  }

  room() {
    return this.app.store.cases.get(this.caseId)?.room ?? this.caseId;
  }

  submit(event) {
    event.preventDefault();
    const answers = {};
    let firstBad = null;
    for (const field of this.fields) {
      const result = field.read();
      if ("error" in result) {
        firstBad ??= field;
      } else if (result.value !== undefined) {
        answers[field.q.id] = result.value;
      }
    }
    if (firstBad) {
      this.error.textContent = this.app.t("formErrors");
      firstBad.focus();
      return;
    }
    run(this.app, this.button, this.error, async () => {
      try {
        await this.app.answer(this.caseId, answers);
      } catch (error) {
        this.blame(error);
        throw error;
      }
    });
  }

  /** A refused answer names its question ("st_days: ..."): mark that question. */
  blame(error) {
    const id = /^(\S+):/.exec(error?.detail ?? "")?.[1];
    const field = this.fields.find((f) => f.q.id === id);
    if (field) field.showError(this.app.t("formErrors"));
  }
}

/** One question and its control. */
class Field {
  /** @param {import("../app.js").App} app @param {Record<string, any>} q @param {string} room */
  constructor(app, q, room) {
    this.app = app;
    this.q = q;
    const { t } = app;
    this.errorEl = h("p", { class: "error", id: uid("err") });
    // Most questions must be answered: the intro says so and optional ones are marked.
    const required = q.required ? null : h("span", { class: "hint" }, " ", t("optional"));
    const cls = `question${q.red_flag ? " red-flag" : ""}`;
    if (q.type === "boolean" || q.type === "choice") {
      const options =
        q.type === "boolean"
          ? [
              { code: true, text: t("yes") },
              { code: false, text: t("no") },
            ]
          : q.options;
      const name = uid("q");
      this.radios = options.map((o) => {
        const id = uid("o");
        const input = h("input", { type: "radio", name, id, value: String(o.code) });
        return {
          input,
          value: o.code,
          el: h("div", { class: "option" }, input, h("label", { for: id }, o.text)),
        };
      });
      this.el = h(
        "fieldset",
        { class: cls, "data-question": q.id, "aria-describedby": this.errorEl.id },
        h("legend", null, q.text, required),
        h(
          "div",
          { class: q.type === "boolean" ? "options inline" : "options" },
          this.radios.map((r) => r.el),
        ),
        this.errorEl,
      );
      return;
    }
    const id = uid("q");
    if (q.type === "attachment") {
      const textId = `${id}-text`;
      this.picker = new PhotoPicker(app, room, { id, describedBy: `${textId} ${this.errorEl.id}` });
      this.el = h(
        "div",
        { class: cls, "data-question": q.id },
        h("p", { class: "question-text", id: textId }, q.text, required),
        this.picker.el,
        this.errorEl,
      );
      return;
    }
    const numeric = q.type === "integer" || q.type === "decimal";
    this.input = h(q.type === "string" ? "textarea" : "input", {
      id,
      name: q.id,
      ...(q.type === "string"
        ? { rows: "3", maxlength: String(q.max_length ?? 4000) }
        : {
            type: "text",
            inputmode: q.type === "integer" ? "numeric" : "decimal",
            autocomplete: "off",
          }),
      required: q.required,
      "aria-describedby": this.errorEl.id,
    });
    this.el = h(
      "div",
      { class: cls, "data-question": q.id },
      h("label", { for: id }, q.text, required),
      numeric ? h("div", { class: "number" }, this.input) : this.input,
      this.errorEl,
    );
  }

  /** @returns {{value: any} | {error: string}} */
  read() {
    const { t } = this.app;
    const q = this.q;
    let result;
    if (this.radios) {
      const picked = this.radios.find((r) => r.input.checked);
      result = picked ? { value: picked.value } : missing(q, t);
    } else if (this.picker) {
      if (this.picker.busy) return this.fail(t("uploading"));
      result = this.picker.attachment ? { value: this.picker.attachment } : missing(q, t);
    } else {
      const raw = this.input.value.trim();
      if (!raw) result = missing(q, t);
      else if (q.type === "string") result = { value: raw };
      else result = readNumber(q, raw, this.app);
    }
    if ("error" in result) return this.fail(result.error);
    this.showError("");
    return result;
  }

  fail(text) {
    this.showError(text);
    return { error: text };
  }

  showError(text) {
    this.errorEl.textContent = text;
    if (this.input) setInvalid(this.input, Boolean(text));
    else this.el.toggleAttribute("data-invalid", Boolean(text));
  }

  focus() {
    (
      this.input ??
      this.radios?.find((r) => r.input.checked)?.input ??
      this.radios?.[0]?.input ??
      this.picker
    )?.focus();
  }
}

function missing(q, t) {
  return q.required
    ? { error: q.type === "attachment" ? t("answerPhoto") : t("answerRequired") }
    : { value: undefined };
}

/** Numbers as Swedes write them too: "38,5". */
function readNumber(q, raw, app) {
  const { t } = app;
  const text = raw.replace(/\s/g, "").replace(",", ".");
  if (!/^-?\d+(\.\d+)?$/.test(text))
    return { error: t(q.type === "integer" ? "answerWhole" : "answerNumber") };
  const value = Number(text);
  if (q.type === "integer" && !Number.isInteger(value)) return { error: t("answerWhole") };
  const min = q.min ?? null;
  const max = q.max ?? null;
  const fmt = (n) => (app.lang === "sv" ? String(n).replace(".", ",") : String(n));
  if ((min !== null && value < min) || (max !== null && value > max)) {
    if (min !== null && max !== null)
      return { error: t("answerRange", { min: fmt(min), max: fmt(max) }) };
    if (min !== null) return { error: t("answerMin", { min: fmt(min) }) };
    return { error: t("answerMax", { max: fmt(max) }) };
  }
  return { value };
}
