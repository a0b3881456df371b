"""Domain events: what a command changed, handed to the store and, once
committed, to subscribers. Plain immutable values, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass

from chatserver.domain.cases import Case


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class MessagePosted:
    message: ChatMessage


@dataclass(frozen=True, slots=True)
class ReadMoved:
    room: str
    who: str
    seq: int


@dataclass(frozen=True, slots=True)
class ParticipantAdded:
    room: str
    user_id: str
    role: str
    at: int


@dataclass(frozen=True, slots=True)
class CaseChanged:
    """A case was created or changed. ``case`` is a snapshot after the change;
    ``action`` is the transition (see cases.TRANSITIONS) or "create"."""

    case: Case
    action: str
    actor: str
    at: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class ConsultAdded:
    """A staff member or a pool (``pool:<key>``) was asked about a case."""

    case_id: str
    by: str
    invitee: str
    question: str
    at: int


Event = MessagePosted | ReadMoved | ParticipantAdded | CaseChanged | ConsultAdded
