"""The patient's whole journey in the browser, once for each way triage can
end (PROTOCOL.md §5): self-care advice (and "talk to a person anyway"),
"call 112", the queue with a live position, out-of-hours redirection and
booking advice. The answers walk the example sore-throat content; the
"other" questionnaire adds free text and a photo."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from chatserver import config as config_mod
from clients.sdk import Client, login_patient
from protocol.frames import CaseUpdate, OpenCase
from tests.support.server import Running, running_server
from tests.widget.staff import nurse_on, write_png
from tests.widget.widget import SORE_THROAT_CALM, Widget


async def test_self_care_then_talk_to_a_person(widget: Widget) -> None:
    await widget.login()
    await widget.seek_care("Ont i halsen", text="Ont i halsen sedan två dagar")
    await widget.answer_all(SORE_THROAT_CALM)
    await expect(widget.heading).to_have_text("Råd om egenvård")
    await expect(widget.page.get_by_text("Halsont orsakas oftast av virus")).to_be_visible()
    await widget.page.get_by_role("button", name="Jag vill ändå prata med en person").click()
    await expect(widget.page.get_by_role("heading", name="Du står i kö")).to_be_visible()
    await expect(widget.page.get_by_text("Du är näst på tur.")).to_be_visible()


async def test_call_112_stops_everything(widget: Widget) -> None:
    await widget.login()
    await widget.seek_care("Ont i halsen")
    await widget.answer_all({**SORE_THROAT_CALM, "st_breathing": True})
    await expect(widget.heading).to_have_text("Ring 112 nu")
    call = widget.page.get_by_role("link", name="Ring 112")
    await expect(call).to_have_attribute("href", "tel:112")
    # Nothing to chat in: the 112 screen offers no composer and no queue.
    await expect(widget.composer).to_have_count(0)
    await expect(widget.page.get_by_text("Du står i kö")).to_have_count(0)


async def test_queue_position_and_wait_update_live(widget: Widget) -> None:
    await widget.login()
    await widget.seek_care("Ont i halsen")
    await widget.answer_all({**SORE_THROAT_CALM, "st_saliva": True})
    queue = widget.page.get_by_role("region", name="Du står i kö")
    await expect(queue).to_be_visible()
    await expect(queue.get_by_text("Du är näst på tur.")).to_be_visible()
    await expect(queue.get_by_text("Beräknad väntetid")).to_be_visible()
    # The advice from triage stays at hand while waiting.
    await expect(widget.page.get_by_text("Råd", exact=True)).to_be_visible()
    await expect(widget.composer).to_be_editable()

    # Consent to an SMS when it is the patient's turn (PROTOCOL.md §5.7).
    page = widget.page
    await page.locator("summary", has_text="Sms när det är din tur").click()
    await page.get_by_role("checkbox", name="Ja, skicka ett sms").check()
    await page.get_by_role("textbox", name="Mobilnummer").fill("12345")
    await page.get_by_role("button", name="Spara").click()
    await expect(page.get_by_text("Skriv ett svenskt mobilnummer")).to_be_visible()
    await page.get_by_role("textbox", name="Mobilnummer").fill("070-123 45 67")
    await page.get_by_role("button", name="Spara").click()
    await expect(page.get_by_text("Sparat. Vi skickar ett sms")).to_be_visible()


async def test_booking_advice(widget: Widget) -> None:
    await widget.login()
    await widget.seek_care("Ont i halsen")
    await widget.answer_all({**SORE_THROAT_CALM, "st_fever": True, "st_nodes": True})
    await expect(widget.heading).to_have_text("Boka en tid")


async def test_redirect_when_the_pool_is_closed(db_path: Path, page: Page) -> None:
    cfg = config_mod.default()
    pools = dict(cfg.pools)
    pools["nurse_1177"] = config_mod.PoolConfig(name="1177", hours={"mon-sun": _closed_hour()})
    async with running_server(db_path, cfg.replace(pools=pools)) as srv:
        widget = Widget(page, srv.base)
        await widget.open()
        await widget.login()
        await widget.seek_care("Ont i halsen")
        await widget.answer_all({**SORE_THROAT_CALM, "st_trismus": True})
        await expect(widget.heading).to_have_text("Mottagningen är stängd")
        await expect(widget.page.get_by_role("link", name="Ring 1177")).to_have_attribute(
            "href", "tel:1177"
        )
        await page.close()


def _closed_hour() -> str:
    """An hour of opening that is not now in Stockholm (so the pool is closed)."""
    now = datetime.now(ZoneInfo("Europe/Stockholm"))
    return "20:00-21:00" if now.hour < 12 else "06:00-07:00"


async def test_queue_position_moves_up_when_the_case_ahead_is_taken(
    widget: Widget, server: Running
) -> None:
    ahead = Client(server.ws, await login_patient(server.base, "200306062381"))
    await ahead.start()
    opened = await ahead.request(OpenCase(id=0, entrance="vc_nurse", text="Receptförnyelse"))
    assert isinstance(opened, CaseUpdate)

    await widget.login()
    await widget.start_chat("Jag behöver en remiss")
    queue = widget.page.get_by_role("region", name="Du står i kö")
    await expect(queue.get_by_text("Du är nummer 2 i kön.")).to_be_visible()
    announcer = widget.page.locator(".visually-hidden[role=status]")
    await expect(announcer).to_contain_text("Du är nummer 2 i kön.")

    async with nurse_on(server) as nurse:
        taken = await nurse.claim(pool="vc_nurse")
        assert taken.case == opened.case.case
        await expect(queue.get_by_text("Du är näst på tur.")).to_be_visible()
        await expect(announcer).to_contain_text("Du är nummer 1 i kön.")
    await ahead.close()


async def test_direct_entrance_for_listed_patients_only(widget: Widget) -> None:
    await widget.login("Gustav Äldresson")
    await widget.choose_entrance("Chatta med sekreteraren")
    await widget.describe("Jag vill boka om min tid")
    await expect(widget.page.get_by_role("alert")).to_contain_text(
        "bara emot patienter som är listade"
    )


async def test_text_and_photo_answers(widget: Widget, server: Running, tmp_path: Path) -> None:
    await widget.login("Gustav Äldresson")
    await widget.choose_entrance("Sök vård")
    await widget.describe("", "Annat")
    await widget.answer_all(
        {
            "ot_emergency": False,
            "ot_text": "Ett sår på smalbenet som inte läker, sedan tre veckor.",
            "ot_worse": False,
            "ot_photo": write_png(tmp_path / "sar.png"),
        }
    )
    await expect(widget.page.get_by_role("region", name="Du står i kö")).to_be_visible()
    with contextlib.closing(sqlite3.connect(server.db_path)) as db:
        (photos,) = db.execute("SELECT count(*) FROM attachments").fetchone()
    assert photos == 1


async def test_a_reload_mid_triage_picks_up_where_it_was(widget: Widget) -> None:
    await widget.login()
    await widget.seek_care("Ont i halsen")
    for qid in await widget._questions():
        await widget._answer(qid, SORE_THROAT_CALM.get(qid))
    await widget.page.get_by_role("button", name="Fortsätt").click()
    await expect(widget.page.get_by_text("Sida 2", exact=True)).to_be_visible()
    second_page = await widget._questions()

    await widget.page.reload()
    await expect(widget.heading).to_have_text("Frågor om dina besvär")
    await expect(widget.page.locator("[data-question]")).to_have_count(len(second_page))
    assert await widget._questions() == second_page
    await widget.answer_all(SORE_THROAT_CALM)
    await expect(widget.heading).to_have_text("Råd om egenvård")

    # The advice can be read again after another reload, from the case list.
    await widget.page.reload()
    await widget.page.get_by_role("button", name="Öppna: Sök vård, Egenvårdsråd").click()
    await expect(widget.heading).to_have_text("Råd om egenvård")
    await expect(widget.page.get_by_text("Halsont orsakas oftast av virus")).to_be_visible()
