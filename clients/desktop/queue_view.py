"""The live queues of the pools a staff member works, one table per pool, in
the order the server will hand cases out (U1 first, oldest first; then
earliest deadline first: DESIGN rule 5). The client never re-sorts them.

Each row: urgency as colour AND text, time waited, time to the deadline
(marked when late), the patient, and the complaint with the triage summary.
Times are redrawn every few seconds from the server's clock, not ours.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clients.desktop import timefmt, urgency
from clients.desktop.connection import Connection
from clients.desktop.i18n import pool_name, tr
from clients.desktop.labels import PlainLabel
from protocol.frames import QueueEntry, QueueS

REDRAW_MS = 5_000
COLUMNS = ("urgency", "waited", "deadline", "patient")


def what(entry: QueueEntry) -> str:
    """The complaint in the patient's words, and the triage summary (which
    often starts with the complaint's name: said once)."""
    complaint, summary = entry.complaint.strip(), entry.summary.strip()
    if complaint and summary.startswith(complaint):
        return summary
    return " – ".join(p for p in (complaint, summary) if p)


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def claim_order(entry: QueueEntry) -> tuple[int, int]:
    """The server's order, to pick which of several pools' heads comes first."""
    return (0, entry.enqueued) if entry.urgency == 1 else (1, entry.deadline)


class PoolQueue(QGroupBox):
    """One pool's queue."""

    claim_case = Signal(str)
    claim_pool = Signal(str)

    def __init__(self, conn: Connection, pool: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conn = conn
        self.pool = pool
        self.queue: QueueS | None = None
        self.stale = False
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(f"queue.col.{c}") for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(False)  # the server's order is the order
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        for i in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName(pool_name(pool))
        self.table.setAccessibleDescription(tr("queue.open_hint"))
        self.table.setToolTip(tr("queue.open_hint"))
        self.table.activated.connect(self._activated)
        self.note = PlainLabel(tr("queue.empty"))
        self.claim_button = QPushButton(tr("queue.claim_pool"))
        self.claim_button.clicked.connect(lambda: self.claim_pool.emit(self.pool))
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.claim_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(bottom)
        self._title()

    def _title(self) -> None:
        q = self.queue
        n = q.total if q is not None else 0
        key = "queue.pool_title" if q is None or q.open else "queue.pool_closed"
        title = tr(key, name=pool_name(self.pool), n=n)
        if self.stale:
            title += " " + tr("queue.stale")
        self.setTitle(title)

    def set_stale(self, stale: bool) -> None:
        """Offline: the queue is the last one known; greyed and said so."""
        self.stale = stale
        self.table.setEnabled(not stale)
        self.claim_button.setEnabled(not stale and bool(self.queue and self.queue.entries))
        self._title()

    def without(self, case: str) -> None:
        """Drop a case the server just gave someone (us): it has left the
        queue, whatever the next coalesced push says a moment later."""
        q = self.queue
        if q is not None and any(e.case == case for e in q.entries):
            entries = tuple(e for e in q.entries if e.case != case)
            self.show_queue(dataclasses.replace(q, entries=entries, total=max(0, q.total - 1)))

    def show_queue(self, q: QueueS) -> None:
        selected = self.selected_case()
        self.queue = q
        self._title()
        self.table.setRowCount(len(q.entries))
        for row, entry in enumerate(q.entries):
            self._fill(row, entry)
            if entry.case == selected:
                self.table.selectRow(row)
        if not q.entries:
            self.note.setText(tr("queue.empty"))
        elif q.total > len(q.entries):
            self.note.setText(tr("queue.more", shown=len(q.entries), total=q.total))
        else:
            self.note.setText("")
        self.claim_button.setEnabled(bool(q.entries) and not self.stale)
        line = self.table.fontMetrics().lineSpacing()
        self.table.setMinimumHeight(min(5, max(1, len(q.entries))) * (2 * line + 10) + 2 * line)

    def _fill(self, row: int, e: QueueEntry) -> None:
        now = self.conn.now_ms()
        b = urgency.badge(e.urgency)
        patient = tr("queue.patient", name=e.subject, age=e.age)
        cells = [
            QTableWidgetItem(urgency.label(e.urgency).replace(" ", "\n", 1)),
            QTableWidgetItem(timefmt.waited(e.enqueued, now)),
            QTableWidgetItem(),
            QTableWidgetItem(f"{patient}\n{shorten(what(e), 90)}"),
        ]
        cells[0].setBackground(QBrush(QColor(b.background)))
        cells[0].setForeground(QBrush(QColor(b.foreground)))
        bold = QFont(self.font())
        bold.setBold(True)
        cells[0].setFont(bold)
        self._deadline(cells[2], e, now)
        cells[3].setToolTip(f"{patient}\n{what(e)}")
        for col, item in enumerate(cells):
            item.setData(Qt.ItemDataRole.UserRole, e.case)
            self.table.setItem(row, col, item)
        self.table.resizeRowToContents(row)

    def _deadline(self, item: QTableWidgetItem, e: QueueEntry, now: int) -> None:
        text, late = timefmt.to_deadline(e.deadline, now)
        item.setText(f"{text}\n{timefmt.hhmm(e.deadline)}")
        if late:  # red and bold: two cues, not colour alone; the text says "late"
            item.setForeground(QBrush(QColor("#b71c1c")))
            font = QFont(self.font())
            font.setBold(True)
            item.setFont(font)

    def redraw_times(self) -> None:
        if self.queue is None:
            return
        now = self.conn.now_ms()
        for row, e in enumerate(self.queue.entries):
            waited = self.table.item(row, 1)
            due = self.table.item(row, 2)
            if waited is not None and due is not None:
                waited.setText(timefmt.waited(e.enqueued, now))
                self._deadline(due, e, now)

    def selected_case(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(Qt.ItemDataRole.UserRole)
        return str(value) if value else None

    def _activated(self, index: QModelIndex) -> None:
        value = index.data(Qt.ItemDataRole.UserRole)
        if value:
            self.claim_case.emit(str(value))


class QueueView(QWidget):
    """Choose the pools to work; see their queues live."""

    claim_requested = Signal(object, object)  # case id or None, pool or None
    pools_chosen = Signal(tuple)

    def __init__(
        self, conn: Connection, pools: tuple[str, ...], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.conn = conn
        self.all_pools = pools
        self.boxes: dict[str, QCheckBox] = {}
        self.queues: dict[str, PoolQueue] = {}
        choose = QGroupBox(tr("queue.pools"))
        row = QHBoxLayout(choose)
        for pool in pools:
            box = QCheckBox(pool_name(pool))
            box.setChecked(True)
            box.toggled.connect(self._chosen)
            self.boxes[pool] = box
            row.addWidget(box)
        row.addStretch(1)
        inner = QWidget()
        self.column = QVBoxLayout(inner)
        for pool in pools:
            pq = PoolQueue(conn, pool)
            pq.claim_case.connect(lambda case: self.claim_requested.emit(case, None))
            pq.claim_pool.connect(lambda p: self.claim_requested.emit(None, p))
            self.queues[pool] = pq
            self.column.addWidget(pq)
        self.column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(choose)
        layout.addWidget(scroll, 1)
        conn.queue_changed.connect(self.show_queue)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw_times)
        self.timer.start()

    def chosen(self) -> tuple[str, ...]:
        return tuple(p for p, box in self.boxes.items() if box.isChecked())

    def _chosen(self) -> None:
        chosen = self.chosen()
        for pool, pq in self.queues.items():
            pq.setVisible(pool in chosen)
        self.pools_chosen.emit(chosen)

    def show_queue(self, q: QueueS) -> None:
        pq = self.queues.get(q.pool)
        if pq is not None:
            pq.show_queue(q)

    def redraw_times(self) -> None:
        for pq in self.queues.values():
            pq.redraw_times()

    def set_stale(self, stale: bool) -> None:
        for pq in self.queues.values():
            pq.set_stale(stale)

    def without(self, case: str) -> None:
        for pq in self.queues.values():
            pq.without(case)

    def next_pool(self) -> str | None:
        """The chosen pool whose head the server would hand out first."""
        heads = [
            (claim_order(pq.queue.entries[0]), pool)
            for pool, pq in self.queues.items()
            if pool in self.chosen() and pq.queue is not None and pq.queue.entries
        ]
        return min(heads)[1] if heads else None

    def entries(self) -> list[tuple[str, QueueEntry]]:
        """Every waiting entry shown, with its pool, in each pool's order."""
        return [
            (pool, e)
            for pool, pq in self.queues.items()
            if pool in self.chosen() and pq.queue is not None
            for e in pq.queue.entries
        ]

    def focus_first(self) -> None:
        for pool in self.chosen():
            table = self.queues[pool].table
            if table.rowCount():
                table.setFocus()
                table.selectRow(0)
                return
        if self.chosen():
            self.queues[self.chosen()[0]].table.setFocus()
