"""Network ▸ New Network…: sizes, an activation per hidden layer, the loss, the precision and the initial weights.

Every field is checked as it is typed, by the core (``gradlab.spec.read_sizes``):
while a size is impossible (empty, not a whole number, 0, or a network too large
to show or to run) OK is disabled and one sentence under the fields says what to
change.  The network itself is built by the core, ``gradlab.presets.random_network``,
with ``gradlab.reshape.set_activation`` for each hidden layer whose activation
differs from the first.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gradlab.layers import ACTIVATIONS
from gradlab.losses import LOSSES, REDUCTIONS
from gradlab.network import Network
from gradlab.presets import random_network
from gradlab.scenario import DTYPES
from gradlab.spec import grid_cells, read_sizes

INITS = {"seeded random": "random", "Kaiming": "kaiming", "zeros": "zeros"}


class NewNetworkDialog(QDialog):
    """Ask for a new network; ``network()`` builds it once OK is enabled (``problem()`` is None)."""

    def __init__(self, parent: QWidget | None = None, like: Network | None = None):
        super().__init__(parent)
        self.setWindowTitle("New Network")
        self.batch = QLineEdit("4", objectName="new-batch")
        self.inputs = QLineEdit("3", objectName="new-inputs")
        self.hidden = QLineEdit("4", objectName="new-hidden")
        self.hidden.setPlaceholderText("none: a single linear layer")
        self.hidden.setToolTip("The width of each hidden layer, separated by commas: 8, 8 makes two layers of 8 units")
        self.outputs = QLineEdit("1", objectName="new-outputs")
        self.activations: list[QComboBox] = []
        self.activation_row = QHBoxLayout()
        self.loss = self._combo("new-loss", LOSSES)
        self.reduction = self._combo("new-reduction", REDUCTIONS)
        self.dtype = self._combo("new-dtype", DTYPES)
        self.init = self._combo("new-init", list(INITS))
        self.init.setToolTip("Seeded random: standard normal weights; Kaiming: scaled by sqrt(2 / inputs); zeros: all 0")
        self.seed = QSpinBox(objectName="new-seed", minimum=0, maximum=2**31 - 1)
        self.problem_label = QLabel(objectName="new-network-message", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Batch rows", self.batch)
        form.addRow("Inputs", self.inputs)
        form.addRow("Hidden layer widths", self.hidden)
        form.addRow("Their activations", self.activation_row)
        form.addRow("Outputs", self.outputs)
        form.addRow("Loss", self.loss)
        form.addRow("Loss over the batch", self.reduction)
        form.addRow("Precision", self.dtype)
        form.addRow("Initial weights", self.init)
        form.addRow("Seed", self.seed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)

        if like is not None:
            self._copy_shape(like)
        for field in (self.batch, self.inputs, self.hidden, self.outputs):
            field.textChanged.connect(self.validate)
        self.loss.currentIndexChanged.connect(self.validate)
        self.validate()

    def _combo(self, name: str, items) -> QComboBox:
        box = QComboBox(objectName=name)
        box.addItems(list(items))
        return box

    def _copy_shape(self, net: Network) -> None:
        """Start from the open network's sizes and settings."""
        widths = net.widths()
        self.batch.setText(str(net.batch))
        self.inputs.setText(str(widths[0]))
        self.hidden.setText(", ".join(map(str, widths[1:-1])))
        self.outputs.setText(str(widths[-1]))
        after = [kind or "relu" for kind in net.hidden_activations()]
        self._sync_activations(len(after))
        for box, kind in zip(self.activations, after):
            box.setCurrentText(kind)
        for box, value in ((self.loss, net.loss), (self.reduction, net.reduction), (self.dtype, net.dtype.name)):
            box.setCurrentText(value)

    def _sync_activations(self, count: int) -> None:
        """One activation box per hidden layer; boxes already there keep their choice."""
        while len(self.activations) < count:
            box = self._combo(f"new-activation-{len(self.activations) + 1}", ACTIVATIONS)
            box.setToolTip(f"The activation after hidden layer {len(self.activations) + 1}")
            self.activations.append(box)
            self.activation_row.addWidget(box)
        while len(self.activations) > count:
            box = self.activations.pop()
            self.activation_row.removeWidget(box)
            box.deleteLater()

    # -- reading the fields --------------------------------------------------------------

    def sizes(self) -> tuple[int, list[int]]:
        """The batch size and widths, inputs first; ``ValueError`` with one sentence while they are impossible."""
        return read_sizes(self.batch.text(), self.inputs.text(), self.hidden.text(), self.outputs.text(),
                          self.loss.currentText())

    def problem(self) -> str | None:
        try:
            self.sizes()
        except ValueError as e:
            return str(e)
        return None

    def validate(self) -> None:
        try:
            batch, widths = self.sizes()
        except ValueError as e:
            self.problem_label.setText(str(e))
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            return
        self._sync_activations(len(widths) - 2)
        self.problem_label.setText(f"x is {batch}×{widths[0]}, then layers of {' → '.join(map(str, widths[1:]))} units: "
                                   f"{grid_cells(batch, widths, self.loss.currentText()):,} cells in all.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def accept(self) -> None:
        if self.problem() is None:  # Enter in a field must not get past a disabled OK
            super().accept()

    def network(self) -> Network:
        """The network the fields describe, built by the core."""
        batch, widths = self.sizes()
        return random_network(widths, batch, [box.currentText() for box in self.activations], self.loss.currentText(),
                              self.reduction.currentText(), self.dtype.currentText(), self.seed.value(),
                              INITS[self.init.currentText()])
