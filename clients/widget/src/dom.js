// A tiny DOM builder. Text is always set as text (never parsed as HTML), so
// nothing a server or another user sends can inject markup.

/**
 * h("button", {class: "primary", onclick: fn, "aria-label": "..."}, "Text", child)
 * Attributes: `on*` functions become listeners, `true` sets an empty
 * attribute, `false`/null/undefined leave it out; `value`, `checked` and
 * `disabled` are set as properties.
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false | Array<any>)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "value" || key === "checked" || key === "disabled") {
      /** @type {any} */ (el)[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** @param {Node} parent @param {Array<any>} children */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace all children. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/** Paragraphs from plain text (blank lines separate paragraphs, single newlines are kept). */
export function paragraphs(text, attrs) {
  return String(text)
    .split(/\n\s*\n/)
    .filter((p) => p.trim())
    .map((p) =>
      h("p", attrs, ...p.split("\n").flatMap((line, i) => (i ? [h("br"), line] : [line]))),
    );
}

let ids = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix = "vc") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** aria-invalid="true" on a control while it holds an error. */
export function setInvalid(el, invalid) {
  if (invalid) el.setAttribute("aria-invalid", "true");
  else el.removeAttribute("aria-invalid");
}
