"""Debian's Chromium through Playwright, set up as shared/TOOLING.md says:
no outside DNS lookups, no background traffic. Playwright gives every launch
a new empty profile directory of its own (and refuses --user-data-dir)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Playwright, async_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[tuple[Playwright, Browser]]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield pw, browser
        finally:
            await browser.close()


async def new_context(
    browser: Browser, *, phone: bool = True, lang: str = "sv-SE", service_workers: bool = False
) -> BrowserContext:
    """A phone-sized (or desktop) context: touch and a Swedish locale. The
    service worker is blocked unless asked for, so that every test loads the
    freshly built widget rather than a cached one."""
    viewport = PHONE if phone else DESKTOP
    return await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale=lang,
        timezone_id="Europe/Stockholm",
        service_workers="allow" if service_workers else "block",
    )


@contextlib.asynccontextmanager
async def profile_context(profile: Path, *, phone: bool = True) -> AsyncIterator[BrowserContext]:
    """Chromium with a real (new, empty) profile directory rather than an
    incognito-like context: what installing a web app needs."""
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=ARGS,
            viewport=PHONE if phone else DESKTOP,  # type: ignore[arg-type]
            is_mobile=phone,
            has_touch=phone,
            locale="sv-SE",
        )
        try:
            yield context
        finally:
            await context.close()
