// Choosing a photo (the phone offers its camera), seeing it before it goes,
// and uploading it to the case's room. Used by attachment questions and by
// the chat when staff ask for a photo.

import { fill, h, uid } from "../dom.js";

export class PhotoPicker {
  /**
   * @param {import("../app.js").App} app
   * @param {string} room
   * @param {{id?: string, label?: string, describedBy?: string, autoUpload?: boolean, onChange?: () => void}} [options]
   */
  constructor(
    app,
    room,
    { id = uid("photo"), label, describedBy, autoUpload = true, onChange } = {},
  ) {
    this.app = app;
    this.room = room;
    this.autoUpload = autoUpload;
    this.onChange = onChange ?? (() => {});
    /** @type {File | null} */
    this.file = null;
    /** @type {string | null} */
    this.attachment = null;
    this.busy = false;
    this.url = "";
    this.status = h("p", { class: "hint", role: "status" });
    this.preview = h("div", { class: "preview" });
    this.input = h("input", {
      id,
      type: "file",
      accept: "image/*",
      class: "file-input",
      ...(describedBy ? { "aria-describedby": describedBy } : {}),
      onchange: () => this.chosen(),
    });
    this.el = h(
      "div",
      { class: "photo-picker" },
      h(
        "label",
        { class: "button secondary file-button", for: id },
        label ?? app.t("choosePhoto"),
        this.input,
      ),
      this.preview,
      this.status,
    );
  }

  focus() {
    this.input.focus();
  }

  chosen() {
    const file = this.input.files?.[0];
    if (!file) return;
    this.clear();
    this.file = file;
    this.url = URL.createObjectURL(file);
    const { t } = this.app;
    fill(
      this.preview,
      h("img", { src: this.url, alt: t("photoPreview") }),
      h(
        "button",
        { type: "button", class: "link", onclick: () => this.remove() },
        t("removePhoto"),
      ),
    );
    this.onChange();
    if (this.autoUpload) this.upload().catch(() => {});
  }

  remove() {
    this.clear();
    this.input.value = "";
    this.onChange();
    this.input.focus();
  }

  clear() {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = "";
    this.file = null;
    this.attachment = null;
    this.preview.replaceChildren();
    this.status.textContent = "";
  }

  /** Upload the chosen photo (once); resolves to the attachment id. */
  async upload() {
    if (this.attachment) return this.attachment;
    if (!this.file) throw new Error("no photo chosen");
    const file = this.file;
    this.busy = true;
    this.status.textContent = this.app.t("uploading");
    try {
      const id = await this.app.uploadPhoto(this.room, file);
      if (this.file === file) {
        this.attachment = id;
        this.status.textContent = "";
      }
      return id;
    } catch (error) {
      if (this.file === file) this.status.textContent = this.app.errorText(error);
      throw error;
    } finally {
      this.busy = false;
    }
  }
}
