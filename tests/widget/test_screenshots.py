"""The screenshot walk of tests/widget/screenshots.py still runs end to end
(at phone width, into a temporary folder; docs/screenshots is refreshed by
hand with both widths)."""

from __future__ import annotations

from pathlib import Path

from tests.widget.screenshots import SCREENS, take


async def test_screenshots_of_every_main_screen(widget_dist: Path, tmp_path: Path) -> None:
    written = await take(tmp_path, ("phone",))
    expected = {f"{stem}-phone.png" for stem, _ in SCREENS}
    assert {p.name for p in written} == expected
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
