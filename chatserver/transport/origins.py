"""Cross-site protection: which browser origins may connect or change state.

Browsers send ``Origin`` on WebSocket handshakes and cross-site POSTs; a page
on another site must not be able to use a logged-in user's session. Clients
that are not browsers (the SDK, the desktop app) send no Origin and are
allowed, because they cannot be driven by a foreign page.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...]) -> bool:
    if origin is None:
        return True
    if origin in allowed or "*" in allowed:
        return True
    # Same origin: the page was served by this server.
    netloc = urlsplit(origin).netloc
    return bool(host) and netloc == host
