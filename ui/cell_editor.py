"""How a grid cell is typed into and drawn beyond what the model's roles say.

Typing: a plain line of text that shows every digit, parsed by the model.  Qt's
default editor for a float is a spin box with two decimals that would round
5.125 to 5.12 and refuse a minus sign; a learner types numbers as in a
spreadsheet instead, and a bad one is refused with a sentence by the model.

Drawing: a blocked cell's hatching stops short of its digits (they sit on a clear
patch of the background, so no line crosses them), and the watched cell gets an
outline, a cue that does not depend on seeing its colour.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QBrush, QPainter, QPen
from PySide6.QtWidgets import QApplication, QLineEdit, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

AnyIndex = QModelIndex | QPersistentModelIndex
MARK_ROLE = Qt.ItemDataRole.UserRole + 2  # as ui.grid_model answers it


class CellEditor(QStyledItemDelegate):
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex) -> QWidget:
        editor = QLineEdit(parent)
        editor.setFrame(False)
        editor.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return editor

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        editor.setText(index.model().text_for_editing(index))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: AnyIndex) -> None:
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        mark = index.data(MARK_ROLE)
        if mark not in ("blocked", "watched"):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        if mark == "blocked":  # the hatch, then a clear patch under the digits
            painter.fillRect(opt.rect, opt.backgroundBrush)
            width = opt.fontMetrics.horizontalAdvance(opt.text) + 6
            patch = QRect(opt.rect.right() - width - 1, opt.rect.top() + 2, width, opt.rect.height() - 4)
            painter.fillRect(patch, opt.palette.base())
            opt.backgroundBrush = QBrush()
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        if mark == "watched":
            painter.save()
            painter.setPen(QPen(opt.palette.text().color() if opt.backgroundBrush.style() == Qt.BrushStyle.NoBrush
                                else index.data(Qt.ItemDataRole.ForegroundRole), 2))
            painter.drawRect(opt.rect.adjusted(1, 1, -2, -2))
            painter.restore()
