"""Chatting with staff in the browser: the nurse (through the SDK) takes the
case, types and replies; the patient answers, both sides see read receipts;
a photo goes up with a preview when asked for; a closed case stays readable,
can be rated, and can be continued."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from clients.sdk.http import fetch
from tests.support.server import Running
from tests.widget.staff import nurse_on, write_png
from tests.widget.widget import Widget


async def test_staff_reply_arrives_live_with_typing_and_receipts(
    widget: Widget, server: Running
) -> None:
    await widget.login()
    await widget.start_chat("Jag behöver förnya mitt blodtrycksrecept")
    await expect(widget.page.get_by_text("Du är näst på tur.")).to_be_visible()
    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="vc_nurse")
        await expect(widget.page.get_by_text("Du chattar med Anna Andersson")).to_be_visible()

        await nurse.typing(case.room)
        await expect(widget.page.get_by_text("Anna Andersson skriver …")).to_be_visible()
        seq = await nurse.say(case.room, "Hej! Vilket recept gäller det?")
        reply = widget.messages("Vilket recept gäller det?")
        await expect(reply).to_contain_text("Anna Andersson")
        announcer = widget.page.locator(".visually-hidden[role=status]")
        await expect(announcer).to_have_text(
            "Nytt meddelande från Anna Andersson: Hej! Vilket recept gäller det?"
        )
        await expect(widget.page.get_by_text("Anna Andersson skriver …")).to_have_count(0)
        # The patient saw it, so the widget marked it read.
        patient = await nurse.receipt(case.room, seq)

        await widget.send("Enalapril, 10 mg")
        mine = widget.messages("Enalapril, 10 mg")
        await expect(mine).to_contain_text("Skickat")
        stored = await nurse.message(case.room, "Enalapril, 10 mg")
        assert stored.sender == patient and stored.role == "patient"
        await nurse.read(case.room, stored.seq)
        await expect(mine).to_contain_text("Läst")
        await expect(widget.messages()).to_have_count(2)


async def test_photo_with_preview_when_staff_ask(
    widget: Widget, server: Running, tmp_path: Path
) -> None:
    await widget.login()
    await widget.start_chat("Jag har fått ett utslag på armen")
    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="vc_nurse")
        await nurse.ask_for_photo(case.room, "Kan du skicka en bild på utslaget?")
        request = widget.messages("Kan du skicka en bild på utslaget?")
        async with widget.page.expect_file_chooser() as chooser:
            await request.get_by_role("button", name="Skicka en bild").click()
        await (await chooser.value).set_files(write_png(tmp_path / "utslag.png"))
        preview = widget.page.get_by_role("img", name="Förhandsvisning av bilden du valt")
        await expect(preview).to_be_visible()
        await widget.composer.fill("Så här ser det ut i dag")
        await widget.page.get_by_role("button", name="Skicka bilden").click()

        sent = widget.messages("Så här ser det ut i dag")
        await expect(sent.get_by_role("img", name="Bild från Tess Testsson")).to_be_visible()
        await expect(preview).to_have_count(0)
        stored = await nurse.message(case.room, "Så här ser det ut i dag")
        assert stored.att is not None
        token = nurse.client.token
        photo = await fetch(server.base, token, f"/api/attachments/{stored.att}")
        # Redrawn on a canvas before upload: a JPEG, without the phone's EXIF data.
        assert photo[:3] == b"\xff\xd8\xff"


async def test_closed_case_stays_readable_and_can_be_continued(
    widget: Widget, server: Running
) -> None:
    await widget.login()
    await widget.start_chat("Hosta i två veckor")
    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="vc_nurse")
        await nurse.say(case.room, "Drick varmt och vila. Hör av dig om det blir värre.")
        await expect(widget.messages("Drick varmt")).to_be_visible()
        await nurse.close_case(case.case)

        await expect(widget.page.get_by_text("Ärendet är avslutat")).to_be_visible()
        await expect(widget.messages("Drick varmt")).to_be_visible()
        await expect(widget.composer).to_have_count(0)

        await widget.page.get_by_label("Vad vill du lägga till?").fill("Nu har jag fått feber")
        await widget.page.get_by_role("button", name="Fortsätt ärendet").click()
        await expect(widget.composer).to_be_visible()
        await expect(widget.messages("Nu har jag fått feber")).to_be_visible()
        await nurse.message(case.room, "Nu har jag fått feber")
