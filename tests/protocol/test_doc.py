"""docs/PROTOCOL.md must describe exactly the frames the code declares."""

from __future__ import annotations

from pathlib import Path

from protocol.docgen import BEGIN, END, generate
from protocol.errors import ErrorCode
from protocol.frames import CLIENT_FRAMES, RECORDS, SERVER_FRAMES

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"


def test_generated_reference_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert section == generate(), "run: python -m protocol.docgen --write docs/PROTOCOL.md"


def test_every_frame_and_error_code_is_in_the_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    for t in CLIENT_FRAMES:
        assert f"#### `{t}`\n" in text, t
    for t in SERVER_FRAMES:
        assert f"#### `{t}` (server)\n" in text, t
    for code in ErrorCode:
        assert f"`{code.name}`" in text, code.name


def test_every_frame_and_record_says_what_it_is() -> None:
    """A class without a docstring gets the dataclass repr as one: not a description."""
    for cls in [*CLIENT_FRAMES.values(), *SERVER_FRAMES.values(), *RECORDS]:
        doc = (cls.__doc__ or "").strip()
        assert doc and not doc.startswith(f"{cls.__name__}("), cls.__name__
