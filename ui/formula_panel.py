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
import math

from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from gradlab.explain import Explanation
from gradlab.network import Step
from gradlab.session import Session
from gradlab.sheet import Change
from ui import palette
from ui.cell_look import muted
from ui.signals import follow
from ui.steady import Steady

TITLE = "Backward pass, as the lesson writes it"
HINT = "Select a cell to see the line of the backward pass that computed its gradient"
MARKER = "▶"
LIT, FUNCTION_TOP, FUNCTION_END = "current", "function-top", "function-end"  # anchors in the listing
HIDDEN = "…  (hidden until your line for it is right)"
HIDDEN_EXPLANATION = "How {0} is worked out is hidden until your line for it is right (Your turn)."
CODE_COLUMNS = 36  # the panel is at least this many characters of code wide; longer lines wrap


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
        self._code_width: tuple[str, int] | None = None
        self._comment_ink: tuple[tuple[int, int] | None, str] = (None, "")

        self._title = QLabel(TITLE)
        self._title.setObjectName("formula-title")
        self._title.setWordWrap(True)  # a narrow panel puts the title on two lines rather than cut it
        self._code = QTextBrowser()
        self._code.setObjectName("backward-code")
        self._code.setReadOnly(True)
        self._code.setOpenLinks(False)
        self._code.installEventFilter(self)  # resized (the explanation under it grew): the current call stays in view
        self._explanation = QLabel()
        self._explanation.setObjectName("explanation")
        self._explanation.setWordWrap(True)
        self._explanation.setTextFormat(Qt.TextFormat.RichText)
        self._explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(4, 4, 4, 4)
        self._column.addWidget(self._title)
        self._column.addWidget(self._code, stretch=1)
        self._column.addWidget(Steady(self._explanation))  # a new sum each edit, laid out again only when it needs to be

        base = self.font().pointSizeF()
        self._base_size = base if base > 0 else 10.0
        follow(session, self, self._on_change)
        self.set_font_scale(1.0)

    # -- following the session -------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind in ("values", "network", "inspected", "explained", "step", "lr", "answers", "graded"):
            self.refresh()

    def refresh(self) -> None:
        """Rebuild the listing and the explanation from the session's current state."""
        explanation = self._session.derived.explanation
        code_html = self._listing(self._session.steps(), explanation)
        self._explanation_html = self._explaining(explanation)
        if code_html != self._code_html:  # most edits change numbers only: the listing is laid out again only if it changed
            self._code_html = code_html
            self._code.setHtml(code_html)
            self.show_current()
        self._explanation.setText(self._explanation_html)

    def eventFilter(self, watched, event) -> bool:
        if watched is self._code and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self, self.show_current)  # once the listing has been laid out at its new width
        return super().eventFilter(watched, event)

    def minimumSizeHint(self) -> QSize:
        """Wide enough for ``CODE_COLUMNS`` characters of code (wider lines wrap), at any zoom."""
        hint = super().minimumSizeHint()
        key = self._code.font().key()  # layouts ask often; the width changes only with the zoom
        if self._code_width is None or self._code_width[0] != key:
            margins = self._column.contentsMargins()
            code = self._code.fontMetrics().horizontalAdvance("x" * CODE_COLUMNS) + 16 + 2 * self._code.frameWidth() + 24
            self._code_width = key, code + margins.left() + margins.right()
        return QSize(max(hint.width(), self._code_width[1]), hint.height())

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
        current = stepping if stepping is not None else explanation.step if explanation is not None else None
        backward = self._session.backward_count()
        for k, step in enumerate(steps):
            if k == backward:  # then gradient descent: each parameter steps against its gradient
                rows.append('<tr><td colspan="2">&nbsp;</td></tr>')
                rows.append(self._comment_row(f"update, lr = {self._session.lr:g}"))
            elif k:
                rows.append('<tr><td colspan="2">&nbsp;</td></tr>')
            function: list[tuple[str, bool | None]] = []  # this call's lines: (text, lit), None for a comment
            if step.code != (step.call,):
                function.append((step.call, None))
            for line in step.code:
                line = self._hidden_line(line)
                if stepping is not None:
                    lit = k == stepping
                else:
                    lit = explanation is not None and k == explanation.step and line == explanation.line
                function.append((line, lit))
            if k == stepping:
                said = " · ".join(f"{verb} {', '.join(names)}" for verb, names in
                                  (("reads", step.reads), ("writes", step.writes)) if names)
                function.append((said, None))
            for i, (text, marked) in enumerate(function):
                anchors = ""
                if k == current:
                    anchors += f'<a name="{FUNCTION_TOP}"></a>' if i == 0 else ""
                    anchors += f'<a name="{FUNCTION_END}"></a>' if i == len(function) - 1 else ""
                rows.append(self._comment_row(text, anchors) if marked is None else self._row(text, marked, anchors))
        return f'<table cellspacing="0" cellpadding="2" width="100%">{"".join(rows)}</table>'

    def _hidden_line(self, line: str) -> str:
        """The line, or, while the teacher hides the true gradients, just its left side until the learner's own
        line for that gradient is right (the listing would otherwise give the answer away)."""
        target = line.split(" = ", 1)[0]
        if target.endswith(".g") and not self._session.revealed(target):
            return f"{target} = {HIDDEN}"
        return line

    def _comment_row(self, text: str, anchors: str = "") -> str:
        return f'<tr><td>{anchors}</td><td style="color:{self._comment}"># {_escape(text)}</td></tr>'

    def _row(self, line: str, lit: bool, anchors: str = "") -> str:
        """One code line: a marker cell, then the code; a lit line is tinted and marked ▶."""
        if not lit:
            return f'<tr><td width="16">{anchors}</td><td style="white-space:pre-wrap">{_escape(line)}</td></tr>'
        anchors += "" if self._highlighted else f'<a name="{LIT}"></a>'
        self._highlighted.append(line)
        lit_style = f"background-color:{HIGHLIGHT}; color:#000000"
        return (f'<tr><td width="16" style="{lit_style}">{anchors}{MARKER}</td>'
                f'<td style="{lit_style}; white-space:pre-wrap">{_escape(line)}</td></tr>')

    # -- keeping the current function in view -------------------------------------------

    def _anchor_spans(self) -> dict[str, tuple[float, float]]:
        """Where each named anchor's line lies in the listing: {name: (top, bottom)} in document pixels."""
        document = self._code.document()
        layout = document.documentLayout()
        spans = {}
        block = document.begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                for name in it.fragment().charFormat().anchorNames():
                    rect = layout.blockBoundingRect(block)
                    spans[name] = (rect.top(), rect.bottom())
                it += 1
            block = block.next()
        return spans

    def show_current(self) -> None:
        """Scroll the listing so the current call's lines are all in view (or, if they can't all be, its ▶ line)."""
        spans = self._anchor_spans()
        if FUNCTION_TOP not in spans:
            return
        top, bottom = spans[FUNCTION_TOP][0], spans[FUNCTION_END][1]
        bar, height = self._code.verticalScrollBar(), self._code.viewport().height()
        if bottom - top > height and LIT in spans:  # too tall to show whole: the lit line, at the top
            top, bottom = spans[LIT][0], spans[LIT][0] + height
        if top < bar.value():
            bar.setValue(int(top))
        elif bottom > bar.value() + height:
            bar.setValue(int(math.ceil(bottom - height)))

    @property
    def _comment(self) -> str:
        """Comments' ink: the text's, toned toward the background, and still 7:1 on it (``cell_look.muted``),
        worked out again only when the theme changes those (every comment line asks, on every edit)."""
        text, base = (self._code.palette().color(role) for role in (QPalette.ColorRole.Text, QPalette.ColorRole.Base))
        key = (text.rgba(), base.rgba())
        if self._comment_ink[0] != key:
            self._comment_ink = key, muted(text, base).name()
        return self._comment_ink[1]

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a new theme: the comments' ink follows
            self._code_html = ""
            self.refresh()

    def _explaining(self, explanation: Explanation | None) -> str:
        if explanation is not None and not self._session.revealed(gradient := explanation.target.split("[")[0]):
            return f'<p style="color:{self._comment}">{_escape(HIDDEN_EXPLANATION.format(gradient))}</p>'
        if explanation is None:
            hint = self._session.derived.unwritten or HINT
            return f'<p style="color:{self._comment}">{_escape(hint)}</p>'
        note = f'<p><i>{_escape(explanation.note)}</i></p>' if explanation.note else ""
        return f"<p>{_escape(explanation.text)}</p>{note}"
