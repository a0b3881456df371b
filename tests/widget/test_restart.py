"""Nothing lost, nothing twice (PROTOCOL.md §3-4), seen from the browser:
the server restarts mid-chat while the patient keeps writing, and an ack
goes missing so the widget must resend with the same cid."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path

import msgpack
from playwright.async_api import Page, WebSocketRoute, expect

from tests.support.server import free_port
from tests.widget.fixed_port import serving_on
from tests.widget.staff import nurse_on
from tests.widget.widget import Widget

# The widget backs off up to 5 s (x1.5 jitter) between attempts while the
# server is away; give the reconnect room beyond that.
RECONNECT_MS = 20_000


def _stored(db_path: Path) -> list[tuple[int, str, str, str]]:
    """Every stored message (seq, cid, role, text), straight from the file."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        rows = db.execute("SELECT seq, cid, role, text FROM messages ORDER BY room, seq").fetchall()
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


async def test_server_restart_mid_chat_loses_and_duplicates_nothing(
    page: Page, db_path: Path
) -> None:
    port = free_port()
    widget = Widget(page, f"http://127.0.0.1:{port}")
    async with serving_on(db_path, port) as first:
        await widget.open()
        await widget.login()
        await widget.start_chat("Jag har ont i örat")
        async with nurse_on(first) as nurse:
            case = await nurse.claim(pool="vc_nurse")
            await nurse.say(case.room, "Hej, hur länge har du haft ont?")
        await expect(widget.messages("hur länge")).to_be_visible()
        await widget.send("Sedan i går")
        await expect(widget.messages("Sedan i går")).to_contain_text("Skickat")

    # The server is gone: the widget says so, and keeps what is written.
    await expect(widget.banner).to_contain_text("Ingen anslutning")
    await widget.send("Skrivet medan servern var borta")
    await widget.send("Och ett till")
    waiting = widget.messages("Skrivet medan servern var borta")
    await expect(waiting).to_contain_text("Väntar på anslutning")

    async with serving_on(db_path, port) as second:
        await expect(widget.messages("Och ett till")).to_contain_text(
            "Skickat", timeout=RECONNECT_MS
        )
        await expect(widget.banner).to_have_text("")
        async with nurse_on(second) as nurse:
            await nurse.client.subscribe(case.room)
            await nurse.message(case.room, "Och ett till")
            await nurse.say(case.room, "Tack, jag ringer upp dig i eftermiddag.")
        await expect(widget.messages("ringer upp dig")).to_be_visible()
        texts = [
            "Hej, hur länge har du haft ont?",
            "Sedan i går",
            "Skrivet medan servern var borta",
            "Och ett till",
            "Tack, jag ringer upp dig i eftermiddag.",
        ]
        for text in texts:
            await expect(widget.messages(text)).to_have_count(1)
        await expect(widget.messages()).to_have_count(len(texts))
        await page.close()

    stored = _stored(db_path)
    assert [r[3] for r in stored] == texts
    assert [r[0] for r in stored] == list(range(1, len(texts) + 1))


async def test_lost_ack_is_resent_with_the_same_cid_and_stored_once(
    page: Page, db_path: Path
) -> None:
    """The server stores a message but its ack never reaches the browser:
    after the reconnect the widget resends it with the same cid and the
    server answers with the original number instead of storing it again."""
    lost: dict[str, str] = {}

    async def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            frame = msgpack.unpackb(message) if isinstance(message, bytes) else {}
            if frame.get("t") == "send" and frame.get("text") == "Svaret kommer bort" and not lost:
                lost["cid"] = frame["cid"]
            server.send(message)

        async def to_page(message: str | bytes) -> None:
            frame = msgpack.unpackb(message) if isinstance(message, bytes) else {}
            if lost.get("cid") and frame.get("cid") == lost["cid"] and "done" not in lost:
                if frame.get("t") == "ack":
                    lost["done"] = "yes"
                    await ws.close(code=1012, reason="lost on the way")
                    await server.close()
                return
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    await page.route_web_socket(re.compile(r"/ws$"), route)
    async with serving_on(db_path, free_port()) as srv:
        widget = Widget(page, srv.base)
        await widget.open()
        await widget.login()
        await widget.start_chat("Fråga om provsvar")
        await widget.send("Svaret kommer bort")
        message = widget.messages("Svaret kommer bort")
        await expect(message).to_contain_text("Skickat", timeout=RECONNECT_MS)
        await expect(message).to_have_count(1)
        assert lost.get("done") == "yes", "the ack was never intercepted"
        await page.close()

    rows = [r for r in _stored(db_path) if r[1] == lost["cid"]]
    assert len(rows) == 1
