"""Driver for the real chatserver protocol (docs/PROTOCOL.md).

Each pair is one case: the **sender** is a patient connection that opened it
(``case_open`` at the direct entrance ``vc_nurse``) and the **receiver** is a
staff connection that claimed it (``claim`` with the case id) and follows its
room (``sub``). A probe is a chat message, ``send {id, room, cid, text}``,
whose ``cid`` carries the probe's number and send time (``"<n>.<ts_ns>"``,
unique per sender and room as the protocol asks) and whose text is
``pad_bytes`` characters; the receiver counts the ``msg`` frames of its room
from the patient. The server commits every message to SQLite before it acks
or delivers it, so a delivery is a durable message.

Sending is open loop: ``send`` does not wait for the ``ack``. A reader task
on the patient connection counts acks and refusals instead; the load worker
reads them through ``counters()`` (``acked``, ``refused``) after waiting, in
its drain window, for ``settle()``: every probe sent answered. ``acked`` equal
to ``sent`` is the server confirming that every probe is stored.

Cost to the generator: frames are packed with msgpack directly, byte for byte
what ``protocol.codec.encode(Send(...))`` produces, at 0.9 µs instead of
3.2 µs, and received frames are unpacked without the protocol's validation
(0.9 µs instead of 3.5 µs); connections are ``bench.ws_client.LeanClient``.
The patient connection also reads one ack per probe, which the relays' senders
do not have to.

Logins go over HTTP once per worker process: one patient token (the bench
region's single test identity, shared by every patient connection) and one
token per staff user. Staff users are ``bench-staff-NN`` from
``bench.chatserver_setup``; the server lets each hold 8 open cases, so pair g
is claimed by staff user ``g // 8`` (moving on to the next one if that one is
full), and closing a pair closes its case so the next run finds staff free.
Idle connections are authenticated patient connections (``hello`` answered by
``welcome``) that then stay quiet; they open no case.

Options (``--driver-opt key=value``): ``staff`` (staff users, default 16),
``per_staff`` (pairs per staff user, 8), ``password``, ``pnr``, ``entrance``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import msgpack

from bench.chatserver_setup import (
    BENCH_PNR,
    CASES_PER_STAFF,
    DEFAULT_STAFF,
    ENTRANCE,
    STAFF_PASSWORD,
    staff_username,
)
from bench.driver import Delivery, DriverOptions, Idle, Receiver, Sender
from bench.ws_client import LeanClient
from clients.sdk.http import login_patient, login_staff

PROTOCOL_VERSION = 1
# How long one connection may take to open (TCP + WebSocket handshake), and
# how long one set-up or tear-down request may wait for its answer.
OPEN_TIMEOUT = 10.0
REQUEST_TIMEOUT = 10.0
# Frames from the server can be up to 1 MiB (protocol/limits.py).
MAX_SERVER_FRAME_BYTES = 2**20
# hello refused with auth_failed for a token just issued is retried this many
# times, the first retry after this many seconds, doubling (see _authenticated).
HELLO_ATTEMPTS = 5
HELLO_RETRY_DELAY = 0.02
# Request ids for set-up and tear-down; probes use their number n (< 2^31).
_OPEN_ID = 2**31 - 1
_CLAIM_ID = 2**31 - 2
_SUB_ID = 2**31 - 3
_CLOSE_ID = 2**31 - 4
_MAX_REQ_ID = 2**31 - 1

_pack = msgpack.Packer(use_bin_type=True).pack
_ACK_PREFIX = b"\x86\xa1t\xa3ack"


class ChatError(RuntimeError):
    """The server refused a set-up request."""

    def __init__(self, frame: Mapping[str, Any]) -> None:
        super().__init__(f"{frame.get('code')}: {frame.get('message')}")
        self.code = str(frame.get("code"))


def _unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False)


def _kind(data: bytes) -> str | None:
    """The ``t`` of a frame, or None if it is not a frame."""
    frame = _unpack(data)
    kind = frame.get("t") if isinstance(frame, dict) else None
    return kind if isinstance(kind, str) else None


async def _request(ws: LeanClient, frame: dict[str, Any]) -> dict[str, Any]:
    """Send a request and return its answer (the frame with ``re`` = its id).

    Pushes that arrive meanwhile (other pairs' ``case`` frames, which go to
    every connection of the shared patient user) are skipped. Only for set-up
    and tear-down, while no other task reads ``ws``.
    """
    await ws.send(_pack(frame))
    async with asyncio.timeout(REQUEST_TIMEOUT):
        while True:
            data = await ws.recv()
            if data is None:
                raise ConnectionError(f"closed while waiting for the answer to {frame['t']}")
            answer = _unpack(data)
            if isinstance(answer, dict) and answer.get("re") == frame["id"]:
                if answer.get("t") == "error":
                    raise ChatError(answer)
                return answer


async def _connect(url: str, token: str, who: str) -> tuple[LeanClient, dict[str, Any]]:
    """An authenticated connection as ``who``: ``hello`` sent, ``welcome`` received."""
    async with asyncio.timeout(OPEN_TIMEOUT):
        ws = await LeanClient.open(url, max_size=MAX_SERVER_FRAME_BYTES)
    try:
        hello = {"t": "hello", "v": PROTOCOL_VERSION, "token": token, "client": "bench"}
        await ws.send(_pack(hello))
        async with asyncio.timeout(REQUEST_TIMEOUT):
            data = await ws.recv()
        welcome = _unpack(data) if data is not None else None
        if not isinstance(welcome, dict) or welcome.get("t") != "welcome":
            refusal = dict(welcome) if isinstance(welcome, dict) else {"code": "no welcome"}
            refusal["message"] = f"hello as {who}: {refusal.get('message')}"
            raise ChatError(refusal)
    except BaseException:
        await ws.close()
        raise
    return ws, welcome


async def _authenticated(url: str, token: str, who: str) -> tuple[LeanClient, Any, int]:
    """``_connect``, retried while the server answers ``auth_failed`` to a fresh token.

    The server's reader can briefly miss a session committed a moment ago
    (reported with the bench results: a read transaction left open by another
    request's unfinished cursor); a retry after a few ms sees it. Returns the
    connection, the welcome and how many retries it took.
    """
    for attempt in range(HELLO_ATTEMPTS):
        try:
            ws, welcome = await _connect(url, token, who)
        except ChatError as exc:
            if exc.code != "auth_failed" or attempt == HELLO_ATTEMPTS - 1:
                raise
            await asyncio.sleep(HELLO_RETRY_DELAY * 2**attempt)
            continue
        return ws, welcome, attempt
    raise AssertionError("unreachable")


class ChatSender:
    """The patient's end: sends probes as chat messages, counts the acks."""

    def __init__(self, ws: LeanClient, room: str, text: str, hello_retries: int = 0) -> None:
        self._ws = ws
        self._room = room
        self._text = text
        self.hello_retries = hello_retries
        self.sent = 0
        self.acked = 0
        self.refused = 0
        self._settled: asyncio.Future[None] | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def send(self, n: int, ts_ns: int) -> None:
        frame = _pack(
            {
                "t": "send",
                "id": n & _MAX_REQ_ID,
                "room": self._room,
                "cid": f"{n}.{ts_ns}",
                "text": self._text,
            }
        )
        self.sent += 1
        await self._ws.send(frame)

    async def _read(self) -> None:
        ws = self._ws
        while True:
            data = await ws.recv()
            if data is None:
                if self._settled is not None and not self._settled.done():
                    self._settled.set_result(None)  # nothing more will come
                return
            # An ack is a 6-key map that starts {"t": "ack", ...} (86 a1 74 a3 61 63 6b):
            # recognised without unpacking; anything else is unpacked and looked at.
            if data[:7] == _ACK_PREFIX:
                self.acked += 1
            else:
                kind = _kind(data)
                if kind == "ack":
                    self.acked += 1
                elif kind == "error":
                    self.refused += 1
                else:
                    continue
            settled = self._settled
            if settled is not None and not settled.done() and self._answered():
                settled.set_result(None)

    def _answered(self) -> bool:
        return self.acked + self.refused >= self.sent

    async def settle(self) -> None:
        """Wait until every probe sent was acked or refused (the caller bounds it)."""
        if self._answered() or self._reader.done():
            return
        if self._settled is None or self._settled.done():
            self._settled = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._settled)

    def counters(self) -> dict[str, int]:
        return {"acked": self.acked, "refused": self.refused, "hello_retries": self.hello_retries}

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._ws.close()


class ChatReceiver:
    """The staff member's end: counts the patient's messages in the room."""

    def __init__(self, ws: LeanClient, room: str, case: str, patient: str) -> None:
        self._ws = ws
        self._room = room
        self._case = case
        self._patient = patient
        self.skipped = 0

    async def recv(self) -> Delivery | None:
        ws = self._ws
        while True:
            data = await ws.recv()
            if data is None:
                return None
            frame = _unpack(data)
            if (
                isinstance(frame, dict)
                and frame.get("t") == "msg"
                and frame.get("room") == self._room
                and frame.get("sender") == self._patient
            ):
                n, _, ts = str(frame.get("cid", "")).partition(".")
                if n.isdigit() and ts.isdigit():
                    return Delivery(n=int(n), ts_ns=int(ts))
            self.skipped += 1

    def counters(self) -> dict[str, int]:
        return {"receiver_skipped": self.skipped}

    async def close(self) -> None:
        """Close the case (frees the staff member's slot), then the connection."""
        with contextlib.suppress(ChatError, ConnectionError, TimeoutError, OSError):
            await _request(
                self._ws,
                {"t": "case_close", "id": _CLOSE_ID, "case": self._case, "outcome": "advice"},
            )
        await self._ws.close()


class ChatIdle:
    def __init__(self, ws: LeanClient) -> None:
        self._ws = ws

    async def close(self) -> None:
        await self._ws.close()


class ChatserverDriver:
    """Pairs of patient and staff connections on the real server (see module doc)."""

    def __init__(self, options: DriverOptions) -> None:
        parts = urlsplit(options.url)
        scheme = "https" if parts.scheme == "wss" else "http"
        self._url = options.url
        self._base = f"{scheme}://{parts.netloc}"
        params = options.params
        self._staff = int(params.get("staff", DEFAULT_STAFF))
        self._per_staff = int(params.get("per_staff", CASES_PER_STAFF))
        self._password = params.get("password", STAFF_PASSWORD)
        self._pnr = params.get("pnr", BENCH_PNR)
        self._entrance = params.get("entrance", ENTRANCE)
        # Printable padding (message text is a string), as long as pad_bytes.
        self._text = os.urandom(options.pad_bytes).hex()[: options.pad_bytes]
        self._tokens: dict[str, asyncio.Task[str]] = {}

    async def _token(self, who: str) -> str:
        """One login per user and worker process, shared by its connections."""
        task = self._tokens.get(who)
        if task is None:
            if who == "patient":
                login = login_patient(self._base, self._pnr)
            else:
                login = login_staff(self._base, who, self._password)
            task = self._tokens[who] = asyncio.get_running_loop().create_task(login)
        return await asyncio.shield(task)

    async def connect_pair(self, room: str) -> tuple[Sender, Receiver]:
        index = _pair_index(room)
        token = await self._token("patient")
        patient, welcome, retries = await _authenticated(self._url, token, "patient")
        try:
            patient_id = str(welcome["me"]["user"])
            opened = await _request(
                patient,
                {"t": "case_open", "id": _OPEN_ID, "entrance": self._entrance, "text": "bench"},
            )
            case = str(opened["case"]["case"])
            case_room = str(opened["case"]["room"])
            staff, staff_retries = await self._claim(index, case, case_room)
        except BaseException:
            await patient.close()
            raise
        sender = ChatSender(patient, case_room, self._text, retries + staff_retries)
        return sender, ChatReceiver(staff, case_room, case, patient_id)

    async def _claim(self, index: int, case: str, room: str) -> tuple[LeanClient, int]:
        """A staff connection that claimed ``case`` and follows ``room``, and its retries."""
        first = index // self._per_staff
        for attempt in range(self._staff):
            username = staff_username((first + attempt) % self._staff)
            token = await self._token(username)
            staff, _, retries = await _authenticated(self._url, token, username)
            try:
                await _request(staff, {"t": "claim", "id": _CLAIM_ID, "case": case})
            except ChatError as exc:
                await staff.close()
                if exc.code == "limit_reached":
                    continue
                raise
            except BaseException:
                await staff.close()
                raise
            try:
                # subbed answers at once: from here on, the room's messages reach us.
                await _request(staff, {"t": "sub", "id": _SUB_ID, "room": room, "after": 0})
            except BaseException:
                await staff.close()
                raise
            return staff, retries
        raise RuntimeError(f"all {self._staff} staff users hold their maximum of open cases")

    async def connect_idle(self, room: str) -> Idle:
        ws, _, _ = await _authenticated(self._url, await self._token("patient"), "patient")
        return ChatIdle(ws)


def _pair_index(room: str) -> int:
    """The pair number the load worker put at the end of the room name."""
    tail = room.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0
