"""The backward pass as the lesson writes it, with the line behind one gradient cell highlighted.

Beside the grids, this panel lists every call of ``backward_steps(net)`` in the
order it runs (the loss first), each with its lesson-style code.  The line that
wrote the gradient being explained carries a tinted background and a ▶, and
under the listing ``Explanation.text`` puts the numbers into its formula:
``b1.g[0] = Σ_b l1.g[b,0] = (−0.23) + (0) + … = −0.88``.

The panel only reads the sheet.  The main window calls ``refresh()`` after
each change and ``inspected_changed()`` when the inspected cell moves.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from gradlab.explain import Explanation, explain
from gradlab.network import Step, backward_steps
from gradlab.sheet import Sheet
from gradlab.text import cell_name
from ui import palette

TITLE = "Backward pass, as the lesson writes it"
HINT = "Select a cell to see the line of the backward pass that computed its gradient"
MARKER = "▶"


def _tint(hex_code: str, strength: float) -> str:
    """``hex_code`` mixed into white: a background light enough for black text."""
    c = QColor(hex_code)
    mix = [round(255 - strength * (255 - part)) for part in (c.red(), c.green(), c.blue())]
    return QColor(*mix).name()


HIGHLIGHT = _tint(palette.SOURCE, 0.35)
COMMENT = "#666666"


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


class FormulaPanel(QWidget):
    def __init__(self, sheet: Sheet, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("formula-panel")
        self._sheet = sheet
        self._override: tuple[str, tuple[int, ...]] | None = None  # a gradient cell shown instead
        self._step: int | None = None  # a whole step highlighted by the stepper
        self._step_reads: tuple[str, ...] = ()
        self._step_writes: tuple[str, ...] = ()
        self._highlighted: list[str] = []
        self._code_html = self._explanation_html = ""

        self._title = QLabel(TITLE)
        self._title.setObjectName("formula-title")
        self._code = QTextBrowser()
        self._code.setObjectName("backward-code")
        self._code.setReadOnly(True)
        self._code.setOpenLinks(False)
        self._explanation = QLabel()
        self._explanation.setObjectName("explanation")
        self._explanation.setWordWrap(True)
        self._explanation.setTextFormat(Qt.TextFormat.RichText)
        self._explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._title)
        layout.addWidget(self._code, stretch=1)
        layout.addWidget(self._explanation)

        base = self.font().pointSizeF()
        self._base_size = base if base > 0 else 10.0
        self.set_font_scale(1.0)

    # -- driven by the main window and the stepper ---------------------------------

    def refresh(self) -> None:
        """Rebuild the listing and the explanation from the sheet's current state."""
        steps = backward_steps(self._sheet.net)
        if self._step is not None and self._step >= len(steps):
            self._step = None  # the network changed under the stepper
        explanation = self._explanation_now()
        code_html = self._listing(steps, explanation)
        self._explanation_html = self._explaining(explanation)
        if code_html != self._code_html:  # most edits change numbers only: the listing is laid out again only if it changed
            self._code_html = code_html
            self._code.setHtml(code_html)
            if self._highlighted:
                self._code.scrollToAnchor("current")
        self._explanation.setText(self._explanation_html)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._highlighted:  # keep the marked line in view as the panel is laid out or resized
            QTimer.singleShot(0, self, lambda: self._code.scrollToAnchor("current"))

    def show_gradient(self, name: str | None, index: tuple[int, ...] = ()) -> None:
        """Explain the gradient cell ``name.g[index]`` (``"l1"`` or ``"l1.g"``) instead of the
        inspected cell's, until ``show_gradient(None)`` or the inspected cell changes."""
        if name is None:
            self._override = None
        else:
            name = name.removesuffix(".g")
            index = tuple(int(i) for i in index)
            grads = self._sheet.p.grads
            if name not in grads:
                raise ValueError(f"the backward pass computes no gradient named {name}.g")
            shape = grads[name].shape
            if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape)):
                raise ValueError(f"{cell_name(name + '.g', index)} is outside {name}.g, "
                                 f"which is {'×'.join(map(str, shape))}")
            self._override = (name, index)
        self.refresh()

    def inspected_changed(self) -> None:
        """The inspected cell moved: its gradient is explained again, not a clicked one."""
        self._override = None
        self.refresh()

    def highlight_step(self, step: int | None, reads: tuple[str, ...] = (), writes: tuple[str, ...] = ()) -> None:
        """Highlight every line of ``backward_steps(net)[step]`` (and say what it reads and writes),
        or, with ``None``, go back to the line behind the explained cell."""
        count = len(backward_steps(self._sheet.net))
        if step is not None and not 0 <= step < count:
            raise ValueError(f"the backward pass has {count} steps, numbered 0 to {count - 1}; there is no step {step}")
        self._step, self._step_reads, self._step_writes = step, tuple(reads), tuple(writes)
        self.refresh()

    def set_font_scale(self, scale: float) -> None:
        """Scale every font of the panel, e.g. 1.5 for a projector."""
        if not scale > 0:
            raise ValueError(f"the font scale must be a positive number, not {scale}")
        size = self._base_size * scale
        title = QFont(self.font())
        title.setPointSizeF(size * 1.15)
        title.setBold(True)
        self._title.setFont(title)
        code = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        code.setPointSizeF(size)
        self._code.setFont(code)
        self._code.document().setDefaultFont(code)
        text = QFont(self.font())
        text.setPointSizeF(size)
        self._explanation.setFont(text)
        self.refresh()

    # -- for tests and the main window ---------------------------------------------

    def html(self) -> str:
        """The HTML of the listing followed by that of the explanation, as last built."""
        return self._code_html + self._explanation_html

    def highlighted_lines(self) -> list[str]:
        """The code lines highlighted now, as plain text."""
        return list(self._highlighted)

    # -- building ------------------------------------------------------------------

    def _explanation_now(self) -> Explanation | None:
        sheet = self._sheet
        if self._override is not None:
            try:
                return explain(sheet.net, sheet.p, *self._override)
            except (KeyError, IndexError):
                self._override = None  # the network changed shape: that cell is gone
        return sheet.derived.explanation

    def _listing(self, steps: list[Step], explanation: Explanation | None) -> str:
        self._highlighted = []
        rows = []
        for k, step in enumerate(steps):
            if k:
                rows.append('<tr><td colspan="2">&nbsp;</td></tr>')
            rows.append(f'<tr><td></td><td style="color:{COMMENT}"># {_escape(step.call)}</td></tr>')
            for line in step.code:
                if self._step is not None:
                    lit = k == self._step
                else:
                    lit = explanation is not None and k == explanation.step and line == explanation.line
                rows.append(self._row(line, lit))
            if k == self._step and (self._step_reads or self._step_writes):
                said = " · ".join(f"{verb} {', '.join(names)}" for verb, names in
                                  (("reads", self._step_reads), ("writes", self._step_writes)) if names)
                rows.append(f'<tr><td></td><td style="color:{COMMENT}"># {_escape(said)}</td></tr>')
        return f'<table cellspacing="0" cellpadding="2" width="100%">{"".join(rows)}</table>'

    def _row(self, line: str, lit: bool) -> str:
        """One code line: a marker cell, then the code; a lit line is tinted and marked ▶."""
        if not lit:
            return f'<tr><td width="16"></td><td style="white-space:pre-wrap">{_escape(line)}</td></tr>'
        anchor = "" if self._highlighted else '<a name="current"></a>'
        self._highlighted.append(line)
        lit_style = f"background-color:{HIGHLIGHT}; color:#000000"
        return (f'<tr><td width="16" style="{lit_style}">{anchor}{MARKER}</td>'
                f'<td style="{lit_style}; white-space:pre-wrap">{_escape(line)}</td></tr>')

    def _explaining(self, explanation: Explanation | None) -> str:
        if explanation is None:
            return f'<p style="color:{COMMENT}">{_escape(HINT)}</p>'
        note = f'<p><i>{_escape(explanation.note)}</i></p>' if explanation.note else ""
        return f"<p>{_escape(explanation.text)}</p>{note}"
