"""Domain events: what a command changed, handed to the store and, once
committed, to subscribers. Plain immutable values, no behaviour."""

from __future__ import annotations

from chatserver.domain.cases import Case
from chatserver.domain.value import value


@value
class ChatMessage:
    room: str
    seq: int
    cid: str
    sender: str
    name: str
    role: str
    text: str
    ts: int
    att: str | None = None
    kind: str = "text"


@value
class MessagePosted:
    message: ChatMessage


@value
class ReadMoved:
    room: str
    who: str
    seq: int


@value
class ParticipantAdded:
    room: str
    user_id: str
    role: str
    at: int


@value
class CaseChanged:
    """A case was created or changed. ``case`` is a snapshot after the change;
    ``action`` is the transition (see cases.TRANSITIONS) or "create"."""

    case: Case
    action: str
    actor: str
    at: int
    note: str = ""


@value
class ConsultAdded:
    """A staff member or a pool (``pool:<key>``) was asked about a case."""

    case_id: str
    by: str
    invitee: str
    question: str
    at: int


Event = MessagePosted | ReadMoved | ParticipantAdded | CaseChanged | ConsultAdded
