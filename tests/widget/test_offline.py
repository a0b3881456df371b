"""The phone loses its network: the widget says so, keeps what the patient
writes and sends it, once, when the network is back; a session that ended
meanwhile asks for a new login and then carries on where it was; a reload
keeps the patient logged in (for the life of the tab)."""

from __future__ import annotations

from playwright.async_api import expect

from clients.sdk.http import post_json
from tests.support.server import Running
from tests.widget.staff import nurse_on
from tests.widget.widget import Widget

TOKEN = "() => Object.entries(sessionStorage).map(([, v]) => JSON.parse(v).token)[0]"


async def test_messages_written_offline_are_sent_once_when_back(
    widget: Widget, server: Running
) -> None:
    await widget.login()
    await widget.start_chat("Jag har frågor om min medicin")
    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="vc_nurse")
        context = widget.page.context
        await context.set_offline(True)
        await expect(widget.banner).to_contain_text("Ingen anslutning")
        await widget.send("Första medan nätet är borta")
        await widget.send("Andra medan nätet är borta")
        for text in ("Första", "Andra"):
            await expect(widget.messages(text)).to_contain_text("Väntar på anslutning")
        assert nurse.texts(case.room) == []

        await context.set_offline(False)
        await expect(widget.banner).to_have_text("")
        for text in ("Första", "Andra"):
            await expect(widget.messages(text)).to_contain_text("Skickat")
            await expect(widget.messages(text)).to_have_count(1)
        await nurse.message(case.room, "Andra medan nätet är borta")
        assert nurse.texts(case.room) == [
            "Första medan nätet är borta",
            "Andra medan nätet är borta",
        ]


async def test_ended_session_asks_for_login_and_keeps_the_outbox(
    widget: Widget, server: Running
) -> None:
    await widget.login()
    await widget.start_chat("Jag behöver ett intyg")
    token = await widget.page.evaluate(TOKEN)
    context = widget.page.context
    await context.set_offline(True)
    await expect(widget.banner).to_contain_text("Ingen anslutning")
    await widget.send("Skrivet innan jag loggades ut")
    # The session is revoked while the phone is away; the next hello fails (4001).
    await post_json(server.base, "/api/logout", {}, token=token)
    await context.set_offline(False)

    await expect(widget.heading).to_have_text("Logga in")
    await expect(widget.page.get_by_text("Du har blivit utloggad").first).to_be_visible()
    await widget.page.get_by_role("button", name="Logga in som Tess Testsson").click()
    # Back in the same chat, and the message written before goes out, once.
    sent = widget.messages("Skrivet innan jag loggades ut")
    await expect(sent).to_contain_text("Skickat")
    await expect(sent).to_have_count(1)
    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="vc_nurse")
        await nurse.message(case.room, "Skrivet innan jag loggades ut")
        assert nurse.texts(case.room) == ["Skrivet innan jag loggades ut"]


async def test_reload_keeps_the_login_and_the_conversation(widget: Widget, server: Running) -> None:
    await widget.login()
    await widget.start_chat("Fråga om vaccination")
    await widget.send("Före omladdning")
    await expect(widget.messages("Före omladdning")).to_contain_text("Skickat")
    await widget.page.reload()
    await expect(widget.messages("Före omladdning")).to_be_visible()
    await expect(widget.page.get_by_role("button", name="Logga ut")).to_be_visible()
    await widget.send("Efter omladdning")
    await expect(widget.messages("Efter omladdning")).to_contain_text("Skickat")
    await expect(widget.messages()).to_have_count(2)
