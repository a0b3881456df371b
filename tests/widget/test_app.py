"""The widget as a product: an automated WCAG 2.1 A/AA audit (axe-core) of
every main screen, English on request, the installable stand-alone app, and
embedding with one script tag and one element."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.support.server import Running
from tests.widget.browser import profile_context
from tests.widget.staff import nurse_on
from tests.widget.widget import SORE_THROAT_CALM, Widget

AXE = Path(__file__).resolve().parents[2] / "clients" / "widget" / "node_modules" / "axe-core"
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
  });
  return result.violations.map((v) => ({
    id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}"""


async def audit(page: Page, screen: str) -> None:
    """No WCAG 2.1 A or AA violation that axe-core can find (it looks into
    the shadow root): contrast, names, labels, roles, landmarks, lang."""
    if not await page.evaluate("() => typeof axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE / "axe.min.js"))
    violations: list[dict[str, Any]] = await page.evaluate(RUN_AXE)
    assert violations == [], f"{screen}: {violations}"


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by npm ci in clients/widget")
async def test_main_screens_pass_an_automated_wcag_audit(widget: Widget, server: Running) -> None:
    page = widget.page
    await audit(page, "login")
    await widget.login()
    await audit(page, "who")
    await widget.choose_subject()
    await audit(page, "where")
    await widget.choose_entrance("Sök vård")
    await audit(page, "describe")
    await widget.describe("", "Ont i halsen")
    await expect(page.get_by_text("Sida 1", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Fortsätt").click()  # nothing answered: errors
    await expect(page.get_by_role("alert").filter(has_text="Några svar saknas")).to_be_visible()
    await audit(page, "questions with errors")
    await widget.answer_all(SORE_THROAT_CALM)
    await audit(page, "self-care advice")
    await page.get_by_role("button", name="Jag vill ändå prata med en person").click()
    await expect(page.get_by_text("Du är näst på tur.")).to_be_visible()
    await audit(page, "queue")
    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="nurse_1177")
        await nurse.say(case.room, "Hej, hur mår du nu?")
        await widget.send("Lite bättre, tack.")
        await expect(widget.messages("Lite bättre")).to_contain_text("Skickat")
        await audit(page, "chat")
        await nurse.close_case(case.case)
        await expect(page.get_by_text("Ärendet är avslutat")).to_be_visible()
        await audit(page, "closed case")
    await page.get_by_role("button", name="Logga ut").click()
    await widget.login()
    await expect(widget.heading).to_have_text("Dina ärenden")
    await audit(page, "cases")


async def test_english_on_request(widget: Widget) -> None:
    page = widget.page
    await page.get_by_role("button", name="Change language to English").click()
    await expect(widget.heading).to_have_text("Log in")
    await expect(page.locator("vard-chat .vard-chat")).to_have_attribute("lang", "en")
    await page.get_by_role("button", name="Log in as Tess Testsson").click()
    await expect(widget.heading).to_have_text("Who is it about?")
    await page.get_by_role("button", name="Myself").click()
    await page.get_by_role("button", name="Sök vård").click()
    await page.get_by_role("radio", name="Sore throat").check()
    await page.get_by_role("button", name="Send").click()
    await expect(widget.heading).to_have_text("Questions about your symptoms")
    await expect(page.get_by_role("group", name="Do you find it hard to breathe")).to_be_visible()
    # The choice is remembered on this device.
    await page.reload()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()


async def test_installable_as_an_app_on_a_phone(
    widget_dist: Path, server: Running, tmp_path: Path
) -> None:
    async with profile_context(tmp_path / "profile") as context:
        page = await context.new_page()
        await page.goto(server.base + "/widget/")
        await expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
        scope = await page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
        assert scope == server.base + "/widget/"
        cdp = await context.new_cdp_session(page)
        manifest = await cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        installability = await cdp.send("Page.getInstallabilityErrors")
        assert installability["installabilityErrors"] == []


async def test_embedded_with_one_script_tag_and_one_element(page: Page, server: Running) -> None:
    await page.goto(server.base + "/widget/embed.html")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Region Exempel – Kontakta vården"
    )
    widget = Widget(page, server.base)
    await expect(widget.heading).to_have_text("Logga in")
    await widget.login()
    await expect(widget.heading).to_have_text("Vem gäller det?")
    # The region's styles stay outside the widget's shadow root, and the other way round.
    font = await page.locator("vard-chat .brand").evaluate("e => getComputedStyle(e).fontFamily")
    assert "Georgia" not in font
    body = await page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert "Georgia" in body
