"""The sheet: every tensor as a grid, laid out the way the data flows.

    x │ w1 b1 │ l1 │ l2 │ w2 b2 │ out │ y │ loss
    x.g │ w1.g b1.g │ l1.g │ l2.g │ w2.g b2.g │ out.g │   │

Each column of the layout is a *stage*: the tensors a layer reads or writes,
with a caption saying how it is computed (``l1 = x @ w1 + b1``).  The gradient
grids sit under their tensors and can be hidden.  Views are named
``grid:<tensor>`` for tests and scripts.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gradlab.describe import describe
from gradlab.layers import Linear
from gradlab.session import Session
from gradlab.sheet import Change
from ui import palette
from ui.cell_editor import CellEditor
from ui.cell_look import badge, muted
from ui.commands import Editor
from ui.grid_clipboard import GridClipboard, close_editor_and_move
from ui.grid_model import TensorModel
from ui.keyboard_focus import leave_by_tab
from ui.signals import follow, signals_blocked
from ui.watch_controls import watch_click

MAX_VISIBLE_ROWS, MAX_VISIBLE_COLUMNS = 12, 8
CELL_PADDING = 5  # px beside a cell's text, at least the style's margins
WIDEST_TEXTS = ("−0.0000", "−1234.5", "−1e-300", "−4.4e-4", "1.0e-12")  # the widest texts a cell can show


class TensorView(QTableView):
    """A grid that asks for just the room its cells need, up to a dozen rows and eight columns."""

    def __init__(self, model: TensorModel, row_numbers: bool = True, parent=None):
        super().__init__(parent)
        self.setObjectName(f"grid:{model.name}")
        self.verticalHeader().setVisible(row_numbers)
        self.setModel(model)
        self.setItemDelegate(CellEditor(self))
        # The current cell is the inspected one: select in the inspected cell's colour, with dark text,
        # so the selection never hides the colours the legend explains.
        colours = self.palette()
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            colours.setColor(group, QPalette.ColorRole.Highlight, palette.color(palette.SOURCE))
            colours.setColor(group, QPalette.ColorRole.HighlightedText, palette.color("#000000"))
        self.setPalette(colours)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setHighlightSections(True)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        self.setAccessibleName(f"grid {model.name}")
        self.setAccessibleDescription("arrow keys move between cells; Tab walks them and leaves after the last, "
                                      "Ctrl+Tab leaves at once; typing or F2 edits a cell")
        self.apply_font_metrics()
        model.modelReset.connect(self.updateGeometry)

    def apply_font_metrics(self) -> None:
        """Size the cells for the current font (called again after every zoom)."""
        self.model().cell_font = self.font()
        for header in (self.horizontalHeader(), self.verticalHeader()):  # Qt can miss one of two quick zooms
            header.setFont(self.font())
        metrics = self.fontMetrics()
        bold = QFont(self.font())
        bold.setBold(True)  # the inspected and the watched cells are bold: they must fit too
        widest = max(QFontMetrics(bold).horizontalAdvance(text) for text in WIDEST_TEXTS)
        # the style keeps a margin either side of an item's text (Qt's item views: its focus frame margin + 1)
        margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1)
        self.horizontalHeader().setDefaultSectionSize(widest + max(margin, CELL_PADDING) + 1)
        self.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
        self.horizontalHeader().setMinimumSectionSize(8)
        self.verticalHeader().setMinimumSectionSize(metrics.height() + 4)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        model = self.model()
        rows, cols = model.rowCount(), model.columnCount()
        h, v = self.horizontalHeader(), self.verticalHeader()
        row_numbers = 0 if v.isHidden() else v.sizeHint().width()
        width = row_numbers + min(cols, MAX_VISIBLE_COLUMNS) * h.defaultSectionSize() + 2 * self.frameWidth()
        height = h.sizeHint().height() + min(rows, MAX_VISIBLE_ROWS) * v.defaultSectionSize() + 2 * self.frameWidth()
        if cols > MAX_VISIBLE_COLUMNS:
            height += self.horizontalScrollBar().sizeHint().height()
        if rows > MAX_VISIBLE_ROWS:
            width += self.verticalScrollBar().sizeHint().width()
        return QSize(width, height)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoomed: cells grow with their text
            self.apply_font_metrics()

    def mousePressEvent(self, event) -> None:
        """Alt+click on a computed cell watches it (again: stops); any other click is a click."""
        index = self.indexAt(event.position().toPoint())
        model: TensorModel = self.model()
        if index.isValid():
            sentence = watch_click(model.session, model.name, model.cell(index), event.modifiers())
            if sentence is not None:
                model.message.emit(sentence)
                return
        super().mousePressEvent(event)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        close_editor_and_move(self, editor, hint, super().closeEditor)  # Enter goes down, Tab right, as in Calc

    def keyPressEvent(self, event) -> None:
        """Ctrl+Tab (Ctrl+Shift+Tab) leaves the grid at once, for the next control (the previous one)."""
        if event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            leave_by_tab(self, event)
            return
        super().keyPressEvent(event)

    def moveCursor(self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier) -> QModelIndex:
        """Tab walks the cells as in a spreadsheet, but past the last cell (Shift+Tab: before the first) it leaves
        the grid for the next control instead of wrapping round to the first: the keyboard is never trapped."""
        target = super().moveCursor(action, modifiers)
        here, there = self.currentIndex(), target
        if here.isValid() and there.isValid():
            wrapped = {QAbstractItemView.CursorAction.MoveNext: (there.row(), there.column()) < (here.row(), here.column()),
                       QAbstractItemView.CursorAction.MovePrevious: (there.row(), there.column()) > (here.row(), here.column())}
            if wrapped.get(action, False):
                return QModelIndex()
        return target


class TensorBox(QFrame):
    """A grid with its name and shape above it, and for a parameter a ❄ toggle that freezes it."""

    def __init__(self, model: TensorModel, caption: str, row_numbers: bool = True,
                 freeze: Callable[[str, bool], object] | None = None, parent=None):
        super().__init__(parent)
        self.view = TensorView(model, row_numbers)
        self.title = QLabel(objectName=f"title:{model.name}")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.caption = caption
        self.mark: str | None = None
        self._title_html = ""
        self.freeze_button: QToolButton | None = None
        heading = QHBoxLayout()
        heading.setContentsMargins(0, 0, 0, 0)
        heading.addWidget(self.title)
        if freeze is not None:
            button = QToolButton(objectName=f"freeze-toggle:{model.name}", text="❄", checkable=True, autoRaise=True)
            button.setToolTip(f"Freeze {model.name}: gradient descent leaves it alone (one undo step)")
            button.setAccessibleName(f"freeze {model.name}")
            button.clicked.connect(lambda on: freeze(model.name, on))
            heading.addWidget(button)
            self.freeze_button = button
        heading.addStretch(1)
        model.modelReset.connect(self.update_title)
        self.update_title()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)  # room for the stepper's outline
        layout.setSpacing(2)
        layout.addLayout(heading)
        layout.addWidget(self.view, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def update_title(self) -> None:
        model: TensorModel = self.view.model()
        if model.gone:
            return
        shape = "×".join(map(str, model.sheet.array(model.name).shape))
        frozen = model.name in model.sheet.net.frozen
        secondary = muted(self.palette().color(QPalette.ColorRole.WindowText), self.palette().color(QPalette.ColorRole.Window))
        self._title_html = (f"<b>{model.name}</b> <span style='color:{secondary.name()}'>{shape}</span>"
                            + (" <i>frozen</i>" if frozen else ""))
        if self.freeze_button is not None:
            with signals_blocked(self.freeze_button):
                self.freeze_button.setChecked(frozen)
        self.title.setToolTip(describe(model.sheet.net, model.name, model.sheet.p))
        self.set_mark(self.mark)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a new theme: the secondary ink follows
            self.update_title()

    def set_mark(self, mark: str | None) -> None:
        """Outline the grid while stepping: ``"read"`` or ``"written"`` by the current step, or nothing.
        The title says it too, so the outline's colour is never the only cue."""
        self.mark = mark
        colour = {"read": palette.READ, "written": palette.WRITTEN}.get(mark or "")
        self.update()
        suffix = {"read": " ◀ read", "written": " ✎ written"}.get(mark or "", "")
        self.title.setText(self._title_html + (f" {badge(suffix.strip(), colour)}" if suffix else ""))


    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.mark:  # read: a dashed outline; written: a solid one
            painter = QPainter(self)
            pen = QPen(palette.color(palette.READ if self.mark == "read" else palette.WRITTEN), 3)
            pen.setStyle(Qt.PenStyle.DashLine if self.mark == "read" else Qt.PenStyle.SolidLine)
            painter.setPen(pen)
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
            painter.end()


class SheetScroll(QScrollArea):
    """The sheet in a scroll area, which knows how tall it must be to show every value grid whole (the
    gradient grids under them may scroll): the window gives it that height where it can, and presentation
    mode zooms no further than leaves it that height.  While stepping it scrolls to what each call writes."""

    def __init__(self, sheet: SheetView, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sheet-scroll")
        self.setWidget(sheet)
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the grids, and the area scrolls to them
        self.sheet = sheet
        follow(sheet.session, self, self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.kind == "step":  # once the outlines are drawn and the grids laid out
            QTimer.singleShot(0, self, self.show_written)

    def show_written(self) -> None:
        """While stepping, scroll the grids the current call writes into view (their top left first, if they
        don't all fit): on a projector the sheet scrolls, and the class should see each ``.g`` being written."""
        for _ in range(3):  # the outlines just drawn change the grids' sizes: lay the sheet out first, up to the area
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        current = self.sheet.session.current_step()
        written = self._area(current.writes) if current else None
        if written is None:
            return
        read = self._area(current.reads)
        both = written if read is None else written.united(read)
        headings = QRect(both.left(), 0, both.width(), both.bottom() + 1)  # and the stage captions over them
        room = self.viewport().size()
        # the most that fits: the captions, what the call reads and what it writes; else the last two; else the writes
        area = next((a for a in (headings, both) if a.width() <= room.width() and a.height() <= room.height()), written)
        self.ensureVisible(area.right(), area.bottom(), 4, 4)
        self.ensureVisible(area.left(), area.top(), 4, 4)

    def _area(self, names) -> QRect | None:
        """The rectangle, in the sheet, round the grids of ``names`` (``"out.g"``, ``"y"``…) that it shows."""
        boxes = [self.sheet.boxes[name] for name in names if name in self.sheet.boxes]
        area = None
        for box in boxes:
            rect = QRect(box.mapTo(self.sheet, QPoint(0, 0)), box.size())
            area = rect if area is None else area.united(rect)
        return area

    def values_height(self) -> int:
        """The height at which the sheet's headings and value grids show whole, a horizontal scroll bar under them."""
        return self.sheet.values_height() + 2 * self.frameWidth() + self.horizontalScrollBar().sizeHint().height()


class SheetView(QWidget):
    """All the grids, in stages.  ``models`` and ``views`` are keyed by tensor name (``w1``, ``w1.g``…).

    Selecting a cell tells the session (``Session.select``); when the session's inspected cell
    changes, its grid selects it."""

    message = Signal(str)

    def __init__(self, session: Session, editor: Editor, freeze: Callable[[str, bool], bool] | None = None, parent=None):
        """``freeze(name, on)`` freezes a parameter for its ❄ toggle (the Train tab's, which refuses while a run is
        under way); without it the grids have no toggle."""
        super().__init__(parent)
        self.session, self.sheet, self.editor = session, session.sheet, editor
        self._freeze_with = freeze
        self.models: dict[str, TensorModel] = {}
        self.views: dict[str, TensorView] = {}
        self.boxes: dict[str, TensorBox] = {}
        self.gradient_boxes: list[TensorBox] = []
        self._layout_key: tuple | None = None
        self._content: QWidget | None = None
        self._outer = QVBoxLayout(self)
        self._outer.setContentsMargins(0, 0, 0, 0)
        follow(session, self, self._on_change)  # before any grid's model, so stale grids go before they hear of it
        self.rebuild()

    def _on_change(self, change: Change) -> None:
        if change.kind == "network":
            self.rebuild()
        if change.kind in ("network", "step"):
            self.mark_step()
        if change.kind == "inspected" and self.session.inspected is not None:
            self.show_cell(*self.session.inspected)
        if change.kind == "selected" and self.session.selected is not None:
            self.show_cell(*self.session.selected)

    def show_cell(self, name: str, index: tuple[int, ...]) -> None:
        """Make ``name[index]`` the current cell of its grid (which tells the session it is selected)."""
        view, model = self.views.get(name), self.models.get(name)
        if view is not None and model is not None and view.currentIndex() != model.model_index(index):
            view.setCurrentIndex(model.model_index(index))

    def mark_step(self) -> None:
        """Outline what the backward pass's current step reads and what it writes."""
        current = self.session.current_step()
        for name, box in self.boxes.items():
            if current is None:
                box.set_mark(None)
            else:
                box.set_mark("written" if name in current.writes else "read" if name in current.reads else None)

    def layout_key(self) -> tuple:
        net = self.sheet.net
        return (tuple((layer.kind, names) for layer, names in net.named_layers()), net.loss)

    def rebuild(self) -> None:
        """Lay the grids out again; needed only when the network gains or loses a tensor."""
        key = self.layout_key()
        if key == self._layout_key:
            return
        self._layout_key = key
        for model in self.models.values():
            model.cleanup()
        if self._content is not None:  # the old grids go as one: their models no longer match the sheet
            self._content.hide()
            self._content.setParent(None)  # out of the widget tree at once, so findChild sees only the new grids
            self._content.deleteLater()
        self._content = QWidget()
        self._grid = QGridLayout(self._content)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(6)
        self._grid.setContentsMargins(8, 8, 8, 8)
        self._outer.addWidget(self._content)
        self.models.clear()
        self.views.clear()
        self.boxes.clear()
        self.gradient_boxes.clear()
        col = 0
        self._stage(col, "input", [("x", "the batch: one row per example")])
        net = self.sheet.net
        for layer, wire in net.named_layers():
            if isinstance(layer, Linear):  # the parameters and the output share one heading: the layer's formula
                self._heading(col + 1, layer.fill(layer.forward_code, wire), span=2)
                self._stage(col + 1, None, [(wire.w, "weights: inputs × units"), (wire.b, "bias: one per unit")])
                self._stage(col + 2, None, [(wire.out, "batch × units")])
                col += 2
            else:
                col += 1
                self._stage(col, layer.fill(layer.forward_code, wire), [(wire.out, "batch × units")])
        col += 1
        self._stage(col, "targets", [("y", f"targets: what out should be; loss = {net.loss}(out, y)")], gradients=False)
        self._grid.setColumnStretch(col + 1, 1)
        self._grid.setRowStretch(3, 1)

    def _heading(self, col: int, caption: str, span: int = 1) -> None:
        head = QLabel(f"<b><span style='font-family:monospace'>{html.escape(caption)}</span></b>", objectName=f"stage:{col}")
        self._grid.addWidget(head, 0, col, 1, span)

    def _stage(self, col: int, caption: str | None, tensors: list[tuple[str, str]], gradients: bool = True) -> None:
        if caption:
            self._heading(col, caption)
        values, grads = QVBoxLayout(), QVBoxLayout()
        for name, what in tensors:
            values.addWidget(self._box(name, what))
            if gradients:
                box = self._box(f"{name}.g", f"∂L/∂{name}")
                grads.addWidget(box)
                self.gradient_boxes.append(box)
        values.addStretch(1)
        grads.addStretch(1)
        self._grid.addLayout(values, 1, col)
        self._grid.addLayout(grads, 2, col)

    def _box(self, name: str, caption: str) -> TensorBox:
        model = TensorModel(self.session, name, self.editor.set_cell, self)
        model.message.connect(self.message)
        base = name.removesuffix(".g")
        # rows of x, l1, …, out and y are the same batch rows, side by side: x alone numbers them
        freeze = self._freeze if self._freeze_with is not None and name in self.sheet.net.parameters() else None
        box = TensorBox(model, caption, row_numbers=base == "x" or base in self.sheet.net.inputs(), freeze=freeze)
        self.models[name] = model
        self.views[name] = box.view
        self.boxes[name] = box
        GridClipboard(box.view, model, self.editor.set_block, self.message.emit)  # keys, copy, paste, context menu
        box.view.selectionModel().currentChanged.connect(lambda current, _prev, n=name: self._current(n, current))
        return box

    def _freeze(self, name: str, on: bool) -> None:
        assert self._freeze_with is not None
        if not self._freeze_with(name, on) and name in self.boxes:  # refused: the toggle shows the tensor as it is
            self.boxes[name].update_title()

    def _current(self, name: str, current) -> None:
        if current.isValid():
            self.session.select(name, self.models[name].cell(current))

    def values_height(self) -> int:
        """How tall the headings and the value grids under them are: the sheet's first two rows."""
        grid = self._grid
        rows = [max((item.sizeHint().height() for col in range(grid.columnCount())
                     if (item := grid.itemAtPosition(row, col)) is not None), default=0) for row in (0, 1)]
        margins = grid.contentsMargins()
        return margins.top() + sum(rows) + grid.verticalSpacing()

    def show_gradients(self, on: bool) -> None:
        for box in self.gradient_boxes:
            box.setVisible(on)

    def set_colour_by_sign(self, on: bool) -> None:
        for model in self.models.values():
            model.set_colour_by_sign(on)
