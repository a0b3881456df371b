// The HTTP side of the protocol (PROTOCOL.md §2, §4 "Photos"): logging in
// and out, uploading a photo to a room, fetching one. The token travels only
// in the Authorization header, never in a URL.

export class HttpError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
  }
}

export class Api {
  /** @param {string} base the server's origin, e.g. https://chat.region.se */
  constructor(base) {
    this.base = base.replace(/\/+$/, "");
  }

  get wsUrl() {
    const url = new URL("/ws", this.base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  /** @returns {Promise<{token: string, user: string, name: string, kind: string}>} */
  loginPatient(pnr) {
    return this.json("/api/login/patient", { pnr });
  }

  async logout(token) {
    await this.call("/api/logout", { method: "POST", headers: bearer(token) });
  }

  /** @param {Blob} image @returns {Promise<{id: string, mime: string, size: number}>} */
  async upload(token, room, image) {
    const response = await this.call(`/api/rooms/${encodeURIComponent(room)}/attachments`, {
      method: "POST",
      headers: { ...bearer(token), "Content-Type": image.type || "application/octet-stream" },
      body: image,
    });
    return response.json();
  }

  /** @returns {Promise<Blob>} */
  async attachment(token, id) {
    const response = await this.call(`/api/attachments/${encodeURIComponent(id)}`, {
      headers: bearer(token),
    });
    return response.blob();
  }

  async json(path, body) {
    const response = await this.call(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return response.json();
  }

  async call(path, init) {
    let response;
    try {
      response = await fetch(this.base + path, { ...init, credentials: "omit" });
    } catch {
      throw new HttpError(0, "network", "no connection");
    }
    if (!response.ok) {
      let error = { code: "http", message: response.statusText };
      try {
        error = (await response.json()).error ?? error;
      } catch {
        // not JSON: keep the status text
      }
      throw new HttpError(response.status, error.code, error.message);
    }
    return response;
  }
}

function bearer(token) {
  return { Authorization: `Bearer ${token}` };
}
