"""One room's messages as the SDK's ``RoomView`` holds them (each number once,
in order, whatever reconnects happened), followed by what this client sent
that the server has not acknowledged yet.

Drawn as HTML in a ``QTextBrowser``: text is selectable and read by screen
readers, fonts follow the desktop's scaling, and photos are document
resources that open full size when clicked.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from clients.desktop import timefmt
from clients.desktop.i18n import tr
from protocol.frames import Message

THUMB_PX = 160


class ChatView(QTextBrowser):
    photo_clicked = Signal(str)  # attachment id
    photo_needed = Signal(str)  # attachment id not loaded yet

    def __init__(self, me: str, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.me = me
        self.setOpenLinks(False)
        self.setAccessibleName(accessible_name)
        self.anchorClicked.connect(self._clicked)
        self.images: dict[str, QImage] = {}
        self.requested: set[str] = set()
        self.shown: list[int] = []  # seqs drawn, in order (tests check "once each")
        self.shown_unsent: list[str] = []

    def show_room(
        self,
        messages: Iterable[Message],
        unsent: Iterable[str],
        read_by_others: int,
        online: bool,
        name_of: Callable[[Message], str] | None = None,
    ) -> None:
        """Redraw. ``read_by_others`` is the highest number another party
        has read, shown on this user's own messages."""
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        parts: list[str] = []
        self.shown = []
        for m in messages:
            self.shown.append(m.seq)
            parts.append(self._message(m, read_by_others, name_of))
        self.shown_unsent = list(unsent)
        for text in self.shown_unsent:
            state = tr("chat.sending") if online else tr("chat.waiting")
            parts.append(
                f'<p style="color:#555555"><i>{_esc(text)}</i><br>'
                f"<small>⧗ {_esc(state)}</small></p>"
            )
        if not parts:
            parts.append(f'<p style="color:#555555">{_esc(tr("chat.empty"))}</p>')
        self.setHtml("".join(parts))
        if at_end:
            bar.setValue(bar.maximum())

    def _message(
        self, m: Message, read_by_others: int, name_of: Callable[[Message], str] | None
    ) -> str:
        when = timefmt.hhmm(m.ts)
        if m.role == "system" or m.kind == "system":
            return (
                f'<p style="color:#444444" align="center"><i>{_esc(m.text)}</i> '
                f"<small>{when}</small></p>"
            )
        mine = m.sender == self.me
        who = name_of(m) if name_of is not None else m.name
        role = f" ({tr('chat.role.' + m.role)})" if tr.has("chat.role." + m.role) else ""
        head = f"<b>{_esc(who)}</b>{_esc(role)} <small>{when}</small>"
        if mine and m.seq <= read_by_others:
            head += f' <small style="color:#1b5e20">✓ {_esc(tr("chat.read"))}</small>'
        body = _esc(m.text).replace("\n", "<br>")
        if m.kind == "photo_request":
            body = f"<b>[{_esc(tr('chat.photo_request'))}]</b> {body}"
        if m.att is not None:
            body += "<br>" + self._photo(m.att)
        color = "#e3f2fd" if mine else "#f1f1f1"
        return (
            f'<table width="100%" cellpadding="6" style="margin-bottom:4px">'
            f'<tr><td style="background-color:{color}">{head}<br>{body}</td></tr></table>'
        )

    def _photo(self, att: str) -> str:
        url = f"att:{att}"
        if att in self.images:
            img = self.images[att]
            self.document().addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), img)
            w = min(THUMB_PX, img.width())
            return (
                f'<a href="{url}"><img src="{url}" width="{w}" alt="{_esc(tr("chat.photo"))}"></a>'
                f'<br><a href="{url}">{_esc(tr("chat.photo"))}</a>'
            )
        if att not in self.requested:
            self.requested.add(att)
            self.photo_needed.emit(att)
        return f"<i>{_esc(tr('chat.photo_loading'))}</i>"

    def add_image(self, att: str, image: QImage) -> None:
        self.images[att] = image

    def _clicked(self, url: QUrl) -> None:
        if url.scheme() == "att":
            self.photo_clicked.emit(url.path())


def _esc(text: str) -> str:
    return html.escape(text, quote=True)
