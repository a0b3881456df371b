"""Identity providers for patients (a plugin, chosen in config)."""

from chatserver.identity.interface import Identity, IdentityError, IdentityProvider, load_provider

__all__ = ["Identity", "IdentityError", "IdentityProvider", "load_provider"]
