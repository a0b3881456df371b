"""The service: the one layer that sees all others.

It owns the in-memory ``State``, the store's writer and reader, and the hub.
A command handler checks and mutates state synchronously, then calls
``commit(events, after)``: the events become SQL operations for the writer,
and only once their transaction committed does ``_published`` push them to
subscribers and run ``after`` (which sends the command's own answer). So
nothing is visible before it is durable (DESIGN rule 1), and answers and
pushes leave in commit order.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import gc
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from chatserver.audit.chain import AuditChain, AuditEntry
from chatserver.config import Config
from chatserver.domain import access
from chatserver.domain.cases import STAFF_ROOM_SUFFIX, Case, CaseState
from chatserver.domain.clock import Clock, SystemClock, to_datetime
from chatserver.domain.deadlines import StaffedDeadlines
from chatserver.domain.errors import DomainError
from chatserver.domain.events import (
    CaseChanged,
    ChatMessage,
    Event,
    MessagePosted,
    ReadMoved,
)
from chatserver.domain.guardians import GuardianPolicy, GuardianRegistry
from chatserver.domain.hours import OpeningHours
from chatserver.domain.principals import Principal
from chatserver.domain.rooms import Room
from chatserver.domain.state import State
from chatserver.domain.urgency import Urgency
from chatserver.identity import load_provider
from chatserver.metrics import Metrics, gauge
from chatserver.notifications.outbox import Outbox
from chatserver.notifications.senders import create_sender
from chatserver.service import persist
from chatserver.service.auth import LoginGuard, new_id, principal_of, token_hash
from chatserver.service.hub import Hub
from chatserver.service.notices import Notices
from chatserver.service.session import ClientSession
from chatserver.service.waiting import WaitingRoom
from chatserver.store import db, migrate, recovery
from chatserver.store.reader import Reader
from chatserver.store.records import Op
from chatserver.store.writer import StoreBusy, StoreFailed, Writer
from chatserver.triage import TriageError, TriagePlugin, TriageSession, load_plugin
from protocol.codec import encode, encode_message
from protocol.errors import CloseCode, ErrorCode
from protocol.frames import CaseInfo, CaseUpdate, Frame, Message, Receipt

log = logging.getLogger("chatserver.service")
# How long a shutdown waits for clients to answer the going_away close.
DRAIN_WAIT_S = 2.0

# A command's handler: an ``async def``, or a plain function that either
# finishes the command itself (returns None) or returns what finishes it (see
# ``Service.dispatch``).
Handler = Callable[["Service", ClientSession, Any], Awaitable[None] | None]

# The session and request id of the command being handled (task-local), so a
# failed commit can answer the request that caused it.
_origin: contextvars.ContextVar[tuple[ClientSession, int | None] | None] = contextvars.ContextVar(
    "origin", default=None
)


@dataclass(slots=True)
class _Commit:
    events: Sequence[Event]
    after: Callable[[], None] | None = None
    # Who to answer if the commit is lost (``Service.enqueue``, no future).
    origin: tuple[ClientSession, int | None] | None = None


@dataclass(slots=True)
class Health:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


class Service:
    def __init__(self, config: Config, db_path: str, clock: Clock | None = None) -> None:
        # Pools and entrances change at run time (service/admin.py): this
        # server's own dictionaries, never the caller's.
        self.config = config.replace(pools=dict(config.pools), entrances=dict(config.entrances))
        self.db_path = db_path
        self.clock: Clock = clock or SystemClock()
        self.deadlines = StaffedDeadlines(
            {
                key: OpeningHours.parse(pool.hours)
                for key, pool in config.pools.items()
                if pool.hours
            }
        )
        self.state = State(
            self.clock,
            lambda: new_id("c"),
            self.deadlines,
            max_cases_per_staff=config.queue.max_cases_per_staff,
            max_open_per_patient=config.queue.max_open_cases_per_patient,
        )
        ident = config.identity
        self.identity = load_provider(
            ident.provider,
            {"identities": [(i.pnr, i.name) for i in ident.test_identities]}
            if ident.provider == "dev"
            else {},
        )
        g = config.guardians
        self.guardian_policy = GuardianPolicy(g.min_age_months, g.max_age_years)
        self.guardians = (
            GuardianRegistry.load_json(g.file, today=to_datetime(self.clock.now_ms()).date())
            if g.file
            else GuardianRegistry([])
        )
        self.triage: TriagePlugin = load_plugin(config.triage.plugin, dict(config.triage.options))
        self.triage_sessions: dict[str, TriageSession] = {}
        self.triage_complaints: dict[str, str] = {}
        self.users_by_pnr: dict[str, str] = {}
        self.pnr_of: dict[str, str] = {}
        self.contacts: dict[str, str] = {}  # user id -> phone, only with SMS consent
        self.waiting = WaitingRoom(self)
        self.phrases: dict[tuple[str, str, str], str] = {}  # (scope, owner, key) -> text
        self.summaries: dict[str, str] = {}  # case id -> triage summary for staff
        self.queue_watchers: dict[str, dict[int, ClientSession]] = {}
        self.audit_chain = AuditChain()
        self.notices = Notices(self)
        self.outbox = Outbox(self, create_sender(config.sms), config.sms.max_attempts)
        self.hub = Hub()
        self.metrics = Metrics()
        self.logins = LoginGuard(config.limits.login_failures, config.limits.lockout_s)
        self.handlers: dict[type[Frame], Handler] = {}
        self.writer: Writer
        self.reader: Reader
        self.started = 0.0
        self.accepting = True
        self.ready = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cid_loads: dict[str, asyncio.Future[None]] = {}
        # Held over each publishing pass; the transport puts its Cork here so
        # that each connection gets a commit's frames in one write.
        self.publishing: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        self.metrics.add_collector(self._collect)

    # ------------------------------------------------------------ life cycle

    async def start(self) -> None:
        t0 = time.perf_counter()
        conn = db.connect(self.db_path)
        migrate.migrate(conn)
        self.audit_chain = AuditChain.load(conn)
        window = self.config.session.reopen_days * 86_400_000
        # Recovery builds hundreds of thousands of objects that live as long
        # as the server: the cyclic collector would walk them again and again
        # while they are built (~40% of restore time with 100,000 cases) and
        # in every full collection afterwards. Off while building, then
        # frozen out of its reach (docs/decisions/0004-scale.md).
        gc.disable()
        try:
            snap = recovery.load(conn, closed_since=self.clock.now_ms() - window)
            self._restore(snap)
        finally:
            gc.freeze()
            gc.enable()
        self._conn = conn
        self.writer = Writer(
            conn,
            on_commit=self._published,
            on_failure=self._store_failed,
            on_batch=self._batch_observed,
            on_lost=self._lost,
            min_interval=self.config.store.commit_interval_ms / 1000,
            busy_batch=self.config.store.busy_batch,
            full_batch=self.config.store.full_batch,
        )
        self.writer.start()
        self.reader = await Reader.open(self.db_path)
        from chatserver.service import admin, booking, casework, chat, journey, staffwork

        self.handlers.update(booking.HANDLERS)
        self.handlers.update(chat.HANDLERS)
        self.handlers.update(casework.HANDLERS)
        self.handlers.update(journey.HANDLERS)
        self.handlers.update(staffwork.HANDLERS)
        await self._restore_triage()
        await booking.load(self)
        await admin.load(self)
        self.spawn(self._watch_loop_lag(), "loop-lag")
        self.spawn(self.waiting.run(), "positions")
        self.spawn(self.outbox.run(), "sms-outbox")
        self.spawn(self._claim_timeouts(), "claim-timeouts")
        self.spawn(self._handovers(), "handovers")
        self.started = time.perf_counter() - t0
        self.ready.set()
        log.info(
            "recovered %d cases, %d rooms in %.2f s", len(snap.cases), len(snap.heads), self.started
        )

    async def drain(self, wait_s: float = DRAIN_WAIT_S) -> None:
        """Refuse new commands (``/health`` says 503), let what was accepted
        commit, close everyone with going_away so clients reconnect (to the
        restarted server) and resume, and give their close handshakes up to
        ``wait_s`` to finish before the transport closes what is left (with
        1012)."""
        if self.accepting:
            log.info("shutting down: refusing new commands, closing connections with 1001")
        self.accepting = False
        if self.writer.failed is None and not self.writer.closing:
            # An empty job resolves once everything queued before it committed.
            with contextlib.suppress(StoreFailed):
                await self.writer.submit([])
        for s in self.hub.sessions():
            s.peer.close(CloseCode.going_away, "server restarting")
        if self.hub.users:
            gone = asyncio.Event()
            self.hub.on_empty = gone.set
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), wait_s)
            self.hub.on_empty = None

    async def stop(self) -> None:
        await self.drain()
        await self.writer.close()
        await self.reader.close()
        if self.writer.failed is None:
            # Move the WAL into the database file and remove it, so that after
            # a clean stop the .sqlite3 file alone holds everything.
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()
        log.info("stopped: everything accepted is committed; the database is checkpointed")
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def health(self) -> Health:
        failed = self.writer.failed is not None
        return Health(
            ok=not failed and self.accepting,
            detail={
                "store": "failed" if failed else "ok",
                "accepting": self.accepting,
                "connections": sum(len(v) for v in self.hub.users.values()),
                "open_cases": sum(1 for c in self.state.cases.values() if c.is_open),
                "writer_backlog": self.writer.backlog,
            },
        )

    # ------------------------------------------------------------ sessions

    async def authenticate(self, token: str) -> Principal | None:
        found = await self.session(token)
        return None if found is None else found[0]

    async def session(self, token: str) -> tuple[Principal, int] | None:
        """Who holds a live session token, and when the session expires (ms)."""
        found = await self.reader.session_user(token_hash(token), self.clock.now_ms())
        if found is None:
            return None
        user, expires = found
        self.state.names[user.id] = user.name
        return principal_of(user, self.wards_of(user.id)), expires

    def cids_ready(self, room_id: str) -> bool:
        """Whether a post to the room can go ahead without ``ensure_cids``
        (its cids are in memory, or there is no such room to load)."""
        room = self.state.rooms.get(room_id)
        return room is None or room.cids_complete

    async def ensure_cids(self, room_id: str) -> None:
        """Load a recovered room's (sender, cid) map before its first post, once."""
        if self.cids_ready(room_id):
            return
        room = self.state.rooms[room_id]
        loading = self._cid_loads.get(room_id)
        if loading is not None:
            await asyncio.shield(loading)
            return
        loading = asyncio.get_running_loop().create_future()
        self._cid_loads[room_id] = loading
        try:
            rows = await self.reader.cids(room_id)
            if not room.cids_complete:
                room.load_cids(rows)
            loading.set_result(None)
        except BaseException as e:
            loading.set_exception(e)
            loading.exception()  # retrieved: waiters re-raise their own copy
            raise
        finally:
            del self._cid_loads[room_id]

    def wards_of(self, user_id: str) -> frozenset[str]:
        """Children this user may act for now (guardianship and age limits)."""
        pnr = self.pnr_of.get(user_id)
        if pnr is None:
            return frozenset()
        today = to_datetime(self.clock.now_ms()).date()
        kids = self.guardians.children_of(pnr, today=today, policy=self.guardian_policy)
        return frozenset(
            uid
            for k in kids
            if k.may_act and (uid := self.users_by_pnr.get(k.child.digits)) is not None
        )

    def known_user(self, user_id: str, name: str, pnr: str | None, phone: str | None) -> None:
        self.state.names[user_id] = name
        if pnr is not None:
            self.users_by_pnr[pnr] = user_id
            self.pnr_of[user_id] = pnr
        if phone is not None:
            self.contacts[user_id] = phone

    def on_attach(self, s: ClientSession) -> None:
        self.waiting.user_connected(s.principal.user_id)

    async def _restore_triage(self) -> None:
        queued = [c.id for c in self.state.cases.values() if c.state is CaseState.queued]
        for case_id, summary in await self.reader.summaries(queued):
            self.summaries[case_id] = summary
        pending = [c.id for c in self.state.cases.values() if c.state is CaseState.triage]
        for case_id, complaint, snapshot in await self.reader.triage_rows(pending):
            try:
                self.triage_sessions[case_id] = self.triage.restore(json.loads(snapshot))
                self.triage_complaints[case_id] = complaint
            except TriageError:
                log.exception("triage of case %s cannot be restored", case_id)

    def dispatch(self, s: ClientSession, frame: Frame) -> Coroutine[Any, Any, None] | None:
        """Run one command: to its end, if its handler is a plain function that
        needs nothing awaited (a chat message, mostly), else up to the coroutine
        that finishes it, returned for the caller to run. Every failure becomes
        an error frame, never a crash: a bug (any other exception, here or in
        answering a refusal) costs the one request, answered ``internal``, not
        the loop or the connection.

        Half of the loop's time per chat message went to Python code; the three
        coroutines a ``send`` ran through (this one, the handler's, and the
        check that the room's cids are loaded) cost ~0.4 µs of it, hot
        (docs/decisions/0009-what-did-not-pay.md)."""
        re = getattr(frame, "id", None)
        _origin.set((s, re))
        try:
            handler = self.handlers.get(type(frame))
            if handler is None:
                raise DomainError("bad_request", f"{frame.TYPE} is not accepted here")
            pending = handler(self, s, frame)
        except Exception as e:
            self._refused(s, frame, re, e)
            return None
        return None if pending is None else self._finish(s, frame, re, pending)

    async def _finish(
        self, s: ClientSession, frame: Frame, re: int | None, pending: Awaitable[None]
    ) -> None:
        try:
            await pending
        except Exception as e:
            self._refused(s, frame, re, e)

    def _refused(self, s: ClientSession, frame: Frame, re: int | None, e: Exception) -> None:
        """Answer a command that failed with ``e``."""
        try:
            if isinstance(e, DomainError):
                self._audit_denied(s, frame, e)
                self.reject(s, ErrorCode[e.code], e.message, re)
            elif isinstance(e, StoreFailed):
                self.reject(s, ErrorCode.unavailable, "the server cannot store anything now", re)
            elif isinstance(e, StoreBusy):
                self.reject(s, ErrorCode.busy, "the server is busy; retry shortly", re)
            else:
                log.error("handler for %s failed", frame.TYPE, exc_info=e)
                self.reject(s, ErrorCode.internal, "internal error", re)
        except Exception:
            log.exception("handler for %s failed", frame.TYPE)
            self.reject(s, ErrorCode.internal, "internal error", re)

    def _audit_denied(self, s: ClientSession, frame: Frame, e: DomainError) -> None:
        """Staff refused access to an existing case or its rooms: that attempt
        is logged too."""
        if not s.principal.is_staff or e.code not in ("not_found", "forbidden"):
            return
        case_id = getattr(frame, "case", None)
        obj = f"case:{case_id}"
        room = getattr(frame, "room", None)
        if not isinstance(case_id, str) and isinstance(room, str):
            case_id, obj = room.removesuffix(STAFF_ROOM_SUFFIX), f"room:{room}"
        case = self.state.cases.get(case_id) if isinstance(case_id, str) else None
        if case is None:
            return
        entry = self.audit(s, case, "read", obj, allowed=False)
        with contextlib.suppress(StoreBusy, StoreFailed):
            self.commit([], audit=[entry])

    def reject(self, s: ClientSession, code: ErrorCode, message: str, re: int | None) -> None:
        self.metrics.frames_rejected.labels(code.name).inc()
        s.error(code, message, re)

    # ------------------------------------------------------------ commit & publish

    def commit(
        self,
        events: Sequence[Event],
        after: Callable[[], None] | None = None,
        extra: Iterable[Op] = (),
        audit: Iterable[AuditEntry] = (),
    ) -> asyncio.Future[None]:
        """Hand events (and audit entries) to the writer; publish them and run
        ``after`` once committed. The audit rows commit with the change or not
        at all."""
        if not self.accepting:
            raise StoreFailed("the server is shutting down")
        ops = persist.ops_for(events)
        ops.extend(extra)
        notices = self.notices.ops_for(events)
        if notices:
            ops.extend(notices)
            after = _then(after, self.outbox.poke)
        head = self.audit_chain.head
        ops.extend(self.audit_chain.append(entry) for entry in audit)
        try:
            fut = self.writer.submit(ops, _Commit(events, after))
        except StoreBusy:
            self.audit_chain.rewind(head)  # those rows never reach the disk
            raise
        origin = _origin.get()
        if origin is not None:
            # If the commit fails, the request that caused it still gets an answer.
            s, re = origin
            fut.add_done_callback(lambda f: self._commit_failed(f, s, re))
        return fut

    def enqueue(
        self,
        events: Sequence[Event],
        after: Callable[[], None] | None = None,
        extra: Iterable[Op] = (),
    ) -> None:
        """``commit`` for the hot path (a chat message): no Future to await,
        no audit rows. Publishing and ``after`` run once committed exactly as
        with ``commit``; if the commit fails, the request that caused it is
        answered ``unavailable`` (``_lost``)."""
        if not self.accepting:
            raise StoreFailed("the server is shutting down")
        ops = persist.ops_for(events)
        ops.extend(extra)
        notices = self.notices.ops_for(events)
        if notices:
            ops.extend(notices)
            after = _then(after, self.outbox.poke)
        self.writer.enqueue(ops, _Commit(events, after, _origin.get()))

    def _commit_failed(self, fut: asyncio.Future[None], s: ClientSession, re: int | None) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            self.reject(s, ErrorCode.unavailable, "the server cannot store anything now", re)

    def _lost(self, payloads: list[_Commit]) -> None:
        for p in payloads:
            if p.origin is not None:
                s, re = p.origin
                self.reject(s, ErrorCode.unavailable, "the server cannot store anything now", re)

    def _published(self, payloads: list[_Commit]) -> None:
        with self.publishing:
            self._publish_all(payloads)

    def _publish_all(self, payloads: list[_Commit]) -> None:
        for p in payloads:
            if p.after is not None:
                p.after()
            cases: dict[str, Case] = {}
            for ev in p.events:
                self._publish(ev)
                if isinstance(ev, CaseChanged):
                    cases[ev.case.id] = ev.case
            # One push per case per command: its state after the whole command
            # (opening a case is "created" then "queued"; only "queued" is news).
            for case in cases.values():
                data = encode(CaseUpdate(case=self.case_info(case)))
                for uid in {case.patient_id, case.actor_id, case.assignee}:
                    if uid is not None:
                        self.hub.to_user(uid, data)
                self._drop_lost_followers(case)

    def _drop_lost_followers(self, case: Case) -> None:
        """After a change that can take access away (a transfer to another
        pool, a handover, a close ending a consult), whoever follows the case's
        rooms without access any more stops receiving them: access is checked
        at ``sub``, and must still hold for every message after it."""
        for room in (case.room, case.room + STAFF_ROOM_SUFFIX):
            for sub in list(self.hub.rooms.get(room, {}).values()):
                try:
                    self.state.room_access(sub.session.principal, room)
                except DomainError:
                    self.hub.unsubscribe(sub.session, room)

    def _publish(self, ev: Event) -> None:
        if isinstance(ev, MessagePosted):
            m = ev.message
            room = self.state.rooms.get(m.room)
            if room is not None:
                room.mark_committed(m)
            self.hub.to_room(m.room, message_bytes(m))
            self.metrics.messages.inc(m.role)
        elif isinstance(ev, ReadMoved):
            self.hub.to_room(ev.room, encode(Receipt(room=ev.room, who=ev.who, seq=ev.seq)))
        elif isinstance(ev, CaseChanged):
            self.metrics.cases.labels(ev.action).inc()
            if ev.action in _OBSERVED:
                self._observe_case(ev)
            if ev.action == "assign":
                self.waiting.claimed(ev.case.pool, ev.at)
                self.waiting.forget(ev.case.id)

    def answer_case(
        self,
        s: ClientSession,
        re: int,
        case: Case,
        events: Sequence[Event],
        audit: Iterable[AuditEntry] = (),
    ) -> None:
        """Commit, then answer the request with the case as it is now."""
        self.commit(
            events, lambda: s.send(CaseUpdate(case=self.case_info(case), re=re)), audit=audit
        )

    def audit(
        self,
        s: ClientSession,
        case: Case,
        action: str,
        obj: str,
        *,
        allowed: bool = True,
        basis: str | None = None,
    ) -> AuditEntry:
        """An audit row for a staff member's access to a case (DESIGN rule 9)."""
        return self.audit_access(s.principal, s.addr, case, action, obj, allowed, basis)

    def audit_access(
        self,
        p: Principal,
        addr: str | None,
        case: Case,
        action: str,
        obj: str,
        allowed: bool = True,
        basis: str | None = None,
    ) -> AuditEntry:
        """``audit`` for callers without a WebSocket session (HTTP)."""
        consultants = self.state.consultants.get(case.id, frozenset())
        return AuditEntry(
            at=self.clock.now_ms(),
            user_id=p.user_id,
            role=",".join(sorted(p.roles)) or p.kind,
            unit=case.pool,
            patient_id=case.patient_id,
            on_behalf_of=case.actor_id if case.actor_id != case.patient_id else None,
            action=action,
            object=obj,
            basis=basis or (access.basis(p, case, consultants) if allowed else "none"),
            allowed=allowed,
            client_addr=addr,
        )

    def watch_queues(self, s: ClientSession, pools: set[str]) -> None:
        for watchers in self.queue_watchers.values():
            watchers.pop(s.id, None)
        for pool in pools:
            self.queue_watchers.setdefault(pool, {})[s.id] = s

    def on_detach(self, s: ClientSession) -> None:
        for watchers in self.queue_watchers.values():
            watchers.pop(s.id, None)

    def case_info(self, c: Case) -> CaseInfo:
        names = self.state.names
        return CaseInfo(
            case=c.id,
            room=c.room,
            state=c.state.value,
            pool=c.pool,
            entrance=c.entrance,
            urgency=int(c.urgency),
            created=c.created,
            subject=names.get(c.patient_id, ""),
            complaint=c.complaint,
            assignee=c.assignee,
            assignee_name=names.get(c.assignee) if c.assignee else None,
            closed=c.closed,
            rated=c.rating is not None,
        )

    def _store_failed(self, error: BaseException) -> None:
        self.metrics.store_failed.set(1)
        for s in self.hub.sessions():
            s.error(ErrorCode.unavailable, "storage failed; the server accepts no writes")

    def _batch_observed(self, n: int, seconds: float) -> None:
        self.metrics.batch_ops.observe(n)
        self.metrics.commit_seconds.observe(seconds)

    # ------------------------------------------------------------ recovery

    def _restore(self, snap: recovery.Snapshot) -> None:
        st = self.state
        for u in snap.users:
            self.known_user(u.id, u.name, u.pnr, u.phone if u.sms_consent else None)
        # recovery.CASE_COLS is Case's field order: rows become cases by position.
        assert len(dataclasses.fields(Case)) == len(recovery.CASE_COLS.split(","))
        states = {s.value: s for s in CaseState}
        urgencies = {int(u): u for u in Urgency}
        make = cast(Callable[..., Case], Case)
        for row in snap.cases:
            st.restore_case(make(*row[:6], states[row[6]], urgencies[row[7]], *row[8:]))
        for room_id, head in snap.heads.items():
            room = st.rooms.get(room_id)
            if room is None and head and room_id.endswith(STAFF_ROOM_SUFFIX):
                room = st.rooms[room_id] = Room(room_id)  # staff threads that have messages
            if room is not None:
                room.restore_head(head)
        for case_id, invitee in snap.consults:
            st.consultants[case_id] = st.consultants.get(case_id, frozenset()) | {invitee}
        for scope, owner, key, text in snap.phrases:
            self.phrases[(scope, owner, key)] = text
        for room_id, user_id, role in snap.participants:
            if room_id in st.rooms:
                st.rooms[room_id].participants[user_id] = role
        for room_id, user_id, seq in snap.receipts:
            if room_id in st.rooms:
                st.rooms[room_id].reads[user_id] = seq

    # ------------------------------------------------------------ metrics

    def _observe_case(self, ev: CaseChanged) -> None:
        """Once per case, not per frame: the first staff reply's wait and
        whether it met the deadline; how the case ended."""
        c = ev.case
        m = self.metrics
        if ev.action in ("close", "redirect"):
            m.cases_closed.labels(c.pool, c.outcome or "none").inc()
        elif c.first_reply == ev.at and c.enqueued is not None:
            # "first_reply", or "staff_reply" out of assigned: the first staff
            # message sets first_reply to its own time (domain/state.py post).
            urgency = f"U{int(c.urgency)}"
            m.first_reply_wait.labels(c.pool, urgency).observe(max(0, ev.at - c.enqueued) / 1000)
            if c.deadline is not None and ev.at <= c.deadline:
                m.first_reply_within_target.labels(c.pool, urgency).inc()

    def _collect(self) -> Iterable[Any]:
        q = gauge("chatserver_queue_length", "Waiting cases", ["pool", "urgency"])
        oldest = gauge(
            "chatserver_queue_earliest_deadline_timestamp_seconds",
            "Earliest deadline among waiting cases (Unix time), by pool and urgency",
            ["pool", "urgency"],
        )
        queues = self.state.queues
        for pool in sorted(set(self.config.pools) | set(queues)):
            queue = queues.get(pool)
            # Counts are kept by the queue as it changes: a scrape must not walk
            # 100,000 waiting cases on the event loop (docs/decisions/0004-scale.md).
            counts = queue.counts if queue is not None else {}
            for u in Urgency:
                if u.queued:
                    q.add_metric([pool, f"U{int(u)}"], counts.get(u, 0))
            if queue is not None:
                for u, deadline in sorted(queue.earliest_deadlines().items()):
                    oldest.add_metric([pool, f"U{int(u)}"], deadline / 1000)
        backlog = gauge("chatserver_store_backlog_operations", "Operations waiting to commit", [])
        backlog.add_metric([], self.writer.backlog)
        outbox = gauge(
            "chatserver_send_queue_frames", "Frames queued to clients, all connections", []
        )
        outbox.add_metric([], sum(getattr(s.peer, "backlog", 0) for s in self.hub.sessions()))
        sms = gauge("chatserver_sms_outbox_pending", "SMS not yet sent (last look)", [])
        sms.add_metric([], self.outbox.pending)
        return [q, oldest, backlog, outbox, sms]

    async def _claim_timeouts(self, interval: float = 15.0) -> None:
        """A claimed case with no staff reply in time goes back to its place in
        the queue, so a patient is never stuck with someone who left."""
        limit = self.config.queue.claim_timeout_min * 60_000
        while True:
            await asyncio.sleep(interval)
            self.release_stale_claims(limit)

    async def _handovers(self, interval: float = 30.0) -> None:
        while True:
            self.hand_over_closed_pools()
            await asyncio.sleep(interval)

    def hand_over_closed_pools(self) -> int:
        """Move waiting cases of closed pools to the pool config names."""
        now = self.clock.now_ms()
        moved = 0
        for key, pool in self.config.pools.items():
            if not pool.handover_to or self.deadlines.is_open(key, now):
                continue
            events = self.state.hand_over_waiting(key, pool.handover_to)
            if events:
                moved += len(events)
                with contextlib.suppress(StoreBusy, StoreFailed):
                    self.commit(events)
        return moved

    def release_stale_claims(self, limit_ms: int) -> int:
        now = self.clock.now_ms()
        stale = [
            c.id
            for c in self.state.cases.values()
            if c.state is CaseState.assigned
            and c.assigned is not None
            and now - c.assigned > limit_ms
        ]
        for case_id in stale:
            _, events = self.state.release(None, case_id, "no staff reply in time")
            self.metrics.claims_returned.inc()
            with contextlib.suppress(StoreBusy, StoreFailed):
                self.commit(events)
        return len(stale)

    async def _watch_loop_lag(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.5)
            self.metrics.loop_lag.observe(max(0.0, time.perf_counter() - t0 - 0.5))


# Case transitions that metrics look at (cases._observe_case).
_OBSERVED = frozenset({"close", "redirect", "first_reply", "staff_reply"})


def _then(first: Callable[[], None] | None, second: Callable[[], None]) -> Callable[[], None]:
    def both() -> None:
        if first is not None:
            first()
        second()

    return both


def message_bytes(m: ChatMessage) -> bytes:
    """``encode(message_frame(m))`` without building the frame: once per
    committed message."""
    return encode_message(
        m.room, m.seq, m.cid, m.sender, m.name, m.role, m.text, m.ts, m.att, m.kind
    )


def message_frame(m: ChatMessage) -> Message:
    return Message(
        room=m.room,
        seq=m.seq,
        cid=m.cid,
        sender=m.sender,
        name=m.name,
        role=m.role,
        text=m.text,
        ts=m.ts,
        att=m.att,
        kind=m.kind,
    )
