"""Triage plugins: symptoms in, urgency, disposition and advice out (DESIGN rule 8).

The server depends only on ``chatserver.triage.interface`` (re-exported here,
name for name: its ``__all__`` is the package's); the default plugin,
``chatserver.triage.fhir``, reads versioned FHIR questionnaires and rule
tables from ``content/``. See README.md.
"""

from chatserver.triage import interface
from chatserver.triage.interface import *  # noqa: F403

__all__: list[str] = []
__all__ += interface.__all__
