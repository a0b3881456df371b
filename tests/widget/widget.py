"""The widget as a patient uses it, for the browser tests: every step goes
through what a person (or a screen reader) finds on the page, roles and
labels, in Swedish. Playwright's locators pierce the widget's shadow root.

Waits are Playwright's own: every ``expect`` retries until it holds (or the
test's time runs out), so nothing here sleeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from playwright.async_api import Locator, Page, expect

Answer = bool | int | float | str | Path

# Answers that lead through each sore-throat path of the example content
# (chatserver/triage/content/sore_throat-rules-1.0.0.json).
SORE_THROAT_CALM: dict[str, Answer] = {
    "st_breathing": False,
    "st_saliva": False,
    "st_trismus": False,
    "st_fever": False,
    "st_nodes": False,
    "st_coating": True,
    "st_cough": True,
    "st_days": 2,
}


class Widget:
    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base

    # ------------------------------------------------------------ places

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=2)

    @property
    def banner(self) -> Locator:
        return self.page.locator("vard-chat .banner")

    @property
    def log(self) -> Locator:
        return self.page.get_by_role("log", name="Meddelanden")

    @property
    def composer(self) -> Locator:
        return self.page.get_by_role("textbox", name="Meddelande", exact=True)

    def messages(self, text: str | None = None) -> Locator:
        items = self.log.locator("li.msg")
        return items if text is None else items.filter(has_text=text)

    # ------------------------------------------------------------ steps

    async def open(self, path: str = "/widget/") -> None:
        await self.page.goto(self.base + path)
        await expect(self.heading).to_have_text("Logga in")

    async def login(self, name: str = "Tess Testsson") -> None:
        await self.page.get_by_role("button", name=f"Logga in som {name}").click()
        await expect(self.page.get_by_role("button", name="Logga ut")).to_be_visible()
        await expect(self.heading).not_to_have_text("Laddar …")

    async def choose_subject(self, label: str = "Mig själv") -> None:
        await expect(self.heading).to_have_text("Vem gäller det?")
        await self.page.get_by_role("button", name=label).click()

    async def choose_entrance(self, name: str) -> None:
        await expect(self.heading).to_have_text("Välj mottagning")
        await self.page.get_by_role("button", name=name).click()

    async def describe(self, text: str, complaint: str | None = None) -> None:
        if complaint is not None:
            await self.page.get_by_role("radio", name=complaint).check()
        await self.page.get_by_role("textbox", name="Beskriv").fill(text)
        await self.page.get_by_role("button", name="Skicka", exact=True).click()

    async def start_chat(self, text: str = "Jag behöver förnya mitt recept") -> None:
        """Self, the VC nurse's direct entrance (no triage): straight to the queue."""
        await self.choose_subject()
        await self.choose_entrance("Chatta med sjuksköterskan")
        await self.describe(text)
        await expect(self.log).to_be_visible()

    async def seek_care(self, complaint: str, subject: str = "Mig själv", text: str = "") -> None:
        await self.choose_subject(subject)
        await self.choose_entrance("Sök vård")
        await self.describe(text, complaint)
        await expect(self.heading).to_have_text("Frågor om dina besvär")

    async def answer_all(self, answers: Mapping[str, Answer]) -> None:
        """Answer page after page (looked up by question id) until triage ends."""
        page_no = 1
        while True:
            await expect(self.page.get_by_text(f"Sida {page_no}", exact=True)).to_be_visible()
            for qid in await self._questions():
                await self._answer(qid, answers.get(qid))
            await self.page.get_by_role("button", name="Fortsätt").click()
            page_no += 1
            next_page = self.page.get_by_text(f"Sida {page_no}", exact=True)
            await expect(next_page.or_(self.heading.filter(has_not_text="Frågor"))).to_be_visible()
            if not await next_page.is_visible():
                return

    async def _questions(self) -> list[str]:
        found = self.page.locator("[data-question]")
        ids = await found.evaluate_all("els => els.map(e => e.dataset.question)")
        return [str(i) for i in ids]

    async def _answer(self, qid: str, value: Answer | None) -> None:
        question = self.page.locator(f'[data-question="{qid}"]')
        if value is None:
            return
        if isinstance(value, bool):
            await question.get_by_role("radio", name="Ja" if value else "Nej").check()
        elif isinstance(value, Path):
            await question.locator("input[type=file]").set_input_files(value)
            await expect(question.get_by_role("img")).to_be_visible()
        elif isinstance(value, str) and await question.get_by_role("radio").count():
            await question.get_by_role("radio", name=value).check()
        else:
            await question.get_by_role("textbox").fill(str(value))

    async def send(self, text: str) -> None:
        await self.composer.fill(text)
        await self.composer.press("Enter")
