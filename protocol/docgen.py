"""Generate the frame reference of docs/PROTOCOL.md from the declarations.

``python -m protocol.docgen`` prints it; ``--write PATH`` replaces the part of
PATH between the BEGIN/END markers. A test fails when the document and the
code disagree, so the reference can never drift from what the codec enforces.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from protocol.codec import plan
from protocol.errors import CloseCode, ErrorCode
from protocol.frames import CLIENT_FRAMES, RECORDS, SERVER_FRAMES
from protocol.limits import MAX_FRAME_BYTES, MAX_SERVER_FRAME_BYTES
from protocol.version import PROTOCOL_VERSION

BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m protocol.docgen --write docs/PROTOCOL.md) -->"
END = "<!-- END GENERATED REFERENCE -->"


def _doc(cls: type) -> str:
    text = inspect.cleandoc(cls.__doc__ or "")
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    return "\n\n".join(paragraphs).replace("``", "`")


def _fields(cls: type) -> list[str]:
    rows = ["| field | type | limits | required | meaning |", "|---|---|---|---|---|"]
    for p in plan(cls):
        req = "yes" if p.required else f"no (default `{_default(p.default)}`)"
        cells = (f"`{p.name}`", p.type_name, p.spec.describe(), req, p.doc)
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return rows


def _default(value: object) -> str:
    if value is None:
        return "nil"
    if value == ():
        return "[]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def generate() -> str:
    out = [
        BEGIN,
        "",
        f"Protocol version: **{PROTOCOL_VERSION}**. Largest frame from a client: "
        f"**{MAX_FRAME_BYTES} bytes**; from the server: **{MAX_SERVER_FRAME_BYTES} bytes**.",
        "",
        "### Frames the client sends",
        "",
    ]
    for t, cls in CLIENT_FRAMES.items():
        out += [f"#### `{t}`", "", _doc(cls), "", *_fields(cls), ""]
    out += ["### Frames the server sends", ""]
    for t, cls in SERVER_FRAMES.items():
        out += [f"#### `{t}` (server)", "", _doc(cls), "", *_fields(cls), ""]
    out += ["### Records (maps nested inside frames)", ""]
    for rec in RECORDS:
        out += [f"#### {rec.__name__}", "", _doc(rec), "", *_fields(rec), ""]
    out += [
        "### Error codes",
        "",
        "| code | number | meaning |",
        "|---|---|---|",
        *(f"| `{c.name}` | {c.number} | {c.description} |" for c in ErrorCode),
        "",
        "### Close codes",
        "",
        "| code | name | what the client should do |",
        "|---|---|---|",
        *(f"| {c.value} | `{c.name}` | {_CLOSE_ADVICE[c]} |" for c in CloseCode),
        "",
        END,
    ]
    return "\n".join(out)


_CLOSE_ADVICE = {
    CloseCode.normal: "Nothing; the connection ended normally.",
    CloseCode.going_away: "Server restarting: reconnect with backoff, resume, resend unacked.",
    CloseCode.service_restart: "As 1001: sent by the server's transport to connections that "
    "had not finished the 1001 close within 2 s of a shutdown.",
    CloseCode.protocol_error: "A client bug: the WebSocket framing was broken.",
    CloseCode.unsupported_data: "A client bug: text frames are not accepted; send binary.",
    CloseCode.policy: "The page's origin is not allowed; do not retry.",
    CloseCode.too_big: "A frame exceeded the limit; do not resend it.",
    CloseCode.internal: "Reconnect with backoff.",
    CloseCode.auth_failed: "Log in again over HTTP for a new token, then reconnect.",
    CloseCode.unsupported_version: "Upgrade the client; do not retry.",
    CloseCode.slow_consumer: "Reconnect and resume; read frames faster.",
    CloseCode.idle_timeout: "Reconnect if still needed; send ping every `heartbeat` s.",
    CloseCode.protocol_violation: "A client bug: too many invalid frames.",
    CloseCode.session_revoked: "Log in again.",
    CloseCode.rate_limited: "Slow down; reconnect after a pause.",
}


def replace_section(text: str, generated: str) -> str:
    start = text.index(BEGIN)
    end = text.index(END) + len(END)
    return text[:start] + generated + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", metavar="PATH")
    args = parser.parse_args(argv)
    generated = generate()
    if args.write:
        path = Path(args.write)
        text = path.read_text(encoding="utf-8")
        path.write_text(replace_section(text, generated), encoding="utf-8")
    else:
        sys.stdout.write(generated + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
