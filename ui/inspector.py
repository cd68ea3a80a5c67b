"""The inspector: one cell of ``x``, a ``w`` or a ``b``, nudged by ±ε, against the backward formulas.

It shows what the learner's spreadsheet of ``docs/lesson.md`` recorded (the value, the step, the
loss before and after, ΔL and ΔL/Δε) next to what the backward pass says (the
analytic gradient), and whether they agree.  The numbers come from the core's
``Nudge`` for the session's inspected cell and ε; this widget only lays them
out.  ε is the session's: the spin box and the slider show it and set it.  The
± ε buttons are real edits, made through the ``Editor``.
"""

from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QValidator
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from gradlab.errors import EditError
from gradlab.finite_diff import Nudge
from gradlab.session import EPS_MAX, EPS_MIN, Session
from gradlab.sheet import Change
from gradlab.text import cell_name
from gradlab.verdict import Verdict, within_tolerance
from ui import palette
from ui.cell_look import badge
from ui.commands import Editor
from ui.signals import follow, signals_blocked
from ui.steady import Steady
from ui.watch_controls import KEYS as WATCHED_KEYS
from ui.watch_controls import watched_rows

SLIDER_STEPS_PER_DECADE = 4
FOLLOWED = frozenset({"values", "network", "inspected", "watched", "step", "scheme", "answers", "graded"})


class ScientificSpinBox(QDoubleSpinBox):
    """A spin box for ε: reads and writes 1e-3 style numbers, and steps a decade at a time."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(20)  # QDoubleSpinBox rounds to this many decimals: enough for 1e-15
        self.setRange(EPS_MIN, EPS_MAX)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:
        return float(text)

    def validate(self, text: str, pos: int) -> object:
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = EPS_MIN <= value <= EPS_MAX
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:
        self.setValue(self.value() * 10.0**steps)


def _number(v: float) -> str:
    return "—" if not math.isfinite(v) else f"{v:.10g}".replace("-", "−")


MARKS = {  # each verdict's symbol and colour: the symbol is never the colour alone
    "agree": ("✓", palette.AGREE),
    "disagree": ("✗", palette.DISAGREE),
    "unresolved": ("?", palette.ORANGE),
    "kink": ("⚠", palette.ORANGE),
}


def _marked(v: Verdict, scheme: str | None = None) -> str:
    """A verdict as rich text: its symbol on a badge of the verdict's colour (black ink: readable in both themes),
    then its sentence in the theme's own ink."""
    symbol, colour = MARKS[v.outcome]
    which = f"{scheme}: " if scheme else ""
    return f"{badge(symbol, colour)} {which}{html.escape(v.reason)}"


class Inspector(QWidget):
    message = Signal(str)  # a sentence for the status bar: what a nudge did, or why it was refused

    def __init__(self, session: Session, editor: Editor, parent=None):
        super().__init__(parent)
        self.setObjectName("inspector")
        self.session, self.sheet, self.editor = session, session.sheet, editor
        # ε slider drags come in bursts: they are coalesced into one redraw a turn of the event loop
        self._eps_timer = QTimer(self, singleShot=True, interval=0)
        self._eps_timer.timeout.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        self.title = QLabel(objectName="inspected-cell")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        bold = self.title.font()
        bold.setBold(True)  # only the weight is set: the size still follows the zoom
        self.title.setFont(bold)
        layout.addWidget(self.title)

        self.epsilon = ScientificSpinBox()
        self.epsilon.setObjectName("epsilon")
        self.epsilon.setValue(session.eps)
        self.epsilon.setToolTip("ε, the nudge: type a number such as 1e-6, or use the arrows to move a decade")
        self.epsilon.setAccessibleName("ε, the nudge")
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="epsilon-slider")
        self.slider.setRange(-15 * SLIDER_STEPS_PER_DECADE, 0)
        self.slider.setToolTip("ε on a log scale, from 1e-15 to 1")
        self.slider.setAccessibleName("ε on a log scale")
        self.epsilon.valueChanged.connect(self._spin_changed)
        self.slider.valueChanged.connect(self._slider_changed)
        self._show_eps()

        self.minus = QPushButton("− ε", objectName="nudge-minus")
        self.plus = QPushButton("+ ε", objectName="nudge-plus")
        for button, sign, key in ((self.minus, -1.0, "Alt+Down"), (self.plus, 1.0, "Alt+Up")):
            button.setShortcut(QKeySequence(key))
            button.setToolTip(f"Nudge the inspected cell by {'+' if sign > 0 else '−'}ε: a real edit ({key})")
            button.setAccessibleName(f"nudge by {'plus' if sign > 0 else 'minus'} ε")
            button.clicked.connect(lambda _=False, s=sign: self.nudge(s * self.session.eps))

        eps_row = QHBoxLayout()
        eps_row.addWidget(self.epsilon)
        eps_row.addWidget(self.slider, 1)
        nudge_row = QHBoxLayout()
        nudge_row.addWidget(self.minus)
        nudge_row.addWidget(self.plus)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(2)  # a dozen rows must fit under the sheet on a 1280 × 800 screen
        self.fields: dict[str, QLabel] = {}
        form.addRow("value", Steady(self._field("cell-value")))
        form.addRow("ε", eps_row)
        form.addRow("", nudge_row)
        rows = [
            ("step", "step (θ+ε) − θ", "the step actually stored: in float32 it differs from ε and can vanish"),
            ("loss-before", "L(θ)", "the loss now"),
            ("loss-after", "L(θ+ε)", "the loss if the cell were nudged by +ε"),
            ("delta-loss", "ΔL", "L(θ+ε) − L(θ)"),
            ("fd-quotient", "ΔL / Δε", "forward difference: (L(θ+ε) − L(θ)) / step"),
            ("fd-verdict", "", "what this quotient can say about the gradient at this ε"),
            ("central-quotient", "central", "(L(θ+ε) − L(θ−ε)) / (2·step): more accurate"),
            ("central-verdict", "", "what the central quotient can say about the gradient at this ε"),
            ("analytic-gradient", "backward pass", "the gradient from the backward formulas (the .g of this cell)"),
            ("abs-error", "|error|", "|central − backward|, and relative to the larger of the two"),
        ]
        self.captions: dict[str, QLabel] = {}
        for name, label, tip in rows:
            caption = QLabel(label)
            caption.setToolTip(tip)
            self.captions[name] = caption
            field = self._field(name)
            field.setToolTip(tip)
            if name.endswith("verdict"):
                field.setWordWrap(True)
                field.setAccessibleDescription(tip)
            form.addRow(caption, Steady(field))
        layout.addLayout(form)
        self.verdict = QLabel(objectName="verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setAccessibleDescription("whether the nudge and the backward pass agree on this cell's gradient")
        layout.addWidget(Steady(self.verdict))
        self.yours = QLabel(objectName="your-gradient")  # the learner's own .g of this cell (Your turn)
        self.yours.setWordWrap(True)
        layout.addWidget(Steady(self.yours))
        self.watched_box = QGroupBox(objectName="watched-box")
        watched_form = QFormLayout(self.watched_box)
        watched_form.setVerticalSpacing(2)
        self.watched_captions: dict[str, QLabel] = {}
        for key in WATCHED_KEYS:
            caption = QLabel()
            self.watched_captions[key] = caption
            watched_form.addRow(caption, Steady(self._field(key)))
        self.watched_note = QLabel(objectName="watched-note")
        self.watched_note.setWordWrap(True)
        watched_form.addRow(self.watched_note)
        layout.addWidget(self.watched_box)
        self.last_nudge = QLabel(objectName="last-nudge")
        self.last_nudge.setWordWrap(True)
        layout.addWidget(Steady(self.last_nudge))
        layout.addStretch(1)
        follow(session, self, self._on_change)
        self.refresh()

    def _field(self, name: str) -> QLabel:
        label = QLabel(objectName=name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fields[name] = label
        return label

    # -- ε: the spin box and the log slider move together ------------------------------

    def _spin_changed(self, eps: float) -> None:
        self.session.set_eps(eps)

    def _slider_changed(self, position: int) -> None:
        self.session.set_eps(10.0 ** (position / SLIDER_STEPS_PER_DECADE))

    def _show_eps(self) -> None:
        """The spin box and the slider show the session's ε (without telling the session again)."""
        eps = self.session.eps
        with signals_blocked(self.epsilon):
            self.epsilon.setValue(eps)
        with signals_blocked(self.slider):
            self.slider.setValue(round(math.log10(eps) * SLIDER_STEPS_PER_DECADE))

    def _on_change(self, change: Change) -> None:
        if change.kind == "eps":
            self._show_eps()
            self._eps_timer.start()
        elif change.kind in FOLLOWED:
            self._eps_timer.stop()
            self.refresh()

    # -- nudging ------------------------------------------------------------------------

    def nudge(self, eps: float) -> None:
        """Add ``eps`` to the inspected cell: a real edit, one undo step (repeated nudges of a cell merge)."""
        if self.session.inspected is None:
            return
        name, index = self.session.inspected
        before = self.session.derived.nudge(abs(eps))
        try:
            changed = self.editor.nudge(name, index, eps)
        except EditError as e:
            self.message.emit(f"{e}.")
            return
        if not changed:  # θ + ε rounds back to θ in this dtype: nothing to do, and nothing to undo
            self.message.emit(f"Nothing nudged: {cell_name(name, index)} + {eps:.3g} rounds back to "
                              f"{cell_name(name, index)} in {self.sheet.net.dtype.name}; try a larger ε.")
            return
        self.session.record_nudge(before, eps)
        self.show_nudge(self.session.derived.nudge())  # the one-sided row follows the button pressed (the edit showed the rest)
        self.show_last_nudge()
        self.message.emit(f"Nudged {cell_name(name, index)} by {eps:+.3g}.")

    # -- showing ------------------------------------------------------------------------

    def refresh(self) -> None:
        n = self.session.derived.nudge()
        enabled = n is not None
        for w in (self.plus, self.minus):
            w.setEnabled(enabled)
        if n is None:
            self.title.setText("Select a cell of x, a w or a b to inspect it")
            for label in self.fields.values():
                self._say(label, "")
            self._say(self.verdict, "")
            self.yours.setText("")
            self.watched_box.hide()
            return
        self.title.setText(f"Inspecting {cell_name(n.tensor, n.index)}")
        self.show_nudge(n)
        self.show_yours(n)
        self.show_watched()

    def show_nudge(self, n: Nudge) -> None:
        f = self.fields
        record = self.session.last_nudge
        backward = record is not None and record.eps < 0 and (record.before.tensor, record.before.index) == (n.tensor, n.index)
        one_sided, shown = ("backward", n.backward) if backward else ("forward", n.forward)
        self.captions["fd-quotient"].setText("ΔL / Δε (−ε)" if backward else "ΔL / Δε")
        f["cell-value"].setText(_number(n.value))
        f["step"].setText(_number(n.step_plus) + ("   (vanished!)" if n.step_plus == 0 else ""))
        f["loss-before"].setText(_number(n.loss))
        f["loss-after"].setText(_number(n.loss_plus))
        f["delta-loss"].setText(_number(n.delta_loss))
        f["fd-quotient"].setText(_number(shown))
        f["central-quotient"].setText(_number(n.central))
        f["analytic-gradient"].setText(_number(n.analytic))
        finite = math.isfinite(n.central)
        f["abs-error"].setText(f"{n.abs_err:.3g} (rel. {n.rel_err:.2g})".replace("-", "−") if finite else "—")
        grad = f"{n.tensor}.g"
        if not self.session.revealed(grad):  # the teacher hides the true gradient: the learner's line must find it
            self._no_gradient(f"hidden until your {grad} line is right",
                              f"the true {grad} is hidden until your line for it is right: compare your value with the nudge")
            return
        if not self.session.computed(grad):  # stepping: the backward pass has not written this gradient yet
            step = self.session.written_at(grad)
            self._no_gradient(f"written at step {step}",
                              f"{grad} is written at step {step}: step on through the backward pass to compare it with the nudge")
            return
        verdicts = self.session.verdicts(n)
        self._say(f["fd-verdict"], _marked(verdicts[one_sided]), f"{one_sided} quotient {verdicts[one_sided].reason}")
        self._say(f["central-verdict"], _marked(verdicts["central"]), f"central quotient {verdicts['central'].reason}")
        headline = verdicts[self.session.scheme]
        self._say(self.verdict, f"<b>{_marked(headline, self.session.scheme)}</b>",
                  f"verdict, {self.session.scheme} quotient: {headline.reason}")

    def _no_gradient(self, why: str, said: str) -> None:
        """No true gradient to show (``why``: "written at step 4"): no error and no verdicts, ``said`` instead."""
        self.fields["analytic-gradient"].setText(f"— ({why})")
        self.fields["abs-error"].setText("—")
        for row in ("fd-verdict", "central-verdict"):
            self._say(self.fields[row], "")
        self._say(self.verdict, said, said)

    @staticmethod
    def _say(label: QLabel, text: str, said: str = "") -> None:
        """Show ``text`` and give a screen reader ``said``, the same in words (a badge's ✓ is read as its reason)."""
        label.setText(text)
        label.setAccessibleName(said)

    def show_yours(self, n: Nudge) -> None:
        """The learner's own value of this cell's gradient, from their line in Your turn, against the nudge."""
        grading, target = self.session.grading, f"{n.tensor}.g"
        yours = grading.array(target) if grading is not None and target in self.session.answers else None
        if yours is None:
            self.yours.setText("")
            return
        mine = float(yours[n.index])
        close = bool(within_tolerance(mine, n.central, *self.session.tolerance()))
        symbol, colour, said = ("✓", palette.AGREE, "agrees with the nudge") if close else (
            "✗", palette.DISAGREE, "is not what the nudge measures")
        self.yours.setText(f"{badge(symbol, colour)} your {cell_name(target, n.index)} = {_number(mine)} {said}")

    def show_watched(self) -> None:
        """The rows for a watched cell (none while the loss is watched: the rows above are the loss's)."""
        if self.session.watched.is_loss:
            self.watched_box.hide()
            return
        rows = watched_rows(self.session)
        if rows is None:
            self.watched_box.hide()
            return
        self.watched_box.setTitle(rows.title)
        for row in rows.rows:
            self.watched_captions[row.key].setText(row.caption)
            self.watched_captions[row.key].setToolTip(row.tip)
            self.fields[row.key].setText(row.value)
        self.watched_note.setText(rows.problem or rows.roundoff or "")
        self.watched_box.show()

    def show_last_nudge(self) -> None:
        """Say what the last applied nudge did, as the learner's spreadsheet recorded it."""
        record = self.session.last_nudge
        if record is None:
            return
        before, eps = record.before, record.eps
        self.last_nudge.setText(
            f"Last nudge: {cell_name(before.tensor, before.index)} {'+' if eps > 0 else '−'}= {abs(eps):.3g}; "
            f"L went from {_number(before.loss)} to {_number(record.loss_after)}, ΔL/Δε = {_number(record.quotient)}")
