"""The whole way in with the keyboard alone (WCAG 2.1.1, 2.4.3, 2.4.7): log
in, choose, answer the questions, ask for a person and chat. Every step is a
key press; focus moves to each new screen's heading and is visible."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.support.server import Running
from tests.widget.staff import nurse_on
from tests.widget.widget import Widget

# The focused element, looking into shadow roots, and what it is called.
FOCUSED = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return {tag: "", name: "", outline: ""};
  const label = el.getAttribute("aria-label")
    || (el.labels && el.labels.length ? el.labels[0].textContent : "")
    || el.textContent || "";
  const style = getComputedStyle(el);
  const host = el.closest("label, .option") ?? el;
  const ring = getComputedStyle(host);
  return {
    tag: el.tagName.toLowerCase(),
    name: label.replace(/\\s+/g, " ").trim(),
    outline: style.outlineStyle !== "none" ? style.outlineStyle : ring.outlineStyle,
  };
}"""


async def focused(page: Page) -> dict[str, str]:
    result: dict[str, str] = await page.evaluate(FOCUSED)
    return result


async def tab_to(page: Page, name: str, limit: int = 30) -> dict[str, str]:
    """Press Tab until the focused control is called `name` (or `name` and more)."""
    seen = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        if now["name"] == name or now["name"].startswith(name + " "):
            assert now["outline"] not in ("", "none"), f"no visible focus on {now}"
            return now
        seen.append(now["name"][:40])
    raise AssertionError(f"{name!r} is not reachable with Tab; passed {seen}")


async def heading_has_focus(page: Page, text: str) -> None:
    """A new screen starts at its heading, for keyboard and screen readers."""
    await expect(page.get_by_role("heading", level=2, name=text)).to_be_focused()


async def test_keyboard_only_from_login_to_chat(widget: Widget, server: Running) -> None:
    page = widget.page
    await _log_in_and_choose(page)
    await _answer_sore_throat(page)
    await heading_has_focus(page, "Råd om egenvård")
    await tab_to(page, "Jag vill ändå prata med en person")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Du står i kö")).to_be_visible()
    await _chat(widget, server)


async def _log_in_and_choose(page: Page) -> None:
    keys = page.keyboard
    await tab_to(page, "Personnummer")
    await keys.type("19850101-2382")
    await keys.press("Enter")
    await heading_has_focus(page, "Vem gäller det?")
    await tab_to(page, "Mig själv")
    await keys.press("Enter")
    await heading_has_focus(page, "Välj mottagning")
    await tab_to(page, "Sök vård")
    await keys.press("Enter")
    await heading_has_focus(page, "Sök vård")
    await tab_to(page, "Feber (vuxen)")
    # Arrow keys move within a radio group: down to "Ont i halsen".
    await keys.press("ArrowDown")
    await keys.press("ArrowDown")
    await expect(page.get_by_role("radio", name="Ont i halsen")).to_be_focused()
    await tab_to(page, "Skicka")
    await keys.press("Enter")


async def _answer_sore_throat(page: Page) -> None:
    keys = page.keyboard
    await heading_has_focus(page, "Frågor om dina besvär")
    # Page 1: three yes/no safety questions. Tab enters a group at "Ja";
    # the right arrow moves to (and picks) "Nej".
    for _ in range(3):
        await tab_to(page, "Ja")
        await keys.press("ArrowRight")
        assert (await focused(page))["name"] == "Nej"
    await tab_to(page, "Fortsätt")
    await keys.press("Enter")
    await expect(page.get_by_text("Sida 2", exact=True)).to_be_visible()
    await heading_has_focus(page, "Frågor om dina besvär")
    # An unanswered page is refused with the errors said, focus on the first.
    await tab_to(page, "Fortsätt")
    await keys.press("Enter")
    await expect(page.get_by_role("alert").filter(has_text="Några svar saknas")).to_be_visible()
    first = page.locator('[data-question="st_fever"]').get_by_role("radio", name="Ja")
    await expect(first).to_be_focused()
    for qid in ("st_fever", "st_nodes", "st_coating", "st_cough"):
        group = page.locator(f'[data-question="{qid}"]')
        await keys.press("ArrowRight")
        await expect(group.get_by_role("radio", name="Nej")).to_be_checked()
        await keys.press("Tab")
    await keys.type("3")
    await tab_to(page, "Fortsätt")
    await keys.press("Enter")


async def _chat(widget: Widget, server: Running) -> None:
    page = widget.page
    keys = page.keyboard
    await tab_to(page, "Meddelande")
    await keys.type("Jag vill hellre prata med någon")
    await keys.press("Shift+Enter")
    await keys.type("om halsen.")
    await keys.press("Enter")
    sent = widget.messages("Jag vill hellre prata med någon")
    await expect(sent).to_contain_text("om halsen.")
    await expect(sent).to_contain_text("Skickat")
    await expect(widget.composer).to_be_focused()

    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="nurse_1177")
        await nurse.say(case.room, "Hej! Jag heter Anna.")
        await expect(widget.messages("Jag heter Anna")).to_be_visible()
        # The composer keeps focus while messages arrive.
        await expect(widget.composer).to_be_focused()
        await keys.type("Hej Anna")
        await keys.press("Enter")
        await nurse.message(case.room, "Hej Anna")
