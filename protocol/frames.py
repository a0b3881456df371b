"""Every frame of the wire protocol, declared once.

A frame is a frozen, slotted dataclass whose fields are
``Annotated[type, Spec, "description"]``. The codec validates and builds
frames from these declarations, and ``protocol.docgen`` writes the frame
reference in docs/PROTOCOL.md from them.

On the wire a frame is a MessagePack map: ``{"t": <type>, <field>: <value>, ...}``.
Optional fields whose value is nil may be left out. Unknown keys are ignored
(additive changes keep the protocol version).

Requests from the client carry ``id`` (a number the client picks, unique
among its requests in flight); the answer carries ``re`` = that id. Pushes
from the server (``msg``, ``typing``, ``receipt``, ``case``, ...) carry no ``re``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, TypeVar

from protocol.fields import Bool, Float, Int, ListOf, MapOf, Nested, OneOf, Scalar, Str
from protocol.limits import (
    MAX_CID,
    MAX_ID,
    MAX_NAME,
    MAX_PAGE,
    MAX_REQ_ID,
    MAX_SEQ,
    MAX_TEXT,
    MAX_TOKEN,
)


class Frame:
    """Base of all frames. ``TYPE`` is the value of ``t`` on the wire."""

    __slots__ = ()
    TYPE: ClassVar[str] = ""


class Record:
    """Base of nested values (maps inside frames)."""

    __slots__ = ()


CLIENT_FRAMES: dict[str, type[Frame]] = {}
SERVER_FRAMES: dict[str, type[Frame]] = {}
RECORDS: list[type[Record]] = []


F = TypeVar("F", bound=type["Frame"])
R = TypeVar("R", bound=type["Record"])


def client(cls: F) -> F:
    """Register a frame the client sends."""
    CLIENT_FRAMES[cls.TYPE] = cls
    return cls


def server(cls: F) -> F:
    """Register a frame the server sends."""
    SERVER_FRAMES[cls.TYPE] = cls
    return cls


def record(cls: R) -> R:
    RECORDS.append(cls)
    return cls


# Shared field shapes
ReqId = Annotated[int, Int(0, MAX_REQ_ID), "Request id chosen by the client"]
Re = Annotated[int, Int(0, MAX_REQ_ID), "The `id` of the request this answers"]
RoomId = Annotated[str, Str(MAX_ID, 1), "Room id (a case's chat room)"]
Seq = Annotated[int, Int(0, MAX_SEQ), "Message number in the room (1, 2, 3, ...; 0 = none)"]
UserId = Annotated[str, Str(MAX_ID, 1), "Opaque user id"]
TimeMs = Annotated[int, Int(0, MAX_SEQ), "Milliseconds since 1970-01-01T00:00:00Z"]
CaseId = Annotated[str, Str(MAX_ID, 1), "Case id"]

ROLES = ("patient", "guardian", "staff", "consultant", "system")
CLIENT_KINDS = ("widget", "desktop", "sdk", "bench", "other")
MESSAGE_KINDS = ("text", "photo_request", "system")
CLOSE_OUTCOMES = ("advice", "booked", "referred", "transferred", "conduct", "no_answer")
CASE_STATES = (
    "triage",
    "self_care",
    "referred_112",
    "queued",
    "assigned",
    "active",
    "waiting",
    "closed",
    "reopened",
)


# ---------------------------------------------------------------- records


@record
@dataclass(frozen=True, slots=True)
class Me(Record):
    """Who the connection is authenticated as."""

    user: UserId
    kind: Annotated[str, OneOf(("patient", "staff")), "Patient or staff account"]
    name: Annotated[str, Str(MAX_NAME), "Display name"]
    roles: Annotated[
        tuple[str, ...],
        ListOf(Str(32), 16),
        "Staff roles (nurse, physician, ...); empty for patients",
    ] = ()
    pools: Annotated[
        tuple[str, ...], ListOf(Str(MAX_ID), 64), "Staff pools; empty for patients"
    ] = ()


@record
@dataclass(frozen=True, slots=True)
class Limits(Record):
    """Limits the server enforces on this connection."""

    max_frame: Annotated[int, Int(0, MAX_SEQ), "Largest frame in bytes"]
    max_text: Annotated[int, Int(0, MAX_SEQ), "Longest message text in characters"]
    rate: Annotated[int, Int(0, MAX_SEQ), "Commands per second sustained (token bucket)"]
    burst: Annotated[int, Int(0, MAX_SEQ), "Commands allowed in a burst"]
    max_subs: Annotated[int, Int(0, MAX_SEQ), "Rooms subscribed at once"]


@record
@dataclass(frozen=True, slots=True)
class ReadMark(Record):
    """The last message number a participant has read in a room."""

    who: UserId
    seq: Seq


@record
@dataclass(frozen=True, slots=True)
class CaseInfo(Record):
    """A case as its participants see it."""

    case: CaseId
    room: RoomId
    state: Annotated[str, OneOf(CASE_STATES), "Life-cycle state"]
    pool: Annotated[str, Str(MAX_ID), "The pool the case belongs to"]
    entrance: Annotated[str, Str(MAX_ID), "The entrance the case came through"]
    urgency: Annotated[int, Int(0, 6), "U0-U6 as 0-6 (lower is more urgent)"]
    created: TimeMs
    subject: Annotated[str, Str(MAX_NAME), "Name of the patient the case is about"]
    complaint: Annotated[str, Str(MAX_TEXT), "The patient's own words"]
    assignee: Annotated[str | None, Str(MAX_ID), "Staff user handling it, if any"] = None
    assignee_name: Annotated[str | None, Str(MAX_NAME), "Display name of the assignee"] = None
    closed: Annotated[int | None, Int(0, MAX_SEQ), "When it was closed (ms), if closed"] = None
    rated: Annotated[bool, Bool(), "The patient has rated the contact (rate is then refused)"] = (
        False
    )


@record
@dataclass(frozen=True, slots=True)
class Complaint(Record):
    """A complaint the patient can pick at a triage entrance."""

    code: Annotated[str, Str(MAX_ID, 1), "Complaint code for case_open.complaint"]
    label: Annotated[str, Str(100), "Label in the session's language"]


@record
@dataclass(frozen=True, slots=True)
class EntranceInfo(Record):
    """A way into care the region offers ("seek care", a health centre's chat...)."""

    key: Annotated[str, Str(MAX_ID, 1), "Entrance key for case_open.entrance"]
    name: Annotated[str, Str(MAX_NAME), "Name to show"]
    triage: Annotated[bool, Bool(), "Automated questions follow case_open"]
    describe: Annotated[bool, Bool(), "The patient must describe the errand in free text"]
    open: Annotated[bool, Bool(), "Staff answer now; if false, cases wait for opens_at"]
    opens_at: Annotated[int | None, Int(0, MAX_SEQ), "Next opening (ms) when closed"] = None
    complaints: Annotated[
        tuple[Complaint, ...], ListOf(Nested(Complaint), 30), "Complaints (triage entrances)"
    ] = ()


@record
@dataclass(frozen=True, slots=True)
class Subject(Record):
    """Someone the user may open a case for: themselves, or a child in their care."""

    id: Annotated[str, Str(MAX_ID, 1), "`self`, or the child's id for case_open.subject"]
    name: Annotated[str, Str(MAX_NAME), "Name"]
    age: Annotated[int, Int(0, 150), "Age in whole years"]
    may_act: Annotated[bool, Bool(), "False if the user may not open a case for them now"]
    reason: Annotated[
        str | None,
        OneOf(("child_too_young", "child_too_old", "protected_identity")),
        "Why not, when may_act is false",
    ] = None


@record
@dataclass(frozen=True, slots=True)
class Option(Record):
    """One answer a choice question offers: send its `code`, show its `text`."""

    code: Annotated[str, Str(MAX_ID, 1), "Answer code to send"]
    text: Annotated[str, Str(MAX_NAME), "Answer text to show"]


@record
@dataclass(frozen=True, slots=True)
class Question(Record):
    """One automated question. Answer with the value type given by ``type``:
    boolean → bool, choice → an option code, integer → int, decimal → number,
    string → text, attachment → an attachment id (photo uploaded over HTTP)."""

    id: Annotated[str, Str(MAX_ID, 1), "Question id (the answers map key)"]
    text: Annotated[str, Str(1000), "Question text in the session's language"]
    type: Annotated[
        str,
        OneOf(("boolean", "choice", "integer", "decimal", "string", "attachment")),
        "Answer type",
    ]
    required: Annotated[bool, Bool(), "Must be answered"]
    red_flag: Annotated[bool, Bool(), "A safety question (asked first)"] = False
    options: Annotated[tuple[Option, ...], ListOf(Nested(Option), 30), "Choices"] = ()
    min: Annotated[float | None, Float(-1e9, 1e9), "Smallest number allowed"] = None
    max: Annotated[float | None, Float(-1e9, 1e9), "Largest number allowed"] = None
    max_length: Annotated[int | None, Int(0, MAX_TEXT), "Longest text allowed"] = None


@record
@dataclass(frozen=True, slots=True)
class QueueEntry(Record):
    """A waiting case as staff see it in a pool's queue."""

    case: CaseId
    urgency: Annotated[int, Int(0, 6), "U0-U6 as 0-6"]
    enqueued: TimeMs
    deadline: TimeMs
    subject: Annotated[str, Str(MAX_NAME), "Patient's name"]
    age: Annotated[int, Int(0, 150), "Patient's age in years"]
    complaint: Annotated[str, Str(500), "Complaint (first 500 characters)"]
    summary: Annotated[str, Str(500), "Triage summary for staff (first 500 characters)"] = ""
    entrance: Annotated[str, Str(MAX_ID), "Entrance"] = ""


@record
@dataclass(frozen=True, slots=True)
class TriageInfo(Record):
    """The automated questions' result, with where it came from (EU MDR traceability)."""

    complaint: Annotated[str, Str(MAX_ID), "Complaint code"]
    urgency: Annotated[int, Int(0, 6), "Urgency the triage gave"]
    disposition: Annotated[str, Str(32), "Disposition the triage gave"]
    summary: Annotated[str, Str(MAX_TEXT), "Summary for staff (Swedish)"]
    answers: Annotated[
        tuple[tuple[str, str], ...],
        ListOf(ListOf(Str(1000), 2), 60),
        "Question and answer texts, in order",
    ]
    provenance: Annotated[
        str, Str(MAX_TEXT), "Plugin, content and rule versions, rules fired (JSON)"
    ]


@record
@dataclass(frozen=True, slots=True)
class Phrase(Record):
    """A canned phrase. Placeholders: {patient} (first name), {staff}, {unit}."""

    key: Annotated[str, Str(32, 1), "Short key, typed as /key"]
    text: Annotated[str, Str(1000, 1), "The text"]
    scope: Annotated[str, Str(MAX_ID, 1), "`personal`, or the pool it is shared in"]


@record
@dataclass(frozen=True, slots=True)
class StaffInfo(Record):
    """A staff member a consult can be addressed to."""

    user: UserId
    name: Annotated[str, Str(MAX_NAME), "Display name"]
    roles: Annotated[tuple[str, ...], ListOf(Str(32), 16), "Roles"]


# ---------------------------------------------------------------- client → server


@client
@dataclass(frozen=True, slots=True)
class Hello(Frame):
    """First frame on every connection: protocol version and session token.

    The token comes from an HTTP login (section 2). The server answers
    ``welcome``, or an ``error`` and a close (section 3). A ``hello`` on a
    connection that is already in is answered ``already_authenticated``
    (without ``re``) and changes nothing."""

    TYPE: ClassVar[str] = "hello"
    v: Annotated[int, Int(0, 1000), "Protocol version the client speaks"]
    token: Annotated[str, Str(MAX_TOKEN, 1), "Session token from HTTP login"]
    client: Annotated[
        str,
        OneOf(CLIENT_KINDS),
        "Kind of client, for metrics; clients other than this project's say `other`",
    ]
    lang: Annotated[str | None, OneOf(("sv", "en")), "Preferred language for server texts"] = None


@client
@dataclass(frozen=True, slots=True)
class Ping(Frame):
    """Heartbeat; send one every ``welcome.heartbeat`` seconds when otherwise idle."""

    TYPE: ClassVar[str] = "ping"
    id: ReqId


@client
@dataclass(frozen=True, slots=True)
class Subscribe(Frame):
    """Follow a room: receive every message after ``after``, then live ones."""

    TYPE: ClassVar[str] = "sub"
    id: ReqId
    room: RoomId
    after: Annotated[int, Int(0, MAX_SEQ), "Last message number already seen (0 = all)"] = 0


@client
@dataclass(frozen=True, slots=True)
class Unsubscribe(Frame):
    """Stop following a room."""

    TYPE: ClassVar[str] = "unsub"
    id: ReqId
    room: RoomId


@client
@dataclass(frozen=True, slots=True)
class Send(Frame):
    """Post a message. Resending the same ``cid`` returns the original number."""

    TYPE: ClassVar[str] = "send"
    id: ReqId
    room: RoomId
    cid: Annotated[str, Str(MAX_CID, 1), "Client-made message id, unique per sender and room"]
    text: Annotated[str, Str(MAX_TEXT), "Message text (may be empty if att is set)"]
    att: Annotated[str | None, Str(MAX_ID, 1), "Attachment id from an HTTP upload"] = None
    kind: Annotated[
        str, OneOf(MESSAGE_KINDS), "`photo_request`: staff ask the patient for a photo"
    ] = "text"


@client
@dataclass(frozen=True, slots=True)
class History(Frame):
    """Page back through a room: up to ``limit`` messages numbered below ``before``."""

    TYPE: ClassVar[str] = "history"
    id: ReqId
    room: RoomId
    before: Annotated[int, Int(1, MAX_SEQ), "Return messages with seq < before"]
    limit: Annotated[int, Int(1, MAX_PAGE), "Most messages to return"] = 50


@client
@dataclass(frozen=True, slots=True)
class TypingC(Frame):
    """The user is typing in a room (not stored; send at most every 2 s)."""

    TYPE: ClassVar[str] = "typing"
    room: RoomId


@client
@dataclass(frozen=True, slots=True)
class Read(Frame):
    """The user has read the room up to ``seq`` (stored; only ever moves forward)."""

    TYPE: ClassVar[str] = "read"
    room: RoomId
    seq: Seq


@client
@dataclass(frozen=True, slots=True)
class ListCases(Frame):
    """The cases the user can see: a patient's own and their children's,
    a staff member's assigned and consulted cases."""

    TYPE: ClassVar[str] = "cases"
    id: ReqId
    closed: Annotated[bool, Bool(), "Include cases closed in the last 4 days"] = True


@client
@dataclass(frozen=True, slots=True)
class OpenCase(Frame):
    """Patient: open a case at an entrance with a description of the errand."""

    TYPE: ClassVar[str] = "case_open"
    id: ReqId
    entrance: Annotated[str, Str(MAX_ID, 1), "Entrance key (home.entrances[].key)"]
    text: Annotated[str, Str(MAX_TEXT), "The errand in the patient's own words"]
    subject: Annotated[str, Str(MAX_ID, 1), "`self` or a child's id (home.subjects[].id)"] = "self"
    complaint: Annotated[
        str | None, Str(MAX_ID, 1), "Complaint code, required at triage entrances"
    ] = None


@client
@dataclass(frozen=True, slots=True)
class HomeC(Frame):
    """Patient: what can I do? The entrances and whom I may open cases for."""

    TYPE: ClassVar[str] = "home"
    id: ReqId


@client
@dataclass(frozen=True, slots=True)
class Answer(Frame):
    """Patient: answer the current automated questions of a case in triage.

    The answer is either the next ``questions`` or the ``outcome``."""

    TYPE: ClassVar[str] = "answer"
    id: ReqId
    case: CaseId
    answers: Annotated[
        dict[str, bool | int | float | str],
        MapOf(Str(MAX_ID, 1), Scalar(MAX_TEXT), 100),
        "Question id → answer value",
    ]


@client
@dataclass(frozen=True, slots=True)
class AskPerson(Frame):
    """Patient: after self-care advice, talk to a person anyway (queued as U6)."""

    TYPE: ClassVar[str] = "ask_person"
    id: ReqId
    case: CaseId


@client
@dataclass(frozen=True, slots=True)
class TriageC(Frame):
    """Patient: where a case's triage stands, to pick it up again after a
    reload or on another device. Answered with the current page of
    ``questions`` while the triage runs, or its ``outcome`` once done
    (``not_found`` for a case that never had triage)."""

    TYPE: ClassVar[str] = "triage"
    id: ReqId
    case: CaseId


@client
@dataclass(frozen=True, slots=True)
class ContinueCase(Frame):
    """Patient: continue a case closed less than 4 days ago instead of a new one."""

    TYPE: ClassVar[str] = "case_continue"
    id: ReqId
    case: CaseId
    text: Annotated[str, Str(MAX_TEXT), "What the patient wants to add"] = ""


@client
@dataclass(frozen=True, slots=True)
class Contact(Frame):
    """Patient: a mobile number and consent for SMS notices ("it is your turn").

    Notices never contain health information. Send phone nil to withdraw."""

    TYPE: ClassVar[str] = "contact"
    id: ReqId
    sms: Annotated[bool, Bool(), "Consent to SMS notices"]
    phone: Annotated[str | None, Str(20, 8), "Mobile number, +46 or 07 format"] = None


@client
@dataclass(frozen=True, slots=True)
class QueueSub(Frame):
    """Staff: follow the live queues of some of your pools (all of them if empty).

    The answer is `ok`; a `queue` push per pool follows at once and whenever it
    changes (coalesced, at most every few seconds)."""

    TYPE: ClassVar[str] = "queue_sub"
    id: ReqId
    pools: Annotated[tuple[str, ...], ListOf(Str(MAX_ID, 1), 64), "Pools; empty = all yours"] = ()


@client
@dataclass(frozen=True, slots=True)
class CaseView(Frame):
    """Staff: open a case: its triage answers and outcome, earlier cases of the
    last 4 days, and the rooms. Every view is written to the audit log."""

    TYPE: ClassVar[str] = "case_view"
    id: ReqId
    case: CaseId


@client
@dataclass(frozen=True, slots=True)
class Retriage(Frame):
    """Staff: change a case's urgency with a reason. The deadline is recomputed
    from the original enqueue time; the change is logged with who and why."""

    TYPE: ClassVar[str] = "retriage"
    id: ReqId
    case: CaseId
    urgency: Annotated[int, Int(1, 6), "New urgency U1-U6"]
    reason: Annotated[str, Str(1000, 1), "Why"]


@client
@dataclass(frozen=True, slots=True)
class Transfer(Frame):
    """Staff: hand the case, its history and its room to another pool, with a
    note. It waits in that pool's queue; the patient sees the transfer."""

    TYPE: ClassVar[str] = "transfer"
    id: ReqId
    case: CaseId
    pool: Annotated[str, Str(MAX_ID, 1), "Target pool"]
    note: Annotated[str, Str(MAX_TEXT, 1), "Handover note for the next staff member"]


@client
@dataclass(frozen=True, slots=True)
class Release(Frame):
    """Staff: put a claimed case back at its place in the queue."""

    TYPE: ClassVar[str] = "release"
    id: ReqId
    case: CaseId


@client
@dataclass(frozen=True, slots=True)
class Consult(Frame):
    """Staff: ask another staff member (``staff``) or anyone in a pool
    (``pool``) about a case without moving it. They may read the case and write
    in its staff thread (room id `<case>~staff`) until the case closes; the
    invitation ends when one of them answers there."""

    TYPE: ClassVar[str] = "consult"
    id: ReqId
    case: CaseId
    question: Annotated[str, Str(MAX_TEXT, 1), "The question"]
    staff: Annotated[
        str | None,
        Str(MAX_ID, 1),
        "A colleague: user id or login name (`not_found` if no active staff member)",
    ] = None
    pool: Annotated[str | None, Str(MAX_ID, 1), "Or: a pool to ask"] = None


@client
@dataclass(frozen=True, slots=True)
class Note(Frame):
    """Staff: an internal note on the case (in its staff thread; the patient never sees it)."""

    TYPE: ClassVar[str] = "note"
    id: ReqId
    case: CaseId
    text: Annotated[str, Str(MAX_TEXT, 1), "The note"]


@client
@dataclass(frozen=True, slots=True)
class Phrases(Frame):
    """Staff: your personal phrases and those shared in your pools."""

    TYPE: ClassVar[str] = "phrases"
    id: ReqId


@client
@dataclass(frozen=True, slots=True)
class PhraseSet(Frame):
    """Staff: create or replace a phrase (shared ones: pool members and admins)."""

    TYPE: ClassVar[str] = "phrase_set"
    id: ReqId
    phrase: Annotated[Phrase, Nested(Phrase), "The phrase"]


@client
@dataclass(frozen=True, slots=True)
class PhraseDelete(Frame):
    """Staff: delete a phrase."""

    TYPE: ClassVar[str] = "phrase_delete"
    id: ReqId
    key: Annotated[str, Str(32, 1), "Key"]
    scope: Annotated[str, Str(MAX_ID, 1), "`personal` or a pool"]


@client
@dataclass(frozen=True, slots=True)
class Rate(Frame):
    """Patient: rate a closed case 1-5 (once; a second rating is `duplicate`)."""

    TYPE: ClassVar[str] = "rate"
    id: ReqId
    case: CaseId
    score: Annotated[int, Int(1, 5), "1 (poor) to 5 (very good)"]


@client
@dataclass(frozen=True, slots=True)
class Claim(Frame):
    """Staff: take a case (a given one, or the head of one of your pools' queues)."""

    TYPE: ClassVar[str] = "claim"
    id: ReqId
    case: Annotated[str | None, Str(MAX_ID, 1), "The case to take; nil = next by deadline"] = None
    pool: Annotated[str | None, Str(MAX_ID, 1), "With case nil: take from this pool only"] = None


@client
@dataclass(frozen=True, slots=True)
class CloseCase(Frame):
    """Staff: close a case with an outcome code."""

    TYPE: ClassVar[str] = "case_close"
    id: ReqId
    case: CaseId
    outcome: Annotated[str, OneOf(CLOSE_OUTCOMES), "Why the case ends"]
    note: Annotated[str, Str(MAX_TEXT), "Closing note (staff only; required for conduct)"] = ""


# ---------------------------------------------------------------- server → client


@server
@dataclass(frozen=True, slots=True)
class Welcome(Frame):
    """Answer to hello: the session is authenticated."""

    TYPE: ClassVar[str] = "welcome"
    v: Annotated[int, Int(0, 1000), "Protocol version the server will speak"]
    me: Annotated[Me, Nested(Me), "The authenticated user"]
    heartbeat: Annotated[int, Int(1, 3600), "Send ping if idle this many seconds"]
    idle_timeout: Annotated[int, Int(1, 3600), "Connection closed after this many silent seconds"]
    limits: Annotated[Limits, Nested(Limits), "Limits for this connection"]
    server_time: TimeMs


@server
@dataclass(frozen=True, slots=True)
class Pong(Frame):
    """Answer to ping."""

    TYPE: ClassVar[str] = "pong"
    re: Re
    server_time: TimeMs


@server
@dataclass(frozen=True, slots=True)
class Ok(Frame):
    """A request succeeded and has nothing else to return."""

    TYPE: ClassVar[str] = "ok"
    re: Re


@server
@dataclass(frozen=True, slots=True)
class Error(Frame):
    """A request failed (``re`` set) or a frame could not be read (``re`` nil).

    Nothing was changed by a failed request."""

    TYPE: ClassVar[str] = "error"
    code: Annotated[str, Str(64, 1), "Stable error code (see Error codes)"]
    num: Annotated[int, Int(0, 9999), "Stable number of the code"]
    message: Annotated[str, Str(1000), "Human-readable explanation (English)"]
    re: Annotated[int | None, Int(0, MAX_REQ_ID), "The request that failed, if known"] = None
    field: Annotated[str | None, Str(200), "The offending field, for bad_field"] = None


@server
@dataclass(frozen=True, slots=True)
class Subscribed(Frame):
    """Answer to sub. Missed messages (``after`` < seq ≤ ``head``) follow as
    ``msg`` frames, in order, then live messages."""

    TYPE: ClassVar[str] = "subbed"
    re: Re
    room: RoomId
    head: Annotated[int, Int(0, MAX_SEQ), "Number of the newest committed message"]
    reads: Annotated[tuple[ReadMark, ...], ListOf(Nested(ReadMark), 64), "Read marks"] = ()


@server
@dataclass(frozen=True, slots=True)
class Ack(Frame):
    """Answer to send: the message is stored durably under ``seq``."""

    TYPE: ClassVar[str] = "ack"
    re: Re
    room: RoomId
    cid: Annotated[str, Str(MAX_CID, 1), "The client id of the message"]
    seq: Seq
    ts: TimeMs


@server
@dataclass(frozen=True, slots=True)
class Message(Frame):
    """A committed message in a room (pushed live, on resume, and in pages)."""

    TYPE: ClassVar[str] = "msg"
    room: RoomId
    seq: Seq
    cid: Annotated[str, Str(MAX_CID), "The sender's client id"]
    sender: UserId
    name: Annotated[str, Str(MAX_NAME), "Sender's display name"]
    role: Annotated[str, OneOf(ROLES), "Sender's role in the room"]
    text: Annotated[str, Str(MAX_TEXT), "Message text"]
    ts: TimeMs
    att: Annotated[str | None, Str(MAX_ID, 1), "Attachment id (GET /api/attachments/{id})"] = None
    kind: Annotated[str, OneOf(MESSAGE_KINDS), "Message kind"] = "text"


@server
@dataclass(frozen=True, slots=True)
class Page(Frame):
    """Answer to history: messages in ascending order."""

    TYPE: ClassVar[str] = "page"
    re: Re
    room: RoomId
    msgs: Annotated[
        tuple[Message, ...],
        ListOf(Nested(Message), MAX_PAGE),
        "The messages, each a whole `msg` frame (with `t`)",
    ]
    more: Annotated[bool, Bool(), "True if older messages exist"]


@server
@dataclass(frozen=True, slots=True)
class TypingS(Frame):
    """Someone else in the room is typing (lasts ~5 s unless repeated)."""

    TYPE: ClassVar[str] = "typing"
    room: RoomId
    who: UserId
    name: Annotated[str, Str(MAX_NAME), "Display name"]


@server
@dataclass(frozen=True, slots=True)
class Receipt(Frame):
    """A participant's read mark moved forward."""

    TYPE: ClassVar[str] = "receipt"
    room: RoomId
    who: UserId
    seq: Seq


@server
@dataclass(frozen=True, slots=True)
class CaseList(Frame):
    """Answer to cases."""

    TYPE: ClassVar[str] = "case_list"
    re: Re
    cases: Annotated[tuple[CaseInfo, ...], ListOf(Nested(CaseInfo), 500), "Visible cases"]


@server
@dataclass(frozen=True, slots=True)
class CaseUpdate(Frame):
    """A case the user can see was created or changed (answer or push).

    ``re`` is set when this answers a request: case_open, ask_person,
    case_continue, claim, retriage, transfer, release or case_close. The same
    case is also pushed (without ``re``) to every connection of its patient,
    the guardian who opened it and its assignee, the asking connection
    included: treat ``case`` frames as "replace the case with this id"."""

    TYPE: ClassVar[str] = "case"
    case: Annotated[CaseInfo, Nested(CaseInfo), "The case as it is now"]
    re: Annotated[int | None, Int(0, MAX_REQ_ID), "The request this answers, if any"] = None


@server
@dataclass(frozen=True, slots=True)
class HomeS(Frame):
    """Answer to home."""

    TYPE: ClassVar[str] = "home"
    re: Re
    entrances: Annotated[
        tuple[EntranceInfo, ...], ListOf(Nested(EntranceInfo), 30), "Entrances to choose from"
    ]
    subjects: Annotated[
        tuple[Subject, ...], ListOf(Nested(Subject), 20), "`self` first, then children"
    ]
    sms: Annotated[bool, Bool(), "SMS notices are on"] = False


@server
@dataclass(frozen=True, slots=True)
class Questions(Frame):
    """The next page of automated questions of a case in triage (answer or push)."""

    TYPE: ClassVar[str] = "questions"
    case: CaseId
    items: Annotated[tuple[Question, ...], ListOf(Nested(Question), 25), "Questions to answer"]
    re: Annotated[int | None, Int(0, MAX_REQ_ID), "The request this answers, if any"] = None


@server
@dataclass(frozen=True, slots=True)
class OutcomeS(Frame):
    """The result of triage. ``call_112``: show the 112 screen and nothing else;
    ``self_care``: show the advice and offer ask_person; ``queue``: the case
    waits for staff (``position`` frames follow); ``booking``: the advice says
    how to book."""

    TYPE: ClassVar[str] = "outcome"
    case: CaseId
    urgency: Annotated[int, Int(0, 6), "U0-U6 as 0-6"]
    disposition: Annotated[
        str, OneOf(("self_care", "call_112", "queue", "booking", "redirect")), "What happens next"
    ]
    advice: Annotated[str, Str(MAX_TEXT * 4), "Advice for the patient, in their language"]
    re: Annotated[int | None, Int(0, MAX_REQ_ID), "The request this answers, if any"] = None


@server
@dataclass(frozen=True, slots=True)
class Position(Frame):
    """Where a waiting case stands, exact when sent. Pushed when the case joins
    a queue or its patient connects, then when what was last sent is off by
    more than a display tolerance: positions up to 20 exactly, beyond that by
    more than 5%; estimates by more than 10% or 60 s; or `open` changed. The
    server looks every few seconds, so a shown position is never more than
    a few seconds out of tolerance. Show large positions and long waits as
    approximate ("about 4,300 ahead of you")."""

    TYPE: ClassVar[str] = "position"
    case: CaseId
    position: Annotated[int, Int(1, MAX_SEQ), "1 = next in line"]
    wait_s: Annotated[int, Int(0, MAX_SEQ), "Estimated seconds until a staff member answers"]
    open: Annotated[bool, Bool(), "The pool is staffed now"]


@server
@dataclass(frozen=True, slots=True)
class QueueS(Frame):
    """A pool's queue, ordered as the server claims it (U1 first, then by deadline)."""

    TYPE: ClassVar[str] = "queue"
    pool: Annotated[str, Str(MAX_ID, 1), "Pool"]
    total: Annotated[int, Int(0, MAX_SEQ), "Waiting cases in all"]
    entries: Annotated[
        tuple[QueueEntry, ...], ListOf(Nested(QueueEntry), 100), "The first (at most 100)"
    ]
    open: Annotated[bool, Bool(), "The pool is staffed now"] = True


@server
@dataclass(frozen=True, slots=True)
class CaseDetail(Frame):
    """Answer to case_view."""

    TYPE: ClassVar[str] = "case_detail"
    re: Re
    case: Annotated[CaseInfo, Nested(CaseInfo), "The case"]
    age: Annotated[int, Int(0, 150), "Patient's age"]
    triage: Annotated[TriageInfo | None, Nested(TriageInfo), "Triage result, if triaged"] = None
    earlier: Annotated[
        tuple[CaseInfo, ...],
        ListOf(Nested(CaseInfo), 20),
        "The patient's other cases of the last 4 days",
    ] = ()
    staff_room: Annotated[str | None, Str(MAX_ID, 1), "The staff thread's room id"] = None
    consultants: Annotated[
        tuple[StaffInfo, ...], ListOf(Nested(StaffInfo), 20), "Staff consulted"
    ] = ()


@server
@dataclass(frozen=True, slots=True)
class PhraseList(Frame):
    """Answer to phrases."""

    TYPE: ClassVar[str] = "phrase_list"
    re: Re
    phrases: Annotated[tuple[Phrase, ...], ListOf(Nested(Phrase), 200), "Phrases"]


@server
@dataclass(frozen=True, slots=True)
class ConsultInvite(Frame):
    """You were asked about a case (push). Open it with case_view; answer in
    its staff thread."""

    TYPE: ClassVar[str] = "consult_invite"
    case: CaseId
    staff_room: Annotated[str, Str(MAX_ID, 1), "The staff thread's room id"]
    by: Annotated[str, Str(MAX_NAME), "Who asks"]
    question: Annotated[str, Str(MAX_TEXT), "The question"]


# ---------------------------------------------------------------- booking (issue 4)

BOOKING_STATES = ("active", "cancelled")
SlotId = Annotated[str, Str(MAX_ID, 1), "Slot id"]
BookingId = Annotated[str, Str(MAX_ID, 1), "Booking id"]
UnitKey = Annotated[str, Str(MAX_ID, 1), "Care unit (for example `vc_centrum`)"]
VisitKind = Annotated[str, Str(32, 1), "Profession or kind of visit (nurse, physician, ...)"]


@record
@dataclass(frozen=True, slots=True)
class NewSlot(Record):
    """A slot to publish: one appointment time for one patient."""

    start: TimeMs
    end: Annotated[int, Int(0, MAX_SEQ), "When it ends (ms); at most 12 h after start"]
    kind: VisitKind


@record
@dataclass(frozen=True, slots=True)
class UnitRules(Record):
    """What a unit lets its patients do with their bookings (staff are not bound)."""

    cancel_hours: Annotated[
        int, Int(0, 720), "Patients cancel or rebook at least this many hours before the start"
    ]
    max_rebooks: Annotated[int, Int(0, 20), "Times a patient may move one booking"]


@record
@dataclass(frozen=True, slots=True)
class SlotInfo(Record):
    """A published appointment time."""

    slot: SlotId
    unit: UnitKey
    kind: VisitKind
    start: TimeMs
    end: TimeMs


@record
@dataclass(frozen=True, slots=True)
class BookingInfo(Record):
    """A booked appointment as the patient and the case's staff see it."""

    booking: BookingId
    case: CaseId
    patient: Annotated[str, Str(MAX_ID, 1), "User id of whom it is for (a child, for a guardian)"]
    subject: Annotated[str, Str(MAX_NAME), "Name of whom it is for"]
    slot: Annotated[SlotInfo, Nested(SlotInfo), "The time booked"]
    state: Annotated[str, OneOf(BOOKING_STATES), "Active or cancelled"]
    change_until: Annotated[
        int, Int(0, MAX_SEQ), "The patient may cancel or rebook until this time (ms)"
    ]
    rebooks: Annotated[int, Int(0, 1000), "Times it has been moved"]
    rebooks_left: Annotated[int, Int(0, 20), "Times the patient may still move it"]
    booked_by: Annotated[str, Str(MAX_NAME), "Name of the staff member who booked it"] = ""


@client
@dataclass(frozen=True, slots=True)
class SlotsC(Frame):
    """Free appointment slots starting in [since, until) (at most 62 days),
    earliest first, at most 500. Staff look for a time to book; patients for a
    time to rebook to. Answer: `slot_list`."""

    TYPE: ClassVar[str] = "slots"
    id: ReqId
    since: Annotated[int, Int(0, MAX_SEQ), "Earliest start (ms)"]
    until: Annotated[int, Int(0, MAX_SEQ), "Start before this (ms)"]
    unit: Annotated[str | None, Str(MAX_ID, 1), "Only this unit; nil = all"] = None
    kind: Annotated[str | None, Str(32, 1), "Only this kind of visit; nil = all"] = None


@client
@dataclass(frozen=True, slots=True)
class Book(Frame):
    """Staff: book a free slot for the patient of a case you work on. The answer
    is `booking`; the patient (and a guardian who opened the case) get it as a
    push. A slot someone else booked first is `conflict`."""

    TYPE: ClassVar[str] = "book"
    id: ReqId
    case: CaseId
    slot: SlotId


@client
@dataclass(frozen=True, slots=True)
class BookingsC(Frame):
    """Upcoming bookings: a patient's own and their children's (``case`` narrows
    to one case); staff must name a case. Answer: `booking_list`."""

    TYPE: ClassVar[str] = "bookings"
    id: ReqId
    case: Annotated[str | None, Str(MAX_ID, 1), "Only this case's bookings"] = None


@client
@dataclass(frozen=True, slots=True)
class BookingCancel(Frame):
    """Cancel a booking. Patients may until `change_until` (else `invalid_state`);
    the case's staff until the start. Answer: `booking` with state `cancelled`."""

    TYPE: ClassVar[str] = "booking_cancel"
    id: ReqId
    booking: BookingId


@client
@dataclass(frozen=True, slots=True)
class Rebook(Frame):
    """Move a booking to another free slot of the same unit and kind. Patients
    may until `change_until` and at most the unit's number of times
    (`limit_reached`). Answer: `booking`."""

    TYPE: ClassVar[str] = "rebook"
    id: ReqId
    booking: BookingId
    slot: Annotated[str, Str(MAX_ID, 1), "The new slot"]


@client
@dataclass(frozen=True, slots=True)
class SlotPublish(Frame):
    """Staff: publish appointment slots of a unit, and optionally set the unit's
    rules for patients (default: change up to 24 h before, move at most twice).
    Answer: `slot_list` with the new slots."""

    TYPE: ClassVar[str] = "slot_publish"
    id: ReqId
    unit: UnitKey
    slots: Annotated[tuple[NewSlot, ...], ListOf(Nested(NewSlot), 200), "The slots"]
    rules: Annotated[UnitRules | None, Nested(UnitRules), "New rules for the unit"] = None


@server
@dataclass(frozen=True, slots=True)
class SlotList(Frame):
    """Answer to slots and slot_publish."""

    TYPE: ClassVar[str] = "slot_list"
    re: Re
    slots: Annotated[tuple[SlotInfo, ...], ListOf(Nested(SlotInfo), 500), "Slots, by start"]


@server
@dataclass(frozen=True, slots=True)
class BookingS(Frame):
    """A booking was made, moved or cancelled (answer to book, rebook and
    booking_cancel, or a push to the patient, a guardian and the case's staff)."""

    TYPE: ClassVar[str] = "booking"
    booking: Annotated[BookingInfo, Nested(BookingInfo), "The booking as it is now"]
    re: Annotated[int | None, Int(0, MAX_REQ_ID), "The request this answers, if any"] = None


@server
@dataclass(frozen=True, slots=True)
class BookingList(Frame):
    """Answer to bookings: by start time, cancelled ones included."""

    TYPE: ClassVar[str] = "booking_list"
    re: Re
    bookings: Annotated[
        tuple[BookingInfo, ...], ListOf(Nested(BookingInfo), 200), "Bookings, by start"
    ]
