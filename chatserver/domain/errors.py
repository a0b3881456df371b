"""Domain errors: a command cannot be carried out as asked.

Exception tree::

    DomainError          the request does not fit the state (client-facing)
     └─ .code is one of: not_found, forbidden, conflict, invalid_state,
        limit_reached, bad_request — the protocol's ErrorCode names

TransitionError (cases.py) is turned into invalid_state by the service.
"""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
