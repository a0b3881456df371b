// The login and the unsent messages, kept for the life of the browser tab
// (sessionStorage) so that a reload or a phone killing the tab in the
// background neither logs the patient out nor loses what they wrote. Closing
// the tab forgets both, as a shared computer needs.

/**
 * @typedef {{
 *   token: string, user: string, name: string,
 *   outbox: Array<{room: string, cid: string, text: string, att?: string}>,
 * }} Saved
 */

export class SessionStore {
  /** @param {string} server */
  constructor(server) {
    this.key = `vard-chat:${server}`;
  }

  /** @returns {Saved | null} */
  load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.key) ?? "null");
      return saved && typeof saved.token === "string" ? saved : null;
    } catch {
      return null;
    }
  }

  /** @param {Saved} saved */
  save(saved) {
    try {
      sessionStorage.setItem(this.key, JSON.stringify(saved));
    } catch {
      // storage full or disabled (private mode): the tab still works
    }
  }

  clear() {
    try {
      sessionStorage.removeItem(this.key);
    } catch {
      // nothing to clear
    }
  }
}

const LANG_KEY = "vard-chat:lang";

/** The language the user chose last time, on this device. */
export function savedLang() {
  try {
    return localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}

export function saveLang(lang) {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // not remembered; the choice still applies now
  }
}
