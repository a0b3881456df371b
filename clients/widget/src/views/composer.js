// Writing a message: Enter sends, Shift+Enter breaks the line; typing is
// signalled (throttled by the app); a photo can be attached and is previewed
// before it is sent. Messages written offline go to the outbox and are sent
// on reconnect, so the composer never blocks on the connection.

import { h, uid } from "../dom.js";
import { actions, errorLine, run } from "./common.js";
import { PhotoPicker } from "./photopicker.js";

export class Composer {
  /** @param {import("../app.js").App} app @param {string} roomId */
  constructor(app, roomId) {
    this.app = app;
    this.roomId = roomId;
    const { t } = app;
    const textId = uid("msg");
    const hintId = uid("hint");
    this.error = errorLine();
    this.text = h("textarea", {
      id: textId,
      name: "message",
      rows: "2",
      maxlength: "4000",
      "aria-describedby": hintId,
      oninput: () => app.typing(roomId),
      onkeydown: (/** @type {KeyboardEvent} */ e) => this.key(e),
    });
    this.picker = new PhotoPicker(app, roomId, {
      label: t("attach"),
      autoUpload: false,
      onChange: () => this.photoChanged(),
    });
    this.sendButton = h("button", { type: "submit", class: "primary" }, t("send"));
    this.el = h(
      "form",
      { class: "composer", novalidate: true, onsubmit: (e) => this.submit(e) },
      h("label", { for: textId }, t("messageLabel")),
      h("p", { id: hintId, class: "hint" }, t("messageHint")),
      this.text,
      this.error,
      actions(this.sendButton, this.picker.el),
    );
  }

  focus() {
    this.text.focus();
  }

  /** Staff asked for a photo: open the picker (the phone offers its camera). */
  choosePhoto() {
    this.picker.input.click();
  }

  /** @param {KeyboardEvent} event */
  key(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.el.requestSubmit();
    }
  }

  photoChanged() {
    this.sendButton.textContent = this.picker.file ? this.app.t("sendPhoto") : this.app.t("send");
  }

  submit(event) {
    event.preventDefault();
    const text = this.text.value.trim();
    if (this.picker.file) {
      run(this.app, this.sendButton, this.error, async () => {
        const att = await this.picker.upload();
        this.app.sendMessage(this.roomId, text, att);
        this.text.value = "";
        this.picker.remove();
        this.text.focus();
      });
      return;
    }
    if (!text) return;
    this.app.sendMessage(this.roomId, text);
    this.text.value = "";
    this.text.focus();
  }
}
