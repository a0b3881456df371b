"""Domain events as store operations: the one mapping from memory to disk."""

from __future__ import annotations

from collections.abc import Iterable

from chatserver.domain.events import (
    CaseChanged,
    ConsultAdded,
    Event,
    MessagePosted,
    ParticipantAdded,
    ReadMoved,
)
from chatserver.store import records
from chatserver.store.records import Op


def ops_for(events: Iterable[Event]) -> list[Op]:
    ops: list[Op] = []
    for ev in events:
        if isinstance(ev, MessagePosted):
            m = ev.message
            ops.append(
                records.message(
                    m.room, m.seq, m.cid, m.sender, m.name, m.role, m.text, m.att, m.ts, m.kind
                )
            )
        elif isinstance(ev, ReadMoved):
            ops.append(records.receipt(ev.room, ev.who, ev.seq))
        elif isinstance(ev, ParticipantAdded):
            ops.append(records.participant(ev.room, ev.user_id, ev.role, ev.at))
        elif isinstance(ev, CaseChanged):
            c = ev.case
            ops.append(
                records.case_row(
                    id=c.id,
                    room=c.room,
                    patient_id=c.patient_id,
                    actor_id=c.actor_id,
                    entrance=c.entrance,
                    pool=c.pool,
                    state=c.state.value,
                    urgency=int(c.urgency),
                    complaint=c.complaint,
                    created=c.created,
                    enqueued=c.enqueued,
                    deadline=c.deadline,
                    assignee=c.assignee,
                    closed=c.closed,
                    outcome=c.outcome,
                    assigned=c.assigned,
                    first_reply=c.first_reply,
                    rating=c.rating,
                )
            )
            ops.append(
                records.case_event(
                    c.id, ev.at, ev.action, ev.actor, c.state.value, c.pool, int(c.urgency), ev.note
                )
            )
        elif isinstance(ev, ConsultAdded):
            ops.append(records.consult(ev.case_id, ev.by, ev.invitee, ev.question, ev.at))
    return ops
