"""Render the widget's PNG icons from its SVGs with Chromium:
``python -m tests.widget.icons`` (writes clients/widget/static/icons/)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.widget.browser import chromium

ICONS = Path(__file__).resolve().parents[2] / "clients" / "widget" / "static" / "icons"
RENDER = [("icon.svg", "icon-192.png", 192), ("icon.svg", "icon-512.png", 512)]
RENDER += [("maskable.svg", "maskable-512.png", 512)]


async def render() -> None:
    async with chromium() as (_, browser):
        for source, target, size in RENDER:
            page = await browser.new_page(viewport={"width": size, "height": size})
            svg = (ICONS / source).read_text(encoding="utf-8")
            html = (
                "<html><body style='margin:0;background:transparent'>"
                f"<div style='width:{size}px;height:{size}px'>{svg}</div></body></html>"
            )
            await page.set_content(html.replace("<svg ", '<svg width="100%" height="100%" ', 1))
            await page.screenshot(path=str(ICONS / target), omit_background=True)
            await page.close()
            print(ICONS / target)


if __name__ == "__main__":
    asyncio.run(render())
