"""Protocol versioning: a client sends ``v`` in hello; the server answers with
the version it will speak or closes with ``unsupported_version``.

Rules: additive changes (new optional fields, new frame types) keep the
version; anything else bumps it. Servers accept every version in
``SUPPORTED_VERSIONS``.
"""

from __future__ import annotations

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
