"""A guardian seeks care for a child: the child is chosen first, the
child's own questionnaire is asked, and staff see the case as the child's,
written by the guardian (shared/DOMAIN.md "Guardians act for a child")."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.server import Running
from tests.widget.staff import nurse_on
from tests.widget.widget import Answer, Widget

FEVER_CHILD_LESS_ACTIVE: dict[str, Answer] = {
    "fc_unresponsive": False,
    "fc_rash": False,
    "fc_blue": False,
    "fc_seizure": False,
    "fc_breathing": False,
    "fc_temp": "38,7",  # the decimal comma, as Swedes write it
    "fc_days": 2,
    "fc_drinking": True,
    "fc_activity": "Tröttare än vanligt",
    "fc_swelling": False,
    "fc_other": "Hon sover mycket men dricker bra.",
}


async def test_guardian_seeks_care_for_a_child(widget: Widget, server: Running) -> None:
    await widget.login("Tess Testsson")
    await expect(widget.page.get_by_role("button", name="Bebis Testsson, 1 år")).to_be_visible()
    await widget.seek_care("Feber hos barn", subject="Lilla Testsson, 9 år")
    await widget.answer_all(FEVER_CHILD_LESS_ACTIVE)

    await expect(widget.page.get_by_text("Gäller Lilla Testsson")).to_be_visible()
    await expect(widget.page.get_by_role("region", name="Du står i kö")).to_be_visible()
    async with nurse_on(server) as nurse:
        case = await nurse.claim(pool="nurse_1177")
        assert case.subject == "Lilla Testsson"
        await nurse.say(case.room, "Hej! Hur hög var febern i morse?")
        await expect(widget.messages("Hur hög var febern")).to_be_visible()
        await widget.send("38,2 i morse")
        stored = await nurse.message(case.room, "38,2 i morse")
        assert stored.role == "guardian"
        assert stored.name == "Tess Testsson"


async def test_a_parent_sees_only_their_own_children(widget: Widget) -> None:
    await widget.login("Alva Provsson")
    await expect(widget.page.get_by_role("button", name="Nova Provsson, 1 år")).to_be_visible()
    await expect(widget.page.get_by_text("Lilla Testsson")).to_have_count(0)
