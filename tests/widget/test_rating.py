"""Rating a closed case 1-5, once (PROTOCOL.md §6.7)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.server import Running
from tests.widget.staff import nurse_on
from tests.widget.widget import Widget


async def test_rating_after_close(widget: Widget, server: Running) -> None:
    await widget.login()
    await widget.start_chat("Fråga om provsvar")
    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="vc_nurse")
        await nurse.say(case.room, "Provsvaret är normalt.")
        await nurse.close_case(case.case)
    rating = widget.page.get_by_role("group", name="Hur nöjd är du med kontakten?")
    await widget.page.get_by_role("button", name="Skicka betyg").click()
    await expect(widget.page.get_by_role("alert")).to_have_text("Välj ett betyg från 1 till 5.")
    await rating.get_by_role("radio", name="5 – mycket nöjd").check()
    await widget.page.get_by_role("button", name="Skicka betyg").click()
    await expect(widget.page.get_by_text("Tack för ditt betyg!")).to_be_visible()
    # Once: after a reload the case says it is rated, and the widget only thanks.
    await widget.page.reload()
    await expect(widget.heading).to_have_text("Dina ärenden")
    await widget.page.get_by_role("button", name="Öppna: Chatta med sjuksköterskan").click()
    await expect(widget.messages("Provsvaret är normalt.")).to_be_visible()
    await expect(widget.page.get_by_text("Tack för ditt betyg!")).to_be_visible()
    await expect(rating).to_have_count(0)
