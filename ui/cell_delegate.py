"""Cells keep their colour when selected: the selection is drawn as an outline on top.

Qt's default delegate paints a selected cell in the highlight colour alone,
which would hide the influence colours of the very cell a learner clicked.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem


class CellDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if not selected:
            super().paint(painter, option, index)
            return
        plain = QStyleOptionViewItem(option)
        plain.state &= ~QStyle.StateFlag.State_Selected
        plain.state &= ~QStyle.StateFlag.State_HasFocus
        super().paint(painter, plain, index)
        painter.save()
        painter.fillRect(option.rect, QBrush(QColor(0, 0, 0, 28)))
        painter.setPen(QPen(option.palette.color(option.palette.ColorRole.Text), 2))
        painter.drawRect(option.rect.adjusted(1, 1, -1, -1))
        painter.restore()

    def displayText(self, value, locale) -> str:  # the model already formats its numbers
        return str(value)
