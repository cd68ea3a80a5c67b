"""The backward pass as the lesson writes it, with the line behind one gradient cell highlighted.

Beside the grids, this panel lists every call of ``backward_steps(net)`` in the
order it runs (the loss first), each with its lesson-style code.  The line that
wrote the gradient being explained carries a tinted background and a ▶, and
under the listing ``Explanation.text`` puts the numbers into its formula:
``b1.g[0] = Σ_b l1.g[b,0] = (−0.23) + (0) + … = −0.88``.

The panel only reads the session: the gradient cell it explains
(``Session.explained``: one clicked, else the inspected cell's), and, while
stepping, the step whose lines it marks.  It refreshes itself on every change.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from gradlab.explain import Explanation
from gradlab.network import Step
from gradlab.session import Session
from gradlab.sheet import Change
from ui import palette
from ui.cell_look import muted
from ui.signals import follow

TITLE = "Backward pass, as the lesson writes it"
HINT = "Select a cell to see the line of the backward pass that computed its gradient"
MARKER = "▶"


def _tint(hex_code: str, strength: float) -> str:
    """``hex_code`` mixed into white: a background light enough for black text."""
    c = QColor(hex_code)
    mix = [round(255 - strength * (255 - part)) for part in (c.red(), c.green(), c.blue())]
    return QColor(*mix).name()


HIGHLIGHT = _tint(palette.SOURCE, 0.35)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


class FormulaPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("formula-panel")
        self._session = session
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
        follow(session, self, self._on_change)
        self.set_font_scale(1.0)

    # -- following the session -------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind in ("values", "network", "inspected", "explained", "step", "lr"):
            self.refresh()

    def refresh(self) -> None:
        """Rebuild the listing and the explanation from the session's current state."""
        explanation = self._session.derived.explanation
        code_html = self._listing(self._session.steps(), explanation)
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

    def _listing(self, steps: list[Step], explanation: Explanation | None) -> str:
        self._highlighted = []
        rows = []
        stepping = self._session.step - 1 if self._session.step else None  # the call the stepper just ran
        backward = self._session.backward_count()
        for k, step in enumerate(steps):
            if k == backward:  # then gradient descent: each parameter steps against its gradient
                rows.append('<tr><td colspan="2">&nbsp;</td></tr>')
                rows.append(f'<tr><td></td><td style="color:{self._comment}"># update, lr = {self._session.lr:g}</td></tr>')
            elif k:
                rows.append('<tr><td colspan="2">&nbsp;</td></tr>')
            if step.code != (step.call,):
                rows.append(f'<tr><td></td><td style="color:{self._comment}"># {_escape(step.call)}</td></tr>')
            for line in step.code:
                if stepping is not None:
                    lit = k == stepping
                else:
                    lit = explanation is not None and k == explanation.step and line == explanation.line
                rows.append(self._row(line, lit))
            if k == stepping:
                said = " · ".join(f"{verb} {', '.join(names)}" for verb, names in
                                  (("reads", step.reads), ("writes", step.writes)) if names)
                rows.append(f'<tr><td></td><td style="color:{self._comment}"># {_escape(said)}</td></tr>')
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

    @property
    def _comment(self) -> str:
        """Comments' ink: the text's, toned toward the background, and still 7:1 on it (``cell_look.muted``)."""
        base = self._code.palette().color(QPalette.ColorRole.Base)
        return muted(self._code.palette().color(QPalette.ColorRole.Text), base).name()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a new theme: the comments' ink follows
            self._code_html = ""
            self.refresh()

    def _explaining(self, explanation: Explanation | None) -> str:
        if explanation is None:
            hint = self._session.derived.unwritten or HINT
            return f'<p style="color:{self._comment}">{_escape(hint)}</p>'
        note = f'<p><i>{_escape(explanation.note)}</i></p>' if explanation.note else ""
        return f"<p>{_escape(explanation.text)}</p>{note}"
