"""Screenshots of the widget's main screens at phone (390x844) and desktop
(1280x800) widths, taken against a real server:

    .venv/bin/python -m tests.widget.screenshots [out-dir]   # default docs/screenshots

tests/widget/test_screenshots.py runs the same walk into a temporary folder,
so the script cannot rot."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.support.server import Running, running_server
from tests.widget.browser import DESKTOP, PHONE, chromium
from tests.widget.staff import nurse_on, write_png
from tests.widget.widget import SORE_THROAT_CALM, Widget

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
Shot = Callable[[str], Awaitable[None]]

# (file stem, what it shows), in the order of the journey.
SCREENS = (
    ("01-login", "Log in with a test identity (dev identity provider)"),
    ("02-who", "Whom the errand is about: self or a child"),
    ("03-describe", "Complaint and the errand in the patient's words"),
    ("04-questions", "Automated questions, one page at a time"),
    ("05-self-care", "Self-care advice, with 'talk to a person anyway'"),
    ("06-queue", "In the queue: position and estimated wait, SMS consent"),
    ("07-chat", "Chat with the nurse: photo, read receipt, typing"),
    ("08-offline", "Offline: banner, message waiting for the connection"),
    ("09-closed", "Closed case: still readable, can be continued"),
    ("10-call-112", "Call 112"),
)


SIZES = {"phone": PHONE, "desktop": DESKTOP}


async def take(out: Path, sizes: tuple[str, ...] = ("phone", "desktop")) -> list[Path]:
    """Walk the journey at each width; PNGs go into the existing folder `out`."""
    written: list[Path] = []
    async with chromium() as (_, browser):
        for size in sizes:
            viewport = SIZES[size]
            with tempfile.TemporaryDirectory() as tmp:
                async with running_server(Path(tmp) / "db.sqlite3") as server:
                    written += await _walk(browser, server, viewport, out, size, Path(tmp))
    return written


async def _walk(
    browser: Browser, server: Running, viewport: dict[str, int], out: Path, size: str, tmp: Path
) -> list[Path]:
    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        is_mobile=size == "phone",
        has_touch=size == "phone",
        locale="sv-SE",
        timezone_id="Europe/Stockholm",
        service_workers="block",
    )
    page = await context.new_page()
    widget = Widget(page, server.base)
    shots: list[Path] = []

    async def shot(stem: str) -> None:
        # Let focus rings and fonts settle into the frame that is captured.
        await page.evaluate("() => new Promise(requestAnimationFrame)")
        path = out / f"{stem}-{size}.png"
        await page.screenshot(path=str(path))
        shots.append(path)

    await widget.open()
    await shot("01-login")
    await widget.login()
    await shot("02-who")
    await widget.choose_subject()
    await widget.choose_entrance("Sök vård")
    await page.get_by_role("radio", name="Ont i halsen").check()
    await page.get_by_role("textbox", name="Beskriv").fill("Ont i halsen sedan i förrgår.")
    await shot("03-describe")
    await page.get_by_role("button", name="Skicka", exact=True).click()
    await expect(page.get_by_text("Sida 1", exact=True)).to_be_visible()
    await shot("04-questions")
    await widget.answer_all(SORE_THROAT_CALM)
    await shot("05-self-care")
    await page.get_by_role("button", name="Jag vill ändå prata med en person").click()
    await expect(page.get_by_text("Du är näst på tur.")).to_be_visible()
    await shot("06-queue")
    await _chat(page, widget, server, tmp, shot)
    await context.close()
    return shots


async def _chat(page: Page, widget: Widget, server: Running, tmp: Path, shot: Shot) -> None:
    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="nurse_1177")
        await nurse.say(case.room, "Hej Tess! Jag heter Anna. Kan du skicka en bild på halsen?")
        await page.get_by_label("Bifoga bild").set_input_files(
            write_png(tmp / "hals.png", 160, 120)
        )
        await widget.composer.fill("Här är en bild. Det gör mest ont när jag sväljer.")
        await page.get_by_role("button", name="Skicka bilden").click()
        sent = widget.messages("Här är en bild")
        await expect(sent.get_by_role("img")).to_be_visible()
        stored = await nurse.message(case.room, "Här är en bild. Det gör mest ont när jag sväljer.")
        await nurse.read(case.room, stored.seq)
        await expect(sent).to_contain_text("Läst")
        await nurse.typing(case.room)
        await expect(page.get_by_text("Anna Andersson skriver …")).to_be_visible()
        await shot("07-chat")

        await page.context.set_offline(True)
        await expect(widget.banner).to_contain_text("Ingen anslutning")
        await widget.send("Ska jag ta något mot smärtan?")
        await expect(widget.messages("smärtan")).to_contain_text("Väntar på anslutning")
        await shot("08-offline")
        await page.context.set_offline(False)
        await expect(widget.messages("smärtan")).to_contain_text("Skickat")

        await nurse.say(case.room, "Ta gärna paracetamol. Hör av dig om det inte blir bättre.")
        await nurse.close_case(case.case)
        await expect(page.get_by_text("Ärendet är avslutat")).to_be_visible()
        await shot("09-closed")

    await page.get_by_role("button", name="Ärenden").click()
    await page.get_by_role("button", name="Ny kontakt med vården").click()
    await widget.seek_care("Ont i halsen")
    await widget.answer_all({**SORE_THROAT_CALM, "st_breathing": True})
    await expect(widget.heading).to_have_text("Ring 112 nu")
    await shot("10-call-112")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS
    target.mkdir(parents=True, exist_ok=True)
    for written in asyncio.run(take(target)):
        print(written)
