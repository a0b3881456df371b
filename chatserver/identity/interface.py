"""How a patient proves who they are.

Regions broker BankID and Freja through an OIDC provider. The server only
needs, at the end, a verified personnummer and a name. Providers implement
``IdentityProvider``: ``authenticate(credentials)`` turns what the login
endpoint received into an ``Identity`` or raises ``IdentityError``.

Fitting a real OIDC provider (authorization code + PKCE, RFC 7636):

1. ``GET /api/login/oidc/start``: the server makes ``state``, ``nonce`` and a
   PKCE ``code_verifier``, keeps them for a few minutes keyed by ``state``,
   and redirects the browser to the provider's authorization endpoint with
   ``code_challenge = BASE64URL(SHA256(code_verifier))``.
2. The provider redirects back to ``/api/login/oidc/callback?code=…&state=…``;
   the endpoint passes ``{"code", "state"}`` to ``authenticate``.
3. The provider class exchanges the code (with the verifier) at the token
   endpoint, verifies the ID token's signature (JWKS), issuer, audience,
   expiry and nonce, and reads the personnummer claim (for Swedish brokers
   usually ``personal_identity_number`` or ``sub``) and the name.
4. The server then creates the session exactly as for the dev provider.

Only step 3 is provider code; the session handling is shared.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Identity:
    pnr: str  # 12 digits, validated
    name: str
    protected: bool = False  # skyddad identitet, when the provider says so


class IdentityError(Exception):
    """Login refused; ``code`` is a protocol error code name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class IdentityProvider(Protocol):
    name: str

    async def authenticate(self, credentials: Mapping[str, Any]) -> Identity:
        """A verified identity, or IdentityError."""


def load_provider(spec: str, options: Mapping[str, Any]) -> IdentityProvider:
    """``dev`` or ``module:factory`` called with ``options``."""
    if spec == "dev":
        spec = "chatserver.identity.dev:create"
    module_name, _, attr = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    provider: IdentityProvider = factory(**options)
    return provider
