"""Dialogs for the actions that need more than a click: logging in, handing
over, consulting, re-triage, booking, closing, the phrase book, a photo.

Each is opened with ``open()`` (window-modal, not a nested event loop) so the
asyncio side keeps running while it is up; the caller reads ``values`` when
it is accepted. OK stays disabled until what the protocol requires is there
(a handover needs a note; ending for conduct needs a note saying why).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clients.desktop import timefmt, urgency
from clients.desktop.i18n import LANGUAGES, kind_name, pool_name, tr
from clients.desktop.labels import PlainLabel
from protocol.frames import CLOSE_OUTCOMES, Phrase, SlotInfo


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    box = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    ok = box.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("dialog.cancel"))
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


def _help(text: str) -> QLabel:
    label = PlainLabel(text)
    label.setWordWrap(True)
    return label


def _text_edit(name: str, lines: int = 4) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setAccessibleName(name)
    edit.setTabChangesFocus(True)
    edit.setMinimumHeight(edit.fontMetrics().lineSpacing() * lines + 12)
    return edit


def _pool_combo(pools: Iterable[str], exclude: str = "") -> QComboBox:
    """Known pools by name; editable, for a pool this client has no name for."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    for pool in pools:
        if pool != exclude:
            combo.addItem(f"{pool_name(pool)} ({pool})", pool)
    return combo


def combo_key(combo: QComboBox) -> str:
    """The chosen pool key: the item's data, or what was typed."""
    index = combo.findText(combo.currentText())
    if index >= 0:
        return str(combo.itemData(index))
    return combo.currentText().strip()


# ---------------------------------------------------------------- login


class LoginDialog(QDialog):
    submitted = Signal()

    def __init__(self, server: str, user: str, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.server = QLineEdit(server)
        self.user = QLineEdit(user)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.language = QComboBox()
        for code in LANGUAGES:
            self.language.addItem(code, code)
        self.language.setCurrentIndex(LANGUAGES.index(lang))
        self.language.currentIndexChanged.connect(self._language)
        self.heading = PlainLabel()
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.heading.setFont(font)
        self.error = PlainLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.error.setAccessibleName("error")
        self.submit = QPushButton()
        self.submit.setDefault(True)
        self.submit.clicked.connect(self._submit)
        self.form = QFormLayout()
        self.form.addRow("server", self.server)
        self.form.addRow("user", self.user)
        self.form.addRow("password", self.password)
        self.form.addRow("language", self.language)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.submit)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)
        self.retranslate()
        (self.password if user else self.user).setFocus()

    def retranslate(self) -> None:
        self.setWindowTitle(tr("login.title"))
        self.heading.setText(tr("login.heading"))
        for row, (key, widget) in enumerate(
            (
                ("login.server", self.server),
                ("login.user", self.user),
                ("login.password", self.password),
                ("login.language", self.language),
            )
        ):
            item = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel):
                label.setText(tr(key))
                label.setBuddy(widget)
            widget.setAccessibleName(tr(key))
        for i, code in enumerate(LANGUAGES):
            self.language.setItemText(i, tr(f"lang.{code}"))
        self.submit.setText(tr("login.submit"))

    def lang(self) -> str:
        return str(self.language.currentData())

    def _language(self) -> None:
        tr.set_language(self.lang())
        self.retranslate()

    def busy(self, on: bool) -> None:
        self.submit.setEnabled(not on)
        self.submit.setText(tr("login.busy") if on else tr("login.submit"))
        if on:
            self.error.setText("")

    def fail(self, message: str) -> None:
        self.busy(False)
        self.error.setText(message)
        self.password.selectAll()
        self.password.setFocus()

    def _submit(self) -> None:
        if not self.user.text().strip():
            self.fail(tr("required", field=tr("login.user")))
            return
        self.submitted.emit()


# ---------------------------------------------------------------- case actions


class TransferDialog(QDialog):
    def __init__(self, pools: Iterable[str], current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("transfer.title"))
        self.pool = _pool_combo(pools, exclude=current)
        self.pool.setAccessibleName(tr("transfer.pool"))
        self.note = _text_edit(tr("transfer.note"))
        form = QFormLayout()
        form.addRow(tr("transfer.pool"), self.pool)
        form.addRow(tr("transfer.note"), self.note)
        self.buttons = _buttons(self, tr("transfer.ok"))
        layout = QVBoxLayout(self)
        layout.addWidget(_help(tr("transfer.help")))
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.note.textChanged.connect(self._check)
        self.pool.currentTextChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        ok = bool(self.note.toPlainText().strip()) and bool(combo_key(self.pool))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def values(self) -> tuple[str, str]:
        return combo_key(self.pool), self.note.toPlainText().strip()


class ConsultDialog(QDialog):
    def __init__(
        self,
        pools: Iterable[str],
        colleagues: Iterable[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("consult.title"))
        self.by_pool = QRadioButton(tr("consult.pool"))
        self.by_staff = QRadioButton(tr("consult.staff"))
        self.by_pool.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_pool)
        group.addButton(self.by_staff)
        self.pool = _pool_combo(pools)
        self.pool.setAccessibleName(tr("consult.pool"))
        self.staff = QComboBox()
        self.staff.setEditable(True)
        self.staff.setAccessibleName(tr("consult.staff"))
        for user, name in colleagues:
            self.staff.addItem(f"{name} ({user})", user)
        self.staff.setCurrentText("")
        self.question = _text_edit(tr("consult.question"))
        whom = QHBoxLayout()
        whom.addWidget(self.by_pool)
        whom.addWidget(self.pool, 1)
        whom2 = QHBoxLayout()
        whom2.addWidget(self.by_staff)
        whom2.addWidget(self.staff, 1)
        form = QFormLayout()
        form.addRow(tr("consult.whom"), whom)
        form.addRow("", whom2)
        form.addRow(tr("consult.question"), self.question)
        self.buttons = _buttons(self, tr("consult.ok"))
        layout = QVBoxLayout(self)
        layout.addWidget(_help(tr("consult.help")))
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.question.textChanged.connect(self._check)
        self.by_staff.toggled.connect(self._check)
        self.staff.currentTextChanged.connect(lambda _: self.by_staff.setChecked(True))
        self._check()

    def _check(self) -> None:
        target = combo_key(self.staff) if self.by_staff.isChecked() else combo_key(self.pool)
        ok = bool(self.question.toPlainText().strip()) and bool(target)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def values(self) -> tuple[str | None, str | None, str]:
        """(staff, pool, question): exactly one of staff and pool is set."""
        question = self.question.toPlainText().strip()
        if self.by_staff.isChecked():
            return combo_key(self.staff), None, question
        return None, combo_key(self.pool), question


class RetriageDialog(QDialog):
    def __init__(self, current: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("retriage.title"))
        self.urgency = QComboBox()
        self.urgency.setAccessibleName(tr("retriage.urgency"))
        for level in range(1, 7):
            self.urgency.addItem(urgency.label(level), level)
        self.urgency.setCurrentIndex(max(0, min(5, current - 1)))
        self.reason = _text_edit(tr("retriage.reason"), 3)
        form = QFormLayout()
        form.addRow(tr("retriage.urgency"), self.urgency)
        form.addRow(tr("retriage.reason"), self.reason)
        self.buttons = _buttons(self, tr("retriage.ok"))
        layout = QVBoxLayout(self)
        layout.addWidget(_help(tr("retriage.help")))
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        ok = bool(self.reason.toPlainText().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def values(self) -> tuple[int, str]:
        return int(self.urgency.currentData()), self.reason.toPlainText().strip()


class CloseDialog(QDialog):
    def __init__(self, default: str = "advice", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("close.title"))
        self.outcome = QComboBox()
        self.outcome.setAccessibleName(tr("close.outcome"))
        for code in CLOSE_OUTCOMES:
            self.outcome.addItem(tr(f"outcome.{code}"), code)
        self.outcome.setCurrentIndex(max(0, self.outcome.findData(default)))
        self.note = _text_edit(tr("close.note"), 3)
        self.hint = PlainLabel()
        self.hint.setStyleSheet("color: #b71c1c;")
        form = QFormLayout()
        form.addRow(tr("close.outcome"), self.outcome)
        form.addRow(tr("close.note"), self.note)
        self.buttons = _buttons(self, tr("close.ok"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.note.textChanged.connect(self._check)
        self.outcome.currentIndexChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        # Ending a chat for breach of conduct must say why (PROTOCOL.md §6.7).
        missing = self.outcome.currentData() == "conduct" and not self.note.toPlainText().strip()
        self.hint.setText(tr("close.need_note") if missing else "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not missing)

    def values(self) -> tuple[str, str]:
        return str(self.outcome.currentData()), self.note.toPlainText().strip()


class BookingDialog(QDialog):
    """Free times to book for the case's patient. The slots are fetched by
    the caller (``search_requested``) and shown with ``show_slots``."""

    search_requested = Signal(str)  # kind of visit, "" for any
    DAYS = 14

    def __init__(self, kinds: Iterable[str], default: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("booking.title"))
        self.kind = QComboBox()
        self.kind.setAccessibleName(tr("booking.kind"))
        self.kind.addItem(tr("booking.any"), "")
        for kind in kinds:
            self.kind.addItem(kind_name(kind), kind)
        self.kind.setCurrentIndex(max(0, self.kind.findData(default)))
        self.kind.currentIndexChanged.connect(self.search)
        self.list = QListWidget()
        self.list.setAccessibleName(tr("booking.slots", days=self.DAYS))
        self.list.itemSelectionChanged.connect(self._check)
        self.list.itemActivated.connect(lambda _: self._accept_if_ok())
        self.note = PlainLabel(tr("booking.loading"))
        form = QFormLayout()
        form.addRow(tr("booking.kind"), self.kind)
        self.buttons = _buttons(self, tr("booking.ok"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(PlainLabel(tr("booking.slots", days=self.DAYS)))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 70, self.fontMetrics().height() * 24)
        self._check()

    def search(self) -> None:
        self.list.clear()
        self.note.setText(tr("booking.loading"))
        self._check()
        self.search_requested.emit(str(self.kind.currentData()))

    def show_slots(self, slots: Iterable[SlotInfo]) -> None:
        self.list.clear()
        for slot in slots:
            item = QListWidgetItem(
                tr(
                    "booking.slot",
                    when=timefmt.span(slot.start, slot.end),
                    kind=kind_name(slot.kind),
                    unit=slot.unit,
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, slot.slot)
            self.list.addItem(item)
        self.note.setText("" if self.list.count() else tr("booking.none"))
        if self.list.count():
            self.list.setCurrentRow(0)
        self._check()

    def _check(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.value() is not None)

    def _accept_if_ok(self) -> None:
        if self.value() is not None:
            self.accept()

    def value(self) -> str | None:
        item = self.list.currentItem()
        if item is None or not item.isSelected():
            return None
        return str(item.data(Qt.ItemDataRole.UserRole))


# ---------------------------------------------------------------- phrases


class PhrasesDialog(QDialog):
    """The phrase book: personal phrases and those shared in one's pools."""

    save_requested = Signal(object)  # Phrase
    delete_requested = Signal(str, str)  # key, scope

    def __init__(self, pools: Iterable[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("phrases.title"))
        self.phrases: list[Phrase] = []
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(
            [tr("phrases.key"), tr("phrases.text"), tr("phrases.scope")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        self.key = QLineEdit()
        self.key.setMaxLength(32)
        self.key.setAccessibleName(tr("phrases.key"))
        self.text = _text_edit(tr("phrases.text"), 3)
        self.scope = QComboBox()
        self.scope.setAccessibleName(tr("phrases.scope"))
        self.scope.addItem(tr("phrases.personal"), "personal")
        for pool in pools:
            self.scope.addItem(tr("phrases.shared", pool=pool_name(pool)), pool)
        form = QFormLayout()
        form.addRow(tr("phrases.key"), self.key)
        form.addRow(tr("phrases.text"), self.text)
        form.addRow(tr("phrases.scope"), self.scope)
        self.save = QPushButton(tr("phrases.save"))
        self.save.clicked.connect(self._save)
        self.delete = QPushButton(tr("phrases.delete"))
        self.delete.clicked.connect(self._delete)
        close = QPushButton(tr("phrases.close"))
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.save)
        row.addWidget(self.delete)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(_help(tr("phrases.help")))
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(row)
        self.resize(self.fontMetrics().averageCharWidth() * 90, self.fontMetrics().height() * 28)

    def show_phrases(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = list(phrases)
        self.table.setRowCount(len(self.phrases))
        for row, p in enumerate(self.phrases):
            scope = (
                tr("phrases.personal")
                if p.scope == "personal"
                else tr("phrases.shared", pool=pool_name(p.scope))
            )
            for col, text in enumerate(("/" + p.key, p.text, scope)):
                self.table.setItem(row, col, QTableWidgetItem(text))

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        p = self.phrases[rows[0].row()]
        self.key.setText(p.key)
        self.text.setPlainText(p.text)
        index = self.scope.findData(p.scope)
        if index >= 0:
            self.scope.setCurrentIndex(index)

    def _save(self) -> None:
        key = self.key.text().strip().lstrip("/")
        text = self.text.toPlainText().strip()
        if key and text:
            self.save_requested.emit(
                Phrase(key=key, text=text, scope=str(self.scope.currentData()))
            )

    def _delete(self) -> None:
        key = self.key.text().strip().lstrip("/")
        if key:
            self.delete_requested.emit(key, str(self.scope.currentData()))


# ---------------------------------------------------------------- photo


class PhotoDialog(QDialog):
    """A photo from the chat, as large as the screen allows, scrollable."""

    def __init__(self, image: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("photo.title"))
        label = PlainLabel()
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if image.isNull():
            label.setText(tr("photo.bad"))
        else:
            label.setPixmap(QPixmap.fromImage(image))
        label.setAccessibleName(tr("photo.title"))
        scroll = QScrollArea()
        scroll.setWidget(label)
        scroll.setWidgetResizable(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(close)
        self.label = label
        self.resize(min(1000, image.width() + 60), min(800, image.height() + 100))
