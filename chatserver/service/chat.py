"""Chat commands: follow rooms, post, page back, typing and read marks.

The frequent ones that wait for nothing (ping, typing, read marks, leaving a
room, most messages) are plain functions, run to their end without a
coroutine (``Service.dispatch``)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

from chatserver.domain.cases import STAFF_ROOM_SUFFIX
from chatserver.domain.errors import DomainError
from chatserver.domain.events import ChatMessage
from chatserver.service.session import ClientSession
from chatserver.store import records
from protocol.codec import encode, encode_ack
from protocol.frames import (
    History,
    Ok,
    Page,
    Ping,
    Pong,
    Read,
    ReadMark,
    Send,
    Subscribe,
    Subscribed,
    TypingC,
    TypingS,
    Unsubscribe,
)

if TYPE_CHECKING:
    from chatserver.service.core import Handler, Service

# Typing indicators are relayed at most once per second per user and room.
TYPING_INTERVAL_S = 1.0


def on_ping(svc: Service, s: ClientSession, f: Ping) -> None:
    s.send(Pong(re=f.id, server_time=svc.clock.now_ms()))


async def on_sub(svc: Service, s: ClientSession, f: Subscribe) -> None:
    from chatserver.service.core import message_frame

    room, case, _ = svc.state.room_access(s.principal, f.room)
    if s.principal.is_staff:  # staff reading a case's conversation is logged first
        await svc.commit([], audit=[svc.audit(s, case, "read", f"room:{f.room}")])
    if f.room in s.subs:
        svc.hub.unsubscribe(s, f.room)
    if len(s.subs) >= svc.config.limits.max_subs:
        raise DomainError("limit_reached", f"at most {svc.config.limits.max_subs} rooms at once")
    head = room.committed
    sub = svc.hub.subscribe(s, f.room)
    reads = tuple(ReadMark(who=w, seq=n) for w, n in room.reads.items())[:64]
    s.send(Subscribed(re=f.id, room=f.room, head=head, reads=reads))
    after = min(f.after, head)
    recent = room.recent_after(after)
    if recent is not None:
        for m in recent:
            s.peer.push(encode(message_frame(m)))
        return
    # Older than memory holds: replay from disk while live frames wait in order.
    sub.catching_up = True
    try:
        rows = await svc.reader.messages_between(f.room, after, head)
        for r in rows:
            s.peer.push(encode(message_frame(ChatMessage(*r))))
    finally:
        sub.caught_up()


def on_unsub(svc: Service, s: ClientSession, f: Unsubscribe) -> None:
    svc.hub.unsubscribe(s, f.room)
    s.send(Ok(re=f.id))


def on_send(svc: Service, s: ClientSession, f: Send) -> Awaitable[None] | None:
    """A chat message. Most need nothing read first (no attachment; the
    room's cids in memory): those are posted here and now, without a
    coroutine (``Service.dispatch``); the others after their reads."""
    if len(f.text) > svc.config.limits.max_text:
        raise DomainError("bad_request", f"text longer than {svc.config.limits.max_text}")
    if not f.text and f.att is None:
        raise DomainError("bad_request", "a message needs text or an attachment")
    if f.att is not None or not svc.cids_ready(f.room):
        return _send_after_reads(svc, s, f)
    _post(svc, s, f)
    return None


async def _send_after_reads(svc: Service, s: ClientSession, f: Send) -> None:
    if f.att is not None:
        await _check_attachment(svc, f.room, f.att)
    await svc.ensure_cids(f.room)
    _post(svc, s, f)


def _post(svc: Service, s: ClientSession, f: Send) -> None:
    posted = svc.state.post(s.principal, f.room, f.cid, f.text, f.att, f.kind)

    def ack() -> None:
        s.peer.push(encode_ack(f.id, f.room, f.cid, posted.seq, posted.ts))

    extra: tuple[records.Op, ...] = ()
    if posted.new and f.room.endswith(STAFF_ROOM_SUFFIX):
        # A consultant's answer in the staff thread ends their invitation.
        case_id = f.room[: -len(STAFF_ROOM_SUFFIX)]
        invited = svc.state.consultants.get(case_id, frozenset())
        pools = [f"pool:{p}" for p in s.principal.pools if f"pool:{p}" in invited]
        if s.principal.user_id in invited or pools:
            answered = records.consult_answered(
                case_id, s.principal.user_id, pools[0] if pools else "", posted.ts
            )
            extra = (answered,)

    # A resend of a known cid commits nothing; its ack still waits until the
    # original is durable (the empty job sits behind it in the writer's queue).
    # No Future: nothing here awaits the commit (Service.enqueue).
    svc.enqueue(posted.events, ack, extra=extra)


async def _check_attachment(svc: Service, room: str, att: str) -> None:
    found = await svc.reader.attachment(att)
    if found is None or found[0] != room:
        raise DomainError("not_found", f"no attachment {att} in this room")


async def on_history(svc: Service, s: ClientSession, f: History) -> None:
    from chatserver.service.core import message_frame

    room, case, _ = svc.state.room_access(s.principal, f.room)
    if s.principal.is_staff:
        obj = f"room:{f.room}:before:{f.before}"
        await svc.commit([], audit=[svc.audit(s, case, "read", obj)])
    before = min(f.before, room.committed + 1)
    rows, more = await svc.reader.messages_before(f.room, before, f.limit)
    msgs = tuple(message_frame(ChatMessage(*r)) for r in rows)
    s.send(Page(re=f.id, room=f.room, msgs=msgs, more=more))


def on_typing(svc: Service, s: ClientSession, f: TypingC) -> None:
    svc.state.room_access(s.principal, f.room)
    now = svc.clock.monotonic()
    if now - s.typing_at.get(f.room, 0.0) < TYPING_INTERVAL_S:
        return
    s.typing_at[f.room] = now
    data = encode(TypingS(room=f.room, who=s.principal.user_id, name=s.principal.name))
    svc.hub.to_room(f.room, data, skip=s.id)


def on_read(svc: Service, s: ClientSession, f: Read) -> None:
    events = svc.state.read(s.principal, f.room, f.seq)
    if events:
        svc.commit(events)


HANDLERS: dict[type, Handler] = {
    Ping: on_ping,
    Subscribe: on_sub,
    Unsubscribe: on_unsub,
    Send: on_send,
    History: on_history,
    TypingC: on_typing,
    Read: on_read,
}
