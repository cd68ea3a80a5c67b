"""Typing into a cell: a plain line of text that shows every digit, parsed by the model.

Qt's default editor for a float is a spin box with two decimals that would
round 5.125 to 5.12 and refuse a minus sign; a learner types numbers as in a
spreadsheet instead, and a bad one is refused with a sentence by the model.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QLineEdit, QStyledItemDelegate, QStyleOptionViewItem, QWidget

AnyIndex = QModelIndex | QPersistentModelIndex


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
