// Entry point of vard-chat.js: defines <vard-chat>, and on the stand-alone
// page registers the service worker that makes it an installable app.
import { VardChat } from "./element.js";

if (!customElements.get("vard-chat")) customElements.define("vard-chat", VardChat);
